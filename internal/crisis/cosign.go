package crisis

import (
	"context"
	"strings"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/notify"
	"github.com/careloop/careloop/internal/sharing"
)

// Co-signature decisions.
const (
	Signed    = "signed"
	Declined  = "declined"  // by a co-signer
	Withdrawn = "withdrawn" // by whoever asked
)

// Cosign decides the step that waits for a co-signature. Signed: by
// another person than the one who asked, holding crisis.cosign over the
// incident's unit; the step then takes effect (a police request hands the
// incident to the police). Declined: by such a co-signer. Withdrawn: by
// the person who asked. The note is sealed. Deciding a step that does not
// wait (any more) is EConflict.
func (s *Service) Cosign(ctx context.Context, p access.Principal, id, stepID int64, decision, note string) error {
	note = strings.TrimSpace(note)
	if len(note) > 8000 {
		return apperr.Invalid("form.invalid", map[string]string{"note": "form.too_long"})
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		inc, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, err := inc.viewer(p); err != nil {
			return err
		}
		if inc.PendingStep == 0 || inc.PendingStep != stepID {
			return apperr.New(apperr.EConflict, "crisis.no_pending")
		}
		var actor int64
		var to, detail string
		if err := tx.QueryRow(ctx, `SELECT actor_id, state, detail FROM incident_steps WHERE id = ?`, stepID).Scan(&actor, &to, &detail); err != nil {
			return err
		}
		var m access.Membership
		var ok bool
		switch decision {
		case Signed, Declined:
			if m, ok = inc.grant(p, access.CrisisCosign); !ok {
				return apperr.Forbidden()
			}
			if decision == Signed && actor == p.UserID {
				return apperr.New(apperr.EForbidden, "crisis.cosign_self")
			}
		case Withdrawn:
			if actor != p.UserID {
				return apperr.Forbidden()
			}
			if m, err = inc.handler(p); err != nil {
				return err
			}
		default:
			return apperr.Invalid("form.invalid", map[string]string{"decision": "crisis.bad_decision"})
		}
		sealed, err := s.seal(note, "incident_cosigns:"+itoa(stepID)+":note")
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `INSERT INTO incident_cosigns (step_id, incident_id, signer_id, decision, at, note) VALUES (?, ?, ?, ?, ?, ?)`,
			stepID, id, p.UserID, decision, db.Micro(s.now()), sealed); err != nil {
			return err
		}
		if decision == Signed {
			if to == Closed {
				if _, err := s.payload(ctx, tx, inc, &StepInput{To: Closed}); err != nil {
					return err
				}
			}
			err = s.apply(ctx, tx, p, m, inc, stepID, to, detail)
		} else {
			_, err = tx.Exec(ctx, `UPDATE incidents SET pending_step = 0, updated_at = ? WHERE id = ?`, db.Micro(s.now()), id)
		}
		if err != nil {
			return err
		}
		if s.Notify != nil && actor != p.UserID {
			if err := s.Notify.Send(ctx, tx, actor, notify.Note{Kind: "incident.cosign_" + decision, RefType: "incident", RefID: id}); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, p, m, "incident.cosign", id, "step="+itoa(stepID)+" to="+to+" decision="+decision)
	})
}

// disclose records the hand-over of the incident to a police unit in the
// disclosure log: location, description, risk and call-back number leave
// the handling unit, for a crisis, on the emergency basis.
func (s *Service) disclose(ctx context.Context, tx *db.Tx, p access.Principal, inc *Incident, unit int64) error {
	if s.Sharing == nil {
		return apperr.Internal(errNoSharing)
	}
	return s.Sharing.Record(ctx, tx, p, sharing.Disclosure{StudentID: inc.StudentID, FromUnit: inc.UnitID, ToUnit: unit,
		What: []string{"location", "description", "risk", "callback"}, Purpose: "crisis", Basis: "emergency", RefType: "incident", RefID: inc.ID})
}

type noSharing struct{}

func (noSharing) Error() string { return "crisis: no sharing service" }

var errNoSharing = noSharing{}

// Correct appends a correction of a step, with a note saying what was
// wrong (sealed). With void, the step is undone: only the latest effective
// step of the state machine may be, and the incident returns to the state
// before it (a voided police request takes the incident back from the
// police; a voided safety confirmation sets the safety timer again). A
// closed incident takes corrections but no voids.
func (s *Service) Correct(ctx context.Context, p access.Principal, id, stepID int64, note string, void bool) (int64, error) {
	note = strings.TrimSpace(note)
	if note == "" || len(note) > 8000 {
		return 0, apperr.Invalid("form.invalid", map[string]string{"note": "form.required"})
	}
	var out int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		inc, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		m, err := inc.handler(p)
		if err != nil {
			return err
		}
		var kind, state, from string
		if err := tx.QueryRow(ctx, `SELECT kind, state, from_state FROM incident_steps WHERE id = ? AND incident_id = ?`, stepID, id).Scan(&kind,
			&state, &from); err != nil {
			return notFound(err)
		}
		if kind == "correction" {
			return apperr.New(apperr.EConflict, "crisis.bad_correction")
		}
		st := step{kind: "correction", corrects: stepID, from: inc.State, note: note, void: void}
		if void {
			latest, err := latestStep(ctx, tx, id)
			if err != nil {
				return err
			}
			if inc.State == Closed || inc.PendingStep != 0 || latest != stepID || state == Opened {
				return apperr.New(apperr.EConflict, "crisis.cannot_void")
			}
			st.state = from
		}
		if out, err = s.addStep(ctx, tx, p, m, id, st); err != nil {
			return err
		}
		if void {
			if err := s.undo(ctx, tx, inc, state, from); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, p, m, "incident.correct", id, "step="+itoa(out)+" corrects="+itoa(stepID)+" void="+itoa(int64(db.Bool(void))))
	})
	return out, err
}

// latestStep is the latest effective, not voided state step.
func latestStep(ctx context.Context, tx *db.Tx, id int64) (int64, error) {
	var latest int64
	err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(s.id), 0) FROM incident_steps s WHERE s.incident_id = ? AND s.kind = 'state'
		AND (s.cosign = 0 OR EXISTS (SELECT 1 FROM incident_cosigns c WHERE c.step_id = s.id AND c.decision = 'signed'))
		AND NOT EXISTS (SELECT 1 FROM incident_steps v WHERE v.corrects = s.id AND v.void = 1)`, id).Scan(&latest)
	return latest, err
}

// undo takes back what a voided step into state did.
func (s *Service) undo(ctx context.Context, tx *db.Tx, inc *Incident, state, from string) error {
	now := db.Micro(s.now())
	set := "state = ?, updated_at = ?"
	switch state {
	case PoliceRequested:
		set += ", police_unit_id = 0, request_step = 0"
	case PoliceAcknowledged:
		set += ", police_ref = ''"
	case SafetyConfirmed:
		set += ", safety_at = 0"
	}
	if _, err := tx.Exec(ctx, `UPDATE incidents SET `+set+` WHERE id = ?`, from, now, inc.ID); err != nil {
		return err
	}
	var req int64
	if err := tx.QueryRow(ctx, `SELECT request_step FROM incidents WHERE id = ?`, inc.ID).Scan(&req); err != nil {
		return err
	}
	if state != SafetyConfirmed || !rescuing(from) || req == 0 {
		return nil
	}
	var round int
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(round), 0) + 1 FROM incident_alarms WHERE incident_id = ? AND request_step = ?`,
		inc.ID, req).Scan(&round); err != nil {
		return err
	}
	return s.arm(ctx, tx, inc.ID, req, round, s.now().Add(s.timeout()))
}
