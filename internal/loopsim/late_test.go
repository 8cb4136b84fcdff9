package loopsim

import (
	"testing"
	"time"

	"github.com/careloop/careloop/internal/warning"
)

// lateAck, after the month: a red alert acknowledged one minute after its
// deadline, before its timer ran (River promotes due timers every few
// seconds: a person can act in between), counts as acknowledged late. When
// its first-contact deadline then escalates, Escalate also sets ack_due_at
// to now + 15 minutes (internal/warning/escalate.go), and the same past
// period's AckPastDeadline drops the alert: the late acknowledgement is no
// longer in the records, and a past period's figure changed.
func (s *sim) lateAck(t *testing.T) {
	n := s.net
	sc := n.schools[0]
	t0 := work(s.now().Add(hours(1)))
	var student int64
	for _, id := range sc.students {
		if s.num(`SELECT COUNT(*) FROM alerts WHERE closed_at = 0 AND student_id = ?`, id) == 0 {
			student = id
			break
		}
	}
	move := func(at time.Time) {
		s.w.clk.Set(at)
		s.ticks = append(s.ticks, at)
	}
	move(t0)
	s.drain()
	_, id, err := s.srv.warn.ReportConcern(s.ctx, sc.head, warning.ConcernReport{StudentID: student, Signs: []string{"self_harm"}}, nil)
	if err != nil || id == 0 {
		t.Fatalf("ReportConcern: alert %d, %v", id, err)
	}
	s.drain()
	move(t0.Add(16 * time.Minute)) // a minute late, before the timer has run
	if err := s.srv.warn.Acknowledge(s.ctx, sc.counsellor, id); err != nil {
		t.Fatalf("Acknowledge: %v", err)
	}
	s.drain()
	from, to := t0, t0.Add(20*time.Minute)
	move(to)
	s.drain()
	before, err := s.srv.care.LoopMetrics(s.ctx, n.distCoord, n.district.ID, from, to)
	if err != nil {
		t.Fatal(err)
	}
	move(t0.Add(2*time.Hour + 10*time.Minute)) // no first contact: the contact deadline escalates
	s.drain()
	if esc := s.num(`SELECT COUNT(*) FROM escalations WHERE item_type = 'alert' AND item_id = ? AND deadline = 'contact'`, id); esc != 1 {
		t.Fatalf("%d contact escalations of alert %d, want 1 (did River's own scheduler run the timer before the acknowledgement?)", esc, id)
	}
	after, err := s.srv.care.LoopMetrics(s.ctx, n.distCoord, n.district.ID, from, to)
	if err != nil {
		t.Fatal(err)
	}
	if before.AckPastDeadline != 1 {
		t.Fatalf("AckPastDeadline of [%s, %s) at its end: %d, want 1 (acknowledged a minute late)", from.In(cst).Format("15:04"),
			to.In(cst).Format("15:04"), before.AckPastDeadline)
	}
	if after.AckPastDeadline != before.AckPastDeadline {
		due := s.num(`SELECT ack_due_at FROM alerts WHERE id = ?`, id)
		t.Errorf("AckPastDeadline of the same past period: %d at its end, %d after the contact escalation (ack_due_at is now %s, "+
			"after the acknowledgement at %s)", before.AckPastDeadline, after.AckPastDeadline, fmtMicro(due), to.Add(-4*time.Minute).In(cst).Format("01-02 15:04"))
	}
}
