package crisis_test

import (
	"context"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/crisis"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/org"
)

// timerPeople: a counsellor at branch S1; a supervisor of station S on
// duty and one off duty; coordinators of the city, of a city centre and of
// district X (not above S1: never told).
type timerPeople struct {
	counsellor, onDuty, offDuty, police access.Principal
	city, cityCentre, districtX         access.Principal
}

func (e *env) timerPeople() timerPeople {
	e.t.Helper()
	centre := e.unit(org.GuidanceCentre, "市指导中心", "", e.city)
	tp := timerPeople{counsellor: e.user(access.HotlineCounsellor, e.s1), onDuty: e.user(access.HotlineSupervisor, e.s),
		offDuty: e.user(access.HotlineSupervisor, e.s), police: e.user(access.PoliceLiaison, e.p1),
		city: e.user(access.Coordinator, e.city), cityCentre: e.user(access.Coordinator, centre), districtX: e.user(access.Coordinator, e.x)}
	now := e.clk.Now()
	if err := e.d.Tx(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO duty_shifts (org_unit_id, user_id, starts_at, ends_at, purpose) VALUES (?, ?, ?, ?, 'hotline')`,
			e.s.ID, tp.onDuty.UserID, db.Micro(now.Add(-time.Hour)), db.Micro(now.AddDate(0, 0, 1)))
		return err
	}); err != nil {
		e.t.Fatal(err)
	}
	return tp
}

func (e *env) overdueNotes(p access.Principal, id int64) int64 {
	return e.num(`SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = 'incident.safety_overdue' AND ref_id = ?`, p.UserID, id)
}

// The safety timer, round by round: nothing before its time; then the
// supervisor on duty; from the second round the city's leadership too,
// again and again; a round that runs twice alarms once; once the police
// confirm safety it stops.
func TestSafetyTimerRounds(t *testing.T) {
	e := newEnv(t)
	tp := e.timerPeople()
	id := e.open(tp.counsellor, e.s1, crisis.Details{Risk: imminent})
	e.step(tp.counsellor, id, crisis.StepInput{To: crisis.RescueNeeded})
	t0 := e.clk.Now()
	req := e.step(tp.counsellor, id, crisis.StepInput{To: crisis.PoliceRequested, PoliceUnitID: e.p1.ID})
	round := func(n int, due time.Time) crisis.SafetyArgs {
		return crisis.SafetyArgs{IncidentID: id, RequestStep: req, Round: n, Due: db.Micro(due)}
	}
	check := func(what string, a crisis.SafetyArgs, want bool) time.Duration {
		t.Helper()
		ok, wait, err := e.svc.CheckSafety(e.ctx, a)
		if err != nil || ok != want {
			t.Fatalf("%s: CheckSafety(%+v) = %v, %v, %v; want alarmed %v", what, a, ok, wait, err, want)
		}
		return wait
	}
	if n := e.num(`SELECT COUNT(*) FROM river_job WHERE kind = 'crisis.safety' AND state = 'scheduled'`); n != 1 {
		t.Fatalf("%d safety timers scheduled with the request, want 1", n)
	}
	e.clk.Advance(10 * time.Minute)
	if wait := check("before its time", round(1, t0.Add(30*time.Minute)), false); wait != 20*time.Minute {
		t.Errorf("wait %v, want 20m", wait)
	}
	// The co-signature is still missing: the timer runs all the same.
	e.clk.Advance(21 * time.Minute)
	check("round 1, co-signature pending", round(1, t0.Add(30*time.Minute)), true)
	if tp1, off, city := e.overdueNotes(tp.onDuty, id), e.overdueNotes(tp.offDuty, id), e.overdueNotes(tp.city, id); tp1 != 1 || off != 0 || city != 0 {
		t.Errorf("round 1 told on duty %d, off duty %d, city %d; want 1, 0, 0", tp1, off, city)
	}
	check("round 1 again", round(1, t0.Add(30*time.Minute)), false)
	e.cosign(tp.onDuty, id, req)

	r2 := round(2, e.clk.Now().Add(30*time.Minute))
	e.clk.Advance(30 * time.Minute)
	check("round 2", r2, true)
	r3 := round(3, e.clk.Now().Add(30*time.Minute))
	e.clk.Advance(30 * time.Minute)
	check("round 3", r3, true)
	if got := []int64{e.overdueNotes(tp.onDuty, id), e.overdueNotes(tp.city, id), e.overdueNotes(tp.cityCentre, id),
		e.overdueNotes(tp.districtX, id), e.overdueNotes(tp.counsellor, id)}; got[0] != 3 || got[1] != 2 || got[2] != 2 || got[3] != 0 || got[4] != 0 {
		t.Errorf("after 3 rounds: on duty, city, city centre, district X, counsellor told %v; want [3 2 2 0 0]", got)
	}
	if _, err := e.svc.PoliceAdvance(e.ctx, tp.police, id, crisis.StepInput{To: crisis.SafetyConfirmed}); err != nil {
		t.Fatal(err)
	}
	r4 := round(4, e.clk.Now().Add(30*time.Minute))
	e.clk.Advance(30 * time.Minute)
	check("round 4 after safety", r4, false)
	if n := e.num(`SELECT COUNT(*) FROM incident_alarms WHERE incident_id = ?`, id); n != 3 {
		t.Errorf("%d alarms, want 3", n)
	}
	if n := e.audits("incident.safety_alarm", id); n != 3 {
		t.Errorf("%d alarm audit entries, want 3", n)
	}
	// Voiding the safety confirmation sets the timer again.
	if _, err := e.svc.Correct(e.ctx, tp.counsellor, id, e.num(`SELECT MAX(id) FROM incident_steps WHERE incident_id = ? AND kind = 'state'`, id),
		"确认的是另一个孩子", true); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(31 * time.Minute)
	check("after the void", round(4, e.clk.Now().Add(-time.Minute)), true)
}

// The real timer on the job queue, driven by a controllable clock: it
// alarms every period until the police confirm safety, then stops and
// schedules nothing more.
func TestSafetyTimerOnTheQueue(t *testing.T) {
	e := newEnv(t)
	e.clk.Set(time.Now().Truncate(time.Millisecond)) // River's rescuer reads the wall clock
	tp := e.timerPeople()
	if err := e.q.Start(e.ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := e.q.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	id := e.open(tp.counsellor, e.s1, crisis.Details{Risk: imminent})
	e.rescue(tp.counsellor, tp.onDuty, id, e.p1)
	alarms := func() int64 { return e.num(`SELECT COUNT(*) FROM incident_alarms WHERE incident_id = ?`, id) }
	tick := func(d time.Duration) {
		t.Helper()
		e.clk.Advance(d)
		if err := e.q.Promote(e.ctx, e.clk.Now()); err != nil {
			t.Fatal(err)
		}
	}
	tick(10 * time.Minute)
	time.Sleep(200 * time.Millisecond)
	if n := alarms(); n != 0 {
		t.Fatalf("%d alarms before the period", n)
	}
	for want := int64(1); want <= 3; want++ {
		tick(31 * time.Minute)
		eventually(t, "alarm round", func() bool { return alarms() == want })
	}
	if n := e.overdueNotes(tp.city, id); n != 2 {
		t.Errorf("the city coordinator was told %d times, want 2 (rounds 2 and 3)", n)
	}
	if _, err := e.svc.PoliceAdvance(e.ctx, tp.police, id, crisis.StepInput{To: crisis.SafetyConfirmed}); err != nil {
		t.Fatal(err)
	}
	tick(31 * time.Minute)
	eventually(t, "the last timer to finish", func() bool {
		return e.num(`SELECT COUNT(*) FROM river_job WHERE kind = 'crisis.safety' AND state <> 'completed'`) == 0
	})
	tick(31 * time.Minute)
	time.Sleep(200 * time.Millisecond)
	if n := alarms(); n != 3 {
		t.Errorf("%d alarms after safety was confirmed, want 3", n)
	}
}

// eventually waits up to 10 seconds for cond.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(10 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if cond() {
			return
		}
	}
	t.Fatalf("timed out waiting for %s", what)
}
