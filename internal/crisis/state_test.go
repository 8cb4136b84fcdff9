package crisis_test

import (
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/crisis"
)

// A full rescue, with every gate: forbidden steps, the co-signature by
// another person, the guardian decision and the review before closing.
func TestStateMachineFullRescue(t *testing.T) {
	e := newEnv(t)
	counsellor := e.user(access.HotlineCounsellor, e.s1)
	colleague := e.user(access.HotlineCounsellor, e.s1)
	supervisor := e.user(access.HotlineSupervisor, e.s)
	id := e.open(counsellor, e.s1, crisis.Details{Location: "东城区某小区 3 栋", Callback: "13900000000", Risk: imminent})
	if st := e.state(id); st != crisis.Opened {
		t.Fatalf("state after Open: %q", st)
	}
	if lvl := e.str(`SELECT risk_level FROM incidents WHERE id = ?`, id); lvl != "imminent" {
		t.Errorf("risk level %q, want imminent", lvl)
	}

	for _, to := range []string{crisis.Closed, crisis.PoliceRequested, crisis.SafetyConfirmed, crisis.Reviewed, "no_such_state"} {
		_, err := e.svc.Advance(e.ctx, counsellor, id, crisis.StepInput{To: to, PoliceUnitID: e.p1.ID})
		wantCode(t, "opened → "+to, err, apperr.EConflict)
	}
	e.step(counsellor, id, crisis.StepInput{To: crisis.Assessing})
	e.step(counsellor, id, crisis.StepInput{To: crisis.RescueNeeded, Note: "孩子说已经在楼顶"})

	_, err := e.svc.Advance(e.ctx, counsellor, id, crisis.StepInput{To: crisis.PoliceRequested, PoliceUnitID: e.hospital.ID})
	wantCode(t, "police request to a hospital", err, apperr.EInvalid)
	req := e.step(counsellor, id, crisis.StepInput{To: crisis.PoliceRequested, PoliceUnitID: e.p1.ID})
	if st := e.state(id); st != crisis.RescueNeeded {
		t.Errorf("a police request waiting for its co-signature moved the state to %q", st)
	}
	if n := e.num(`SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = 'incident.cosign' AND ref_id = ?`, supervisor.UserID, id); n != 1 {
		t.Errorf("%d co-sign requests to the supervisor, want 1", n)
	}
	_, err = e.svc.Advance(e.ctx, counsellor, id, crisis.StepInput{To: crisis.SafetyConfirmed})
	wantCode(t, "a step while one waits for its co-signature", err, apperr.EConflict)
	wantCode(t, "co-signing one's own request", e.svc.Cosign(e.ctx, counsellor, id, req, crisis.Signed, ""), apperr.EForbidden)
	wantCode(t, "a colleague without crisis.cosign", e.svc.Cosign(e.ctx, colleague, id, req, crisis.Signed, ""), apperr.EForbidden)
	selfSup := e.user(access.HotlineSupervisor, e.s)
	if _, err := e.svc.Advance(e.ctx, selfSup, id, crisis.StepInput{To: crisis.Assessing}); apperr.CodeOf(err) != apperr.EConflict {
		t.Errorf("a supervisor's step while one waits: %v", err)
	}
	if n := e.num(`SELECT COUNT(*) FROM disclosures WHERE ref_type = 'incident' AND ref_id = ?`, id); n != 0 {
		t.Fatalf("%d disclosures before the co-signature", n)
	}
	e.cosign(supervisor, id, req)
	if st := e.state(id); st != crisis.PoliceRequested {
		t.Fatalf("state after the co-signature: %q", st)
	}
	wantCode(t, "signing twice", e.svc.Cosign(e.ctx, selfSup, id, req, crisis.Signed, ""), apperr.EConflict)

	police := e.user(access.PoliceLiaison, e.p1)
	if _, err := e.svc.PoliceAdvance(e.ctx, police, id, crisis.StepInput{To: crisis.PoliceAcknowledged, PoliceRef: "JJ20260302-0042"}); err != nil {
		t.Fatal(err)
	}
	for _, to := range []string{crisis.EnRoute, crisis.OnScene, crisis.SafetyConfirmed} {
		if _, err := e.svc.PoliceAdvance(e.ctx, police, id, crisis.StepInput{To: to}); err != nil {
			t.Fatalf("police %s: %v", to, err)
		}
	}
	_, err = e.svc.Advance(e.ctx, counsellor, id, crisis.StepInput{To: crisis.HandedOver, HandedTo: "hospital", ToUnitID: e.p1.ID})
	wantCode(t, "hand-over to a police unit as a hospital", err, apperr.EInvalid)
	e.step(counsellor, id, crisis.StepInput{To: crisis.HandedOver, HandedTo: "hospital", ToUnitID: e.hospital.ID})
	e.step(counsellor, id, crisis.StepInput{To: crisis.FollowUpPlanned, FollowUpKind: "family"})

	_, err = e.svc.Advance(e.ctx, counsellor, id, crisis.StepInput{To: crisis.Closed})
	wantCode(t, "closing before the review", err, apperr.EConflict)
	_, err = e.svc.Advance(e.ctx, counsellor, id, crisis.StepInput{To: crisis.Reviewed, Review: crisis.Review{WhatHappened: "x"}})
	wantCode(t, "an incomplete review", err, apperr.EInvalid)
	e.step(counsellor, id, crisis.StepInput{To: crisis.Reviewed, Review: crisis.Review{WhatHappened: "夜间来电，孩子在楼顶",
		WhatWorked: "督导五分钟内会签", WhatToChange: "与 110 约定回拨号码"}})

	_, err = e.svc.Advance(e.ctx, counsellor, id, crisis.StepInput{To: crisis.Closed})
	wantCode(t, "closing without the guardian decision", err, apperr.EConflict)
	if apperr.MessageOf(err) != "crisis.guardian_needed" {
		t.Errorf("message %q, want crisis.guardian_needed", apperr.MessageOf(err))
	}
	wantCode(t, "not notified without a reason", e.svc.RecordGuardian(e.ctx, counsellor, id, crisis.GuardianDecision{}), apperr.EInvalid)
	if err := e.svc.RecordGuardian(e.ctx, counsellor, id, crisis.GuardianDecision{WhyNot: "监护人可能是伤害来源"}); err != nil {
		t.Fatal(err)
	}
	closing := e.step(counsellor, id, crisis.StepInput{To: crisis.Closed})
	if st := e.state(id); st != crisis.Reviewed {
		t.Errorf("closing waiting for its co-signature moved the state to %q", st)
	}
	wantCode(t, "co-signing one's own closing", e.svc.Cosign(e.ctx, counsellor, id, closing, crisis.Signed, ""), apperr.EForbidden)
	e.cosign(supervisor, id, closing)
	if st := e.state(id); st != crisis.Closed || e.num(`SELECT closed_at FROM incidents WHERE id = ?`, id) == 0 {
		t.Errorf("after the closing co-signature: state %q", st)
	}
	_, err = e.svc.Advance(e.ctx, counsellor, id, crisis.StepInput{To: crisis.Assessing})
	wantCode(t, "a step after closing", err, apperr.EConflict)
	wantCode(t, "a guardian decision after closing", e.svc.RecordGuardian(e.ctx, counsellor, id, crisis.GuardianDecision{Notified: true}),
		apperr.EConflict)

	d, err := e.svc.Find(e.ctx, counsellor, id)
	if err != nil {
		t.Fatal(err)
	}
	var states []string
	for _, st := range d.Steps {
		if st.Kind == "state" {
			states = append(states, st.State)
		}
	}
	want := []string{"opened", "assessing", "rescue_needed", "police_requested", "police_acknowledged", "en_route", "on_scene",
		"safety_confirmed", "handed_over", "follow_up_planned", "reviewed", "closed"}
	if len(states) != len(want) {
		t.Fatalf("timeline %v, want %v", states, want)
	}
	for i := range want {
		if states[i] != want[i] {
			t.Fatalf("timeline %v, want %v", states, want)
		}
	}
	if d.PoliceRef != "JJ20260302-0042" || d.Location != "东城区某小区 3 栋" || len(d.Reviews) != 1 || d.Reviews[0].WhatWorked != "督导五分钟内会签" ||
		len(d.Guardian) != 1 || d.Guardian[0].WhyNot != "监护人可能是伤害来源" || d.Steps[2].Note != "孩子说已经在楼顶" {
		t.Errorf("detail: %+v", d)
	}
	if d.Steps[3].Decision != crisis.Signed || d.Steps[3].SignerName == "" || d.Steps[3].ActorID != counsellor.UserID {
		t.Errorf("police request step: %+v", d.Steps[3])
	}
	// Sealed columns hold no clear text.
	if n := e.num(`SELECT COUNT(*) FROM incidents WHERE id = ? AND (location LIKE '%小区%' OR callback LIKE '%139%')`, id); n != 0 {
		t.Error("location or call-back stored in clear")
	}
}

// A declined or withdrawn co-signature leaves the state as it was.
func TestCosignDeclinedAndWithdrawn(t *testing.T) {
	e := newEnv(t)
	counsellor := e.user(access.HotlineCounsellor, e.s1)
	supervisor := e.user(access.HotlineSupervisor, e.s)
	id := e.open(counsellor, e.s1, crisis.Details{})
	e.step(counsellor, id, crisis.StepInput{To: crisis.RescueNeeded})
	req := e.step(counsellor, id, crisis.StepInput{To: crisis.PoliceRequested, PoliceUnitID: e.p1.ID})
	wantCode(t, "a co-signer withdrawing", e.svc.Cosign(e.ctx, supervisor, id, req, crisis.Withdrawn, ""), apperr.EForbidden)
	if err := e.svc.Cosign(e.ctx, supervisor, id, req, crisis.Declined, "先联系监护人"); err != nil {
		t.Fatal(err)
	}
	if st := e.state(id); st != crisis.RescueNeeded || e.num(`SELECT police_unit_id FROM incidents WHERE id = ?`, id) != 0 {
		t.Errorf("after a declined request: %q", st)
	}
	if n := e.num(`SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = 'incident.cosign_declined'`, counsellor.UserID); n != 1 {
		t.Errorf("%d decline notes to the counsellor", n)
	}
	req2 := e.step(counsellor, id, crisis.StepInput{To: crisis.PoliceRequested, PoliceUnitID: e.p1.ID})
	if err := e.svc.Cosign(e.ctx, counsellor, id, req2, crisis.Withdrawn, ""); err != nil {
		t.Fatal(err)
	}
	e.step(counsellor, id, crisis.StepInput{To: crisis.SafetyConfirmed, Note: "监护人已找到孩子"})
	if n := e.num(`SELECT COUNT(*) FROM disclosures`); n != 0 {
		t.Errorf("%d disclosures without an effective police request", n)
	}
}

// A correction is a new entry naming the step it corrects; the corrected
// step is never changed. Only the latest step may be voided.
func TestCorrectionsAreNewEntries(t *testing.T) {
	e := newEnv(t)
	counsellor := e.user(access.HotlineCounsellor, e.s1)
	id := e.open(counsellor, e.s1, crisis.Details{})
	a := e.step(counsellor, id, crisis.StepInput{To: crisis.Assessing, Note: "first"})
	b := e.step(counsellor, id, crisis.StepInput{To: crisis.SafetyPlanAgreed})
	row := func(step int64) string {
		return e.str(`SELECT state || '|' || from_state || '|' || at || '|' || actor_id || '|' || detail FROM incident_steps WHERE id = ?`, step)
	}
	before := row(a)
	_, err := e.svc.Correct(e.ctx, counsellor, id, a, "wrong", true)
	wantCode(t, "voiding a step that is not the latest", err, apperr.EConflict)
	c, err := e.svc.Correct(e.ctx, counsellor, id, a, "评估时间应为 21:05", false)
	if err != nil {
		t.Fatal(err)
	}
	if row(a) != before || e.state(id) != crisis.SafetyPlanAgreed {
		t.Errorf("a correction changed the corrected step or the state")
	}
	e.clk.Advance(time.Minute)
	v, err := e.svc.Correct(e.ctx, counsellor, id, b, "误点", true)
	if err != nil {
		t.Fatal(err)
	}
	if e.state(id) != crisis.Assessing {
		t.Errorf("after voiding safety_plan_agreed: %q, want assessing", e.state(id))
	}
	if n := e.num(`SELECT COUNT(*) FROM incident_steps WHERE incident_id = ?`, id); n != 5 {
		t.Errorf("%d steps, want 5 (opened, 2 states, 2 corrections)", n)
	}
	if n := e.num(`SELECT COUNT(*) FROM incident_steps WHERE id IN (?, ?) AND kind = 'correction' AND corrects IN (?, ?)`, c, v, a, b); n != 2 {
		t.Errorf("corrections name their steps: %d", n)
	}
	_, err = e.svc.Correct(e.ctx, counsellor, id, v, "x", false)
	wantCode(t, "correcting a correction", err, apperr.EConflict)
	d, err := e.svc.Find(e.ctx, counsellor, id)
	if err != nil {
		t.Fatal(err)
	}
	for _, st := range d.Steps {
		if st.ID == b && !st.Voided {
			t.Error("the voided step is not shown voided")
		}
	}
	e.step(counsellor, id, crisis.StepInput{To: crisis.RescueNeeded})
}

// The review is needed to close: the state machine has no way around
// reviewed, and reviewed needs the three answers.
func TestReviewNeededToClose(t *testing.T) {
	e := newEnv(t)
	counsellor := e.user(access.HotlineCounsellor, e.s1)
	id := e.open(counsellor, e.s1, crisis.Details{})
	e.step(counsellor, id, crisis.StepInput{To: crisis.Assessing})
	e.step(counsellor, id, crisis.StepInput{To: crisis.SafetyPlanAgreed})
	e.step(counsellor, id, crisis.StepInput{To: crisis.FollowUpPlanned, FollowUpKind: "student", FollowUpDue: e.clk.Now().Add(48 * time.Hour)})
	if err := e.svc.RecordGuardian(e.ctx, counsellor, id, crisis.GuardianDecision{Notified: true}); err != nil {
		t.Fatal(err)
	}
	_, err := e.svc.Advance(e.ctx, counsellor, id, crisis.StepInput{To: crisis.Closed})
	wantCode(t, "follow_up_planned → closed", err, apperr.EConflict)
	for _, from := range crisis.States {
		if tr, ok := crisis.Allowed(from, crisis.Closed); ok && from != crisis.Reviewed {
			t.Errorf("the state machine allows %s → closed: %+v", from, tr)
		}
	}
	_, err = e.svc.Advance(e.ctx, counsellor, id, crisis.StepInput{To: crisis.Reviewed})
	wantCode(t, "reviewed without a review", err, apperr.EInvalid)
}

// Every state reaches closed, and nothing leaves closed.
func TestTransitionTable(t *testing.T) {
	reach := map[string]bool{crisis.Opened: true}
	for changed := true; changed; {
		changed = false
		for _, tr := range crisis.Transitions {
			if reach[tr.From] && !reach[tr.To] {
				reach[tr.To], changed = true, true
			}
		}
	}
	for _, st := range crisis.States {
		if !reach[st] {
			t.Errorf("%s cannot be reached", st)
		}
	}
	if n := len(crisis.Next(crisis.Closed, false)); n != 0 {
		t.Errorf("%d steps out of closed", n)
	}
	for _, tr := range crisis.Transitions {
		if tr.Cosign != (tr.To == crisis.PoliceRequested || tr.To == crisis.Closed) {
			t.Errorf("co-signature of %s → %s: %v", tr.From, tr.To, tr.Cosign)
		}
	}
}
