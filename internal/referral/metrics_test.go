package referral_test

import (
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/referral"
)

// The metrics of a district over a period reconcile with the rows: counts
// per receiving unit and in total, the time to the first visit, and the
// share closed with feedback.
func TestMetricsReconcile(t *testing.T) {
	e := newEnv(t)
	refer := func(no string, to int64) int64 {
		t.Helper()
		caseID, _ := e.caseFor(e.counsellorA, e.a, no)
		return e.refer(e.counsellorA, caseID, func(n *referral.NewReferral) { n.ToUnit = to })
	}
	before := refer("REF-60", e.h1.ID) // sent before the period
	e.clk.Advance(time.Hour)
	from := e.clk.Now().Add(-30 * time.Minute)
	t0 := e.clk.Now()

	r1 := refer("REF-61", e.h1.ID)
	r2 := refer("REF-62", e.h1.ID)
	r3 := refer("REF-63", e.h2.ID)
	refer("REF-64", e.h2.ID) // stays sent
	caseB, _ := e.caseFor(e.counsellorB, e.b, "REF-65")
	other := e.refer(e.counsellorB, caseB, nil) // another district
	for _, id := range []int64{r1, r2, before} {
		if err := e.svc.Accept(e.ctx, e.liaison1, id); err != nil {
			t.Fatal(err)
		}
		if err := e.svc.SetAppointment(e.ctx, e.liaison1, id, t0.Add(24*time.Hour)); err != nil {
			t.Fatal(err)
		}
	}
	if err := e.svc.Decline(e.ctx, e.liaison2, r3, "no_capacity", ""); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(3 * 24 * time.Hour)
	if err := e.svc.MarkSeen(e.ctx, e.liaison1, r1, t0.Add(3*24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.MarkSeen(e.ctx, e.liaison1, r2, t0.Add(24*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.GiveFeedback(e.ctx, e.liaison1, r1, referral.FeedbackInput{Recommendations: "建议"}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Close(e.ctx, e.counsellorA, r1, "", ""); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Close(e.ctx, e.counsellorA, r2, "family_withdrew", ""); err != nil {
		t.Fatal(err)
	}
	to := e.clk.Now().Add(time.Hour)

	m, err := e.svc.Metrics(e.ctx, e.coordX, e.x.ID, from, to)
	if err != nil {
		t.Fatal(err)
	}
	tot := m.Total
	// r4 (routine, sent 3 days ago) is past its 2-day acceptance deadline.
	if tot.Sent != 4 || tot.Accepted != 2 || tot.Declined != 1 || tot.Seen != 2 || tot.Closed != 2 || tot.ClosedWithFeedback != 1 ||
		tot.Overdue != 1 || tot.SharePercent() != 50 {
		t.Errorf("district total: %+v", tot)
	}
	rows := map[int64]referral.MetricsRow{}
	for _, r := range m.Rows {
		rows[r.ToUnit] = r
	}
	h1, h2 := rows[e.h1.ID], rows[e.h2.ID]
	if len(m.Rows) != 2 || h1.Sent != 2 || h2.Sent != 2 || h2.Declined != 1 || h2.Overdue != 1 || h2.SharePercent() != -1 {
		t.Errorf("per unit: %+v", m.Rows)
	}
	if iv := h1.ToFirstVisit; iv.Count != 2 || iv.Median != 2*24*time.Hour || iv.Mean != 2*24*time.Hour || iv.Worst != 3*24*time.Hour {
		t.Errorf("hospital 1's time to first visit: %+v", iv)
	}

	// The same figures straight from the rows.
	period := ` FROM referrals r JOIN org_units fu ON fu.id = r.from_unit WHERE fu.path LIKE ? AND r.sent_at >= ? AND r.sent_at < ?`
	args := []any{e.x.Path + "%", from.UnixMicro(), to.UnixMicro()}
	for name, c := range map[string]struct {
		cond string
		got  int
	}{
		"sent":      {"", tot.Sent},
		"accepted":  {" AND r.accepted_at <> 0", tot.Accepted},
		"seen":      {" AND r.seen_at <> 0", tot.Seen},
		"closed":    {" AND r.state = 'closed'", tot.Closed},
		"feedback":  {" AND r.state = 'closed' AND r.feedback_at <> 0", tot.ClosedWithFeedback},
		"declined":  {" AND r.state = 'declined'", tot.Declined},
		"overdue":   {" AND r.due_step <> '' AND r.due_at <= " + itoa(e.clk.Now().UnixMicro()), tot.Overdue},
		"urgent":    {" AND r.urgency = 'urgent'", tot.Urgent},
		"visit sum": {" AND r.seen_at <> 0 AND r.seen_at - r.sent_at > 0", tot.ToFirstVisit.Count},
	} {
		if n := e.num(`SELECT COUNT(*)`+period+c.cond, args...); int(n) != c.got {
			t.Errorf("%s: metrics %d, rows %d", name, c.got, n)
		}
	}
	sum := e.num(`SELECT COALESCE(SUM(r.seen_at - r.sent_at), 0)`+period+` AND r.seen_at <> 0`, args...)
	if mean := time.Duration(sum/int64(tot.ToFirstVisit.Count)) * time.Microsecond; mean != tot.ToFirstVisit.Mean {
		t.Errorf("mean time to first visit: metrics %v, rows %v", tot.ToFirstVisit.Mean, mean)
	}

	city, err := e.svc.Metrics(e.ctx, e.registrar, e.city.ID, from, to)
	if err != nil || city.Total.Sent != 5 {
		t.Errorf("city total: %+v, %v; want 5 (with school B's %d)", city, err, other)
	}
	if _, err := e.svc.Metrics(e.ctx, e.counsellorB, e.x.ID, from, to); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("school B's counsellor reading district X's metrics: %v", err)
	}
	// A reader of figures only (report.read, no referral or record access)
	// reads the protected dashboard, not exact counts over any days.
	if _, err := e.svc.Metrics(e.ctx, e.user(access.SchoolLeader, e.x), e.x.ID, from, to); apperr.CodeOf(err) != apperr.EForbidden {
		t.Errorf("a leader without referral access reads exact referral metrics: %v", err)
	}
}
