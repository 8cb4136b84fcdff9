package loopsim

import (
	"fmt"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/screening"
	"github.com/careloop/careloop/internal/student"
)

// Answer plans of one student. draft: 0 none; 1 a critical answer saved in
// a draft, then submitted; 2 the same, changed to 0 before submitting; 3 a
// partial draft without a critical answer.
type answerSet struct {
	phq, gad map[string]int
	critical bool
	draft    int
}

type screenState struct {
	campaign  int64
	answers   map[int64]*answerSet
	tokens    sync.Map // student id → respondent token
	refused   map[int64]bool
	factors   map[int64]bool
	submitted atomic.Int64
	opened    atomic.Int64
	drafts    int
	// refusedTried counts refused students who tried to open the questionnaire
	refusedTried int
	// the observer: reads that saw a critical answer without its alert
	polls, violations atomic.Int64
}

// spread distributes total over n items scored 0 to 3.
func (s *sim) spread(total, n int) []int {
	v := make([]int, n)
	total = max(0, min(total, 3*n))
	for k := 0; k < total; {
		i := s.rng.IntN(n)
		if v[i] < 3 {
			v[i]++
			k++
		}
	}
	return v
}

// answers draws a student's PHQ-A and GAD-7 answers: most students minimal
// or mild, about 4% moderate, 2% moderately severe or severe, 2% anxious,
// and critical item-9 answers mostly among the severe.
func (s *sim) answers() *answerSet {
	var phqT, gadT int
	var pCrit float64
	switch u := s.rng.Float64(); {
	case u < 0.02:
		phqT, gadT, pCrit = 15+s.rng.IntN(10), 8+s.rng.IntN(12), 0.45
	case u < 0.06:
		phqT, gadT, pCrit = 10+s.rng.IntN(5), 4+s.rng.IntN(10), 0.05
	case u < 0.08:
		phqT, gadT = 2+s.rng.IntN(7), 10+s.rng.IntN(8)
	case u < 0.22:
		phqT, gadT, pCrit = 5+s.rng.IntN(5), s.rng.IntN(9), 0.005
	default:
		phqT, gadT, pCrit = s.rng.IntN(5), s.rng.IntN(5), 0.0008
	}
	a := &answerSet{critical: s.rng.Float64() < pCrit, phq: map[string]int{}, gad: map[string]int{}}
	item9 := 0
	if a.critical {
		item9 = 1 + s.rng.IntN(3)
	}
	for i, v := range s.spread(phqT-item9, 8) {
		a.phq[strconv.Itoa(i+1)] = v
	}
	a.phq["9"], a.phq["past_year"], a.phq["difficulty"] = item9, s.rng.IntN(2), s.rng.IntN(4)
	a.phq["thoughts_month"], a.phq["attempt_ever"] = 0, 0
	for i, v := range s.spread(gadT, 7) {
		a.gad[strconv.Itoa(i+1)] = v
	}
	a.gad["8"] = s.rng.IntN(4)
	switch r := s.rng.Float64(); {
	case a.critical && r < 0.2:
		a.draft = 1
	case a.critical && r < 0.3:
		a.draft, a.critical, a.phq["9"] = 2, false, 0
	case !a.critical && r < 0.02:
		a.draft = 3
	}
	return a
}

// planScreening plans the week-1 campaign: created on Monday, guardians'
// refusals and known risk factors recorded, then eight sittings from
// Tuesday to Friday (morning and afternoon), each for a few whole schools:
// the students open the questionnaire, some save a draft 20 minutes in,
// and all submit 40 minutes in. About 88% of students take part.
func (s *sim) planScreening(start time.Time) {
	st := &screenState{answers: map[int64]*answerSet{}, refused: map[int64]bool{}, factors: map[int64]bool{}}
	s.screen = st
	n := s.net
	for _, sc := range n.schools {
		for _, sid := range sc.students {
			switch r := s.rng.Float64(); {
			case r < 0.005:
				st.refused[sid] = true
			case r < 0.125:
				// absent on the day
			default:
				st.answers[sid] = s.answers()
			}
			if s.rng.Float64() < 0.004 {
				st.factors[sid] = true
			}
		}
	}
	s.at(start.Add(hours(1)), staff, func() {
		defer s.measure("screening: campaign, refusals, risk factors")()
		id, err := s.srv.screen.CreateCampaign(s.ctx, n.distCoord, screening.NewCampaign{OrgUnitID: n.district.ID,
			Name: "秋季心理健康筛查", Instruments: []string{"phq-a", "gad-7"}, StartsAt: start.AddDate(0, 0, 1).Add(-hours(1)),
			EndsAt: start.AddDate(0, 0, 5), ConsentRule: screening.ConsentNone, ConsentText: "v1", Targets: s.targets()})
		if err != nil {
			s.t.Fatalf("CreateCampaign: %v", err)
		}
		st.campaign = id
		for _, sc := range n.schools {
			for _, sid := range sc.students {
				if st.refused[sid] {
					if err := s.srv.screen.RecordConsent(s.ctx, sc.handler(n), id, sid, screening.NewConsent{Decision: "refused",
						GivenBy: "家长", Relation: "mother", Method: "paper"}); err != nil {
						s.t.Fatalf("RecordConsent: %v", err)
					}
				}
				if st.factors[sid] {
					kind := student.RiskFactorKinds[int(sid)%(len(student.RiskFactorKinds)-1)]
					if err := s.srv.stu.AddRiskFactor(s.ctx, sc.handler(n), sid, kind, "学校记录", ""); err != nil {
						s.t.Fatalf("AddRiskFactor: %v", err)
					}
				}
			}
		}
	})
	for k := 0; k < 8; k++ {
		open := day(start).AddDate(0, 0, 1+k/2).Add(hours(9 + 5*(k%2)))
		var ids []int64
		for _, sc := range n.schools {
			if sc.idx%8 == k {
				ids = append(ids, sc.students...)
			}
		}
		s.at(open, arrival, func() { s.sitting(ids) })
		s.at(open.Add(minutes(20)), arrival, func() { s.drafts(ids) })
		s.at(open.Add(minutes(40)), arrival, func() { s.submit(ids) })
	}
}

func (s *sim) targets() []screening.Target {
	var out []screening.Target
	for _, sc := range s.net.schools {
		out = append(out, screening.Target{SchoolID: sc.unit.ID})
	}
	return out
}

// parallel runs fn for every id on 16 goroutines, as many students'
// devices at once.
func (s *sim) parallel(ids []int64, fn func(id int64) error) {
	var wg sync.WaitGroup
	ch := make(chan int64)
	var mu sync.Mutex
	var first error
	for range 4 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for id := range ch {
				if err := fn(id); err != nil {
					mu.Lock()
					if first == nil {
						first = fmt.Errorf("student %d: %w", id, err)
					}
					mu.Unlock()
				}
			}
		}()
	}
	for _, id := range ids {
		ch <- id
	}
	close(ch)
	wg.Wait()
	if first != nil {
		s.fail("screening", first)
	}
}

func (s *sim) sitting(ids []int64) {
	defer s.measure("screening: open sittings")()
	st := s.screen
	var in []int64
	for _, id := range ids {
		if st.answers[id] != nil {
			in = append(in, id)
		} else if st.refused[id] && st.refusedTried < 10 {
			// A refused student's sitting is refused.
			st.refusedTried++
			_, err := s.srv.screen.OpenWithNumber(s.ctx, st.campaign, s.net.studentNo[id], s.net.birth[id])
			if apperr.CodeOf(err) != apperr.EUnauthorized {
				s.fail("a refused student opened the questionnaire", err)
			}
		}
	}
	s.parallel(in, func(id int64) error {
		tok, err := s.srv.screen.OpenWithNumber(s.ctx, st.campaign, s.net.studentNo[id], s.net.birth[id])
		if err == nil {
			st.tokens.Store(id, tok)
			st.opened.Add(1)
		}
		return err
	})
}

func (s *sim) drafts(ids []int64) {
	defer s.measure("screening: drafts")()
	st := s.screen
	var in []int64
	for _, id := range ids {
		if a := st.answers[id]; a != nil && a.draft != 0 {
			in = append(in, id)
			st.drafts++
		}
	}
	s.observe(func() {
		s.parallel(in, func(id int64) error {
			a := st.answers[id]
			part := map[string]int{"1": a.phq["1"], "2": a.phq["2"], "3": a.phq["3"]}
			if a.draft != 3 {
				part["9"] = 2
			}
			tok, _ := st.tokens.Load(id)
			return s.srv.screen.SaveDraft(s.ctx, tok.(string), screening.Answers{"phq-a": part})
		})
	})
}

func (s *sim) submit(ids []int64) {
	defer s.measure("screening: submissions")()
	st := s.screen
	var in []int64
	for _, id := range ids {
		if st.answers[id] != nil {
			in = append(in, id)
		}
	}
	s.observe(func() {
		s.parallel(in, func(id int64) error {
			a := st.answers[id]
			tok, _ := st.tokens.Load(id)
			out, err := s.srv.screen.Submit(s.ctx, tok.(string), screening.Submission{IdempotencyKey: "k-" + strconv.FormatInt(id, 10),
				Answers: screening.Answers{"phq-a": a.phq, "gad-7": a.gad}, Elapsed: 6 * time.Minute})
			if err == nil {
				st.submitted.Add(1)
				if want := a.critical || a.draft == 1 || a.draft == 2; out.Critical != want {
					return fmt.Errorf("outcome critical %v, want %v", out.Critical, want)
				}
			}
			return err
		})
	})
}
