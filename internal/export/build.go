package export

import (
	"bytes"
	"context"
	"net/url"
	"time"

	"github.com/riverqueue/river"
	"github.com/xuri/excelize/v2"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/people"
)

// BuildArgs is the durable build of one export.
type BuildArgs struct {
	Export int64 `json:"export"`
}

// Kind names the job.
func (BuildArgs) Kind() string { return "export.build" }

// BuildWorker builds exports.
type BuildWorker struct {
	river.WorkerDefaults[BuildArgs]
	S *Service
}

// Timeout allows a city-sized table.
func (w *BuildWorker) Timeout(*river.Job[BuildArgs]) time.Duration { return 30 * time.Minute }

// Work builds the export unless it is already built.
func (w *BuildWorker) Work(ctx context.Context, job *river.Job[BuildArgs]) error {
	return w.S.Build(ctx, job.Args.Export)
}

// sheet writes rows into a streamed XLSX sheet and records progress.
type sheet struct {
	ctx   context.Context
	s     *Service
	id    int64
	sw    *excelize.StreamWriter
	row   int
	total int
	last  time.Time
}

func (t *sheet) Total(n int) {
	t.total = n
	_ = t.s.progress(t.ctx, t.id, t.row-1, n)
}

func (t *sheet) Row(cells ...any) error {
	t.row++
	cell, err := excelize.CoordinatesToCellName(1, t.row)
	if err != nil {
		return err
	}
	if err := t.sw.SetRow(cell, cells); err != nil {
		return err
	}
	if time.Since(t.last) > 500*time.Millisecond {
		t.last = time.Now()
		return t.s.progress(t.ctx, t.id, t.row-1, t.total)
	}
	return nil
}

// progress records how far a build has come, in its own transaction.
func (s *Service) progress(ctx context.Context, id int64, done, total int) error {
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE exports SET state = 'running', done = ?, total = ? WHERE id = ? AND state IN ('queued', 'running')`, done, total, id)
		return err
	})
}

// Build makes the export's file as its requester, with the roles they hold
// now. A refusal (they lost their roles) marks it failed; nothing is kept.
func (s *Service) Build(ctx context.Context, id int64) error {
	var userID int64
	var kind, locale, filters, state string
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT user_id, kind, locale, filters, state FROM exports WHERE id = ?`, id).Scan(&userID, &kind, &locale, &filters, &state)
	})
	if err != nil || (state != "queued" && state != "running") {
		return err
	}
	src, ok := s.Sources[kind]
	if !ok {
		return s.finish(ctx, id, "failed", "", nil, 0)
	}
	var p access.Principal
	if err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		p, err = people.PrincipalOf(ctx, tx, userID)
		return err
	}); err != nil {
		return err
	}
	if len(p.Memberships) == 0 {
		return s.finish(ctx, id, "failed", "", nil, 0)
	}
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter(f.GetSheetName(0))
	if err != nil {
		return err
	}
	var head []any
	for _, h := range src.Header(locale) {
		head = append(head, h)
	}
	if err := sw.SetRow("A1", head); err != nil {
		return err
	}
	values, _ := url.ParseQuery(filters)
	out := &sheet{ctx: ctx, s: s, id: id, sw: sw, row: 1, last: time.Now()}
	if err := src.Write(ctx, p, locale, values, out); err != nil {
		switch apperr.CodeOf(err) {
		case apperr.EForbidden, apperr.ENotFound, apperr.EInvalid:
			return s.finish(ctx, id, "failed", "", nil, 0)
		}
		return err
	}
	if err := sw.Flush(); err != nil {
		return err
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		return err
	}
	name := kind + "-" + s.now().In(time.FixedZone("CST", 8*3600)).Format("20060102-1504") + ".xlsx"
	return s.finish(ctx, id, "ready", name, buf.Bytes(), out.row-1)
}

// finish stores the sealed file (or the failure).
func (s *Service) finish(ctx context.Context, id int64, state, name string, file []byte, rows int) error {
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var sealed []byte
		if file != nil {
			var err error
			if sealed, err = s.Seal.Seal(file, fileAAD(id)); err != nil {
				return err
			}
		}
		now := s.now()
		_, err := tx.Exec(ctx, `UPDATE exports SET state = ?, filename = ?, file = ?, done = ?, total = ?, finished_at = ?, expires_at = ?
			WHERE id = ? AND state IN ('queued', 'running')`, state, name, sealed, rows, rows, db.Micro(now), db.Micro(now.Add(Keep)), id)
		return err
	})
}

// CleanupArgs is the daily removal of files past their week, whether or
// not anyone exports again.
type CleanupArgs struct {
	Day int64 `json:"day"`
}

// Kind names the job.
func (CleanupArgs) Kind() string { return "export.cleanup" }

// CleanupWorker drops expired files and schedules the next day's run.
type CleanupWorker struct {
	river.WorkerDefaults[CleanupArgs]
	S *Service
}

// Work drops the files and schedules tomorrow.
func (w *CleanupWorker) Work(ctx context.Context, job *river.Job[CleanupArgs]) error {
	if err := w.S.dropExpired(ctx); err != nil {
		return err
	}
	return w.S.ScheduleCleanup(ctx, w.S.now().Add(24*time.Hour))
}

// ScheduleCleanup inserts the cleanup of the day holding at (one per day,
// whatever the number of instances).
func (s *Service) ScheduleCleanup(ctx context.Context, at time.Time) error {
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		return s.Jobs.At(ctx, tx, CleanupArgs{Day: at.Unix() / 86400}, at)
	})
}

// dropExpired deletes the files of exports past their week.
func (s *Service) dropExpired(ctx context.Context) error {
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE exports SET file = NULL WHERE expires_at > 0 AND expires_at < ? AND file IS NOT NULL`, db.Micro(s.now()))
		return err
	})
}
