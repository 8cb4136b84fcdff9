package loopsim

import (
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/care"
)

type casePlan struct {
	id, student int64
	sc          *school
	owner       access.Principal
	opened      time.Time
	followUps   []*followUpPlan
	requested   bool // a closing was asked for
	closed      bool
}

// followUpPlan keeps the due date as planned: the independent record the
// escalation replay and the metrics start from.
type followUpPlan struct {
	id     int64
	c      *casePlan
	due    time.Time
	done   bool
	action string // on_time, late (done a day late), later (two days late), never
}

// openCase opens a case from the alert (the alert closes into it) and
// plans its support plan and follow-ups.
func (s *sim) openCase(p *alertPlan, who access.Principal) {
	id, err := s.srv.care.OpenCase(s.ctx, who, p.student, p.id)
	if err != nil {
		s.fail("OpenCase", err)
		return
	}
	p.closed = true
	if s.cases[id] != nil {
		return // the student's open case was joined
	}
	c := &casePlan{id: id, student: p.student, sc: p.sc, owner: who, opened: s.now()}
	s.cases[id] = c
	s.at(work(s.now().Add(minutes(10))), staff, func() { s.writePlan(c) })
	if s.rng.Float64() < 0.5 {
		for _, d := range []int{2, 9} {
			s.at(work(s.now().Add(hours(24*d))), staff, func() { s.session(c) })
		}
	}
}

// writePlan writes the first support plan and plans two follow-ups, with
// the family in three days and the student in a week, at 10:00.
func (s *sim) writePlan(c *casePlan) {
	if c.closed {
		return
	}
	now := s.now()
	_, err := s.srv.care.SavePlan(s.ctx, c.owner, c.id, care.PlanInput{Concern: "筛查提示自伤风险，已面谈", Goals: "两周内情绪稳定，建立求助渠道",
		Measures: []string{"counselling", "family_contact"}, Frequency: "weekly", Responsible: []int64{c.owner.UserID},
		NextReview: now.AddDate(0, 0, 14)})
	if err != nil {
		s.fail("SavePlan", err)
		return
	}
	for i, kind := range []string{"family", "student"} {
		due := day(now).AddDate(0, 0, 3+4*i).Add(hours(10))
		fid, err := s.srv.care.PlanFollowUp(s.ctx, c.owner, c.id, kind, due)
		if err != nil {
			s.fail("PlanFollowUp", err)
			continue
		}
		f := &followUpPlan{id: fid, c: c, due: due,
			action: s.pick(map[string]float64{"on_time": 0.65, "late": 0.15, "later": 0.05, "never": 0.15}, "on_time", "late", "later", "never")}
		c.followUps = append(c.followUps, f)
		s.followUps[fid] = f
		var at time.Time
		switch f.action {
		case "on_time":
			at = work(due.Add(-hours(26)))
			if !at.After(now) {
				at = work(now.Add(hours(2)))
			}
		case "late":
			at = work(due.Add(hours(22))) // after the first escalation, before the next
		case "later":
			at = work(due.Add(hours(47)))
		default:
			continue
		}
		s.at(at, staff, func() { s.recordFollowUp(f) })
	}
}

func (s *sim) recordFollowUp(f *followUpPlan) {
	if f.c.closed {
		return
	}
	r := care.FollowUpRecord{Notes: "电话联系家长，学生情绪较前平稳"}
	if s.rng.Float64() < 0.2 {
		r.TierChange = "yellow"
	}
	if err := s.srv.care.RecordFollowUp(s.ctx, f.c.owner, f.id, r); err != nil {
		s.fail("RecordFollowUp", err)
		return
	}
	f.done = true
}

// session records an individual counselling session of a case.
func (s *sim) session(c *casePlan) {
	if c.closed || c.owner.UserID != c.sc.counsellor.UserID || c.sc.counsellor.UserID == 0 {
		return
	}
	_, err := s.srv.care.RecordSession(s.ctx, c.owner, care.Session{Kind: "individual", OrgUnitID: c.sc.unit.ID, CaseID: c.id,
		HeldAt: s.now(), Minutes: 45, Notes: "情绪疏导，布置情绪日记", Attendees: []int64{c.student}})
	if err != nil {
		s.fail("RecordSession individual", err)
	}
}

// groupSessions: every counsellor runs a group on Thursday afternoon with
// ten of the school's students; in the second round half of them come back.
func (s *sim) groupSessions(at time.Time, again map[int64][]int64) {
	s.at(at, staff, func() {
		for _, sc := range s.net.schools {
			if sc.counsellor.UserID == 0 {
				continue
			}
			people := again[sc.unit.ID]
			if len(people) > 5 {
				people = people[:5]
			}
			for len(people) < 10 {
				people = append(people, sc.students[s.rng.IntN(len(sc.students))])
			}
			again[sc.unit.ID] = people
			_, err := s.srv.care.RecordSession(s.ctx, sc.counsellor, care.Session{Kind: "group", OrgUnitID: sc.unit.ID,
				HeldAt: s.now(), Minutes: 60, Topic: "情绪管理小组", Attendees: people})
			if err != nil {
				s.fail("RecordSession group", err)
			}
		}
	})
}

// signer is who signs off a case's closing: the school leader, else the
// district centre, but never the one who asked.
func (s *sim) signer(c *casePlan) access.Principal {
	switch {
	case c.sc.leader.UserID != 0 && c.sc.leader.UserID != c.owner.UserID:
		return c.sc.leader
	case c.owner.UserID != s.net.distCoord.UserID:
		return s.net.distCoord
	}
	return s.net.cityCoord
}

// closeCases, in the last week: cases whose follow-ups were all done are
// mostly closed (asked for, then signed off the next day); two cases with
// a missed follow-up are asked to close as moved away and are signed off
// only after the month, with a few others.
func (s *sim) closeCases(at, after time.Time) {
	s.at(at, staff, func() {
		pending := 0
		for _, c := range sortedCases(s.cases) {
			missed, open := false, false
			for _, f := range c.followUps {
				missed = missed || f.action == "never"
				open = open || !f.done
			}
			reason, later := "improved", false
			switch {
			case missed && pending < 2 && c.opened.Before(at.AddDate(0, 0, -14)):
				reason, later = "moved_away", true
				pending++
			case open || s.rng.Float64() < 0.4:
				continue
			case s.rng.Float64() < 0.1:
				later = true
			}
			if err := s.srv.care.RequestClose(s.ctx, c.owner, c.id, reason, "随访稳定，转入常规关注"); err != nil {
				s.fail("RequestClose", err)
				continue
			}
			c.requested = true
			when := work(s.now().Add(hours(24)))
			if later {
				when = after
			}
			s.at(when, staff, func() {
				if err := s.srv.care.SignOff(s.ctx, s.signer(c), c.id); err != nil {
					s.fail("SignOff", err)
					return
				}
				c.closed = true
			})
		}
	})
}
