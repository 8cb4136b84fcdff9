package warning_test

import (
	"sync"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/warning"
)

// A student has one open alert: later signals join it, a more severe one
// raises its level with a new generation of deadlines, a milder one does not
// lower it.
func TestOneOpenAlertPerStudent(t *testing.T) {
	e := newEnv(t)
	counsellor := e.user(access.SchoolCounsellor, e.a)
	ids := e.students(e.a, "ONE-1")
	first := e.mustRaise(phq(ids[0], 11))
	if a := e.alert(first); a.Level != warning.Yellow || a.Seq != 0 || a.AckDue != micro(monday10.Add(7*24*time.Hour)) {
		t.Fatalf("first alert %+v; want yellow, seq 0, a week to acknowledge", a)
	}
	e.clk.Advance(time.Hour)
	if id := e.mustRaise(phq(ids[0], 12)); id != first {
		t.Fatalf("a second yellow signal made alert %d, want it to join %d", id, first)
	}
	if a, n := e.alert(first), e.num(`SELECT COUNT(*) FROM alert_signals WHERE alert_id = ?`, first); a.Level != warning.Yellow || a.Seq != 0 || n != 2 {
		t.Errorf("after a second yellow signal: %+v with %d signals; want yellow seq 0 and 2 signals", a, n)
	}

	e.clk.Advance(time.Hour)
	now := e.clk.Now()
	if id := e.mustRaise(red(ids[0])); id != first {
		t.Fatalf("a red signal made alert %d, want it to join %d", id, first)
	}
	a := e.alert(first)
	if a.Level != warning.Red || a.Seq != 1 || a.AckDue != micro(now.Add(15*time.Minute)) || a.ContactDue != micro(now.Add(2*time.Hour)) {
		t.Errorf("after a red signal: %+v; want red, seq 1, 15 minutes to acknowledge and 2 hours to contact from now", a)
	}
	if st := e.deadlineJobs(first)[warning.DeadlineArgs{AlertID: first, Seq: 1, Deadline: "ack"}]; st != "scheduled" {
		t.Errorf("no scheduled ack timer of seq 1 (%v)", e.deadlineJobs(first))
	}
	if n := e.num(`SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = 'alert.level_raised' AND ref_id = ?`, counsellor.UserID, first); n != 1 {
		t.Errorf("%d alert.level_raised notifications for the owner, want 1", n)
	}
	if n := e.audits("alert.level", first, 0); n != 1 {
		t.Errorf("%d alert.level audit entries, want 1", n)
	}

	e.mustRaise(phq(ids[0], 10))
	if a := e.alert(first); a.Level != warning.Red || a.Seq != 1 {
		t.Errorf("a milder signal changed the alert: %+v", a)
	}
	if n := e.num(`SELECT COUNT(*) FROM alert_signals WHERE alert_id = ?`, first); n != 4 {
		t.Errorf("%d signals, want 4", n)
	}
	if n := e.num(`SELECT COUNT(*) FROM alerts WHERE student_id = ?`, ids[0]); n != 1 {
		t.Errorf("%d alerts for one student, want 1", n)
	}

	// Once closed, the next signal opens a new alert.
	if err := e.svc.Close(e.ctx, counsellor, first, warning.Closing{Decision: warning.DecisionReferred}); err != nil {
		t.Fatal(err)
	}
	if id := e.mustRaise(phq(ids[0], 10)); id == first || id == 0 {
		t.Errorf("signal after closing: alert %d, want a new one", id)
	}
}

// A more severe signal after acknowledgement keeps the acknowledgement and
// times the first contact instead, never later than the old contact
// deadline.
func TestRaiseLevelAfterAcknowledgement(t *testing.T) {
	e := newEnv(t)
	counsellor := e.user(access.SchoolCounsellor, e.a)
	ids := e.students(e.a, "ONE-2")
	id := e.mustRaise(phq(ids[0], 16)) // orange: a day to acknowledge, two to contact
	if err := e.svc.Acknowledge(e.ctx, counsellor, id); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Hour)
	before := e.alert(id)
	e.mustRaise(red(ids[0]))
	a := e.alert(id)
	if a.Level != warning.Red || a.Seq != 1 || a.AckAt != before.AckAt || a.AckDue != before.AckDue {
		t.Errorf("after a red signal on an acknowledged alert: %+v (before %+v)", a, before)
	}
	if want := micro(e.clk.Now().Add(2 * time.Hour)); a.ContactDue != want {
		t.Errorf("contact due %d, want %d (two hours from now)", a.ContactDue, want)
	}
	if st := e.deadlineJobs(id)[warning.DeadlineArgs{AlertID: id, Seq: 1, Deadline: "contact"}]; st != "scheduled" {
		t.Errorf("no scheduled contact timer of seq 1 (%v)", e.deadlineJobs(id))
	}
}

// Signals about one student at the same time still make one alert.
func TestConcurrentSignalsMakeOneAlert(t *testing.T) {
	e := newEnv(t)
	e.user(access.SchoolCounsellor, e.a)
	ids := e.students(e.a, "ONE-3")
	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for i := range 6 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			sig := phq(ids[0], 10+i)
			if i%3 == 0 {
				sig = red(ids[0])
			}
			_, err := e.raise(sig)
			errs <- err
		}()
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		if err != nil {
			t.Errorf("concurrent Raise: %v", err)
		}
	}
	if n := e.num(`SELECT COUNT(*) FROM alerts WHERE student_id = ?`, ids[0]); n != 1 {
		t.Errorf("%d alerts, want 1", n)
	}
	if n := e.num(`SELECT COUNT(*) FROM alert_signals`); n != 6 {
		t.Errorf("%d signals, want 6", n)
	}
	if lvl := e.str(`SELECT level FROM alerts WHERE student_id = ?`, ids[0]); lvl != warning.Red {
		t.Errorf("level %s, want red", lvl)
	}
}

// A more severe signal never postpones a deadline: raiseLevel takes "the
// shorter of the old and the new" for both deadlines, so a yellow alert an
// hour from its deadline does not get a day more when an orange signal
// joins it.
func TestMoreSevereSignalNeverPostponesAck(t *testing.T) {
	e := newEnv(t)
	e.user(access.SchoolCounsellor, e.a)
	ids := e.students(e.a, "ONE-4")
	id := e.mustRaise(phq(ids[0], 11)) // yellow: a week to acknowledge
	before := e.alert(id)
	e.clk.Advance(7*24*time.Hour - time.Hour)
	e.mustRaise(phq(ids[0], 16)) // orange: a day to acknowledge
	a := e.alert(id)
	if a.Level != warning.Orange || a.Seq != 1 {
		t.Fatalf("after an orange signal: %+v", a)
	}
	if a.AckDue > before.AckDue {
		t.Errorf("ack due moved from %v to %v: a more severe signal postponed the deadline",
			time.UnixMicro(before.AckDue).In(cst), time.UnixMicro(a.AckDue).In(cst))
	}
	if a.ContactDue > before.ContactDue {
		t.Errorf("contact due moved later: %d > %d", a.ContactDue, before.ContactDue)
	}
}
