package stats

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/careloop/careloop/internal/db"
)

// DefaultEvery is how often the current periods are refreshed.
const DefaultEvery = 10 * time.Minute

// History is how far back the rollups are kept filled: 24 months, with
// their quarters and years.
const History = 24

// backfillPerRun bounds how many missing past periods one run computes.
const backfillPerRun = 6

// RefreshArgs is the durable refresh of the rollups. Slot is the run's
// time slot: every instance schedules the same slot, so one runs.
type RefreshArgs struct {
	Slot int64 `json:"slot"`
}

// Kind names the job.
func (RefreshArgs) Kind() string { return "stats.refresh" }

// RefreshWorker refreshes the current and previous month, quarter and
// year, fills missing past periods a few at a time, and schedules the
// next run.
type RefreshWorker struct {
	river.WorkerDefaults[RefreshArgs]
	S   *Service
	Reg *Registry
}

// Timeout allows a city-sized refresh.
func (w *RefreshWorker) Timeout(*river.Job[RefreshArgs]) time.Duration { return 30 * time.Minute }

// Work runs one refresh.
func (w *RefreshWorker) Work(ctx context.Context, job *river.Job[RefreshArgs]) error {
	if err := w.S.RefreshNow(ctx, w.Reg); err != nil {
		return err
	}
	return w.S.Schedule(ctx, w.S.now().Add(w.S.every()))
}

func (s *Service) every() time.Duration {
	if s.Every > 0 {
		return s.Every
	}
	return DefaultEvery
}

// Schedule inserts the refresh of the slot holding at.
func (s *Service) Schedule(ctx context.Context, at time.Time) error {
	slot := at.UnixMicro() / s.every().Microseconds()
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		return s.Jobs.At(ctx, tx, RefreshArgs{Slot: slot}, at)
	})
}

// RefreshNow refreshes the periods that change now (this and the previous
// month, quarter and year) and up to backfillPerRun past periods of the
// last History months never computed.
func (s *Service) RefreshNow(ctx context.Context, reg *Registry) error {
	now := s.now()
	var periods []Period
	for _, p := range Containing(now) {
		periods = append(periods, p, p.Prev())
	}
	done := map[string]bool{}
	for _, p := range periods {
		done[p.String()] = true
	}
	computed, unprotected, err := s.computed(ctx)
	if err != nil {
		return err
	}
	missing := 0
	for _, m := range Months(now, History) {
		for _, p := range []Period{m, Quarter(m.Year, (m.N-1)/3+1), Year(m.Year)} {
			if !done[p.String()] && !computed[p.String()] && missing < backfillPerRun {
				periods = append(periods, p)
				done[p.String()] = true
				missing++
			}
		}
	}
	if err := s.Refresh(ctx, reg, periods...); err != nil {
		return err
	}
	// Years whose figures were computed before their protection was (an
	// upgrade): decide what rounded readers read as withheld.
	years := map[int]bool{}
	for _, p := range periods {
		years[p.Year] = true
	}
	for y := range unprotected {
		if !years[y] {
			if err := s.refreshYear(ctx, reg, y, nil); err != nil {
				return err
			}
		}
	}
	return nil
}

// computed lists the periods with rollups, and the years of those whose
// withheld figures were never decided.
func (s *Service) computed(ctx context.Context) (map[string]bool, map[int]bool, error) {
	out, unprotected := map[string]bool{}, map[int]bool{}
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT period, protected_at FROM stat_periods`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var p string
			var at int64
			if err := rows.Scan(&p, &at); err != nil {
				return err
			}
			out[p] = true
			if per, err := ParsePeriod(p); err == nil && at == 0 {
				unprotected[per.Year] = true
			}
		}
		return rows.Err()
	})
	return out, unprotected, err
}
