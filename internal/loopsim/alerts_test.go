package loopsim

import (
	"cmp"
	"slices"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/warning"
)

var levelRank = map[string]int{"yellow": 1, "orange": 2, "red": 3}

// alertPlan is what the simulation knows of an alert and means to do
// with it. gen counts level raises: actions planned for an earlier level
// do nothing.
type alertPlan struct {
	id, student int64
	sc          *school
	level       string
	raised      time.Time
	owner       int64 // the first owner
	behaviour   string
	gen         int
	acked       bool
	contacted   bool
	closed      bool
}

// discover finds the alerts raised and the levels raised by the step's
// actions, and plans what staff do about them.
func (s *sim) discover() {
	var fresh []*alertPlan
	s.each(`SELECT id, student_id, level, raised_at, owner_user_id FROM alerts WHERE id > ? ORDER BY id`, []any{s.lastAlert},
		func(sc func(...any) error) error {
			p := &alertPlan{}
			var raised int64
			if err := sc(&p.id, &p.student, &p.level, &raised, &p.owner); err != nil {
				return err
			}
			p.raised, p.sc = db.FromMicro(raised), s.net.schoolOf[p.student]
			fresh = append(fresh, p)
			return nil
		})
	type raise struct {
		id    int64
		level string
	}
	var raises []raise
	s.each(`SELECT id, alert_id, level FROM alert_signals WHERE id > ? ORDER BY id`, []any{s.lastSig}, func(sc func(...any) error) error {
		var r raise
		if err := sc(&s.lastSig, &r.id, &r.level); err != nil {
			return err
		}
		raises = append(raises, r)
		return nil
	})
	// Alert ids follow the order in which concurrent submissions committed;
	// plans follow the students, so that the month is the same every run.
	slices.SortFunc(fresh, func(a, b *alertPlan) int { return cmp.Compare(a.student, b.student) })
	for _, p := range fresh {
		s.alerts[p.id], s.lastAlert = p, max(s.lastAlert, p.id)
		s.planAlert(p)
	}
	for _, r := range raises {
		if p := s.alerts[r.id]; p != nil && !p.closed && levelRank[r.level] > levelRank[p.level] {
			p.level = r.level
			p.gen++
			s.planAlert(p)
		}
	}
}

// pick returns the first choice whose cumulative weight exceeds a draw.
func (s *sim) pick(weights map[string]float64, order ...string) string {
	r := s.rng.Float64()
	for _, k := range order {
		if r < weights[k] {
			return k
		}
		r -= weights[k]
	}
	return order[len(order)-1]
}

func (s *sim) between(lo, hi time.Duration) time.Duration {
	return lo + time.Duration(s.rng.Int64N(int64(hi-lo)+1))/time.Minute*time.Minute
}

// planAlert plans acknowledgement, first contact and decision. Counsellors
// mostly acknowledge in time, some late (after the alert escalated), some
// never (it escalates up to the city, whose coordinator steps in for the
// urgent ones).
func (s *sim) planAlert(p *alertPlan) {
	n, gen, now := s.net, p.gen, s.now()
	handler := p.sc.handler(n)
	p.behaviour = s.pick(map[string]float64{"in_time": 0.75, "late": 0.20, "never": 0.05}, "in_time", "late", "never")
	if p.level == "yellow" {
		p.behaviour = s.pick(map[string]float64{"in_time": 0.65, "late": 0.20, "never": 0.15}, "in_time", "late", "never")
	}
	duty := s.num(`SELECT owner_user_id FROM alerts WHERE id = ?`, p.id) == n.supervisor.UserID // the hotline owns it now
	var ackAt, contactAt time.Time
	acker := handler
	switch {
	case p.behaviour == "never":
		if p.level == "yellow" {
			return // stays open and escalates to the city
		}
		wait := hours(4)
		if p.level == "orange" {
			wait = hours(96)
		}
		// The city centre makes the first contact itself.
		contactAt = work(now.Add(wait))
		s.at(contactAt, staff, s.guard(p, gen, func() { s.contact(p, n.cityCoord) }))
		s.at(work(contactAt.Add(hours(1))), staff, s.guard(p, gen, func() { s.decide(p, n.cityCoord) }))
		return
	case p.level == "red" && p.behaviour == "in_time":
		ackAt = ceil10(now.Add(minutes(5)))
		if duty {
			acker = n.supervisor
		}
	case p.level == "red":
		ackAt = ceil10(now.Add(s.between(minutes(30), minutes(90))))
	case p.level == "orange" && p.behaviour == "in_time" && duty:
		ackAt, acker = ceil10(now.Add(s.between(hours(1), hours(3)))), n.supervisor
	case p.level == "orange" && p.behaviour == "in_time":
		ackAt = work(now.Add(s.between(hours(1), hours(18))))
	case p.level == "orange":
		ackAt = work(now.Add(s.between(hours(26), hours(40))))
	case p.behaviour == "in_time":
		ackAt = work(now.Add(s.between(hours(24), hours(6*24))))
	default:
		ackAt = work(now.Add(s.between(hours(8*24), hours(11*24))))
	}
	if !p.acked {
		s.at(ackAt, staff, s.guard(p, gen, func() { s.ack(p, acker) }))
	}
	next := func(lo, hi time.Duration) time.Time {
		t := ackAt.Add(s.between(lo, hi))
		if p.level == "red" {
			return ceil10(t)
		}
		return work(t)
	}
	switch {
	case p.contacted:
		contactAt = ackAt
	case p.level == "red" && s.rng.Float64() < 0.85:
		contactAt = next(minutes(30), minutes(90))
	case p.level == "red":
		contactAt = next(hours(3), hours(5))
	case p.level == "orange" && s.rng.Float64() < 0.8:
		contactAt = next(hours(2), hours(30))
	case p.level == "orange":
		contactAt = work(now.Add(s.between(hours(50), hours(70))))
	case s.rng.Float64() < 0.6:
		contactAt = next(hours(24), hours(5*24))
	}
	if !contactAt.IsZero() && !contactAt.After(ackAt) {
		contactAt = work(ackAt.Add(minutes(10))) // one act on an alert per step
	}
	if !contactAt.IsZero() && !p.contacted {
		who := handler
		switch {
		case duty && p.level == "red" && contactAt.Before(p.raised.Add(minutes(110))) && !warning.DefaultHours().Open(contactAt):
			who = n.supervisor // the hotline talks to the family at night, while it owns the alert
		case p.level == "red":
			contactAt = work(contactAt)
		}
		s.at(contactAt, staff, s.guard(p, gen, func() { s.contact(p, who) }))
	}
	last := contactAt
	if last.IsZero() {
		last = ackAt.Add(hours(24))
	}
	wait := s.between(hours(1), hours(48))
	if p.level == "red" {
		wait = s.between(minutes(30), minutes(90))
	}
	s.at(work(last.Add(wait)), staff, s.guard(p, gen, func() { s.decide(p, handler) }))
}

// guard makes an action do nothing once the alert is closed or its level
// was raised after the action was planned.
func (s *sim) guard(p *alertPlan, gen int, fn func()) func() {
	return func() {
		if !p.closed && p.gen == gen {
			fn()
		}
	}
}

func (s *sim) ack(p *alertPlan, who access.Principal) {
	if err := s.srv.warn.Acknowledge(s.ctx, who, p.id); err != nil {
		s.fail("Acknowledge", err)
		return
	}
	p.acked = true
}

func (s *sim) contact(p *alertPlan, who access.Principal) {
	if err := s.srv.warn.RecordContact(s.ctx, who, p.id); err != nil {
		s.fail("RecordContact", err)
		return
	}
	p.acked, p.contacted = true, true
}

// decide closes an alert: red ones mostly open a case; orange ones a case,
// a false positive or in care; most yellow ones are false positives; some
// stay open at the month's end.
func (s *sim) decide(p *alertPlan, who access.Principal) {
	w := map[string]float64{"case": 0.10, "false_positive": 0.50, "in_care": 0.10, "referred": 0.0, "open": 0.30}
	switch p.level {
	case "red":
		w = map[string]float64{"case": 0.90, "referred": 0.10}
	case "orange":
		w = map[string]float64{"case": 0.45, "false_positive": 0.30, "in_care": 0.10, "referred": 0.05, "open": 0.10}
	}
	d := s.pick(w, "case", "false_positive", "in_care", "referred", "open")
	if !p.contacted && d == "case" {
		d = "false_positive"
	}
	switch d {
	case "open":
		return
	case "case":
		s.openCase(p, who)
		return
	}
	c := warning.Closing{Decision: d}
	if d == warning.DecisionFalsePositive {
		c.Note = "复评后症状轻微，家长反馈近期考试压力" // a false positive needs a reason
	}
	if err := s.srv.warn.Close(s.ctx, who, p.id, c); err != nil {
		s.fail("Close "+d, err)
		return
	}
	p.closed = true
}
