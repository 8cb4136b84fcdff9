package hotline

import (
	"context"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// LinkStudent links a contact to a student's record: an explicit act, by
// someone who answers contacts at the station and may write to the
// student's record (a coordinator who also serves the hotline, say). The
// link is audited on both sides; a contact stays anonymous until then.
func (s *Service) LinkStudent(ctx context.Context, p access.Principal, contactID, studentID int64) error {
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		c, _, err := s.load(ctx, tx, contactID)
		if err != nil {
			return err
		}
		m, ok := p.At(access.HotlineContact, c.StationPath)
		if !ok {
			return apperr.NotFound()
		}
		var path string
		if err := tx.QueryRow(ctx, `SELECT o.path FROM students st JOIN org_units o ON o.id = st.school_id WHERE st.id = ?`, studentID).Scan(&path); err != nil {
			return apperr.Invalid("form.invalid", map[string]string{"student": "contact.unknown_student"})
		}
		if _, ok := p.At(access.RecordWrite, path); !ok {
			return apperr.Invalid("form.invalid", map[string]string{"student": "contact.unknown_student"})
		}
		now := db.Micro(s.now())
		if _, err := tx.Exec(ctx, `UPDATE contacts SET student_id = ?, version = version + 1, updated_at = ? WHERE id = ?`, studentID, now, contactID); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO student_events (student_id, at, kind, actor_user_id, org_unit_id, detail) VALUES (?, ?, 'contact', ?, ?, ?)`,
			studentID, now, p.UserID, c.StationID, "contact="+itoa(contactID)); err != nil {
			return err
		}
		return s.Audit.Record(ctx, tx, auditEntry(p, m, "contact.link_student", "student", studentID, "contact="+itoa(contactID)))
	})
}

// LinkStudentNo links a contact to the student with a student number (学籍号),
// under the same rules as LinkStudent: an unknown number and one outside
// the caller's records get the same answer.
func (s *Service) LinkStudentNo(ctx context.Context, p access.Principal, contactID int64, studentNo string) error {
	var id int64
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT id FROM students WHERE student_no = ? AND status = 'active'`, studentNo).Scan(&id)
	})
	if err != nil || studentNo == "" {
		return apperr.Invalid("form.invalid", map[string]string{"student": "contact.unknown_student"})
	}
	return s.LinkStudent(ctx, p, contactID, id)
}
