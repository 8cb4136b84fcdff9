// Package sharing is lawful sharing across agencies: consent records
// (guardian consent, and separate consent for sensitive data as the
// Personal Information Protection Law requires), sharing agreements
// between units, the disclosure log, emergency access (break the glass)
// and joint meetings of agencies (联席会议).
package sharing

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/jobs"
	"github.com/careloop/careloop/internal/notify"
	"github.com/careloop/careloop/internal/seal"
)

// Service keeps consents, agreements, disclosures, emergency access and
// joint meetings.
type Service struct {
	DB     *db.DB
	Audit  *audit.Log
	Seal   seal.Sealer
	Jobs   *jobs.Queue     // the expiry of emergency access; nil: expiry is noticed at the next read
	Notify *notify.Service // supervisors alerted of emergency access; nil: no alerts
	Now    func() time.Time
	// EmergencyFor is how long emergency access lasts (default 3 hours).
	EmergencyFor time.Duration
	// InformWithin is when the task to inform the guardian or the child
	// after the emergency exception falls due (default 72 hours).
	InformWithin time.Duration
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// record writes an audit entry for the caller's act.
func (s *Service) record(ctx context.Context, tx *db.Tx, p access.Principal, m access.Membership, action, objType string, id int64, detail string) error {
	return s.Audit.Record(ctx, tx, audit.Entry{ActorUserID: p.UserID, ActorRole: m.Role, ActorOrgID: m.OrgID, Action: action,
		ObjectType: objType, ObjectID: itoa(id), Outcome: audit.Success, Detail: detail})
}

// Bases on which data may leave its unit.
var Bases = []string{"consent", "agreement", "emergency", "law"}

// Disclosure is data about a child leaving its owning unit.
type Disclosure struct {
	StudentID int64    // 0 for an anonymous child
	FromUnit  int64    // the unit that owns the data
	ToUnit    int64    // the receiving unit (a police station, a hospital, ...)
	What      []string // codes of what was sent: location, risk, callback, reason, documents, ...
	Purpose   string   // crisis, referral, meeting, ...
	Basis     string   // consent, agreement, emergency, law
	RefType   string   // incident, referral, meeting
	RefID     int64
}

// Record writes a disclosure in tx, in the same transaction as the act
// that sends the data, and audits it. Callers have already decided that
// p may send it.
func (s *Service) Record(ctx context.Context, tx *db.Tx, p access.Principal, d Disclosure) error {
	if d.FromUnit == 0 || d.ToUnit == 0 || len(d.What) == 0 || d.Purpose == "" || d.RefType == "" || !slices.Contains(Bases, d.Basis) {
		return apperr.Internal(errBadDisclosure)
	}
	id, err := tx.InsertID(ctx, `INSERT INTO disclosures (student_id, from_unit, to_unit, what, purpose, basis, ref_type, ref_id, actor_id, at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, d.StudentID, d.FromUnit, d.ToUnit, strings.Join(d.What, " "), d.Purpose, d.Basis,
		d.RefType, d.RefID, p.UserID, db.Micro(s.now()))
	if err != nil {
		return err
	}
	m, _ := p.Grant(access.OrgRead)
	return s.Audit.Record(ctx, tx, audit.Entry{ActorUserID: p.UserID, ActorRole: m.Role, ActorOrgID: m.OrgID, Action: "disclosure.record",
		ObjectType: "disclosure", ObjectID: strconv.FormatInt(id, 10), Outcome: audit.Success,
		Detail: "student=" + strconv.FormatInt(d.StudentID, 10) + " to=" + strconv.FormatInt(d.ToUnit, 10) + " " + d.RefType + "=" + strconv.FormatInt(d.RefID, 10)})
}

type badDisclosure struct{}

func (badDisclosure) Error() string { return "sharing: incomplete disclosure" }

var errBadDisclosure = badDisclosure{}
