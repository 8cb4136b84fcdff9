package crisis

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/notify"
	"github.com/careloop/careloop/internal/sharing"
)

// step is one row of an incident's history, to be appended.
type step struct {
	kind, state, from, detail string
	corrects                  int64
	void, cosign              bool
	note                      string
}

// addStep appends a step: its sequence number comes from the incident's
// lock, and its note is sealed under the incident and that number.
func (s *Service) addStep(ctx context.Context, tx *db.Tx, p access.Principal, m access.Membership, incidentID int64, st step) (int64, error) {
	var seq int64
	if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(seq), 0) + 1 FROM incident_steps WHERE incident_id = ?`, incidentID).Scan(&seq); err != nil {
		return 0, err
	}
	note, err := s.seal(st.note, stepAAD(incidentID, seq))
	if err != nil {
		return 0, err
	}
	return tx.InsertID(ctx, `INSERT INTO incident_steps (incident_id, seq, at, actor_id, actor_role, kind, state, from_state, corrects, void,
		cosign, detail, note) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, incidentID, seq, db.Micro(s.now()), p.UserID, m.Role, st.kind,
		st.state, st.from, st.corrects, db.Bool(st.void), db.Bool(st.cosign), st.detail, note)
}

func stepAAD(incidentID, seq int64) string {
	return "incident_steps:" + itoa(incidentID) + ":" + itoa(seq) + ":note"
}

// StepInput is a step into state To, with what that step needs: the
// police unit for police_requested, the police's incident number for
// police_acknowledged, whom the child was handed to, the follow-up's kind
// and date, or the case review.
type StepInput struct {
	To           string
	Note         string // sealed
	PoliceUnitID int64
	PoliceRef    string
	HandedTo     string // guardian, hospital, school
	ToUnitID     int64  // the hospital or school handed to
	FollowUpKind string
	FollowUpDue  time.Time
	Review       Review
}

// Advance records a step of the incident's state machine. The caller needs
// crisis.handle over the incident. A step not allowed from the current
// state, or any step while another waits for its co-signature, is
// EConflict; a step that needs a co-signature (sending a rescue, closing)
// waits as pending until another person signs it (Cosign). Closing needs
// the guardian decision and the case review. It returns the step's id.
func (s *Service) Advance(ctx context.Context, p access.Principal, id int64, in StepInput) (int64, error) {
	var stepID int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		inc, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		m, err := inc.handler(p)
		if err != nil {
			return err
		}
		stepID, err = s.advance(ctx, tx, p, m, inc, in)
		return err
	})
	return stepID, err
}

// advance checks and writes a step; police steps come here too.
func (s *Service) advance(ctx context.Context, tx *db.Tx, p access.Principal, m access.Membership, inc *Incident, in StepInput) (int64, error) {
	if inc.State == Closed {
		return 0, apperr.New(apperr.EConflict, "crisis.closed")
	}
	if inc.PendingStep != 0 {
		return 0, apperr.New(apperr.EConflict, "crisis.pending_cosign")
	}
	t, ok := Allowed(inc.State, in.To)
	if !ok {
		return 0, apperr.New(apperr.EConflict, "crisis.bad_transition")
	}
	in.Note = strings.TrimSpace(in.Note)
	if len(in.Note) > 8000 {
		return 0, apperr.Invalid("form.invalid", map[string]string{"note": "form.too_long"})
	}
	detail, err := s.payload(ctx, tx, inc, &in)
	if err != nil {
		return 0, err
	}
	if in.To == FollowUpPlanned {
		fed, err := s.feedFollowUp(ctx, tx, p, inc, in)
		if err != nil {
			return 0, err
		}
		detail = strings.TrimSpace(detail + " " + fed)
	}
	stepID, err := s.addStep(ctx, tx, p, m, inc.ID, step{kind: "state", state: in.To, from: inc.State, cosign: t.Cosign, detail: detail, note: in.Note})
	if err != nil {
		return 0, err
	}
	if in.To == Reviewed {
		if err := s.writeReview(ctx, tx, p, inc, stepID, in.Review); err != nil {
			return 0, err
		}
	}
	if in.To == PoliceRequested {
		// The safety timer runs from the request, also while it waits
		// for its co-signature: that wait is part of the danger.
		if err := s.arm(ctx, tx, inc.ID, stepID, 1, s.now().Add(s.timeout())); err != nil {
			return 0, err
		}
	}
	action := "incident.step"
	if t.Cosign {
		action = "incident.step_pending"
		if _, err := tx.Exec(ctx, `UPDATE incidents SET pending_step = ?, updated_at = ? WHERE id = ?`, stepID, db.Micro(s.now()), inc.ID); err != nil {
			return 0, err
		}
		if err := s.askCosign(ctx, tx, inc, p.UserID); err != nil {
			return 0, err
		}
	} else if err := s.apply(ctx, tx, p, m, inc, stepID, in.To, detail); err != nil {
		return 0, err
	}
	return stepID, s.record(ctx, tx, p, m, action, inc.ID, "step="+itoa(stepID)+" from="+inc.State+" to="+in.To+" "+detail)
}

// payload checks what a step into in.To needs and returns it as codes.
func (s *Service) payload(ctx context.Context, tx *db.Tx, inc *Incident, in *StepInput) (string, error) {
	bad := map[string]string{}
	var detail string
	switch in.To {
	case PoliceRequested:
		var kind string
		err := tx.QueryRow(ctx, `SELECT kind FROM org_units WHERE id = ? AND active = 1`, in.PoliceUnitID).Scan(&kind)
		if err != nil || kind != "police" {
			bad["police_unit"] = "crisis.bad_police_unit"
		}
		detail = "police_unit=" + itoa(in.PoliceUnitID)
	case PoliceAcknowledged:
		in.PoliceRef = strings.TrimSpace(in.PoliceRef)
		if in.PoliceRef == "" || len(in.PoliceRef) > 64 || strings.ContainsAny(in.PoliceRef, " \t\r\n=") {
			bad["police_ref"] = "crisis.bad_police_ref"
		}
		detail = "police_ref=" + in.PoliceRef
	case HandedOver:
		if !slices.Contains(HandOvers, in.HandedTo) {
			bad["handed_to"] = "crisis.bad_hand_over"
			break
		}
		if in.HandedTo == "school" && in.ToUnitID == 0 && inc.StudentID != 0 {
			if err := tx.QueryRow(ctx, `SELECT school_id FROM students WHERE id = ?`, inc.StudentID).Scan(&in.ToUnitID); err != nil {
				return "", err
			}
		}
		if in.HandedTo == "guardian" {
			in.ToUnitID = 0
		} else {
			var kind string
			err := tx.QueryRow(ctx, `SELECT kind FROM org_units WHERE id = ? AND active = 1`, in.ToUnitID).Scan(&kind)
			if err != nil || kind != in.HandedTo {
				bad["to_unit"] = "crisis.bad_hand_over_unit"
			}
		}
		detail = "to=" + in.HandedTo + " to_unit=" + itoa(in.ToUnitID)
	case FollowUpPlanned:
		if !slices.Contains(FollowUpKinds, in.FollowUpKind) {
			bad["follow_up_kind"] = "crisis.bad_follow_up_kind"
		}
		now := s.now()
		if (inc.StudentID != 0 && in.FollowUpDue.IsZero()) || (!in.FollowUpDue.IsZero() &&
			(!in.FollowUpDue.After(now) || in.FollowUpDue.After(now.AddDate(1, 0, 0)))) {
			bad["follow_up_due"] = "form.bad_date"
		}
		detail = "kind=" + in.FollowUpKind
		if !in.FollowUpDue.IsZero() {
			detail += " due=" + itoa(db.Micro(in.FollowUpDue))
		}
	case Reviewed:
		for f, v := range map[string]*string{"what_happened": &in.Review.WhatHappened, "what_worked": &in.Review.WhatWorked,
			"what_to_change": &in.Review.WhatToChange} {
			*v = strings.TrimSpace(*v)
			if *v == "" {
				bad[f] = "form.required"
			} else if len(*v) > 8000 {
				bad[f] = "form.too_long"
			}
		}
	case Closed:
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM incident_guardian WHERE incident_id = ?`, inc.ID).Scan(&n); err != nil {
			return "", err
		}
		if n == 0 {
			return "", apperr.New(apperr.EConflict, "crisis.guardian_needed")
		}
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM incident_reviews WHERE incident_id = ?`, inc.ID).Scan(&n); err != nil {
			return "", err
		}
		if n == 0 {
			return "", apperr.New(apperr.EConflict, "crisis.review_needed")
		}
	}
	if len(bad) > 0 {
		return "", apperr.Invalid("form.invalid", bad)
	}
	return detail, nil
}

// apply makes an effective step count: the incident's state and what the
// step carries. A police request hands the incident to the police unit:
// the disclosure is recorded and the unit's liaisons are told.
func (s *Service) apply(ctx context.Context, tx *db.Tx, p access.Principal, m access.Membership, inc *Incident, stepID int64, to, detail string) error {
	now := db.Micro(s.now())
	if _, err := tx.Exec(ctx, `UPDATE incidents SET state = ?, pending_step = 0, updated_at = ? WHERE id = ?`, to, now, inc.ID); err != nil {
		return err
	}
	c := codes(detail)
	var err error
	switch to {
	case PoliceRequested:
		unit := c.id("police_unit")
		if _, err = tx.Exec(ctx, `UPDATE incidents SET police_unit_id = ?, request_step = ? WHERE id = ?`, unit, stepID, inc.ID); err != nil {
			return err
		}
		if err = s.disclose(ctx, tx, p, inc, unit); err != nil {
			return err
		}
		err = s.tellPolice(ctx, tx, inc.ID, unit)
	case PoliceAcknowledged:
		_, err = tx.Exec(ctx, `UPDATE incidents SET police_ref = ? WHERE id = ?`, c["police_ref"], inc.ID)
	case SafetyConfirmed:
		_, err = tx.Exec(ctx, `UPDATE incidents SET safety_at = ? WHERE id = ?`, now, inc.ID)
	case HandedOver:
		// The child and what is known of the crisis go to the hospital or
		// school that takes them over.
		if unit := c.id("to_unit"); unit != 0 && unit != inc.UnitID && s.Sharing != nil {
			err = s.Sharing.Record(ctx, tx, p, sharing.Disclosure{StudentID: inc.StudentID, FromUnit: inc.UnitID, ToUnit: unit,
				What: []string{"description", "risk"}, Purpose: "crisis", Basis: "emergency", RefType: "incident", RefID: inc.ID})
		}
	case Closed:
		_, err = tx.Exec(ctx, `UPDATE incidents SET closed_at = ? WHERE id = ?`, now, inc.ID)
	}
	return err
}

// askCosign tells the co-signers of the incident's unit (on duty first)
// that a step waits for them.
func (s *Service) askCosign(ctx context.Context, tx *db.Tx, inc *Incident, except int64) error {
	users, err := s.supervisors(ctx, tx, inc.unitPath)
	if err != nil || s.Notify == nil {
		return err
	}
	for _, u := range users {
		if u == except {
			continue
		}
		if err := s.Notify.Send(ctx, tx, u, notify.Note{Kind: "incident.cosign", RefType: "incident_cosign", RefID: inc.ID, Level: "red"}); err != nil {
			return err
		}
	}
	return nil
}

// tellPolice tells the liaisons of the police unit that an incident was
// handed to them.
func (s *Service) tellPolice(ctx context.Context, tx *db.Tx, id, unit int64) error {
	if s.Notify == nil {
		return nil
	}
	users, err := holders(ctx, tx, access.CrisisPolice, unitPathOf(ctx, tx, unit), false)
	if err != nil {
		return err
	}
	for _, u := range users {
		if err := s.Notify.Send(ctx, tx, u, notify.Note{Kind: "incident.police", RefType: "incident_police", RefID: id, Level: "red"}); err != nil {
			return err
		}
	}
	return nil
}

// codeMap is a step's detail read back.
type codeMap map[string]string

func codes(detail string) codeMap {
	out := codeMap{}
	for _, f := range strings.Fields(detail) {
		k, v, _ := strings.Cut(f, "=")
		out[k] = v
	}
	return out
}

func (c codeMap) id(k string) int64 {
	var n int64
	for _, r := range c[k] {
		if r < '0' || r > '9' {
			return 0
		}
		n = n*10 + int64(r-'0')
	}
	return n
}
