package referral_test

import (
	"context"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/jobs"
	"github.com/careloop/careloop/internal/referral"
)

// notes counts the notifications of a kind to a user about a referral.
func (e *env) notes(user int64, kind string, id int64) int64 {
	e.t.Helper()
	return e.num(`SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = ? AND ref_id = ?`, user, kind, id)
}

// An urgent referral nobody accepts escalates after 4 hours to the sender,
// then every 2 hours up the chain (school leader, district coordinator)
// until the chain ends; each timer escalates once; acceptance stops it.
func TestOverdueEscalates(t *testing.T) {
	e := newEnv(t)
	caseID, _ := e.caseFor(e.counsellorA, e.a, "REF-50")
	id := e.refer(e.counsellorA, caseID, func(n *referral.NewReferral) { n.Urgency = referral.Urgent })
	if jobs := e.dueJobs(id); len(jobs) != 1 || jobs[1] != "scheduled" {
		t.Fatalf("timers after sending: %v, want generation 1 scheduled", jobs)
	}
	if n := e.notes(e.liaison1.UserID, "referral.received_urgent", id); n != 1 {
		t.Errorf("the liaison got %d notifications of the urgent referral", n)
	}
	esc := func(seq int) (bool, time.Duration) {
		t.Helper()
		ok, wait, err := e.svc.Escalate(e.ctx, referral.DueArgs{ReferralID: id, Seq: seq})
		if err != nil {
			t.Fatalf("Escalate(%d): %v", seq, err)
		}
		return ok, wait
	}
	if ok, wait := esc(1); ok || wait != 4*time.Hour {
		t.Fatalf("an early timer: escalated %v, wait %v", ok, wait)
	}
	if due, _ := e.svc.Due(e.ctx, e.counsellorA); len(due) != 0 {
		t.Errorf("due before the deadline: %+v", due)
	}

	e.clk.Advance(4*time.Hour + time.Minute)
	if ok, _ := esc(1); !ok || e.notes(e.counsellorA.UserID, "referral.overdue", id) != 1 {
		t.Fatalf("the first escalation did not tell the sender")
	}
	if ok, _ := esc(1); ok {
		t.Error("the same timer escalated twice")
	}
	due, err := e.svc.Due(e.ctx, e.counsellorA)
	if err != nil || len(due) != 1 || !due[0].Overdue || due[0].DueStep != "accept" || due[0].Child.Name != "学生REF-50" {
		t.Fatalf("the sender's work list: %+v, %v", due, err)
	}
	sent, err := e.svc.FindSent(e.ctx, e.counsellorA, referral.Filter{Open: true})
	if err != nil || len(sent) != 1 || !sent[0].Overdue || sent[0].Escalations != 1 {
		t.Errorf("the sender's list: %+v, %v", sent, err)
	}

	e.clk.Advance(2 * time.Hour)
	if ok, _ := esc(2); !ok || e.notes(e.leaderA.UserID, "referral.escalated", id) != 1 {
		t.Fatal("the second escalation did not reach the school leader")
	}
	due, err = e.svc.Due(e.ctx, e.leaderA)
	if err != nil || len(due) != 1 || due[0].ID != id || due[0].Child.Name != "" {
		t.Errorf("the leader's work list: %+v, %v; want the referral without the child", due, err)
	}
	e.clk.Advance(2 * time.Hour)
	if ok, _ := esc(3); !ok || e.notes(e.coordX.UserID, "referral.escalated", id) != 1 {
		t.Fatal("the third escalation did not reach the district coordinator")
	}
	e.clk.Advance(2 * time.Hour)
	if ok, _ := esc(4); ok {
		t.Error("escalated past the top of the chain (no city coordinator)")
	}
	if n := e.num(`SELECT COUNT(*) FROM referral_escalations WHERE referral_id = ?`, id); n != 3 {
		t.Errorf("%d escalations, want 3", n)
	}

	if err := e.svc.Accept(e.ctx, e.liaison1, id); err != nil {
		t.Fatal(err)
	}
	if ok, _ := esc(4); ok {
		t.Error("a timer escalated after the step was done")
	}
	if due, _ := e.svc.Due(e.ctx, e.counsellorA); len(due) != 0 {
		t.Errorf("still due after acceptance: %+v", due)
	}
	if ok, wait := esc(5); ok || wait != 24*time.Hour {
		t.Errorf("the appointment's timer: escalated %v, wait %v; want 24h", ok, wait)
	}
	if e.dueJobs(id)[5] != "scheduled" {
		t.Errorf("timers after acceptance: %v", e.dueJobs(id))
	}
}

// The real timers: River runs them on a controllable clock. An overdue
// acceptance escalates to the sender once; after acceptance the next
// escalation timer does nothing.
func TestDueWorker(t *testing.T) {
	e := newEnv(t)
	e.clk.Set(time.Now().Truncate(time.Millisecond)) // River's rescuer reads the wall clock: stay near it
	q, err := jobs.New(e.d, jobs.Options{Now: e.clk.Now, PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	jobs.Handle(q, &referral.DueWorker{S: e.svc})
	if err := q.Start(context.Background()); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	caseID, _ := e.caseFor(e.counsellorA, e.a, "REF-51")
	id := e.refer(e.counsellorA, caseID, func(n *referral.NewReferral) { n.Urgency = referral.Urgent })
	escalations := func() int64 { return e.num(`SELECT COUNT(*) FROM referral_escalations WHERE referral_id = ?`, id) }
	promote := func() {
		t.Helper()
		if err := q.Promote(e.ctx, e.clk.Now()); err != nil {
			t.Fatal(err)
		}
	}
	promote()
	time.Sleep(200 * time.Millisecond)
	if n := escalations(); n != 0 {
		t.Fatalf("%d escalations before the deadline", n)
	}
	e.clk.Advance(4*time.Hour + time.Minute)
	promote()
	eventually(t, "the acceptance timer to escalate", func() bool { return escalations() == 1 })
	eventually(t, "the first timer to complete", func() bool { return e.dueJobs(id)[1] == "completed" })
	if n := e.notes(e.counsellorA.UserID, "referral.overdue", id); n != 1 {
		t.Errorf("the sender got %d overdue notifications", n)
	}
	if err := e.svc.Accept(e.ctx, e.liaison1, id); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(2*time.Hour + time.Minute)
	promote()
	eventually(t, "the stale timer to run", func() bool { return e.dueJobs(id)[2] == "completed" })
	if n := escalations(); n != 1 {
		t.Errorf("%d escalations after acceptance, want 1", n)
	}
	if st := e.dueJobs(id)[3]; st != "scheduled" {
		t.Errorf("the appointment timer is %q, want scheduled", st)
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
