package sharing

import (
	"context"
	"slices"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/student"
)

// Child is what the pages of this package show of a student: enough to
// know whose consents or disclosures are listed.
type Child struct {
	ID           int64
	StudentNo    string
	Name         string
	BirthDate    string
	SchoolID     int64
	SchoolPath   string
	SchoolName   string
	SchoolNameEn string
}

// Age is the child's age in whole years on day.
func (c Child) Age(day time.Time) int { return student.AgeOn(c.BirthDate, day) }

// School is the school's name in the locale.
func (c Child) School(l string) string { return pick(l, c.SchoolName, c.SchoolNameEn) }

const childColumns = `st.id, st.student_no, st.name, st.birth_date, st.school_id, o.path, o.name, o.name_en`

func scanChild(row *db.Row) (*Child, error) {
	var c Child
	err := row.Scan(&c.ID, &c.StudentNo, &c.Name, &c.BirthDate, &c.SchoolID, &c.SchoolPath, &c.SchoolName, &c.SchoolNameEn)
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// childAt returns the student if the caller holds perm over the student's
// current school; an unknown student and one out of reach are both ENotFound.
func childAt(ctx context.Context, tx *db.Tx, p access.Principal, perm access.Permission, studentID int64) (*Child, access.Membership, error) {
	c, err := scanChild(tx.QueryRow(ctx, `SELECT `+childColumns+` FROM students st JOIN org_units o ON o.id = st.school_id WHERE st.id = ?`, studentID))
	if err != nil {
		if apperr.CodeOf(err) == apperr.ENotFound {
			return nil, access.Membership{}, apperr.NotFound()
		}
		return nil, access.Membership{}, err
	}
	m, ok := p.At(perm, c.SchoolPath)
	if !ok {
		return nil, m, apperr.NotFound()
	}
	return c, m, nil
}

// UnitName is a unit as a list shows it.
type UnitName struct {
	ID     int64
	Name   string
	NameEn string
}

// Display is the unit's name in the locale.
func (u UnitName) Display(l string) string { return pick(l, u.Name, u.NameEn) }

func pick(l, zh, en string) string {
	if l == "en" && en != "" {
		return en
	}
	return zh
}

// addEvent notes an act on the student's timeline (codes only).
func addEvent(ctx context.Context, tx *db.Tx, studentID, at, actor, unit int64, kind, detail string) error {
	_, err := tx.Exec(ctx, `INSERT INTO student_events (student_id, at, kind, actor_user_id, org_unit_id, detail) VALUES (?, ?, ?, ?, ?, ?)`,
		studentID, at, kind, actor, unit, detail)
	return err
}

// allOf reports whether vs is non-empty and every value is in list.
func allOf(vs, list []string) bool {
	if len(vs) == 0 {
		return false
	}
	for _, v := range vs {
		if !slices.Contains(list, v) {
			return false
		}
	}
	return true
}

// Partners lists the active units of the network that may receive data or
// sit in a joint meeting: every unit but schools and community stations
// (whose data leaves through their district), by path. Any holder of
// sharing.manage or meeting.manage may read these names, which lie
// outside their own subtree by nature.
func (s *Service) Partners(ctx context.Context, p access.Principal) ([]UnitName, error) {
	if !p.Can(access.SharingManage) && !p.Can(access.MeetingManage) {
		return nil, apperr.Forbidden()
	}
	var out []UnitName
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, name, name_en FROM org_units WHERE active = 1 AND kind NOT IN ('school', 'community_station')
			ORDER BY path LIMIT 1000`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var u UnitName
			if err := rows.Scan(&u.ID, &u.Name, &u.NameEn); err != nil {
				return err
			}
			out = append(out, u)
		}
		return rows.Err()
	})
	return out, err
}
