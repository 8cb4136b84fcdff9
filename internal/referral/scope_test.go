package referral_test

import (
	"testing"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/referral"
)

// Each hospital's liaison sees exactly the referrals sent to it; a school
// counsellor of another school sees none of school A's; the district's
// coordinator follows school A's; a hotline supervisor's incident referral
// is theirs and the receiving hospital's alone.
func TestScope(t *testing.T) {
	e := newEnv(t)
	caseA, _ := e.caseFor(e.counsellorA, e.a, "REF-10")
	toH1 := e.refer(e.counsellorA, caseA, nil)
	caseA2, _ := e.caseFor(e.counsellorA, e.a, "REF-11")
	toH2 := e.refer(e.counsellorA, caseA2, func(n *referral.NewReferral) { n.ToUnit = e.h2.ID })
	incident, err := e.svc.Send(e.ctx, e.supervisor, referral.NewReferral{Source: referral.SourceIncident, SourceID: e.incidentAt(e.st), ToUnit: e.h1.ID,
		Urgency: referral.Urgent, Reason: "来电者有明确自伤计划", Child: referral.Identity{Age: 15, Gender: "male"}})
	if err != nil {
		t.Fatalf("Send incident: %v", err)
	}
	if _, err := e.svc.Send(e.ctx, e.supervisor, referral.NewReferral{Source: referral.SourceIncident, SourceID: 987654, ToUnit: e.h1.ID,
		Urgency: referral.Urgent, Reason: "无此事件", Child: referral.Identity{Age: 15, Gender: "male"}}); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("a referral citing an incident that does not exist: %v", err)
	}

	ids := func(rs []referral.Referral, err error) map[int64]bool {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		out := map[int64]bool{}
		for _, r := range rs {
			out[r.ID] = true
		}
		return out
	}
	in1 := ids(e.svc.FindIncoming(e.ctx, e.liaison1, referral.Filter{}))
	if len(in1) != 2 || !in1[toH1] || !in1[incident] {
		t.Errorf("hospital 1's liaison sees %v, want %d and %d", in1, toH1, incident)
	}
	if in2 := ids(e.svc.FindIncoming(e.ctx, e.liaison2, referral.Filter{})); len(in2) != 1 || !in2[toH2] {
		t.Errorf("hospital 2's liaison sees %v, want only %d", in2, toH2)
	}
	if _, err := e.svc.Received(e.ctx, e.liaison1, toH2); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("hospital 1 reading hospital 2's referral: %v, want not found", err)
	}
	wantCode(t, "hospital 1 accepting hospital 2's", e.svc.Accept(e.ctx, e.liaison1, toH2), apperr.ENotFound)
	if _, err := e.svc.Sent(e.ctx, e.liaison1, toH1); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("the liaison reading the sender's side: %v, want not found", err)
	}
	if got := ids(e.svc.FindSent(e.ctx, e.liaison1, referral.Filter{})); len(got) != 0 {
		t.Errorf("the liaison lists %v as sent", got)
	}

	if got := ids(e.svc.FindSent(e.ctx, e.counsellorB, referral.Filter{})); len(got) != 0 {
		t.Errorf("school B's counsellor sees %v", got)
	}
	if _, err := e.svc.Sent(e.ctx, e.counsellorB, toH1); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("school B's counsellor reading A's referral: %v, want not found", err)
	}
	wantCode(t, "school B's counsellor closing A's", e.svc.Close(e.ctx, e.counsellorB, toH1, "resolved", ""), apperr.ENotFound)
	_, err = e.svc.Send(e.ctx, e.counsellorB, referral.NewReferral{Source: referral.SourceCase, SourceID: caseA, ToUnit: e.h1.ID,
		Urgency: referral.Routine, Reason: "x", Consent: e.consent(false)})
	wantCode(t, "school B's counsellor referring A's case", err, apperr.ENotFound)
	if got := ids(e.svc.FindIncoming(e.ctx, e.counsellorB, referral.Filter{})); len(got) != 0 {
		t.Errorf("a counsellor lists %v as incoming", got)
	}

	if got := ids(e.svc.FindSent(e.ctx, e.coordX, referral.Filter{})); len(got) != 2 || !got[toH1] || !got[toH2] {
		t.Errorf("district X's coordinator follows %v, want school A's two", got)
	}
	if got := ids(e.svc.FindSent(e.ctx, e.counsellorA, referral.Filter{})); len(got) != 2 || got[incident] {
		t.Errorf("school A's counsellor follows %v", got)
	}
	if got := ids(e.svc.FindSent(e.ctx, e.supervisor, referral.Filter{})); len(got) != 1 || !got[incident] {
		t.Errorf("the supervisor follows %v, want their incident referral", got)
	}

	// The receiving side sees what the referral carries, not the links to
	// the child's record.
	d, err := e.svc.Received(e.ctx, e.liaison1, toH1)
	if err != nil {
		t.Fatal(err)
	}
	if d.CaseID != 0 || d.StudentID != 0 || d.SourceID != 0 || d.Child.Name != "学生REF-10" || d.Child.Guardian != nil || d.Reason == "" {
		t.Errorf("the hospital's view: case %d student %d source %d child %+v", d.CaseID, d.StudentID, d.SourceID, d.Child)
	}
	if want := []string{referral.ActAccept, referral.ActDecline}; len(d.Actions) != 2 || d.Actions[0] != want[0] || d.Actions[1] != want[1] {
		t.Errorf("the hospital may %v, want %v", d.Actions, want)
	}
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'referral.read' AND object_id = ? AND actor_user_id = ?`, itoa(toH1),
		e.liaison1.UserID); n != 1 {
		t.Errorf("%d audit entries for the liaison's read, want 1", n)
	}
}

// A case referral's receiving unit must be a hospital or an agency.
func TestReceivingUnitKind(t *testing.T) {
	e := newEnv(t)
	caseA, _ := e.caseFor(e.counsellorA, e.a, "REF-12")
	for _, unit := range []int64{e.b.ID, e.st.ID, 999999} {
		_, err := e.svc.Send(e.ctx, e.counsellorA, referral.NewReferral{Source: referral.SourceCase, SourceID: caseA, ToUnit: unit,
			Urgency: referral.Routine, Reason: "x", Consent: e.consent(false)})
		wantField(t, "referring to a school or a station", err, "to_unit", "referral.to_unit_bad")
	}
	e.refer(e.counsellorA, caseA, func(n *referral.NewReferral) { n.ToUnit = e.agency.ID })
	units, err := e.svc.ReceivingUnits(e.ctx, e.counsellorA)
	if err != nil || len(units) != 3 || units[0].Kind != "hospital" || units[2].ID != e.agency.ID {
		t.Errorf("ReceivingUnits: %+v, %v", units, err)
	}
}
