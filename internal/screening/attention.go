package screening

import (
	"context"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
)

// ClassMember is a student of a head teacher's class as the head teacher
// sees them: a name and whether the student needs attention, nothing more
// (no answers, scores, tiers or notes).
type ClassMember struct {
	ID             int64 // to report a concern about the student
	Name           string
	Grade          int
	ClassName      string
	NeedsAttention bool
}

// ClassAttention lists the students of the caller's assigned classes with
// the one signal a head teacher (班主任) may see: that a student needs
// attention (tier orange or red, or a critical answer). The read is audited.
func (s *Service) ClassAttention(ctx context.Context, p access.Principal) ([]ClassMember, error) {
	m, ok := p.Grant(access.RecordAttention)
	if !ok {
		return nil, apperr.Forbidden()
	}
	var out []ClassMember
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		scope, args := p.Scope(access.RecordAttention, "o.path")
		rows, err := tx.Query(ctx, `SELECT st.id, st.name, st.grade, st.class_name,
			CASE WHEN t.critical = 1 OR t.tier IN ('orange', 'red') THEN 1 ELSE 0 END
			FROM class_assignments a JOIN students st ON st.school_id = a.school_id AND st.grade = a.grade AND st.class_name = a.class_name
			JOIN org_units o ON o.id = st.school_id LEFT JOIN student_tiers t ON t.student_id = st.id
			WHERE a.user_id = ? AND st.status = 'active' AND `+scope+`
			ORDER BY st.grade, st.class_name, st.name`, append([]any{p.UserID}, args...)...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var c ClassMember
			var need int
			if err := rows.Scan(&c.ID, &c.Name, &c.Grade, &c.ClassName, &need); err != nil {
				rows.Close()
				return apperr.Internal(err)
			}
			c.NeedsAttention = need == 1
			out = append(out, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return apperr.Internal(err)
		}
		return s.Audit.Record(ctx, tx, audit.Entry{ActorUserID: p.UserID, ActorRole: m.Role, ActorOrgID: m.OrgID,
			Action: "class.attention", ObjectType: "class", Outcome: audit.Success, Detail: "rows=" + itoa(int64(len(out)))})
	})
	return out, err
}
