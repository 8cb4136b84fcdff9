// Package referral is referral to hospitals and other agencies (医教结合):
// a closed loop of states from sent to feedback received, a fast track for
// urgent ones, guardian consent, sealed documents, feedback without
// over-sharing, and overdue referrals that escalate.
//
// Two sides act on a referral. The sender's side holds referral.manage over
// the unit that sent it (the student's school, or the unit a crisis
// incident was handled at), or sent it themselves; the receiving side holds
// referral.hospital over the receiving unit and sees only what the
// referral carries, never the child's record.
package referral

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/care"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/jobs"
	"github.com/careloop/careloop/internal/notify"
	"github.com/careloop/careloop/internal/seal"
	"github.com/careloop/careloop/internal/sharing"
)

// Service runs referrals.
type Service struct {
	DB      *db.DB
	Audit   *audit.Log
	Seal    seal.Sealer
	Jobs    *jobs.Queue
	Notify  *notify.Service
	Care    *care.Service
	Sharing *sharing.Service
	Now     func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Sources of a referral.
const (
	SourceCase     = "case"
	SourcePlan     = "plan"
	SourceIncident = "incident"
)

// Urgencies: an urgent referral takes the fast track (绿色通道), with
// shorter deadlines.
const (
	Routine = "routine"
	Urgent  = "urgent"
)

// Codes a referral uses, in display order.
var (
	Sources        = []string{SourceCase, SourcePlan, SourceIncident}
	Urgencies      = []string{Routine, Urgent}
	ConsentBy      = []string{"mother", "father", "guardian", "self"}
	ConsentHow     = []string{"written", "verbal", "phone", "electronic"}
	DeclineReasons = []string{"outside_service", "no_capacity", "incomplete", "refer_elsewhere", "other"}
	CloseReasons   = []string{"completed", "no_show", "family_withdrew", "resolved", "referred_elsewhere", "other"}
	Genders        = []string{"female", "male", "other", "unknown"}
)

// Consent is the consent a referral was sent with. A child under 14 needs
// a guardian's; from 14 the child may consent for themself (By "self").
type Consent struct {
	Given   bool
	By      string // mother, father, guardian, self
	At      time.Time
	How     string // written, verbal, phone, electronic
	Version string // the version of the consent text shown
	// Detail is consent that the hospital may share detailed findings
	// with the school; without it the school sees recommendations only.
	Detail bool
}

// Guardian is the guardian's contact, sent only when the sender chooses.
type Guardian struct {
	Name     string `json:"name"`
	Relation string `json:"relation"`
	Phone    string `json:"phone"`
}

// Identity is what a referral carries about the child: a snapshot taken
// when it is sent, sealed, so that the receiving unit sees what was sent
// and nothing of a later record.
type Identity struct {
	Name      string    `json:"name"` // "" for an anonymous child
	Gender    string    `json:"gender"`
	BirthDate string    `json:"birth_date,omitempty"` // YYYY-MM-DD, for a student
	Age       int       `json:"age"`                  // in years, when sent
	School    string    `json:"school,omitempty"`
	Grade     int       `json:"grade,omitempty"`
	Guardian  *Guardian `json:"guardian,omitempty"`
}

// Referral is one referral as either side sees it. Reason and Child are
// opened from their sealed columns.
type Referral struct {
	ID                 int64
	Source             string
	SourceID           int64
	PlanVersion        int
	CaseID, StudentID  int64
	FromUnit, ToUnit   int64
	FromName, ToName   string
	FromNameEn, ToEn   string
	SenderID           int64
	SenderName         string
	Urgency, State     string
	Child              Identity
	Reason             string
	Shares             []string
	Basis              string
	Under14            bool
	Consent            Consent
	SentAt, AcceptedAt time.Time
	AppointmentAt      time.Time
	SeenAt, FeedbackAt time.Time
	ClosedAt           time.Time
	DeclineReason      string
	CloseReason        string
	DueStep            string // the step awaited: accept, appointment, feedback, or ""
	DueAt              time.Time
	Overdue            bool // the awaited step is past its deadline
	ConsentPending     bool // sent in an emergency: consent is still to be had and recorded
	Escalations        int

	fromPath, toPath string
	identity, reason []byte
	seq, escLevel    int
	chainStep        int
}

// FromLabel is the sending unit's name in a locale.
func (r Referral) FromLabel(locale string) string { return pick(locale, r.FromName, r.FromNameEn) }

// ToLabel is the receiving unit's name in a locale.
func (r Referral) ToLabel(locale string) string { return pick(locale, r.ToName, r.ToEn) }

func pick(locale, zh, en string) string {
	if locale == "en" && en != "" {
		return en
	}
	return zh
}

// Has reports whether the referral disclosed what (a code of Shares).
func (r Referral) Has(what string) bool {
	for _, s := range r.Shares {
		if s == what {
			return true
		}
	}
	return false
}

// auditEntry writes an audit entry of a caller's act on a referral.
func (s *Service) record(ctx context.Context, tx *db.Tx, p access.Principal, m access.Membership, action string, id int64, detail string) error {
	return s.Audit.Record(ctx, tx, audit.Entry{ActorUserID: p.UserID, ActorRole: m.Role, ActorOrgID: m.OrgID, Action: action,
		ObjectType: "referral", ObjectID: itoa(id), Outcome: audit.Success, Detail: detail})
}

// marks returns n comma-separated placeholders.
func marks(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// ancestors returns the unit ids of a path, top first: "/1/5/23/" → 1 5 23.
func ancestors(path string) []any {
	var out []any
	for _, p := range strings.Split(strings.Trim(path, "/"), "/") {
		if id, err := strconv.ParseInt(p, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}
