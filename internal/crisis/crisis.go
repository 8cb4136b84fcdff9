// Package crisis is crisis intervention: an incident opened in seconds
// from a contact, an alert, a follow-up or by the person on duty, a state
// machine of timestamped, attributed, irreversible steps (with the police,
// 110), timers that escalate until the child's safety is confirmed, the
// guardian decision, and the case review that feeds the support plan.
//
// Who sees an incident: crisis.handle or crisis.cosign over its handling
// unit, or crisis.handle over a known child's current school (the school
// carries the follow-up); a police liaison sees, through crisis.police over
// the police unit it was handed to, only the location, the description,
// the risk level and the call-back number. Every read and write is
// audited in its own transaction.
package crisis

import (
	"context"
	"strconv"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/care"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/jobs"
	"github.com/careloop/careloop/internal/notify"
	"github.com/careloop/careloop/internal/seal"
	"github.com/careloop/careloop/internal/sharing"
)

// DefaultSafetyTimeout is how long after a rescue is requested the safety
// timer first alarms, and how often it alarms again.
const DefaultSafetyTimeout = 30 * time.Minute

// Service runs crisis incidents.
type Service struct {
	DB      *db.DB
	Audit   *audit.Log
	Seal    seal.Sealer
	Jobs    *jobs.Queue
	Notify  *notify.Service
	Sharing *sharing.Service // the disclosure to the police
	Care    *care.Service    // nil: the follow-up is not fed into a case
	Now     func() time.Time
	// SafetyTimeout is the safety timer's period (0: DefaultSafetyTimeout).
	SafetyTimeout time.Duration
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) timeout() time.Duration {
	if s.SafetyTimeout > 0 {
		return s.SafetyTimeout
	}
	return DefaultSafetyTimeout
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Details are what is known of the child's situation: location,
// description and call-back number are sealed; the risk is codes.
type Details struct {
	Location    string
	Description string
	Callback    string
	Risk        Risk
}

// Incident is an incident as its handlers see it. StudentName and
// StudentNo are filled only for a caller who may read the student's
// record.
type Incident struct {
	ID           int64
	UnitID       int64
	UnitName     string
	UnitNameEn   string
	StudentID    int64
	StudentName  string
	StudentNo    string
	ContactID    int64
	Source       string
	SourceID     int64
	State        string
	PendingStep  int64
	HandlerID    int64
	HandlerName  string
	OpenedAt     time.Time
	RiskLevel    string
	PoliceUnitID int64
	PoliceUnit   string
	PoliceRef    string
	SafetyAt     time.Time
	ClosedAt     time.Time
	Details

	unitPath, schoolPath, policePath string
	requestStep                      int64
	sealed                           [3][]byte // location, description, callback
}

func aad(id int64, column string) string { return "incidents:" + itoa(id) + ":" + column }

// open reads the sealed details of inc.
func (s *Service) open(inc *Incident) error {
	dst := []*string{&inc.Location, &inc.Description, &inc.Callback}
	for i, col := range []string{"location", "description", "callback"} {
		v, err := s.unseal(inc.sealed[i], aad(inc.ID, col))
		if err != nil {
			return err
		}
		*dst[i] = v
	}
	return nil
}

func (s *Service) seal(plain, aad string) ([]byte, error) {
	if plain == "" {
		return nil, nil
	}
	b, err := s.Seal.Seal([]byte(plain), aad)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	return b, nil
}

func (s *Service) unseal(b []byte, aad string) (string, error) {
	if len(b) == 0 {
		return "", nil
	}
	p, err := s.Seal.Open(b, aad)
	if err != nil {
		return "", apperr.Internal(err)
	}
	return string(p), nil
}

const incidentColumns = `i.id, i.unit_id, u.name, u.name_en, u.path, i.student_id, COALESCE(so.path, ''), i.contact_id, i.source, i.source_id,
	i.state, i.pending_step, i.handler_id, h.display_name, i.opened_at, i.location, i.description, i.callback, i.risk, i.risk_level,
	i.police_unit_id, COALESCE(pu.name, ''), COALESCE(pu.path, ''), i.police_ref, i.request_step, i.safety_at, i.closed_at
	FROM incidents i JOIN org_units u ON u.id = i.unit_id JOIN users h ON h.id = i.handler_id
	LEFT JOIN students st ON st.id = i.student_id LEFT JOIN org_units so ON so.id = st.school_id
	LEFT JOIN org_units pu ON pu.id = i.police_unit_id`

func scanIncident(sc interface{ Scan(...any) error }) (*Incident, error) {
	inc := &Incident{}
	var opened, safety, closed int64
	var risk string
	err := sc.Scan(&inc.ID, &inc.UnitID, &inc.UnitName, &inc.UnitNameEn, &inc.unitPath, &inc.StudentID, &inc.schoolPath, &inc.ContactID,
		&inc.Source, &inc.SourceID, &inc.State, &inc.PendingStep, &inc.HandlerID, &inc.HandlerName, &opened, &inc.sealed[0],
		&inc.sealed[1], &inc.sealed[2], &risk, &inc.RiskLevel, &inc.PoliceUnitID, &inc.PoliceUnit, &inc.policePath, &inc.PoliceRef, &inc.requestStep, &safety, &closed)
	if err != nil {
		return nil, err
	}
	inc.OpenedAt, inc.SafetyAt, inc.ClosedAt = db.FromMicro(opened), db.FromMicro(safety), db.FromMicro(closed)
	inc.Risk, _ = ParseRisk(risk)
	inc.Risk = inc.Risk.Normal()
	return inc, nil
}

// load reads an incident for a change (locking it on PostgreSQL).
func (s *Service) load(ctx context.Context, tx *db.Tx, id int64) (*Incident, error) {
	if err := tx.Serialize(ctx, "incident:"+itoa(id)); err != nil {
		return nil, err
	}
	inc, err := scanIncident(tx.QueryRow(ctx, `SELECT `+incidentColumns+` WHERE i.id = ?`, id))
	if apperr.CodeOf(err) == apperr.ENotFound {
		return nil, apperr.NotFound()
	}
	return inc, err
}

// grant returns the membership through which p holds perm over the
// incident: over its handling unit or, for crisis.handle, over the known
// child's current school.
func (inc *Incident) grant(p access.Principal, perm access.Permission) (access.Membership, bool) {
	if m, ok := p.At(perm, inc.unitPath); ok {
		return m, true
	}
	if perm == access.CrisisHandle && inc.schoolPath != "" {
		return p.At(perm, inc.schoolPath)
	}
	return access.Membership{}, false
}

// viewer returns the membership through which p may see the incident as a
// handler or a co-signer; anyone else gets ENotFound.
func (inc *Incident) viewer(p access.Principal) (access.Membership, error) {
	if m, ok := inc.grant(p, access.CrisisHandle); ok {
		return m, nil
	}
	if m, ok := inc.grant(p, access.CrisisCosign); ok {
		return m, nil
	}
	return access.Membership{}, apperr.NotFound()
}

// handler returns the membership through which p may record steps; a
// co-signer who does not handle crises is forbidden, anyone else gets
// ENotFound.
func (inc *Incident) handler(p access.Principal) (access.Membership, error) {
	if m, ok := inc.grant(p, access.CrisisHandle); ok {
		return m, nil
	}
	if _, ok := inc.grant(p, access.CrisisCosign); ok {
		return access.Membership{}, apperr.Forbidden()
	}
	return access.Membership{}, apperr.NotFound()
}

// record writes the audit entry of an act on an incident.
func (s *Service) record(ctx context.Context, tx *db.Tx, p access.Principal, m access.Membership, action string, id int64, detail string) error {
	return s.Audit.Record(ctx, tx, audit.Entry{ActorUserID: p.UserID, ActorRole: m.Role, ActorOrgID: m.OrgID, Action: action,
		ObjectType: "incident", ObjectID: itoa(id), Outcome: audit.Success, Detail: detail})
}
