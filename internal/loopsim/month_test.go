package loopsim

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/care"
	"github.com/careloop/careloop/internal/db"
)

// TestMonth simulates a month in a district of 20,000 students (2,000
// with -short) and checks the "done when" against the raw records.
//
// The month is dated more than a year ahead of the wall clock: River's job
// rescuer and job cleaner judge jobs by the wall clock, not by
// jobs.Options.Now (which only pushes their horizons out to 365 days), so
// a month dated more than a year in the past would have running jobs
// "rescued" (run twice) and finished ones deleted.
func TestMonth(t *testing.T) {
	students := 20000
	if testing.Short() {
		students = 2000
	}
	wall := time.Now()
	start := firstMondayAfter(time.Now(), 400*24*time.Hour)
	end := start.AddDate(0, 0, 30)
	s := newSim(t, start, 20260301)
	s.setup(students)
	s.planScreening(start)
	s.planConcerns(start)
	rec := &reviewRecord{decisions: map[string]int{}, tiers: map[int64]string{}}
	s.review(start.AddDate(0, 0, 16).Add(hours(7)), rec)
	again := map[int64][]int64{}
	s.groupSessions(start.AddDate(0, 0, 10).Add(hours(7)), again)
	s.groupSessions(start.AddDate(0, 0, 24).Add(hours(7)), again)
	s.closeCases(start.AddDate(0, 0, 22).Add(hours(2)), end.Add(hours(2)))
	s.restart = &restartRecord{at: start.AddDate(0, 0, 15).Add(hours(2))}

	mark := time.Now()
	s.run(end)
	s.timing["the month"] = time.Since(mark)
	m1, err := s.srv.care.LoopMetrics(s.ctx, s.net.distCoord, s.net.district.ID, start, end)
	if err != nil {
		t.Fatalf("LoopMetrics: %v", err)
	}
	raw1 := s.rawFigures(start, end)

	// The day after the month: close requests signed off, and a red concern
	// about a student whose yellow alert of the month is still open.
	if id, student, sc := s.openYellow(start, end); id != 0 {
		s.concern(end.Add(hours(3)), sc, student, "self_harm")
	}
	s.run(end.AddDate(0, 0, 1))
	m2, err := s.srv.care.LoopMetrics(s.ctx, s.net.distCoord, s.net.district.ID, start, end)
	if err != nil {
		t.Fatalf("LoopMetrics: %v", err)
	}
	s.timing["simulation (setup, month, day after)"] = time.Since(wall)
	if s.errs > 0 {
		t.Errorf("%d calls of the code under test failed during the month (see above)", s.errs)
	}

	mark = time.Now()
	r := s.newReplay()
	r.run()
	rows := s.escalations()
	got := map[string][]esc{}
	for _, e := range rows {
		got[key(e)] = append(got[key(e)], e)
	}
	t.Run("every critical answer produced an alert in the same transaction", s.checkCritical)
	t.Run("no alert was ever without an owner", s.checkOwners)
	t.Run("every passed deadline escalated exactly once per step", func(t *testing.T) { s.checkEscalations(t, r, rows, got) })
	t.Run("each alert's deadlines end as the replay says", func(t *testing.T) { s.checkDeadlines(t, r) })
	t.Run("the restart lost no timer and ran none twice", func(t *testing.T) { s.checkRestart(t, r.want, got) })
	t.Run("loop metrics reconcile with the raw records", func(t *testing.T) {
		compare(t, fromMetrics(m1), raw1)
	})
	t.Run("a past period's figures do not change later", func(t *testing.T) {
		// docs/loop-metrics.md promises it ("Judged at to ... A past period's
		// figures therefore do not change when they are computed again
		// later"), yet defines AlertsByLevel by alerts.level as stored, which
		// a more severe signal after to raises.
		if d := diff(fromMetrics(m1), fromMetrics(m2)); d != "" {
			t.Errorf("LoopMetrics of the month, computed at its end and again a day later (after a red concern about a student "+
				"whose yellow alert of the month was still open), differ:\n%s", d)
		}
		if d := diff(raw1, s.rawFigures(start, end)); d != "" {
			t.Errorf("the raw figures changed (test bug):\n%s", d)
		}
	})
	t.Run("the audit trail verifies", func(t *testing.T) {
		n, problem, err := audit.Verify(s.ctx, s.srv.db)
		if err != nil || problem != nil {
			t.Errorf("audit.Verify: %v %v", problem, err)
		}
		t.Logf("%d audit entries verified", n)
	})
	s.timing["checks"] = time.Since(mark)
	t.Run("a late acknowledgement stays late after a contact escalation", s.lateAck)
	s.report(t, m1, rec, time.Since(wall))
}

// openYellow finds a yellow alert of the month still open at its end, of a
// school with a head teacher.
func (s *sim) openYellow(from, to time.Time) (int64, int64, *school) {
	var id, student int64
	var found *school
	s.each(`SELECT id, student_id FROM alerts WHERE closed_at = 0 AND level = 'yellow' AND raised_at >= ? AND raised_at < ? ORDER BY id`,
		[]any{db.Micro(from), db.Micro(to)}, func(sc func(...any) error) error {
			var a, st int64
			if err := sc(&a, &st); err != nil {
				return err
			}
			if sc := s.net.schoolOf[st]; found == nil && sc.head.UserID != 0 {
				id, student, found = a, st, sc
			}
			return nil
		})
	if found == nil {
		s.t.Errorf("no open yellow alert at a school with a head teacher at the month's end")
	}
	return id, student, found
}

// diff lists the figures that differ.
func diff(a, b figures) string {
	var out []string
	fa, fb := flat(a), flat(b)
	keys := make([]string, 0, len(fa))
	for k := range fa {
		keys = append(keys, k)
	}
	for k := range fb {
		if _, ok := fa[k]; !ok {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		if fa[k] != fb[k] {
			out = append(out, fmt.Sprintf("  %s: %s vs %s", k, fa[k], fb[k]))
		}
	}
	return strings.Join(out, "\n")
}

func flat(f figures) map[string]string {
	out := map[string]string{
		"alerts": fmt.Sprint(f.Alerts), "alerts past a deadline": fmt.Sprint(f.AlertsPast),
		"ack past deadline": fmt.Sprint(f.AckPast), "contact past deadline": fmt.Sprint(f.ContactPast),
		"follow-ups due": fmt.Sprint(f.FollowUpsDue), "follow-ups overdue": fmt.Sprint(f.FollowUpsOverdue),
		"students lost to follow-up": fmt.Sprint(f.Lost),
		"individual sessions":        fmt.Sprintf("%+v", f.Individual), "group sessions": fmt.Sprintf("%+v", f.Group),
	}
	for _, l := range []string{"red", "orange", "yellow"} {
		out["alerts "+l] = fmt.Sprint(f.ByLevel[l])
	}
	for k, iv := range map[string]care.Interval{"signal→alert": f.SignalToAlert, "alert→ack": f.AlertToAck,
		"alert→contact": f.AlertToContact, "alert→plan": f.AlertToPlan} {
		out[k] = fmt.Sprintf("n=%d median=%v worst=%v", iv.Count, iv.Median, iv.Worst)
	}
	return out
}
