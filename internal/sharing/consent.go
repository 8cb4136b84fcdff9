package sharing

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/student"
)

// Kinds of consent. A guardian's consent and a child's own consent (at
// 14 or older) are general consents; the separate consent for sensitive
// personal information (PIPL art. 29; a child's mental health is
// sensitive, and so is every record of a child under 14, art. 28) is
// recorded apart, by a guardian or a child of 14 or older.
const (
	ConsentGuardian  = "guardian"
	ConsentSensitive = "sensitive"
	ConsentChild     = "child"
)

// ConsentKinds lists the kinds in the order a form offers them.
var ConsentKinds = []string{ConsentGuardian, ConsentSensitive, ConsentChild}

// Scopes are the kinds of processing a consent may cover: screening,
// referral, sharing with agencies of a named kind, and research.
var Scopes = []string{"screening", "referral", "share_police", "share_hospital", "share_agency", "share_meeting", "research"}

// ConsentMethods say how a consent was given.
var ConsentMethods = []string{"paper", "online", "verbal_witnessed"}

// Self is the relation of a child to their own consent.
const Self = "self"

// AgeOfConsent is the age from which a child's own consent counts
// (PIPL art. 31: under 14, only a guardian's).
const AgeOfConsent = 14

// Consent is one consent record. GivenByName is opened from its seal.
type Consent struct {
	ID             int64
	StudentID      int64
	Kind           string
	Scope          []string
	TextVersion    string
	GivenByName    string
	Relation       string
	GivenAt        time.Time
	Method         string
	RecordedBy     int64
	RecordedByName string
	RecordedAt     time.Time
	WithdrawnAt    time.Time // zero while in force
	WithdrawnBy    string    // a relation, or self
}

// InForce reports whether the consent had not been withdrawn at t.
func (c Consent) InForce(t time.Time) bool {
	return !c.GivenAt.After(t) && (c.WithdrawnAt.IsZero() || c.WithdrawnAt.After(t))
}

// NewConsent is a consent as a school records it.
type NewConsent struct {
	Kind        string
	Scope       []string
	TextVersion string
	GivenByName string // the guardian's name; empty for the child's own
	Relation    string // student.Relations, or Self
	GivenAt     time.Time
	Method      string
}

func consentNameAAD(id int64) string { return "consent_records:" + itoa(id) + ":given_by_name" }

// check validates n for a child born on birthDate, as of now.
func (n *NewConsent) check(birthDate string, now time.Time) map[string]string {
	bad := map[string]string{}
	n.GivenByName, n.TextVersion = strings.TrimSpace(n.GivenByName), strings.TrimSpace(n.TextVersion)
	if !slices.Contains(ConsentKinds, n.Kind) {
		bad["kind"] = "sharing.bad_value"
	}
	if !allOf(n.Scope, Scopes) {
		bad["scope"] = "sharing.scope_required"
	}
	if n.TextVersion == "" || utf8.RuneCountInString(n.TextVersion) > 50 {
		bad["text_version"] = "sharing.text_version_required"
	}
	if !slices.Contains(ConsentMethods, n.Method) {
		bad["method"] = "sharing.bad_value"
	}
	if n.GivenAt.IsZero() || n.GivenAt.After(now.Add(5*time.Minute)) {
		bad["given_at"] = "sharing.bad_date"
	}
	switch {
	case n.Relation == Self:
		if n.Kind == ConsentGuardian {
			bad["relation"] = "sharing.guardian_needed"
		} else if student.AgeOn(birthDate, n.GivenAt) < AgeOfConsent {
			bad["relation"] = "sharing.child_under_14"
		}
		n.GivenByName = ""
	case slices.Contains(student.Relations, n.Relation):
		if n.Kind == ConsentChild {
			bad["relation"] = "sharing.child_own_only"
		}
		if n.GivenByName == "" || utf8.RuneCountInString(n.GivenByName) > 100 {
			bad["given_by_name"] = "sharing.name_required"
		}
	default:
		bad["relation"] = "sharing.bad_value"
	}
	return bad
}

// RecordConsent records a consent for a student. The caller needs
// record.write over the student's current school. Nothing is ever
// overwritten: a change is a withdrawal and a new consent.
func (s *Service) RecordConsent(ctx context.Context, p access.Principal, studentID int64, n NewConsent) (int64, error) {
	var id int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		c, m, err := childAt(ctx, tx, p, access.RecordWrite, studentID)
		if err != nil {
			return err
		}
		now := s.now()
		if bad := n.check(c.BirthDate, now); len(bad) > 0 {
			return apperr.Invalid("form.invalid", bad)
		}
		scope := strings.Join(n.Scope, " ")
		if id, err = tx.InsertID(ctx, `INSERT INTO consent_records (student_id, kind, scope, text_version, relation, given_at, method, recorded_by, recorded_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, studentID, n.Kind, scope, n.TextVersion, n.Relation, db.Micro(n.GivenAt), n.Method,
			p.UserID, db.Micro(now)); err != nil {
			return err
		}
		if n.GivenByName != "" {
			sealed, err := s.Seal.Seal([]byte(n.GivenByName), consentNameAAD(id))
			if err != nil {
				return apperr.Internal(err)
			}
			if _, err := tx.Exec(ctx, `UPDATE consent_records SET given_by_name = ? WHERE id = ?`, sealed, id); err != nil {
				return err
			}
		}
		detail := "consent=" + itoa(id) + " kind=" + n.Kind + " scope=" + strings.Join(n.Scope, ",")
		if err := addEvent(ctx, tx, studentID, db.Micro(now), p.UserID, c.SchoolID, "sharing_consent", detail); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "consent.record", "student", studentID, detail)
	})
	return id, err
}

// WithdrawConsent records that by (a relation, or Self) withdrew a
// consent. It takes effect at once: HasConsent is false from this moment.
// Withdrawing a withdrawn consent changes nothing.
func (s *Service) WithdrawConsent(ctx context.Context, p access.Principal, studentID, consentID int64, by string) error {
	if by != Self && !slices.Contains(student.Relations, by) {
		return apperr.Invalid("form.invalid", map[string]string{"withdrawn_by": "sharing.bad_value"})
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		c, m, err := childAt(ctx, tx, p, access.RecordWrite, studentID)
		if err != nil {
			return err
		}
		now := db.Micro(s.now())
		res, err := tx.Exec(ctx, `UPDATE consent_records SET withdrawn_at = ?, withdrawn_by = ?, withdrawn_rec = ? WHERE id = ? AND student_id = ? AND withdrawn_at = 0`,
			now, by, p.UserID, consentID, studentID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			var one int
			if err := tx.QueryRow(ctx, `SELECT 1 FROM consent_records WHERE id = ? AND student_id = ?`, consentID, studentID).Scan(&one); err != nil {
				return err
			}
			return nil
		}
		detail := "consent=" + itoa(consentID) + " by=" + by
		if err := addEvent(ctx, tx, studentID, now, p.UserID, c.SchoolID, "sharing_consent_withdrawn", detail); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "consent.withdraw", "student", studentID, detail)
	})
}

// Consents returns the student and every consent recorded for them, newest
// first, names opened. The caller needs record.write over the student's
// current school; the read is audited.
func (s *Service) Consents(ctx context.Context, p access.Principal, studentID int64) (*Child, []Consent, error) {
	var child *Child
	var out []Consent
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		c, m, err := childAt(ctx, tx, p, access.RecordWrite, studentID)
		if err != nil {
			return err
		}
		child = c
		if out, err = s.consentsOf(ctx, tx, studentID, true); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "consent.list", "student", studentID, "count="+itoa(int64(len(out))))
	})
	return child, out, err
}

// consentsOf reads a student's consents; open says whether to open names.
func (s *Service) consentsOf(ctx context.Context, tx *db.Tx, studentID int64, open bool) ([]Consent, error) {
	rows, err := tx.Query(ctx, `SELECT c.id, c.kind, c.scope, c.text_version, c.given_by_name, c.relation, c.given_at, c.method,
		c.recorded_by, COALESCE(u.display_name, ''), c.recorded_at, c.withdrawn_at, c.withdrawn_by
		FROM consent_records c LEFT JOIN users u ON u.id = c.recorded_by WHERE c.student_id = ? ORDER BY c.given_at DESC, c.id DESC`, studentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Consent
	for rows.Next() {
		c := Consent{StudentID: studentID}
		var scope string
		var name []byte
		var given, recorded, withdrawn int64
		if err := rows.Scan(&c.ID, &c.Kind, &scope, &c.TextVersion, &name, &c.Relation, &given, &c.Method,
			&c.RecordedBy, &c.RecordedByName, &recorded, &withdrawn, &c.WithdrawnBy); err != nil {
			return nil, apperr.Internal(err)
		}
		c.Scope = strings.Fields(scope)
		c.GivenAt, c.RecordedAt = db.FromMicro(given), db.FromMicro(recorded)
		if withdrawn != 0 {
			c.WithdrawnAt = db.FromMicro(withdrawn)
		}
		if open && len(name) > 0 {
			plain, err := s.Seal.Open(name, consentNameAAD(c.ID))
			if err != nil {
				return nil, apperr.Internal(err)
			}
			c.GivenByName = string(plain)
		}
		out = append(out, c)
	}
	return out, apperr.Internal(rows.Err())
}
