package crisis_test

import (
	"context"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/crisis"
	"github.com/careloop/careloop/internal/db"
)

// An anonymous child of a hotline incident who tells their school and
// name is linked to their record: the school sees the incident, its case
// workers are told, the hand-over is disclosed, and the school's
// counsellor plans the follow-up in the support plan. The hotline
// counsellor learns nothing of the record.
func TestIdentifyAnonymousChild(t *testing.T) {
	e := newEnv(t)
	hot := e.user(access.HotlineCounsellor, e.s1)
	other := e.user(access.HotlineCounsellor, e.s2)
	school := e.user(access.SchoolCounsellor, e.a)
	kid := e.student(e.a, "ID-A1")
	e.student(e.b, "ID-B1")
	// Two students of school A share a name: the class tells them apart.
	twinA := e.student(e.a, "ID-T1")
	twinB := e.student(e.a, "ID-T2")
	e.exec(`UPDATE students SET name = '王同名' WHERE id IN (?, ?)`, twinA, twinB)
	e.exec(`UPDATE students SET class_name = '2班' WHERE id = ?`, twinB)

	id := e.open(hot, e.s1, crisis.Details{Risk: imminent})
	if _, err := e.svc.Find(e.ctx, school, id); apperr.CodeOf(err) != apperr.ENotFound {
		t.Fatalf("the school sees an anonymous incident of the hotline: %v", err)
	}
	bad := []struct {
		name  string
		who   crisis.Identity
		field string
		key   string
	}{
		{"no school", crisis.Identity{Name: "学生ID-A1"}, "school", "crisis.identify_school"},
		{"no name", crisis.Identity{SchoolID: e.a.ID}, "name", "crisis.identify_name"},
		{"unknown name", crisis.Identity{SchoolID: e.a.ID, Name: "查无此人"}, "name", "crisis.identify_none"},
		{"another school's student", crisis.Identity{SchoolID: e.a.ID, Name: "学生ID-B1"}, "name", "crisis.identify_none"},
		{"not a school", crisis.Identity{SchoolID: e.x.ID, Name: "学生ID-A1"}, "name", "crisis.identify_none"},
		{"two of a name", crisis.Identity{SchoolID: e.a.ID, Name: "王同名"}, "grade", "crisis.identify_several"},
		{"bad grade", crisis.Identity{SchoolID: e.a.ID, Name: "学生ID-A1", Grade: 13}, "grade", "crisis.identify_grade"},
	}
	for _, c := range bad {
		err := e.svc.Identify(e.ctx, hot, id, c.who)
		if got := apperr.FieldsOf(err)[c.field]; got != c.key {
			t.Errorf("%s: field %s = %q (%v), want %q", c.name, c.field, got, err, c.key)
		}
	}
	if n := e.num(`SELECT student_id FROM incidents WHERE id = ?`, id); n != 0 {
		t.Fatalf("a refused identification linked student %d", n)
	}
	if err := e.svc.Identify(e.ctx, other, id, crisis.Identity{SchoolID: e.a.ID, Name: "学生ID-A1"}); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("another station's counsellor identified the child: %v", err)
	}

	// The class tells the namesakes apart.
	twin := e.open(hot, e.s1, crisis.Details{Risk: imminent})
	if err := e.svc.Identify(e.ctx, hot, twin, crisis.Identity{SchoolID: e.a.ID, Name: "王同名", Grade: 7, Class: "2班"}); err != nil {
		t.Fatalf("Identify with the class: %v", err)
	}
	if got := e.num(`SELECT student_id FROM incidents WHERE id = ?`, twin); got != twinB {
		t.Errorf("the namesake in class 2 is student %d, linked %d", twinB, got)
	}

	if err := e.svc.Identify(e.ctx, hot, id, crisis.Identity{SchoolID: e.a.ID, Name: " 学生ID-A1 "}); err != nil {
		t.Fatalf("Identify: %v", err)
	}
	if got := e.num(`SELECT student_id FROM incidents WHERE id = ?`, id); got != kid {
		t.Fatalf("the incident's student is %d, want %d", got, kid)
	}
	if err := e.svc.Identify(e.ctx, hot, id, crisis.Identity{SchoolID: e.a.ID, Name: "学生ID-A1"}); apperr.CodeOf(err) != apperr.EConflict {
		t.Errorf("a second identification: %v, want a conflict", err)
	}
	if n := e.num(`SELECT COUNT(*) FROM incident_steps WHERE incident_id = ? AND kind = 'identified'`, id); n != 1 {
		t.Errorf("%d identified steps on the timeline, want 1", n)
	}
	if n := e.num(`SELECT COUNT(*) FROM disclosures WHERE ref_type = 'incident' AND ref_id = ? AND to_unit = ? AND student_id = ?`, id, e.a.ID, kid); n != 1 {
		t.Errorf("%d disclosures of the incident to the school, want 1", n)
	}
	if n := e.num(`SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = 'incident.identified' AND ref_id = ?`, school.UserID, id); n != 1 {
		t.Errorf("the school's counsellor got %d notices, want 1", n)
	}
	if n := e.num(`SELECT COUNT(*) FROM student_events WHERE student_id = ? AND kind = 'crisis'`, kid); n != 1 {
		t.Errorf("%d crisis events on the record's timeline, want 1", n)
	}
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'incident.identify' AND outcome = 'success' AND object_id = ?`, strconv.FormatInt(id, 10)); n != 1 {
		t.Errorf("%d audit entries of the identification, want 1", n)
	}
	if n := e.num(`SELECT identify_tries FROM incidents WHERE id = ?`, id); n != 4 {
		t.Errorf("%d failed tries counted, want 4 (three names matching no one, one matching two)", n)
	}
	d, err := e.svc.Find(e.ctx, hot, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.StudentID != kid || d.StudentName != "" || d.StudentNo != "" {
		t.Errorf("the hotline counsellor reads the record: %d %q %q", d.StudentID, d.StudentName, d.StudentNo)
	}
	d, err = e.svc.Find(e.ctx, school, id)
	if err != nil {
		t.Fatalf("the school does not see the identified incident: %v", err)
	}
	if d.StudentName != "学生ID-A1" || !d.Handler {
		t.Errorf("the school sees %q, handler %v", d.StudentName, d.Handler)
	}

	// The school's counsellor carries the follow-up into the support plan.
	e.step(hot, id, crisis.StepInput{To: crisis.Assessing})
	e.step(hot, id, crisis.StepInput{To: crisis.SafetyPlanAgreed})
	e.step(school, id, crisis.StepInput{To: crisis.FollowUpPlanned, FollowUpKind: "student", FollowUpDue: e.clk.Now().Add(72 * time.Hour)})
	caseID := e.num(`SELECT id FROM cases WHERE student_id = ?`, kid)
	if caseID == 0 {
		t.Fatal("no case was opened for the identified child")
	}
	if n := e.num(`SELECT COUNT(*) FROM follow_ups WHERE case_id = ?`, caseID); n != 1 {
		t.Errorf("%d follow-ups in the plan, want 1", n)
	}
}

// The steps of an incident, their co-signatures and guardian decisions
// are append-only in the database itself (reviews too, by the same
// migration).
func TestIncidentRowsAppendOnly(t *testing.T) {
	e := newEnv(t)
	hot := e.user(access.HotlineCounsellor, e.s1)
	sup := e.user(access.HotlineSupervisor, e.s)
	id := e.open(hot, e.s1, crisis.Details{Risk: imminent})
	e.rescue(hot, sup, id, e.p1)
	if err := e.svc.RecordGuardian(e.ctx, hot, id, crisis.GuardianDecision{Notified: false, WhyNot: "监护人可能是伤害来源"}); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		`UPDATE incident_steps SET state = 'closed' WHERE incident_id = ?`,
		`DELETE FROM incident_steps WHERE incident_id = ?`,
		`UPDATE incident_cosigns SET decision = 'declined' WHERE incident_id = ?`,
		`DELETE FROM incident_cosigns WHERE incident_id = ?`,
		`UPDATE incident_guardian SET notified = 1 WHERE incident_id = ?`,
		`DELETE FROM incident_guardian WHERE incident_id = ?`,
	} {
		if err := e.tryExec(q, id); err == nil {
			t.Errorf("the database let through: %s", q)
		}
	}
	if n := e.num(`SELECT COUNT(*) FROM incident_steps WHERE incident_id = ?`, id); n < 3 {
		t.Errorf("%d steps left", n)
	}
}

func (e *env) tryExec(q string, args ...any) error {
	return e.d.Tx(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		_, err := tx.Exec(ctx, q, args...)
		return err
	})
}

func (e *env) exec(q string, args ...any) {
	e.t.Helper()
	if err := e.tryExec(q, args...); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
}

// Handing the child over to a hospital writes the disclosure of what the
// hospital receives.
func TestHandOverDisclosed(t *testing.T) {
	e := newEnv(t)
	hot := e.user(access.HotlineCounsellor, e.s1)
	id := e.open(hot, e.s1, crisis.Details{Risk: imminent})
	e.step(hot, id, crisis.StepInput{To: crisis.RescueNeeded})
	e.step(hot, id, crisis.StepInput{To: crisis.SafetyConfirmed})
	e.step(hot, id, crisis.StepInput{To: crisis.HandedOver, HandedTo: "hospital", ToUnitID: e.hospital.ID})
	if n := e.num(`SELECT COUNT(*) FROM disclosures WHERE ref_type = 'incident' AND ref_id = ? AND to_unit = ? AND basis = 'emergency'`, id, e.hospital.ID); n != 1 {
		t.Errorf("%d disclosures of the hand-over to the hospital, want 1", n)
	}
}

// Names that match no one are counted, audited and capped per incident:
// the form cannot probe a school's roll.
func TestIdentifyTriesCapped(t *testing.T) {
	e := newEnv(t)
	hot := e.user(access.HotlineCounsellor, e.s1)
	e.student(e.a, "CAP-1")
	id := e.open(hot, e.s1, crisis.Details{Risk: imminent})
	for i := range crisis.MaxIdentifyTries {
		err := e.svc.Identify(e.ctx, hot, id, crisis.Identity{SchoolID: e.a.ID, Name: "猜测" + strconv.Itoa(i)})
		if apperr.FieldsOf(err)["name"] != "crisis.identify_none" {
			t.Fatalf("try %d: %v", i, err)
		}
	}
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'incident.identify' AND outcome = 'denied' AND object_id = ?`, strconv.FormatInt(id, 10)); n != int64(crisis.MaxIdentifyTries) {
		t.Errorf("%d denied tries audited, want %d", n, crisis.MaxIdentifyTries)
	}
	err := e.svc.Identify(e.ctx, hot, id, crisis.Identity{SchoolID: e.a.ID, Name: "学生CAP-1"})
	if apperr.CodeOf(err) != apperr.EConflict || apperr.MessageOf(err) != "crisis.identify_limit" {
		t.Errorf("after %d misses, a right name: %v, want the limit", crisis.MaxIdentifyTries, err)
	}
	if n := e.num(`SELECT student_id FROM incidents WHERE id = ?`, id); n != 0 {
		t.Errorf("linked student %d past the limit", n)
	}
}

// The caps hold under concurrent tries, and per person across incidents.
func TestIdentifyCapsRaceAndPerPerson(t *testing.T) {
	e := newEnv(t)
	hot := e.user(access.HotlineCounsellor, e.s1)
	id := e.open(hot, e.s1, crisis.Details{Risk: imminent})
	var wg sync.WaitGroup
	var misses atomic.Int64
	for i := range 20 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			err := e.svc.Identify(e.ctx, hot, id, crisis.Identity{SchoolID: e.a.ID, Name: "并发" + strconv.Itoa(i)})
			if apperr.FieldsOf(err)["name"] == "crisis.identify_none" {
				misses.Add(1)
			}
		}()
	}
	wg.Wait()
	if n := misses.Load(); n != int64(crisis.MaxIdentifyTries) {
		t.Errorf("20 concurrent tries got %d answers, want %d", n, crisis.MaxIdentifyTries)
	}
	// Across incidents: the person's misses of the day are capped.
	answered := misses.Load()
	for range 3 {
		other := e.open(hot, e.s1, crisis.Details{Risk: imminent})
		for i := range crisis.MaxIdentifyTries {
			err := e.svc.Identify(e.ctx, hot, other, crisis.Identity{SchoolID: e.a.ID, Name: "又一个" + strconv.Itoa(i)})
			if apperr.FieldsOf(err)["name"] == "crisis.identify_none" {
				answered++
			}
		}
	}
	if answered != crisis.MaxIdentifyTriesPerDay {
		t.Errorf("one person got %d answers across incidents, want %d", answered, crisis.MaxIdentifyTriesPerDay)
	}
}
