package loopsim

import (
	"slices"
	"time"

	"github.com/careloop/careloop/internal/care"
	"github.com/careloop/careloop/internal/warning"
)

type reviewRecord struct {
	id        int64
	decisions map[string]int
	tasks     int
	done      int
	tiers     map[int64]string // tier changes decided
}

func sortedCases(m map[int64]*casePlan) []*casePlan {
	out := make([]*casePlan, 0, len(m))
	for _, c := range m {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *casePlan) int { return int(a.id - b.id) })
	return out
}

// review: the district centre's risk review (研判) in week 3 goes through
// its agenda's students of concern: some tiers go down, some plans change,
// a few are referred or closed, the rest kept; every decision but keep is a
// task for the school's handler, most of them done in the following days.
func (s *sim) review(at time.Time, rec *reviewRecord) {
	s.at(at, staff, func() {
		n := s.net
		agenda, err := s.srv.care.ReviewAgenda(s.ctx, n.distCoord, n.district.ID)
		if err != nil {
			s.fail("ReviewAgenda", err)
			return
		}
		attendees := []int64{n.distCoord.UserID}
		for _, sc := range n.schools[:5] {
			if sc.counsellor.UserID != 0 {
				attendees = append(attendees, sc.counsellor.UserID)
			}
		}
		r := care.Review{OrgUnitID: n.district.ID, Kind: "regular", HeldAt: s.now(), Attendees: attendees,
			Minutes: "本周研判：筛查红橙名单逐一过堂"}
		for _, it := range agenda.Students {
			if len(r.Decisions) == 30 {
				break
			}
			d := care.ReviewDecision{StudentID: it.StudentID,
				Decision: s.pick(map[string]float64{"tier_change": 0.4, "plan_change": 0.15, "referral": 0.1, "close": 0.1, "keep": 0.25},
					"tier_change", "plan_change", "referral", "close", "keep")}
			if d.Decision == "tier_change" {
				d.NewTier = "yellow"
			}
			if d.Decision != "keep" {
				d.TaskOwner, d.TaskDue = n.schoolOf[it.StudentID].handler(n).UserID, s.now().AddDate(0, 0, 7)
			}
			r.Decisions = append(r.Decisions, d)
		}
		if rec.id, err = s.srv.care.HoldReview(s.ctx, n.distCoord, r); err != nil {
			s.fail("HoldReview", err)
			return
		}
		for _, d := range r.Decisions {
			rec.decisions[d.Decision]++
			if d.Decision == "tier_change" {
				rec.tiers[d.StudentID] = d.NewTier
			}
		}
		s.each(`SELECT id, owner_id FROM tasks WHERE review_id = ? ORDER BY id`, []any{rec.id}, func(sc func(...any) error) error {
			var id, owner int64
			if err := sc(&id, &owner); err != nil {
				return err
			}
			rec.tasks++
			if s.rng.Float64() < 0.7 {
				s.at(work(s.now().Add(s.between(hours(24), hours(6*24)))), staff, func() {
					if err := s.srv.care.CompleteTask(s.ctx, n.staff[owner], id); err != nil {
						s.fail("CompleteTask", err)
						return
					}
					rec.done++
				})
			}
			return nil
		})
	})
}

// concern plans a head teacher's concern report about one of the school's
// students.
func (s *sim) concern(at time.Time, sc *school, studentID int64, signs ...string) {
	s.at(at, arrival, func() {
		_, _, err := s.srv.warn.ReportConcern(s.ctx, sc.head, warning.ConcernReport{StudentID: studentID, Signs: signs,
			Description: "课堂上情绪低落，作业中出现消极字句"}, nil)
		if err != nil {
			s.fail("ReportConcern", err)
		}
	})
}

// planConcerns: on the Monday before the screening, head teachers report
// low mood in three students who will then answer item 9 (their yellow
// alert becomes red), and three others; one self-harm report comes in the
// evening (the hotline on duty owns it); more come in weeks 2 and 3.
func (s *sim) planConcerns(start time.Time) {
	var heads []*school
	for _, sc := range s.net.schools {
		if sc.head.UserID != 0 {
			heads = append(heads, sc)
		}
	}
	crit := func(sc *school, want bool) int64 {
		for _, id := range sc.students {
			if a := s.screen.answers[id]; a != nil && a.critical == want && a.draft == 0 && !s.screen.factors[id] {
				return id
			}
		}
		for _, id := range sc.students { // a small school: this student will answer item 9
			if a := s.screen.answers[id]; a != nil && a.draft == 0 && !s.screen.factors[id] {
				a.critical, a.phq["9"] = true, 2
				return id
			}
		}
		s.t.Fatalf("no student for a concern at %s", sc.unit.Code)
		return 0
	}
	for i, sc := range heads {
		switch {
		case i < 3:
			s.concern(start.Add(hours(2)+minutes(10*i)), sc, crit(sc, true), "low_mood")
		case i < 6:
			s.concern(start.Add(hours(3)+minutes(10*i)), sc, crit(sc, false), "withdrawal", "grades_drop")
		}
	}
	s.concern(start.Add(hours(11)+minutes(30)), heads[0], heads[0].students[7], "self_harm")
	s.concern(start.AddDate(0, 0, 9).Add(hours(3)), heads[1], heads[1].students[11], "suicide_talk")
	s.concern(start.AddDate(0, 0, 9).Add(hours(4)), heads[4], heads[4].students[13], "suicide_talk", "low_mood")
	s.concern(start.AddDate(0, 0, 17).Add(hours(12)), heads[2], heads[2].students[17], "bullied")
	s.concern(start.AddDate(0, 0, 18).Add(hours(2)), heads[5], heads[5].students[19], "anxiety")
}
