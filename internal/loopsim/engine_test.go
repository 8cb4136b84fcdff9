package loopsim

import (
	"container/heap"
	"context"
	"math/rand/v2"
	"testing"
	"time"
)

// An action is something a person (or a class of students) does at a time.
// In a step, arrivals (screenings, concern reports) come before what staff
// do, and timers due at the step run before both (the step's first drain).
type action struct {
	at   time.Time
	prio int
	seq  int
	fn   func()
}

const (
	arrival = 0
	staff   = 1
)

type agenda []*action

func (a agenda) Len() int { return len(a) }
func (a agenda) Less(i, j int) bool {
	if !a[i].at.Equal(a[j].at) {
		return a[i].at.Before(a[j].at)
	}
	if a[i].prio != a[j].prio {
		return a[i].prio < a[j].prio
	}
	return a[i].seq < a[j].seq
}
func (a agenda) Swap(i, j int) { a[i], a[j] = a[j], a[i] }
func (a *agenda) Push(x any)   { *a = append(*a, x.(*action)) }
func (a *agenda) Pop() any {
	old := *a
	x := old[len(old)-1]
	*a = old[:len(old)-1]
	return x
}

// sim is the month: the world, the current server process, the network,
// what is planned, and what happened (for the checks).
type sim struct {
	t      *testing.T
	ctx    context.Context
	w      *world
	srv    *server
	net    *network
	rng    *rand.Rand
	todo   agenda
	seq    int
	ticks  []time.Time
	timing map[string]time.Duration
	// drains counts the drains that found due jobs; drainWait the wall time
	// spent waiting for the queue.
	drains    int
	drainWait time.Duration
	errs      int

	alerts    map[int64]*alertPlan
	lastAlert int64
	lastSig   int64
	cases     map[int64]*casePlan
	followUps map[int64]*followUpPlan
	screen    *screenState
	restart   *restartRecord
}

func newSim(t *testing.T, start time.Time, seed uint64) *sim {
	s := &sim{t: t, ctx: context.Background(), w: newWorld(t, start), rng: rand.New(rand.NewPCG(seed, seed^0x5eed)),
		timing: map[string]time.Duration{}, alerts: map[int64]*alertPlan{}, cases: map[int64]*casePlan{},
		followUps: map[int64]*followUpPlan{}}
	s.srv = s.w.boot()
	s.srv.start(t)
	t.Cleanup(func() {
		if s.srv != nil {
			s.srv.shutdown(t)
		}
	})
	return s
}

func (s *sim) now() time.Time { return s.w.clk.Now() }

// at plans fn at t (not before the current step).
func (s *sim) at(t time.Time, prio int, fn func()) {
	if t.Before(s.now()) {
		s.t.Fatalf("planned at %v, before the clock (%v)", t, s.now())
	}
	s.seq++
	heap.Push(&s.todo, &action{at: t, prio: prio, seq: s.seq, fn: fn})
}

// fail records an unexpected error of the code under test without stopping
// the month.
func (s *sim) fail(what string, err error) {
	s.t.Helper()
	s.errs++
	s.t.Errorf("%s at %s: %v", what, s.now().In(cst).Format("01-02 15:04"), err)
}

// onGrid: hourly steps on weekdays from 07:00 to 19:00, every three hours
// otherwise. Planned actions add steps of their own.
func onGrid(c time.Time) bool {
	c = c.In(cst)
	wd, h := c.Weekday(), c.Hour()
	if wd != time.Saturday && wd != time.Sunday && h >= 7 && h <= 19 {
		return true
	}
	return h%3 == 1
}

func nextGrid(t time.Time) time.Time {
	c := t.Truncate(time.Hour).Add(time.Hour) // CST is a whole number of hours from UTC
	for !onGrid(c) {
		c = c.Add(time.Hour)
	}
	return c
}

// run moves the clock step by step up to and including until.
func (s *sim) run(until time.Time) {
	s.at(until, staff, func() {})
	for {
		next := nextGrid(s.now())
		if len(s.todo) > 0 && s.todo[0].at.Before(next) {
			next = s.todo[0].at
		}
		if next.After(until) {
			return
		}
		s.step(next)
	}
}

// step moves the clock to t, lets the queue run every timer due by t, then
// runs the actions planned at t, and lets the queue run what they made due.
func (s *sim) step(t time.Time) {
	s.w.clk.Set(t)
	s.ticks = append(s.ticks, t)
	if s.restart != nil && t.Equal(s.restart.at) {
		s.restartNow()
	}
	s.drain()
	ran := false
	defer s.measure("steps: actions (screening included)")()
	for len(s.todo) > 0 && !s.todo[0].at.After(t) {
		a := heap.Pop(&s.todo).(*action)
		a.fn()
		ran = true
	}
	if ran {
		s.drain()
		s.discover()
	}
}

// drain promotes every job due by the clock (River's own scheduling query)
// and waits until none is pending, again until a promotion finds nothing.
func (s *sim) drain() {
	s.t.Helper()
	now := s.now()
	for {
		if err := s.srv.q.Promote(s.ctx, now); err != nil {
			s.t.Fatalf("Promote: %v", err)
		}
		n, err := s.srv.q.Pending(s.ctx, now)
		if err != nil {
			s.t.Fatalf("Pending: %v", err)
		}
		if n == 0 {
			return
		}
		s.drains++
		mark := time.Now()
		for n > 0 {
			if time.Since(mark) > time.Minute {
				s.t.Fatalf("at %v: %d jobs still pending after a minute", now.In(cst), n)
			}
			time.Sleep(2 * time.Millisecond)
			if n, err = s.srv.q.Pending(s.ctx, now); err != nil {
				s.t.Fatalf("Pending: %v", err)
			}
		}
		s.drainWait += time.Since(mark)
	}
}

// measure adds the time until the returned func is called to a timing.
func (s *sim) measure(name string) func() {
	mark := time.Now()
	return func() { s.timing[name] += time.Since(mark) }
}

func ceil30(t time.Time) time.Time {
	r := t.Truncate(30 * time.Minute)
	if r.Before(t) {
		r = r.Add(30 * time.Minute)
	}
	return r
}

// ceil10 rounds t up to ten minutes.
func ceil10(t time.Time) time.Time {
	r := t.Truncate(10 * time.Minute)
	if r.Before(t) {
		r = r.Add(10 * time.Minute)
	}
	return r
}

// work returns t, or the next working time of school staff (Monday to
// Friday, 08:00 to 17:30 China time), rounded up to half an hour (fewer
// distinct steps: each step with due timers costs a River completion
// round, about 0.2 s).
func work(t time.Time) time.Time {
	t = ceil30(t).In(cst)
	for {
		wd, m := t.Weekday(), t.Hour()*60+t.Minute()
		weekday := wd != time.Saturday && wd != time.Sunday
		switch {
		case weekday && m >= 8*60 && m < 17*60+30:
			return t
		case weekday && m < 8*60:
			t = day(t).Add(8*time.Hour + 30*time.Minute)
		default:
			t = day(t).AddDate(0, 0, 1).Add(8*time.Hour + 30*time.Minute)
		}
	}
}

// day is midnight (China time) of t's day.
func day(t time.Time) time.Time {
	t = t.In(cst)
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, cst)
}

// firstMondayAfter returns 08:00 China time of the first Monday at least d
// after t. The month is dated in the future on purpose: River's job
// rescuer and cleaner judge jobs by the real clock (see the report in
// month_test.go).
func firstMondayAfter(t time.Time, d time.Duration) time.Time {
	c := day(t.Add(d))
	for c.Weekday() != time.Monday {
		c = c.AddDate(0, 0, 1)
	}
	return c.Add(8 * time.Hour)
}

func minutes(n int) time.Duration { return time.Duration(n) * time.Minute }
func hours(n int) time.Duration   { return time.Duration(n) * time.Hour }
