package loopsim

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/care"
)

// report logs what the month did and how long each part took.
func (s *sim) report(t *testing.T, m *care.Metrics, rec *reviewRecord, total time.Duration) {
	var b strings.Builder
	line := func(format string, args ...any) { fmt.Fprintf(&b, "\n  "+format, args...) }
	st := s.screen
	line("engine %s; %d students in %d schools; %d staff accounts", s.srv.db.Dialect, len(s.net.schoolOf), numSchools, len(s.net.staff))
	line("screening: %d sittings opened, %d submitted (%d PHQ-A + GAD-7 responses), %d drafts saved, %d guardians refused, %d risk factors",
		st.opened.Load(), st.submitted.Load(), s.num(`SELECT COUNT(*) FROM responses`), st.drafts, len(st.refused), len(st.factors))
	line("critical: %d responses with item 9 > 0, %d screening.critical events",
		s.num(`SELECT COUNT(*) FROM responses WHERE critical = 1`), s.num(`SELECT COUNT(*) FROM outbox WHERE kind = 'screening.critical'`))
	line("alerts: %s", s.group(`SELECT level, COUNT(*) FROM alerts GROUP BY level`))
	line("  by first signal: %s", s.group(`SELECT g.source, COUNT(*) FROM alert_signals g WHERE g.id = (SELECT MIN(h.id) FROM alert_signals h
		WHERE h.alert_id = g.alert_id) GROUP BY g.source`))
	line("  decisions: %s", s.group(`SELECT CASE WHEN closed_at = 0 THEN 'open' ELSE decision END, COUNT(*) FROM alerts GROUP BY 1`))
	line("  acknowledged: %d, first contact: %d, signals joined to an open alert: %d", s.num(`SELECT COUNT(*) FROM alerts WHERE acknowledged_at > 0`),
		s.num(`SELECT COUNT(*) FROM alerts WHERE first_contact_at > 0`),
		s.num(`SELECT COUNT(*) FROM alert_signals`)-s.num(`SELECT COUNT(*) FROM alerts`))
	line("  at the top of the chain (step 3) but owned by someone else than the city centre: %d, of which past their first-contact "+
		"deadline without a contact: %d", s.num(`SELECT COUNT(*) FROM alerts WHERE step = 3 AND owner_user_id <> ?`, s.net.cityCoord.UserID),
		s.num(`SELECT COUNT(*) FROM alerts WHERE step = 3 AND owner_user_id <> ? AND first_contact_at = 0 AND closed_at = 0 AND contact_due_at < ?`,
			s.net.cityCoord.UserID, s.now().UnixMicro()))
	line("escalations: %s", s.group(`SELECT item_type || ' ' || deadline || ' to step ' || CAST(step AS TEXT), COUNT(*) FROM escalations GROUP BY 1`))
	line("cases: %s; support plans %d; individual sessions %d, group sessions %d (attendance %d)",
		s.group(`SELECT state, COUNT(*) FROM cases GROUP BY state`), s.num(`SELECT COUNT(*) FROM support_plans`),
		s.num(`SELECT COUNT(*) FROM counselling_sessions WHERE kind = 'individual'`), s.num(`SELECT COUNT(*) FROM counselling_sessions WHERE kind = 'group'`),
		s.num(`SELECT COUNT(*) FROM session_attendance`))
	outcomes := map[string]int{}
	for _, f := range s.followUps {
		outcomes[f.action]++
	}
	line("follow-ups: %d planned %v; escalated at least once: %d; done: %d", len(s.followUps), outcomes,
		s.num(`SELECT COUNT(DISTINCT item_id) FROM escalations WHERE item_type = 'follow_up'`), s.num(`SELECT COUNT(*) FROM follow_ups WHERE done_at > 0`))
	line("risk review: %v, %d tasks, %d done; tier changes %d", rec.decisions, rec.tasks, rec.done, len(rec.tiers))
	line("LoopMetrics (district, the month): alerts %d %v; alert→ack median %v worst %v; past deadline %d (ack %d, contact %d); "+
		"follow-ups due %d overdue %d; lost %d; individual %+v; group %+v", m.Alerts, m.AlertsByLevel, m.AlertToAck.Median, m.AlertToAck.Worst,
		m.AlertsPastDeadline, m.AckPastDeadline, m.ContactPastDeadline, m.FollowUpsDue, m.FollowUpsOverdue, m.StudentsLostToFollowUp,
		m.IndividualSessions, m.GroupSessions)
	line("steps: %d clock moves, %d drains found due jobs, %v waiting for the queue; audit entries %d; River jobs %d",
		len(s.ticks), s.drains, s.drainWait.Round(time.Millisecond), s.num(`SELECT COUNT(*) FROM audit_log`), s.num(`SELECT COUNT(*) FROM river_job`))
	keys := make([]string, 0, len(s.timing))
	for k := range s.timing {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		line("time: %-40s %v", k, s.timing[k].Round(time.Millisecond))
	}
	line("time: %-40s %v", "total", total.Round(time.Millisecond))
	t.Log(b.String())
}

// group runs a two-column count query and formats it.
func (s *sim) group(q string) string {
	var parts []string
	s.each(q, nil, func(sc func(...any) error) error {
		var k string
		var n int64
		err := sc(&k, &n)
		parts = append(parts, fmt.Sprintf("%s %d", k, n))
		return err
	})
	sort.Strings(parts)
	return strings.Join(parts, ", ")
}
