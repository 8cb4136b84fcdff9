package warning_test

import (
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/warning"
)

// duty puts a user on a duty shift at unit from start for d.
func (e *env) duty(p access.Principal, at *org.Unit, start time.Time, d time.Duration) {
	e.t.Helper()
	if _, err := e.d.Exec(e.ctx, `INSERT INTO duty_shifts (org_unit_id, user_id, starts_at, ends_at) VALUES (?, ?, ?, ?)`,
		at.ID, p.UserID, micro(start), micro(start.Add(d))); err != nil {
		e.t.Fatal(err)
	}
}

func (e *env) wantOwner(what string, alertID int64, p access.Principal, orgID int64, step int) {
	e.t.Helper()
	a := e.alert(alertID)
	if a.Owner == 0 || a.Owner != p.UserID || a.OwnerOrg != orgID || a.Step != step {
		e.t.Errorf("%s: owner %d at %d step %d; want %d (%s) at %d step %d", what, a.Owner, a.OwnerOrg, a.Step,
			p.UserID, p.Memberships[0].Role, orgID, step)
	}
}

// staffed is a network with counsellors at A and B, a leader at A, an
// on-duty hotline supervisor at a station under the city (on shift all of
// Monday), and coordinators at X and the city.
func staffed(t *testing.T) (e *env, counsellorA, supervisor access.Principal, station *org.Unit) {
	e = newEnv(t)
	station = e.unit(org.HotlineStation, "陶老师工作站", "", e.city)
	counsellorA = e.user(access.SchoolCounsellor, e.a)
	e.user(access.SchoolCounsellor, e.b)
	e.user(access.SchoolLeader, e.a)
	e.user(access.Coordinator, e.x)
	e.user(access.Coordinator, e.city)
	supervisor = e.user(access.HotlineSupervisor, station)
	e.duty(supervisor, station, time.Date(2025, 3, 3, 0, 0, 0, 0, cst), 24*time.Hour)
	return e, counsellorA, supervisor, station
}

func TestOwnerInSchoolHoursIsTheCounsellor(t *testing.T) {
	e, counsellorA, _, _ := staffed(t)
	ids := e.students(e.a, "OWN-1")
	e.wantOwner("school hours", e.mustRaise(red(ids[0])), counsellorA, e.a.ID, warning.StepFirst)
}

func TestOwnerOutsideHoursIsOnDuty(t *testing.T) {
	e, counsellorA, supervisor, station := staffed(t)
	ids := e.students(e.a, "OWN-1", "OWN-2", "OWN-3")
	e.clk.Set(monday22)
	e.wantOwner("Monday evening", e.mustRaise(red(ids[0])), supervisor, station.ID, warning.StepFirst)
	// Saturday morning is outside school hours too; nobody is on shift, so
	// the school's counsellor still gets it at once.
	e.clk.Set(time.Date(2025, 3, 8, 10, 0, 0, 0, cst))
	e.wantOwner("Saturday, no shift", e.mustRaise(phq(ids[1], 12)), counsellorA, e.a.ID, warning.StepFirst)
	// A shift that has ended, or not yet begun, does not count.
	other := e.user(access.HotlineSupervisor, station)
	e.duty(other, station, time.Date(2025, 3, 8, 9, 0, 0, 0, cst), time.Hour)
	e.duty(other, station, time.Date(2025, 3, 8, 10, 1, 0, 0, cst), time.Hour)
	e.wantOwner("shifts not covering now", e.mustRaise(phq(ids[2], 12)), counsellorA, e.a.ID, warning.StepFirst)
}

func TestOwnerOutsideHoursSkipsInactiveDuty(t *testing.T) {
	e, counsellorA, supervisor, _ := staffed(t)
	ids := e.students(e.a, "OWN-1")
	if err := e.ppl.SetUserActive(e.ctx, e.admin, supervisor.UserID, false); err != nil {
		t.Fatal(err)
	}
	e.clk.Set(monday22)
	e.wantOwner("duty user deactivated", e.mustRaise(red(ids[0])), counsellorA, e.a.ID, warning.StepFirst)
}

// Without a counsellor and with nobody on duty, the first step of the chain
// that has someone owns the alert at once.
func TestOwnerFallsBackAlongTheChain(t *testing.T) {
	e := newEnv(t)
	leaderA := e.user(access.SchoolLeader, e.a)
	coordX := e.user(access.Coordinator, e.x)
	coordCity := e.user(access.Coordinator, e.city)
	gone := e.user(access.SchoolCounsellor, e.a2)
	if err := e.ppl.SetUserActive(e.ctx, e.admin, gone.UserID, false); err != nil {
		t.Fatal(err)
	}
	inA, inA2, inB := e.students(e.a, "CHN-1")[0], e.students(e.a2, "CHN-2")[0], e.students(e.b, "CHN-3")[0]
	e.wantOwner("school with a leader", e.mustRaise(red(inA)), leaderA, e.a.ID, warning.StepSchool)
	e.wantOwner("school with an inactive counsellor", e.mustRaise(red(inA2)), coordX, e.x.ID, warning.StepDistrict)
	e.wantOwner("district without staff", e.mustRaise(red(inB)), coordCity, e.city.ID, warning.StepCity)
}

// A network with nobody but a system administrator at the top still gives
// every alert an owner.
func TestOwnerLastResortIsAnyoneAtTheTop(t *testing.T) {
	e := newEnv(t)
	admin := e.user(access.SysAdmin, e.city)
	ids := e.students(e.b, "LST-1")
	id := e.mustRaise(red(ids[0]))
	e.wantOwner("only a sysadmin", id, admin, e.city.ID, warning.StepCity)
	// It is already the top of the chain: its deadline escalates nowhere.
	e.clk.Advance(time.Hour)
	if ok, _, err := e.svc.Escalate(e.ctx, warning.DeadlineArgs{AlertID: id, Seq: 0, Deadline: "ack"}); ok || err != nil {
		t.Errorf("Escalate at the top = %v, %v; want nothing", ok, err)
	}
}

// An alert is never stored without an owner: with no account at all the
// raise fails rather than writing owner 0.
func TestNoOwnerNoAlert(t *testing.T) {
	e := newEnv(t)
	ids := e.students(e.a, "NON-1")
	if _, err := e.raise(red(ids[0])); err == nil {
		t.Error("Raise succeeded in a network without staff")
	}
	if n := e.num(`SELECT COUNT(*) FROM alerts`); n != 0 {
		t.Errorf("%d alerts stored without an owner", n)
	}
}
