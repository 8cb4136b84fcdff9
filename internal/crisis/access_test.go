package crisis_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/crisis"
)

// The police liaison sees exactly the incidents handed to their unit, with
// the minimal fields, and records only police steps.
func TestPoliceLiaisonSeesOnlyTheirIncidents(t *testing.T) {
	e := newEnv(t)
	counsellor := e.user(access.HotlineCounsellor, e.s1)
	supervisor := e.user(access.HotlineSupervisor, e.s)
	schoolCounsellor := e.user(access.SchoolCounsellor, e.a)
	police := e.user(access.PoliceLiaison, e.p1)
	p2 := e.user(access.PoliceLiaison, e.p2)
	stu := e.student(e.a, "POL-1")
	mine, err := e.svc.Open(e.ctx, schoolCounsellor, crisis.NewIncident{Source: "duty", StudentNo: "POL-1",
		Details: crisis.Details{Location: "学校后门", Description: "学生离校，留下告别信", Callback: "02580000000", Risk: imminent}})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.num(`SELECT student_id FROM incidents WHERE id = ?`, mine); got != stu {
		t.Fatalf("incident student %d, want %d", got, stu)
	}
	leader := e.user(access.SchoolLeader, e.a)
	e.rescue(schoolCounsellor, leader, mine, e.p1)
	other := e.open(counsellor, e.s1, crisis.Details{Location: "别处"})
	e.rescue(counsellor, supervisor, other, e.p2)
	notHanded := e.open(counsellor, e.s1, crisis.Details{Location: "未移交"})
	e.step(counsellor, notHanded, crisis.StepInput{To: crisis.RescueNeeded})
	e.step(counsellor, notHanded, crisis.StepInput{To: crisis.PoliceRequested, PoliceUnitID: e.p1.ID}) // pending: not handed yet

	list, err := e.svc.PoliceList(e.ctx, police)
	if err != nil {
		t.Fatal(err)
	}
	if len(list) != 1 || list[0].ID != mine || list[0].Location != "学校后门" {
		t.Fatalf("police list %+v, want only incident %d", list, mine)
	}
	for _, id := range []int64{other, notHanded} {
		_, err := e.svc.PoliceFind(e.ctx, police, id)
		wantCode(t, "police reading another unit's or a pending incident", err, apperr.ENotFound)
		_, err = e.svc.PoliceAdvance(e.ctx, police, id, crisis.StepInput{To: crisis.PoliceAcknowledged, PoliceRef: "X1"})
		wantCode(t, "police step on another incident", err, apperr.ENotFound)
	}
	v, err := e.svc.PoliceFind(e.ctx, police, mine)
	if err != nil {
		t.Fatal(err)
	}
	if v.Location != "学校后门" || v.Description != "学生离校，留下告别信" || v.Callback != "02580000000" || v.RiskLevel != "imminent" {
		t.Errorf("police view %+v", v)
	}
	if dump := fmt.Sprintf("%+v", v); strings.Contains(dump, "学生POL-1") || strings.Contains(dump, "POL-1") || strings.Contains(dump, "家长") {
		t.Errorf("the police view names the child: %s", dump)
	}
	if len(v.Steps) != 1 || v.Steps[0].State != crisis.PoliceRequested {
		t.Errorf("police timeline %+v, want only the request", v.Steps)
	}
	// The handler's view, details and steps are not theirs.
	_, err = e.svc.Find(e.ctx, police, mine)
	wantCode(t, "police reading the full incident", err, apperr.ENotFound)
	_, err = e.svc.Advance(e.ctx, police, mine, crisis.StepInput{To: crisis.PoliceAcknowledged, PoliceRef: "X1"})
	wantCode(t, "police through the handler's door", err, apperr.ENotFound)
	wantCode(t, "police changing details", e.svc.UpdateDetails(e.ctx, police, mine, crisis.Details{}), apperr.ENotFound)
	if l, err := e.svc.List(e.ctx, police, crisis.ListOpen, 0); err != nil || len(l) != 0 {
		t.Errorf("police handler list: %v, %v", l, err)
	}
	_, err = e.svc.PoliceAdvance(e.ctx, police, mine, crisis.StepInput{To: crisis.PoliceAcknowledged})
	wantCode(t, "acknowledged without the police's number", err, apperr.EInvalid)
	for _, in := range []crisis.StepInput{{To: crisis.PoliceAcknowledged, PoliceRef: "JJ-0042"}, {To: crisis.OnScene}, {To: crisis.SafetyConfirmed}} {
		if _, err := e.svc.PoliceAdvance(e.ctx, police, mine, in); err != nil {
			t.Fatalf("police %s: %v", in.To, err)
		}
	}
	_, err = e.svc.PoliceAdvance(e.ctx, police, mine, crisis.StepInput{To: crisis.HandedOver, HandedTo: "guardian"})
	wantCode(t, "police handing over", err, apperr.EForbidden)
	if n := e.num(`SELECT COUNT(*) FROM incident_steps WHERE incident_id = ? AND actor_role = 'police_liaison'`, mine); n != 3 {
		t.Errorf("%d steps recorded by the police, want 3", n)
	}
	// Another police unit's liaison sees none of it.
	if l, _ := e.svc.PoliceList(e.ctx, p2); len(l) != 1 || l[0].ID != other {
		t.Errorf("P2 list %+v, want only %d", l, other)
	}
	// The police were told of the hand-over; the other unit was not.
	if n := e.num(`SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = 'incident.police' AND ref_id = ?`, police.UserID, mine); n != 1 {
		t.Errorf("%d hand-over notes to the police", n)
	}
	if n := e.num(`SELECT COUNT(*) FROM notifications WHERE user_id = ? AND ref_id = ?`, p2.UserID, mine); n != 0 {
		t.Errorf("P2 told of P1's incident")
	}
}

// Handing an incident to the police writes one disclosure in the same
// transaction as the co-signature.
func TestDisclosureOnHandOver(t *testing.T) {
	e := newEnv(t)
	counsellor := e.user(access.SchoolCounsellor, e.a)
	leader := e.user(access.SchoolLeader, e.a)
	stu := e.student(e.a, "DIS-1")
	id, err := e.svc.Open(e.ctx, counsellor, crisis.NewIncident{Source: "duty", StudentNo: "DIS-1", Details: crisis.Details{Location: "操场"}})
	if err != nil {
		t.Fatal(err)
	}
	e.rescue(counsellor, leader, id, e.p1)
	got := e.str(`SELECT student_id || ' ' || from_unit || ' ' || to_unit || ' ' || what || ' ' || purpose || ' ' || basis || ' ' || ref_type || ' ' || ref_id || ' ' || actor_id
		FROM disclosures WHERE ref_type = 'incident' AND ref_id = ?`, id)
	want := fmt.Sprintf("%d %d %d location description risk callback crisis emergency incident %d %d", stu, e.a.ID, e.p1.ID, id, leader.UserID)
	if got != want {
		t.Errorf("disclosure %q, want %q", got, want)
	}
	if n := e.audits("disclosure.record", 0); n != 1 {
		t.Errorf("%d disclosure audit entries", n)
	}
}

// Scope: another district, another station and another school see
// nothing; the station's supervisor and the known child's school do.
func TestScope(t *testing.T) {
	e := newEnv(t)
	counsellor := e.user(access.HotlineCounsellor, e.s1)
	e.student(e.a, "SCO-1")
	coordinatorX := e.user(access.Coordinator, e.x)
	// The hotline counsellor cannot name a student whose record they may
	// not write: the incident would be refused, so open it anonymously and
	// let a coordinator who serves the station name the child.
	_, err := e.svc.Open(e.ctx, counsellor, crisis.NewIncident{Source: "duty", StudentNo: "SCO-1"})
	wantCode(t, "a hotline counsellor naming a student", err, apperr.EInvalid)
	both := access.Principal{UserID: coordinatorX.UserID, Memberships: append(coordinatorX.Memberships,
		access.Membership{OrgID: e.s1.ID, OrgPath: e.s1.Path, Role: access.HotlineCounsellor})}
	id, err := e.svc.Open(e.ctx, both, crisis.NewIncident{UnitID: e.s1.ID, Source: "duty", StudentNo: "SCO-1"})
	if err != nil {
		t.Fatal(err)
	}
	anon := e.open(counsellor, e.s1, crisis.Details{})

	seeing := map[string]access.Principal{"station supervisor": e.user(access.HotlineSupervisor, e.s),
		"branch colleague": e.user(access.HotlineCounsellor, e.s1), "school counsellor of the child": e.user(access.SchoolCounsellor, e.a),
		"city coordinator": e.user(access.Coordinator, e.city)}
	blind := map[string]access.Principal{"other station": e.user(access.HotlineCounsellor, e.s2),
		"other district": e.user(access.Coordinator, e.y), "other school": e.user(access.SchoolCounsellor, e.b),
		"school leader of another school": e.user(access.SchoolLeader, e.b), "police": e.user(access.PoliceLiaison, e.p1),
		"head teacher": e.user(access.HeadTeacher, e.a), "auditor": e.user(access.Auditor, e.city)}
	for name, p := range seeing {
		if _, err := e.svc.Find(e.ctx, p, id); err != nil {
			t.Errorf("%s: Find: %v", name, err)
		}
		l, err := e.svc.List(e.ctx, p, crisis.ListOpen, 0)
		if err != nil || len(l) == 0 {
			t.Errorf("%s: List %v, %v", name, l, err)
		}
	}
	if _, err := e.svc.Find(e.ctx, seeing["school counsellor of the child"], anon); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("the school sees the station's anonymous incident: %v", err)
	}
	for name, p := range blind {
		for _, inc := range []int64{id, anon} {
			_, err := e.svc.Find(e.ctx, p, inc)
			wantCode(t, name+": Find", err, apperr.ENotFound)
			_, err = e.svc.Advance(e.ctx, p, inc, crisis.StepInput{To: crisis.Assessing})
			wantCode(t, name+": Advance", err, apperr.ENotFound)
		}
		if l, err := e.svc.List(e.ctx, p, crisis.ListOpen, 0); err != nil || len(l) != 0 {
			t.Errorf("%s: List %v, %v", name, l, err)
		}
	}
	// A co-signer who does not handle crises sees the incident but may not
	// record steps.
	leader := e.user(access.SchoolLeader, e.a)
	if _, err := e.svc.Find(e.ctx, leader, id); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("the school leader reaches the station's incident through the school: %v", err)
	}
	sup := seeing["station supervisor"]
	d, err := e.svc.Find(e.ctx, sup, id)
	if err != nil || d.StudentName != "" {
		t.Errorf("a supervisor without record.read sees the child's name %q (%v)", d.StudentName, err)
	}
	d, err = e.svc.Find(e.ctx, seeing["school counsellor of the child"], id)
	if err != nil || d.StudentName != "学生SCO-1" {
		t.Errorf("the school counsellor sees name %q (%v)", d.StudentName, err)
	}
}

// Every read and write of an incident is audited.
func TestAudited(t *testing.T) {
	e := newEnv(t)
	counsellor := e.user(access.HotlineCounsellor, e.s1)
	supervisor := e.user(access.HotlineSupervisor, e.s)
	police := e.user(access.PoliceLiaison, e.p1)
	id := e.open(counsellor, e.s1, crisis.Details{})
	e.rescue(counsellor, supervisor, id, e.p1)
	if err := e.svc.UpdateDetails(e.ctx, counsellor, id, crisis.Details{Location: "新地点"}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.RecordGuardian(e.ctx, counsellor, id, crisis.GuardianDecision{Notified: true}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Find(e.ctx, supervisor, id); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.List(e.ctx, supervisor, crisis.ListOpen, 0); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.PoliceFind(e.ctx, police, id); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.PoliceList(e.ctx, police); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.PoliceAdvance(e.ctx, police, id, crisis.StepInput{To: crisis.EnRoute}); err == nil {
		t.Fatal("en route straight from police_requested")
	}
	for action, want := range map[string]int64{"incident.open": 1, "incident.step": 1, "incident.step_pending": 1, "incident.cosign": 1,
		"incident.details": 1, "incident.guardian": 1, "incident.read": 1, "incident.police_read": 1} {
		if n := e.audits(action, id); n != want {
			t.Errorf("%d %s entries, want %d", n, action, want)
		}
	}
	for _, action := range []string{"incident.list", "incident.police_list"} {
		if n := e.audits(action, 0); n != 1 {
			t.Errorf("%d %s entries, want 1", n, action)
		}
	}
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'incident.police_read' AND actor_user_id = ? AND actor_role = 'police_liaison'`,
		police.UserID); n != 1 {
		t.Errorf("the police read is not attributed (%d)", n)
	}
	// No clear text of the details in the trail.
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE detail LIKE '%新地点%'`); n != 0 {
		t.Error("a location in the audit trail")
	}
}
