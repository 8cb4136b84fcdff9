// Package family is the parent portal: a guardian signs in with a phone number and a one-time code, sees their own children only, gives or withdraws consent, reports a concern, books a consultation, and reads the guidance the centres publish.
//
// A guardian is not a staff account: guardians are the rows of the
// schools' rosters (table guardians), and a guardian's session reaches the
// students whose guardian rows carry the signed-in phone. Staff keep
// consultation slots (family.consult) and guidance content
// (content.publish) with an access.Principal like every other service.
package family

import (
	"context"
	"log/slog"
	"strconv"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/jobs"
	"github.com/careloop/careloop/internal/notify"
	"github.com/careloop/careloop/internal/screening"
	"github.com/careloop/careloop/internal/seal"
	"github.com/careloop/careloop/internal/warning"
)

// Service is the package's one entry point; handlers call it with the
// caller's Principal (staff) or the guardian's Session (the portal).
type Service struct {
	DB     *db.DB
	Audit  *audit.Log
	Seal   seal.Sealer
	Jobs   *jobs.Queue
	Notify *notify.Service
	Now    func() time.Time
	// SMS sends the one-time codes: the deployment's gateway, or in demo
	// mode a console sender. nil: no code is ever sent.
	SMS notify.SMSGateway
	// SendAsync sends codes apart from the request (a real gateway: its
	// time and failures must not tell known phones from unknown ones).
	SendAsync bool
	Log       *slog.Logger
	// Key is the secret of the keyed hashes of phones and codes
	// (seal.Keyring.Derive("family codes")).
	Key []byte
	// Screening records a guardian's consent in the screening package's
	// own rules; Warning raises the alert of a guardian's concern.
	Screening *screening.Service
	Warning   *warning.Service
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// record writes an audit entry for a member of staff's act.
func (s *Service) record(ctx context.Context, tx *db.Tx, p access.Principal, m access.Membership, action, objType string, id int64, detail string) error {
	return s.Audit.Record(ctx, tx, audit.Entry{ActorUserID: p.UserID, ActorRole: m.Role, ActorOrgID: m.OrgID, Action: action,
		ObjectType: objType, ObjectID: itoa(id), Outcome: audit.Success, Detail: detail})
}

// recordGuardian writes an audit entry for a guardian's act or read: the
// actor is the guardian row, with role "guardian", at the child's school.
func (s *Service) recordGuardian(ctx context.Context, tx *db.Tx, guardianID, schoolID int64, action, objType string, id int64, detail string) error {
	return s.Audit.Record(ctx, tx, audit.Entry{ActorUserID: guardianID, ActorRole: GuardianRole, ActorOrgID: schoolID, Action: action,
		ObjectType: objType, ObjectID: itoa(id), Outcome: audit.Success, Detail: detail})
}

// GuardianRole is the actor role of a guardian's entries in the audit trail.
const GuardianRole = "guardian"
