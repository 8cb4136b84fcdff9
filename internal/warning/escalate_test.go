package warning_test

import (
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/warning"
)

// chain is a network with the whole escalation chain for school A.
func chain(t *testing.T) (e *env, counsellor, leader, coordX, coordCity access.Principal) {
	e = newEnv(t)
	counsellor = e.user(access.SchoolCounsellor, e.a)
	leader = e.user(access.SchoolLeader, e.a)
	coordX = e.user(access.Coordinator, e.x)
	coordCity = e.user(access.Coordinator, e.city)
	return
}

func (e *env) escalate(what string, a warning.DeadlineArgs, want bool) time.Duration {
	e.t.Helper()
	ok, wait, err := e.svc.Escalate(e.ctx, a)
	if err != nil || ok != want {
		e.t.Fatalf("%s: Escalate(%+v) = %v, %v, %v; want escalated %v", what, a, ok, wait, err, want)
	}
	return wait
}

func TestEscalationAlongTheChain(t *testing.T) {
	e, counsellor, leader, coordX, coordCity := chain(t)
	ids := e.students(e.a, "ESC-1")
	id := e.mustRaise(red(ids[0]))
	ack0 := warning.DeadlineArgs{AlertID: id, Seq: 0, Deadline: "ack"}

	e.clk.Advance(10 * time.Minute)
	if wait := e.escalate("before the deadline", ack0, false); wait != 5*time.Minute {
		t.Errorf("wait before the deadline = %v, want 5m", wait)
	}
	if a := e.alert(id); a.Owner != counsellor.UserID || a.Step != 0 || a.Seq != 0 {
		t.Errorf("early timer changed the alert: %+v", a)
	}

	e.clk.Advance(6 * time.Minute)
	e.escalate("after the deadline", ack0, true)
	a := e.alert(id)
	if a.Owner != leader.UserID || a.OwnerOrg != e.a.ID || a.Step != warning.StepSchool || a.Seq != 1 {
		t.Errorf("after escalation: %+v; want the school leader %d at step 1, seq 1", a, leader.UserID)
	}
	if a.AckDue != micro(e.clk.Now().Add(15*time.Minute)) {
		t.Errorf("ack due %d; want the deadline started again from now", a.AckDue)
	}
	if n := e.num(`SELECT COUNT(*) FROM escalations WHERE item_type = 'alert' AND item_id = ? AND seq = 1 AND deadline = 'ack'
		AND step = 1 AND to_user_id = ? AND due_at = ?`, id, leader.UserID, micro(monday10.Add(15*time.Minute))); n != 1 {
		t.Errorf("%d escalation rows for step 1, want 1", n)
	}
	if n := e.num(`SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = 'alert.escalated' AND ref_id = ?`, leader.UserID, id); n != 1 {
		t.Errorf("%d alert.escalated notifications for the leader, want 1", n)
	}
	if n := e.audits("alert.escalate", id, 0); n != 1 {
		t.Errorf("%d alert.escalate audit entries, want 1", n)
	}
	if st := e.deadlineJobs(id)[warning.DeadlineArgs{AlertID: id, Seq: 1, Deadline: "ack"}]; st != "scheduled" {
		t.Errorf("no scheduled timer for the next deadline: %v", e.deadlineJobs(id))
	}

	// The same timer again, or a stale or unknown one, does nothing.
	e.escalate("same timer again", ack0, false)
	e.escalate("a generation that never was", warning.DeadlineArgs{AlertID: id, Seq: 7, Deadline: "ack"}, false)
	e.escalate("an unknown alert", warning.DeadlineArgs{AlertID: id + 100, Seq: 0, Deadline: "ack"}, false)
	if n := e.num(`SELECT COUNT(*) FROM escalations WHERE item_id = ?`, id); n != 1 {
		t.Errorf("%d escalations after repeated timers, want 1", n)
	}

	e.clk.Advance(16 * time.Minute)
	e.escalate("second deadline", warning.DeadlineArgs{AlertID: id, Seq: 1, Deadline: "ack"}, true)
	if a := e.alert(id); a.Owner != coordX.UserID || a.Step != warning.StepDistrict || a.Seq != 2 {
		t.Errorf("after the second escalation: %+v; want the district coordinator", a)
	}
	e.clk.Advance(16 * time.Minute)
	e.escalate("third deadline", warning.DeadlineArgs{AlertID: id, Seq: 2, Deadline: "ack"}, true)
	if a := e.alert(id); a.Owner != coordCity.UserID || a.Step != warning.StepCity || a.Seq != 3 {
		t.Errorf("after the third escalation: %+v; want the city coordinator", a)
	}
	e.clk.Advance(16 * time.Minute)
	e.escalate("top of the chain", warning.DeadlineArgs{AlertID: id, Seq: 3, Deadline: "ack"}, false)
	if a := e.alert(id); a.Owner != coordCity.UserID || a.Step != warning.StepCity || a.Seq != 3 {
		t.Errorf("at the top of the chain: %+v", a)
	}
	if n := e.num(`SELECT COUNT(*) FROM escalations WHERE item_id = ?`, id); n != 3 {
		t.Errorf("%d escalations, want 3", n)
	}
	// It stays overdue on the city's list.
	list, err := e.svc.FindAlerts(e.ctx, coordCity, warning.AlertFilter{Overdue: true})
	if err != nil || len(list) != 1 || list[0].ID != id || !list[0].Overdue(e.clk.Now()) {
		t.Errorf("overdue list of the city = %v, %v; want the alert", list, err)
	}
}

// A step without anyone is skipped.
func TestEscalationSkipsEmptySteps(t *testing.T) {
	e := newEnv(t)
	e.user(access.SchoolCounsellor, e.a)
	coordX := e.user(access.Coordinator, e.x)
	ids := e.students(e.a, "ESC-2")
	id := e.mustRaise(red(ids[0]))
	e.clk.Advance(16 * time.Minute)
	e.escalate("no school leader", warning.DeadlineArgs{AlertID: id, Seq: 0, Deadline: "ack"}, true)
	if a := e.alert(id); a.Owner != coordX.UserID || a.Step != warning.StepDistrict {
		t.Errorf("after escalation: %+v; want the district coordinator at step 2", a)
	}
}

func TestAcknowledgedAlertEscalatesOnlyOnContact(t *testing.T) {
	e, counsellor, leader, _, _ := chain(t)
	ids := e.students(e.a, "ESC-3", "ESC-4")
	id := e.mustRaise(red(ids[0]))
	e.clk.Advance(5 * time.Minute)
	if err := e.svc.Acknowledge(e.ctx, counsellor, id); err != nil {
		t.Fatal(err)
	}
	contact0 := warning.DeadlineArgs{AlertID: id, Seq: 0, Deadline: "contact"}
	if st := e.deadlineJobs(id)[contact0]; st != "scheduled" {
		t.Errorf("acknowledging scheduled no contact timer: %v", e.deadlineJobs(id))
	}
	e.clk.Advance(20 * time.Minute)
	e.escalate("ack deadline of an acknowledged alert", warning.DeadlineArgs{AlertID: id, Seq: 0, Deadline: "ack"}, false)
	if wait := e.escalate("contact not yet due", contact0, false); wait != 95*time.Minute {
		t.Errorf("wait = %v, want 1h35m to the contact deadline", wait)
	}
	e.clk.Advance(96 * time.Minute)
	e.escalate("contact deadline passed", contact0, true)
	a := e.alert(id)
	if a.Owner != leader.UserID || a.Step != warning.StepSchool || a.Seq != 1 || a.ContactDue != micro(e.clk.Now().Add(2*time.Hour)) {
		t.Errorf("after contact escalation: %+v; want the leader, seq 1, two hours more", a)
	}
	if st := e.deadlineJobs(id)[warning.DeadlineArgs{AlertID: id, Seq: 1, Deadline: "contact"}]; st != "scheduled" {
		t.Errorf("no contact timer of seq 1: %v", e.deadlineJobs(id))
	}
	if n := e.num(`SELECT COUNT(*) FROM escalations WHERE item_id = ? AND deadline = 'contact'`, id); n != 1 {
		t.Errorf("%d contact escalations, want 1", n)
	}

	// A contact made in time, and a closed alert, escalate nothing.
	other := e.mustRaise(red(ids[1]))
	if err := e.svc.RecordContact(e.ctx, counsellor, other); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(3 * time.Hour)
	e.escalate("contact made", warning.DeadlineArgs{AlertID: other, Seq: 0, Deadline: "contact"}, false)
	e.escalate("ack met by the contact", warning.DeadlineArgs{AlertID: other, Seq: 0, Deadline: "ack"}, false)
	if err := e.svc.Close(e.ctx, leader, id, warning.Closing{Decision: warning.DecisionInCare}); err != nil {
		t.Fatal(err)
	}
	e.escalate("closed alert", warning.DeadlineArgs{AlertID: id, Seq: 1, Deadline: "contact"}, false)
}

// A timer that runs twice at once (two server instances, or a retry racing
// the first run) escalates once, and neither run fails. On PostgreSQL the
// loser's duplicate escalation row must not abort its transaction (a caught
// unique violation did: "commit unexpectedly resulted in rollback").
func TestConcurrentTimersEscalateOnce(t *testing.T) {
	e, _, leader, _, _ := chain(t)
	ids := e.students(e.a, "CON-1", "CON-2", "CON-3")
	var alerts []int64
	for _, s := range ids {
		alerts = append(alerts, e.mustRaise(red(s)))
	}
	e.clk.Advance(16 * time.Minute)
	for _, id := range alerts {
		var wg sync.WaitGroup
		var escalated atomic.Int32
		for range 3 {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ok, _, err := e.svc.Escalate(e.ctx, warning.DeadlineArgs{AlertID: id, Seq: 0, Deadline: "ack"})
				if err != nil {
					t.Errorf("alert %d: concurrent Escalate: %v", id, err)
				}
				if ok {
					escalated.Add(1)
				}
			}()
		}
		wg.Wait()
		if n := e.num(`SELECT COUNT(*) FROM escalations WHERE item_id = ?`, id); n != 1 || escalated.Load() != 1 {
			t.Errorf("alert %d: %d escalation rows, %d runs reported escalating; want 1 and 1", id, n, escalated.Load())
		}
		if a := e.alert(id); a.Owner != leader.UserID || a.Seq != 1 {
			t.Errorf("alert %d: %+v; want the leader at seq 1", id, a)
		}
	}
}
