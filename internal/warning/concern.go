package warning

import (
	"context"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
)

// ConcernSigns are what a reporter can say they observed (codes; the
// catalog has their words as concern.sign.<code>).
var ConcernSigns = []string{"self_harm", "suicide_talk", "low_mood", "withdrawal", "anxiety", "anger", "sleep_appetite",
	"school_refusal", "grades_drop", "bullied", "family_conflict", "abuse_suspected", "substance", "other"}

// ConcernReport is an observed concern about a student (重点摸排).
type ConcernReport struct {
	StudentID   int64
	StudentNo   string // used when StudentID is 0 (a reporter who cannot search records)
	Signs       []string
	Since       string // YYYY-MM-DD
	Factors     []string
	Description string // sealed
}

// ReportConcern files a concern report and runs the warning rules on it in
// the same transaction. The reporter needs concern.report over the
// student's school; a head teacher may report any student of their school.
// It returns the report's id and the alert it raised or joined (0: none).
func (s *Service) ReportConcern(ctx context.Context, p access.Principal, c ConcernReport, factorKinds []string) (int64, int64, error) {
	c.Description = strings.TrimSpace(c.Description)
	fields := map[string]string{}
	signs := known(c.Signs, ConcernSigns)
	if len(signs) == 0 {
		fields["signs"] = "concern.signs_required"
	}
	if c.Since != "" {
		if t, err := time.Parse("2006-01-02", c.Since); err != nil || t.After(s.now()) {
			fields["since"] = "form.bad_date"
		}
	}
	if len(c.Description) > 4000 {
		fields["description"] = "form.too_long"
	}
	if c.StudentID == 0 && strings.TrimSpace(c.StudentNo) == "" {
		fields["student_no"] = "form.required"
	}
	if len(fields) > 0 {
		return 0, 0, apperr.Invalid("form.invalid", fields)
	}
	factors := known(c.Factors, factorKinds)
	var reportID, alertID int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var path string
		var err error
		if c.StudentID != 0 {
			err = tx.QueryRow(ctx, `SELECT o.path FROM students st JOIN org_units o ON o.id = st.school_id WHERE st.id = ? AND st.status = 'active'`,
				c.StudentID).Scan(&path)
		} else {
			err = tx.QueryRow(ctx, `SELECT st.id, o.path FROM students st JOIN org_units o ON o.id = st.school_id WHERE st.student_no = ? AND st.status = 'active'`,
				strings.TrimSpace(c.StudentNo)).Scan(&c.StudentID, &path)
		}
		if err != nil {
			return fieldNotFound(err)
		}
		m, ok := p.At(access.ConcernReport, path)
		if !ok {
			return fieldNotFound(apperr.NotFound())
		}
		now := s.now()
		if reportID, err = tx.InsertID(ctx, `INSERT INTO concern_reports (student_id, reporter_id, org_unit_id, signs, since, factors, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, c.StudentID, p.UserID, m.OrgID, strings.Join(signs, " "), c.Since, strings.Join(factors, " "),
			db.Micro(now)); err != nil {
			return err
		}
		if c.Description != "" {
			// Sealed to its own report, so descriptions cannot be swapped.
			desc, err := s.Seal.Seal([]byte(c.Description), "concern_reports:"+itoa(reportID)+":description")
			if err != nil {
				return apperr.Internal(err)
			}
			if _, err := tx.Exec(ctx, `UPDATE concern_reports SET description = ? WHERE id = ?`, desc, reportID); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `INSERT INTO student_events (student_id, at, kind, actor_user_id, org_unit_id, detail) VALUES (?, ?, 'concern', ?, ?, ?)`,
			c.StudentID, db.Micro(now), p.UserID, m.OrgID, "report="+itoa(reportID)); err != nil {
			return err
		}
		if err := s.Audit.Record(ctx, tx, audit.Entry{ActorUserID: p.UserID, ActorRole: m.Role, ActorOrgID: m.OrgID, Action: "concern.report",
			ObjectType: "student", ObjectID: itoa(c.StudentID), Outcome: audit.Success, Detail: "report=" + itoa(reportID)}); err != nil {
			return err
		}
		alertID, err = s.Raise(ctx, tx, Signal{StudentID: c.StudentID, Source: "concern", SourceID: reportID, At: now, Signs: signs, Factors: factors})
		return err
	})
	return reportID, alertID, err
}

// fieldNotFound: an unknown student, or one outside the reporter's reach,
// gets the same answer.
func fieldNotFound(err error) error {
	if apperr.CodeOf(err) == apperr.ENotFound {
		return apperr.Invalid("concern.unknown_student", map[string]string{"student_no": "concern.unknown_student"})
	}
	return err
}

func known(vals, allowed []string) []string {
	ok := map[string]bool{}
	for _, a := range allowed {
		ok[a] = true
	}
	var out []string
	seen := map[string]bool{}
	for _, v := range vals {
		if ok[v] && !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}
