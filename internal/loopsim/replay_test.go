package loopsim

import (
	"cmp"
	"slices"
	"sort"

	"github.com/careloop/careloop/internal/care"
	"github.com/careloop/careloop/internal/db"
)

// esc is one escalation row, or one that the replay expects.
type esc struct {
	typ      string
	item     int64
	seq      int
	deadline string
	due, at  int64
	step     int
	to       int64
}

// The replay recomputes, from the raw rows of alerts, their signals and
// follow-ups, from the deadlines table, the network's own chain and the
// steps the clock took, every escalation that must have happened, without
// the code under test: for each generation of deadlines, if the deadline
// passed before it was met and a next step holder exists, exactly one
// escalation, at the first step at or after the deadline. Within a step,
// timers already due run first, then what people do, then timers that
// people's acts made due at once.

const (
	phaseTimers = 0 // timers due at the step, run before the step's actions
	phaseActs   = 1
	phaseAfter  = 2 // timers made due by the step's actions
)

type replay struct {
	s         *sim
	ticks     []int64
	deadlines map[string][2]int64 // level → ack, contact (µs)
	want      []esc
	// final is each alert's deadline state at the end, by the replay.
	final map[int64]alertState
}

// alertState is an alert's generation, step and deadlines.
type alertState struct {
	seq, step          int
	ackDue, contactDue int64
}

func (s *sim) newReplay() *replay {
	r := &replay{s: s, deadlines: map[string][2]int64{}, final: map[int64]alertState{}}
	for _, t := range s.ticks {
		r.ticks = append(r.ticks, db.Micro(t))
	}
	slices.Sort(r.ticks)
	s.each(`SELECT level, ack_minutes, contact_minutes FROM alert_deadlines`, nil, func(sc func(...any) error) error {
		var l string
		var a, c int64
		err := sc(&l, &a, &c)
		r.deadlines[l] = [2]int64{a * 60e6, c * 60e6}
		return err
	})
	return r
}

// fire returns the step at which a timer due at due, created at created,
// runs, and in which phase.
func (r *replay) fire(due, created int64) (int64, int, bool) {
	lo := max(due, created)
	i := sort.Search(len(r.ticks), func(i int) bool { return r.ticks[i] >= lo })
	if i == len(r.ticks) {
		return 0, 0, false
	}
	if r.ticks[i] == created {
		return r.ticks[i], phaseAfter, true
	}
	return r.ticks[i], phaseTimers, true
}

type timer struct {
	deadline     string
	due, created int64
}

type alertEvent struct {
	at    int64
	kind  int // 0 signal, 1 acknowledged, 2 first contact, 3 closed (their order within a step)
	level string
}

// alert replays one alert's deadlines.
func (r *replay) alert(id int64, sc *school, raised int64, signals []alertEvent, ack, contact, closed int64, ackAtSchool bool) {
	level, seq, step := signals[0].level, 0, 0
	dl := r.deadlines[level]
	ackDue, contactDue := raised+dl[0], raised+dl[1]
	acked, contacted := false, false
	defer func() { r.final[id] = alertState{seq, step, ackDue, contactDue} }()
	tm := &timer{"ack", ackDue, raised}
	evs := slices.Clone(signals[1:])
	for k, at := range []int64{ack, contact, closed} {
		if at != 0 {
			evs = append(evs, alertEvent{at: at, kind: k + 1})
		}
	}
	slices.SortStableFunc(evs, func(a, b alertEvent) int { return cmp.Or(cmp.Compare(a.at, b.at), cmp.Compare(a.kind, b.kind)) })
	for i := 0; ; {
		fAt, fPh, fOK := int64(0), 0, false
		if tm != nil {
			fAt, fPh, fOK = r.fire(tm.due, tm.created)
		}
		if i < len(evs) && (!fOK || evs[i].at < fAt || (evs[i].at == fAt && phaseActs < fPh)) {
			e := evs[i]
			i++
			switch e.kind {
			case 0: // a signal: a higher level starts a new generation
				if levelRank[e.level] <= levelRank[level] {
					continue
				}
				// A more severe signal never postpones a deadline.
				level, seq = e.level, seq+1
				dl = r.deadlines[level]
				contactDue = min(contactDue, e.at+dl[1])
				if acked {
					tm = &timer{"contact", contactDue, e.at}
				} else {
					ackDue = min(ackDue, e.at+dl[0])
					tm = &timer{"ack", ackDue, e.at}
				}
			case 1: // acknowledging starts the first-contact timer
				acked = true
				tm = &timer{"contact", contactDue, e.at}
				// Someone of the student's school acknowledging (not by a
				// contact or a closing) brings the alert back to step 0.
				if ackAtSchool && ack != contact && ack != closed {
					step = 0
				}
			case 2:
				contacted = true
			case 3:
				return
			}
			continue
		}
		if !fOK {
			return
		}
		if (tm.deadline == "ack" && acked) || (tm.deadline == "contact" && contacted) {
			tm = nil
			continue
		}
		next, user, ok := r.s.net.nextHolder(sc, step)
		if !ok {
			tm = nil // the top of the chain: it stays overdue
			continue
		}
		r.want = append(r.want, esc{"alert", id, seq + 1, tm.deadline, tm.due, fAt, next, user})
		seq, step = seq+1, next
		if tm.deadline == "ack" {
			ackDue = fAt + dl[0]
			tm = &timer{"ack", ackDue, fAt}
		} else {
			contactDue = fAt + dl[1]
			tm = &timer{"contact", contactDue, fAt}
		}
	}
}

// followUp replays one follow-up from its planned due date: escalated
// when due and not done, then again a grace period after each escalation
// (every escalation row names the due date, which stays).
func (r *replay) followUp(id int64, sc *school, due, created, done, caseClosed int64) {
	step, seq, next := 0, 0, due
	for {
		fAt, fPh, ok := r.fire(next, created)
		if !ok {
			return
		}
		before := func(t int64) bool { return t != 0 && (t < fAt || (t == fAt && fPh == phaseAfter)) }
		if before(caseClosed) || before(done) {
			return
		}
		step1, user, ok := r.s.net.nextHolder(sc, step)
		if !ok {
			return
		}
		r.want = append(r.want, esc{"follow_up", id, seq + 1, "due", due, fAt, step1, user})
		seq, step, next, created = seq+1, step1, fAt+care.FollowUpGrace.Microseconds(), fAt
	}
}

// run replays every alert and follow-up.
func (r *replay) run() {
	s := r.s
	signals := map[int64][]alertEvent{}
	s.each(`SELECT alert_id, at, level FROM alert_signals ORDER BY alert_id, at, id`, nil, func(sc func(...any) error) error {
		var id int64
		var e alertEvent
		err := sc(&id, &e.at, &e.level)
		signals[id] = append(signals[id], e)
		return err
	})
	s.each(`SELECT a.id, a.student_id, a.raised_at, a.acknowledged_at, a.first_contact_at, a.closed_at,
		(SELECT COUNT(*) FROM memberships m JOIN students st ON st.id = a.student_id WHERE m.user_id = a.acknowledged_by
			AND m.org_unit_id = st.school_id AND m.role IN ('school_counsellor', 'school_leader'))
		FROM alerts a ORDER BY a.id`, nil,
		func(sc func(...any) error) error {
			var id, student, raised, ack, contact, closed, atSchool int64
			if err := sc(&id, &student, &raised, &ack, &contact, &closed, &atSchool); err != nil {
				return err
			}
			r.alert(id, s.net.schoolOf[student], raised, signals[id], ack, contact, closed, atSchool > 0)
			return nil
		})
	s.each(`SELECT f.id, f.student_id, f.created_at, f.done_at, c.closed_at FROM follow_ups f JOIN cases c ON c.id = f.case_id ORDER BY f.id`,
		nil, func(sc func(...any) error) error {
			var id, student, created, done, closed int64
			if err := sc(&id, &student, &created, &done, &closed); err != nil {
				return err
			}
			f := s.followUps[id]
			if f == nil {
				s.t.Errorf("follow-up %d was not planned by the simulation", id)
				return nil
			}
			r.followUp(id, s.net.schoolOf[student], db.Micro(f.due), created, done, closed)
			return nil
		})
}

// escalations reads the escalation rows.
func (s *sim) escalations() []esc {
	var out []esc
	s.each(`SELECT item_type, item_id, seq, deadline, due_at, at, step, to_user_id FROM escalations ORDER BY id`, nil,
		func(sc func(...any) error) error {
			var e esc
			err := sc(&e.typ, &e.item, &e.seq, &e.deadline, &e.due, &e.at, &e.step, &e.to)
			out = append(out, e)
			return err
		})
	return out
}

func fmtMicro(us int64) string { return db.FromMicro(us).In(cst).Format("01-02 15:04") }
