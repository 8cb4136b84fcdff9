package loopsim

import (
	"slices"
	"time"

	"github.com/careloop/careloop/internal/care"
	"github.com/careloop/careloop/internal/db"
)

// figures are the loop metrics compared: those of care.Metrics.
type figures struct {
	Alerts                                                 int
	ByLevel                                                map[string]int
	SignalToAlert, AlertToAck, AlertToContact, AlertToPlan care.Interval
	AlertsPast, AckPast, ContactPast                       int
	FollowUpsDue, FollowUpsOverdue                         int
	Lost                                                   int
	Individual, Group                                      care.SessionFigures
}

func fromMetrics(m *care.Metrics) figures {
	return figures{Alerts: m.Alerts, ByLevel: m.AlertsByLevel, SignalToAlert: m.SignalToAlert, AlertToAck: m.AlertToAck,
		AlertToContact: m.AlertToContact, AlertToPlan: m.AlertToPlan, AlertsPast: m.AlertsPastDeadline, AckPast: m.AckPastDeadline,
		ContactPast: m.ContactPastDeadline, FollowUpsDue: m.FollowUpsDue, FollowUpsOverdue: m.FollowUpsOverdue,
		Lost: m.StudentsLostToFollowUp, Individual: m.IndividualSessions, Group: m.GroupSessions}
}

// interval: count, exact median (the mean of the two middle values for an
// even count) and worst, computed here.
func interval(ds []time.Duration) care.Interval {
	if len(ds) == 0 {
		return care.Interval{}
	}
	ds = slices.Sorted(slices.Values(ds))
	n := len(ds)
	med := ds[n/2]
	if n%2 == 0 {
		med = (ds[n/2-1] + ds[n/2]) / 2
	}
	return care.Interval{Count: n, Median: med, Worst: ds[n-1]}
}

func us(d int64) time.Duration { return time.Duration(d) * time.Microsecond }

// rawFigures computes the district's loop figures over [from, to) from the
// raw rows, as they stood at to, following docs/loop-metrics.md with code
// of its own: an alert's level is the highest of its signals before to
// (at to, the level stored), a follow-up is due at its planned date (the
// simulation's record, checked against the rows), a case is open at to
// unless it was closed before to.
func (s *sim) rawFigures(from, to time.Time) figures {
	f, t := db.Micro(from), db.Micro(to)
	out := figures{ByLevel: map[string]int{}}
	levelAt := map[int64]string{}
	s.each(`SELECT alert_id, at, level FROM alert_signals`, nil, func(sc func(...any) error) error {
		var id, at int64
		var level string
		err := sc(&id, &at, &level)
		if at < t && levelRank[level] > levelRank[levelAt[id]] {
			levelAt[id] = level
		}
		return err
	})
	escDue := map[[2]any]int64{} // (item, deadline) → earliest due
	firstDue := map[int64]int64{}
	for _, e := range s.escalations() {
		k := [2]any{e.typ + "/" + e.deadline, e.item}
		if d, ok := escDue[k]; !ok || e.due < d {
			escDue[k] = e.due
		}
		if e.typ == "follow_up" && e.seq == 1 {
			firstDue[e.item] = e.due
		}
	}
	firstPlan := map[int64]int64{}
	s.each(`SELECT case_id, created_at FROM support_plans`, nil, func(sc func(...any) error) error {
		var c, at int64
		err := sc(&c, &at)
		if p, ok := firstPlan[c]; !ok || at < p {
			firstPlan[c] = at
		}
		return err
	})
	var toAlert, toAck, toContact, toPlan []time.Duration
	past := func(due, met, escalated int64) bool {
		if met >= t {
			met = 0
		}
		return (escalated != 0 && escalated < t) || (met != 0 && met > due) || (met == 0 && due < t)
	}
	first := func(a, b int64) int64 {
		if a == 0 || (b != 0 && b < a) {
			return b
		}
		return a
	}
	s.each(`SELECT id, school_id, signal_at, raised_at, ack_due_at, contact_due_at, acknowledged_at, first_contact_at, closed_at, case_id
		FROM alerts`, nil, func(sc func(...any) error) error {
		var id, school, signal, raised, ackDue, contactDue, ack, contact, closed, caseID int64
		if err := sc(&id, &school, &signal, &raised, &ackDue, &contactDue, &ack, &contact, &closed, &caseID); err != nil {
			return err
		}
		if raised < f || raised >= t || s.net.bySchool[school] == nil {
			return nil
		}
		out.Alerts++
		out.ByLevel[levelAt[id]]++
		toAlert = append(toAlert, us(raised-signal))
		if ack != 0 && ack < t {
			toAck = append(toAck, us(ack-raised))
		}
		if contact != 0 && contact < t {
			toContact = append(toContact, us(contact-raised))
		}
		if p, ok := firstPlan[caseID]; ok && caseID != 0 && p < t {
			toPlan = append(toPlan, us(max(p-raised, 0)))
		}
		a := past(ackDue, first(ack, closed), escDue[[2]any{"alert/ack", id}])
		c := past(contactDue, first(contact, closed), escDue[[2]any{"alert/contact", id}])
		out.AckPast += b2i(a)
		out.ContactPast += b2i(c)
		out.AlertsPast += b2i(a || c)
		return nil
	})
	out.SignalToAlert, out.AlertToAck, out.AlertToContact, out.AlertToPlan = interval(toAlert), interval(toAck), interval(toContact), interval(toPlan)

	type fu struct{ caseID, student, due, planned, done int64 }
	var fus []fu
	s.each(`SELECT id, case_id, student_id, due_at, done_at FROM follow_ups`, nil, func(sc func(...any) error) error {
		var id int64
		var x fu
		if err := sc(&id, &x.caseID, &x.student, &x.due, &x.done); err != nil {
			return err
		}
		x.planned = x.due
		if d, ok := firstDue[id]; ok {
			x.planned = d
		}
		if p := s.followUps[id]; p != nil && db.Micro(p.due) != x.planned {
			s.t.Errorf("follow-up %d: planned for %s, the rows say %s", id, fmtMicro(db.Micro(p.due)), fmtMicro(x.planned))
		}
		fus = append(fus, x)
		return nil
	})
	lastDone := map[int64]int64{}
	for _, x := range fus {
		if x.planned >= f && x.planned < t {
			out.FollowUpsDue++
			out.FollowUpsOverdue += b2i(x.done == 0 || x.done >= t || x.done > x.planned)
		}
		if x.done > 0 && x.done < t {
			lastDone[x.student] = max(lastDone[x.student], x.done)
		}
	}
	lastSession := map[int64]int64{}
	sessions := map[string]map[int64]bool{"individual": {}, "group": {}}
	people := map[string]map[int64]bool{"individual": {}, "group": {}}
	s.each(`SELECT cs.id, cs.kind, cs.org_unit_id, cs.held_at, sa.student_id FROM counselling_sessions cs
		JOIN session_attendance sa ON sa.session_id = cs.id`, nil, func(sc func(...any) error) error {
		var id, unit, held, student int64
		var kind string
		if err := sc(&id, &kind, &unit, &held, &student); err != nil {
			return err
		}
		if held < t {
			lastSession[student] = max(lastSession[student], held)
		}
		if held >= f && held < t && s.net.bySchool[unit] != nil {
			sessions[kind][id] = true
			people[kind][student] = true
			fig := &out.Individual
			if kind == "group" {
				fig = &out.Group
			}
			fig.PersonTimes++
		}
		return nil
	})
	out.Individual.Sessions, out.Individual.People = len(sessions["individual"]), len(people["individual"])
	out.Group.Sessions, out.Group.People = len(sessions["group"]), len(people["group"])

	lost := map[int64]bool{}
	s.each(`SELECT id, student_id, opened_at, closed_at FROM cases`, nil, func(sc func(...any) error) error {
		var id, student, opened, closed int64
		if err := sc(&id, &student, &opened, &closed); err != nil {
			return err
		}
		if opened >= t || (closed != 0 && closed < t) {
			return nil
		}
		overdue := false
		for _, x := range fus {
			overdue = overdue || (x.caseID == id && x.planned < t-(14*24*time.Hour).Microseconds() && (x.done == 0 || x.done >= t))
		}
		if max(opened, lastDone[student], lastSession[student]) < t-(30*24*time.Hour).Microseconds() || overdue {
			lost[student] = true
		}
		return nil
	})
	out.Lost = len(lost)
	return out
}

func b2i(b bool) int {
	if b {
		return 1
	}
	return 0
}
