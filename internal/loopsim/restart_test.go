package loopsim

import (
	"strconv"
	"testing"
	"time"
)

// restartRecord is what the restart left behind.
type restartRecord struct {
	at time.Time
	// When the old process stopped: timers still waiting, jobs promoted
	// but not taken (left to the new process), jobs running.
	scheduled, available, running int64
	maxJob                        int64
	before                        map[int64]string // jobs finalized before the stop: attempt and finalized_at
	stopTook                      time.Duration
}

func (s *sim) jobStates() map[int64]string {
	out := map[int64]string{}
	s.each(`SELECT id, state, attempt, COALESCE(CAST(finalized_at AS TEXT), '') FROM river_job WHERE finalized_at IS NOT NULL`, nil,
		func(sc func(...any) error) error {
			var id int64
			var state, at string
			var attempt int
			err := sc(&id, &state, &attempt, &at)
			out[id] = state + " attempt=" + itoaInt(attempt) + " at " + at
			return err
		})
	return out
}

func itoaInt(n int) string { return strconv.Itoa(n) }

// restartNow restarts the server in the middle of a step: the timers due
// at the step are promoted, the old process takes some of them and is
// stopped (the queue lets running jobs finish), and a new process, with
// its own pools, services and queue, starts on the same database and
// runs the rest.
func (s *sim) restartNow() {
	rec := s.restart
	if err := s.srv.q.Promote(s.ctx, s.now()); err != nil {
		s.t.Fatalf("Promote: %v", err)
	}
	time.Sleep(15 * time.Millisecond)
	mark := time.Now()
	s.srv.shutdown(s.t)
	rec.stopTook = time.Since(mark)
	s.srv = s.w.boot()
	rec.scheduled = s.num(`SELECT COUNT(*) FROM river_job WHERE state = 'scheduled'`)
	rec.available = s.num(`SELECT COUNT(*) FROM river_job WHERE state = 'available'`)
	rec.running = s.num(`SELECT COUNT(*) FROM river_job WHERE state = 'running'`)
	rec.maxJob = s.num(`SELECT COALESCE(MAX(id), 0) FROM river_job`)
	rec.before = s.jobStates()
	s.srv.start(s.t)
}

// checkRestart: every escalation the replay expects from the restart on
// happened once (the full comparison is in the escalation check); timers
// left by the old process ran in the new one; no job finished before the
// stop ran again.
func (s *sim) checkRestart(t *testing.T, want []esc, got map[string][]esc) {
	rec := s.restart
	at := rec.at.UnixMicro()
	after, atStep := 0, 0
	for _, e := range want {
		if e.at < at {
			continue
		}
		after++
		atStep += b2i(e.at == at)
		if n := len(got[key(e)]); n != 1 {
			t.Errorf("escalation %s %d seq %d due %s, expected at %s after the restart: %d rows", e.typ, e.item, e.seq,
				fmtMicro(e.due), fmtMicro(e.at), n)
		}
	}
	now := s.jobStates()
	for id, st := range rec.before {
		if now[id] != st {
			t.Errorf("job %d finished before the restart as %q, now %q: it ran again", id, st, now[id])
		}
	}
	carried := s.num(`SELECT COUNT(*) FROM river_job WHERE id <= ? AND state = 'completed'`, rec.maxJob) - int64(len(rec.before))
	if rec.running != 0 {
		t.Errorf("%d jobs still running after the old process stopped", rec.running)
	}
	if rec.scheduled+rec.available == 0 || carried <= 0 {
		t.Errorf("the restart had nothing to carry: %d timers waiting, %d promoted, %d completed by the new process",
			rec.scheduled, rec.available, carried)
	}
	t.Logf("restart at %s: the old process stopped in %v with %d timers waiting and %d due jobs not yet taken; "+
		"the new process completed %d jobs created before the restart; %d escalations expected from then on (%d at the restart step), each found once; "+
		"%d jobs finished before the restart untouched",
		rec.at.In(cst).Format("Mon 01-02 15:04"), rec.stopTook.Round(time.Millisecond), rec.scheduled, rec.available, carried, after, atStep, len(rec.before))
}

func key(e esc) string { return e.typ + "/" + itoaInt(int(e.item)) + "/" + itoaInt(e.seq) }
