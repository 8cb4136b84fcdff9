package crisis

import (
	"context"
	"slices"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// PoliceView is what a police liaison sees of an incident handed to their
// unit: the minimum to act on. Never the child's name, record, notes, or
// the assessment's answers.
type PoliceView struct {
	ID          int64
	UnitName    string // the handling unit, to call back
	UnitNameEn  string
	State       string
	RiskLevel   string
	Location    string
	Description string
	Callback    string
	PoliceRef   string
	OpenedAt    time.Time
	ClosedAt    time.Time
	Steps       []PoliceStep
	Next        []Transition // police steps the caller may record now
}

// PoliceStep is a step of the rescue: its state and time only.
type PoliceStep struct {
	At    time.Time
	State string
}

// policeGrant returns the membership through which p holds crisis.police
// over the unit the incident was handed to.
func (s *Service) policeGrant(p access.Principal, inc *Incident) (access.Membership, bool) {
	if inc.PoliceUnitID == 0 || inc.policePath == "" {
		return access.Membership{}, false
	}
	return p.At(access.CrisisPolice, inc.policePath)
}

// PoliceList lists the incidents handed to the caller's police units,
// scoped in SQL by crisis.police over the police unit, open ones first,
// with the location opened. The read is audited.
func (s *Service) PoliceList(ctx context.Context, p access.Principal) ([]PoliceView, error) {
	cond, args := p.Scope(access.CrisisPolice, "pu.path")
	var out []PoliceView
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT i.id, u.name, u.name_en, i.state, i.risk_level, i.location, i.police_ref, i.opened_at, i.closed_at
			FROM incidents i JOIN org_units u ON u.id = i.unit_id JOIN org_units pu ON pu.id = i.police_unit_id
			WHERE i.police_unit_id <> 0 AND `+cond+` ORDER BY i.closed_at <> 0, i.opened_at DESC LIMIT 200`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var v PoliceView
			var loc []byte
			var opened, closed int64
			if err := rows.Scan(&v.ID, &v.UnitName, &v.UnitNameEn, &v.State, &v.RiskLevel, &loc, &v.PoliceRef, &opened, &closed); err != nil {
				return err
			}
			if v.Location, err = s.unseal(loc, aad(v.ID, "location")); err != nil {
				return err
			}
			v.OpenedAt, v.ClosedAt = db.FromMicro(opened), db.FromMicro(closed)
			out = append(out, v)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		m, _ := p.Grant(access.CrisisPolice)
		return s.record(ctx, tx, p, m, "incident.police_list", 0, "rows="+itoa(int64(len(out))))
	})
	return out, err
}

// PoliceFind returns the police's view of an incident handed to the
// caller's unit; any other incident does not exist for them. The read is
// audited.
func (s *Service) PoliceFind(ctx context.Context, p access.Principal, id int64) (*PoliceView, error) {
	var v *PoliceView
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		inc, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		m, ok := s.policeGrant(p, inc)
		if !ok {
			return apperr.NotFound()
		}
		if err := s.open(inc); err != nil {
			return err
		}
		v = &PoliceView{ID: id, UnitName: inc.UnitName, UnitNameEn: inc.UnitNameEn, State: inc.State, RiskLevel: inc.RiskLevel,
			Location: inc.Location, Description: inc.Description, Callback: inc.Callback, PoliceRef: inc.PoliceRef, OpenedAt: inc.OpenedAt,
			ClosedAt: inc.ClosedAt}
		steps, err := s.steps(ctx, tx, id)
		if err != nil {
			return err
		}
		from := slices.Index(States, PoliceRequested)
		for _, st := range steps {
			if st.Kind == "state" && !st.Voided && !st.Pending() && st.Decision != Declined && st.Decision != Withdrawn &&
				slices.Index(States, st.State) >= from {
				at := st.At
				if st.Cosign {
					at = st.DecidedAt
				}
				v.Steps = append(v.Steps, PoliceStep{At: at, State: st.State})
			}
		}
		if inc.PendingStep == 0 && inc.State != Closed {
			v.Next = Next(inc.State, true)
		}
		return s.record(ctx, tx, p, m, "incident.police_read", id, "")
	})
	return v, err
}

// PoliceAdvance records a police step (acknowledged with the police's
// incident number, en route, on scene, safety confirmed) on an incident
// handed to the caller's police unit. Other steps are forbidden to the
// police; other incidents do not exist for them.
func (s *Service) PoliceAdvance(ctx context.Context, p access.Principal, id int64, in StepInput) (int64, error) {
	var stepID int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		inc, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		m, ok := s.policeGrant(p, inc)
		if !ok {
			return apperr.NotFound()
		}
		if t, ok := Allowed(inc.State, in.To); ok && !t.Police {
			return apperr.Forbidden()
		}
		stepID, err = s.advance(ctx, tx, p, m, inc, StepInput{To: in.To, Note: in.Note, PoliceRef: in.PoliceRef})
		return err
	})
	return stepID, err
}
