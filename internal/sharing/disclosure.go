package sharing

import (
	"context"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// LoggedDisclosure is one row of the disclosure log as a reader sees it.
// StudentName is set only where the reader may read the student's record.
type LoggedDisclosure struct {
	ID          int64
	StudentID   int64
	StudentNo   string
	StudentName string
	From, To    UnitName
	What        []string
	Purpose     string
	Basis       string
	RefType     string
	RefID       int64
	ActorName   string
	At          time.Time
}

const disclosureColumns = `d.id, d.student_id, COALESCE(st.student_no, ''), COALESCE(st.name, ''), COALESCE(so.path, ''),
	d.from_unit, fo.name, fo.name_en, d.to_unit, tu.name, tu.name_en, d.what, d.purpose, d.basis, d.ref_type, d.ref_id,
	COALESCE(u.display_name, ''), d.at`

const disclosureFrom = ` FROM disclosures d JOIN org_units fo ON fo.id = d.from_unit JOIN org_units tu ON tu.id = d.to_unit
	LEFT JOIN students st ON st.id = d.student_id LEFT JOIN org_units so ON so.id = st.school_id LEFT JOIN users u ON u.id = d.actor_id`

func (s *Service) disclosures(ctx context.Context, tx *db.Tx, p access.Principal, where string, args ...any) ([]LoggedDisclosure, error) {
	rows, err := tx.Query(ctx, `SELECT `+disclosureColumns+disclosureFrom+` WHERE `+where+` ORDER BY d.at DESC, d.id DESC LIMIT ?`,
		append(args, 500)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []LoggedDisclosure
	for rows.Next() {
		var d LoggedDisclosure
		var schoolPath, what string
		var at int64
		if err := rows.Scan(&d.ID, &d.StudentID, &d.StudentNo, &d.StudentName, &schoolPath, &d.From.ID, &d.From.Name, &d.From.NameEn,
			&d.To.ID, &d.To.Name, &d.To.NameEn, &what, &d.Purpose, &d.Basis, &d.RefType, &d.RefID, &d.ActorName, &at); err != nil {
			return nil, apperr.Internal(err)
		}
		if _, ok := p.At(access.RecordRead, schoolPath); !ok {
			d.StudentName = ""
		}
		d.What, d.At = strings.Fields(what), db.FromMicro(at)
		out = append(out, d)
	}
	return out, apperr.Internal(rows.Err())
}

// StudentDisclosures returns the student and every disclosure of their
// data, newest first: what the record's owner sees. The caller needs
// record.read over the student's current school; the read is audited.
func (s *Service) StudentDisclosures(ctx context.Context, p access.Principal, studentID int64) (*Child, []LoggedDisclosure, error) {
	var child *Child
	var out []LoggedDisclosure
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		c, m, err := childAt(ctx, tx, p, access.RecordRead, studentID)
		if err != nil {
			return err
		}
		child = c
		if out, err = s.disclosures(ctx, tx, p, `d.student_id = ?`, studentID); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "disclosure.list_student", "student", studentID, "count="+itoa(int64(len(out))))
	})
	return child, out, err
}

// UnitDisclosures returns the disclosures from units where the caller
// holds sharing.manage (the from-unit's path, in SQL), newest first, at
// most 500. The read is audited.
func (s *Service) UnitDisclosures(ctx context.Context, p access.Principal) ([]LoggedDisclosure, error) {
	m, ok := p.Grant(access.SharingManage)
	if !ok {
		return nil, apperr.Forbidden()
	}
	scope, args := p.Scope(access.SharingManage, "fo.path")
	var out []LoggedDisclosure
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		if out, err = s.disclosures(ctx, tx, p, scope, args...); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "disclosure.list", "disclosure", 0, "count="+itoa(int64(len(out))))
	})
	return out, err
}
