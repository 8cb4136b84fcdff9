package care

import (
	"context"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// StaffMember is a colleague who can be named in a plan, a review or a task.
type StaffMember struct {
	ID   int64
	Name string
	Role string
}

// careRoles are the roles that take part in care.
var careRoles = []string{access.SchoolCounsellor, access.SchoolLeader, access.HeadTeacher, access.Coordinator, access.HotlineSupervisor}

// Staff lists the active staff holding a care role in the unit and in the
// units above it (a school's review may name its district's
// coordinator). The caller needs case.manage or review.manage at the unit.
func (s *Service) Staff(ctx context.Context, p access.Principal, unitID int64) ([]StaffMember, error) {
	var out []StaffMember
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		var path string
		if err := tx.QueryRow(ctx, `SELECT path FROM org_units WHERE id = ?`, unitID).Scan(&path); err != nil {
			return apperr.NotFound()
		}
		_, ok1 := p.At(access.CaseManage, path)
		_, ok2 := p.At(access.ReviewManage, path)
		if !ok1 && !ok2 {
			return apperr.NotFound()
		}
		rows, err := tx.Query(ctx, `SELECT DISTINCT u.id, u.display_name, m.role FROM memberships m JOIN users u ON u.id = m.user_id
			JOIN org_units o ON o.id = m.org_unit_id WHERE u.active = 1 AND ? LIKE o.path || '%' ORDER BY u.display_name, u.id`, path)
		if err != nil {
			return err
		}
		defer rows.Close()
		seen := map[int64]bool{}
		for rows.Next() {
			var m StaffMember
			if err := rows.Scan(&m.ID, &m.Name, &m.Role); err != nil {
				return err
			}
			for _, r := range careRoles {
				if r == m.Role && !seen[m.ID] {
					seen[m.ID] = true
					out = append(out, m)
				}
			}
		}
		return rows.Err()
	})
	return out, err
}

// CaseOfFollowUp returns the case of a follow-up the caller may see (for
// links from notifications and work lists).
func (s *Service) CaseOfFollowUp(ctx context.Context, p access.Principal, id int64) (int64, error) {
	var caseID int64
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		var owner int64
		var path string
		if err := tx.QueryRow(ctx, `SELECT f.case_id, f.owner_id, o.path FROM follow_ups f JOIN students st ON st.id = f.student_id
			JOIN org_units o ON o.id = st.school_id WHERE f.id = ?`, id).Scan(&caseID, &owner, &path); err != nil {
			return apperr.NotFound()
		}
		if _, ok := p.At(access.CaseManage, path); !ok && owner != p.UserID {
			var n int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM escalations WHERE item_type = 'follow_up' AND item_id = ? AND to_user_id = ?`,
				id, p.UserID).Scan(&n); err != nil || n == 0 {
				return apperr.NotFound()
			}
		}
		return nil
	})
	return caseID, err
}
