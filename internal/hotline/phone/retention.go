package phone

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
)

// ExpiryArgs is the timer that deletes recordings at the end of the
// retention period: one per recording, scheduled as it is stored, and a
// daily sweep (Day set) that also clears files no recording owns.
type ExpiryArgs struct {
	RecordingID int64  `json:"recording_id,omitempty"`
	Day         string `json:"day,omitempty"` // the sweep's date, China Standard Time
}

// Kind names the job.
func (ExpiryArgs) Kind() string { return "phone.recording_expiry" }

var _ river.JobArgs = ExpiryArgs{}

// ExpiryWorker runs the recordings' timers.
type ExpiryWorker struct {
	river.WorkerDefaults[ExpiryArgs]
	S *Service
}

// Work deletes what is due, and waits if its own recording is not yet
// (the retention period was lengthened since it was scheduled).
func (w *ExpiryWorker) Work(ctx context.Context, job *river.Job[ExpiryArgs]) error {
	wait, err := w.S.Expire(ctx, job.Args)
	if err == nil && wait > 0 {
		return river.JobSnooze(wait)
	}
	return err
}

// sweepBatch bounds the deletions of one run; the next timer takes the rest.
const sweepBatch = 500

// orphanAge is how old a file that no recording owns must be before a
// sweep removes it (an upload in progress owns none yet).
const orphanAge = time.Hour

var cst = time.FixedZone("CST", 8*3600)

// nextSweep is the daily sweep after t: at 03:00 China Standard Time.
func nextSweep(t time.Time) (string, time.Time) {
	d := t.In(cst)
	at := time.Date(d.Year(), d.Month(), d.Day()+1, 3, 0, 0, 0, cst)
	return at.Format("2006-01-02"), at
}

// Expire deletes every recording stored longer ago than the retention
// period (the file, and the row's audio mark), each deletion audited as
// the system's. For a recording's own timer that is not yet due it returns
// the time left. A daily sweep also removes files that no recording owns
// (an upload cut off by a crash, a file whose removal failed) and
// schedules the next day's sweep.
func (s *Service) Expire(ctx context.Context, a ExpiryArgs) (time.Duration, error) {
	now := s.now()
	if err := s.expireDue(ctx, now); err != nil {
		return 0, err
	}
	if a.Day != "" {
		if err := s.sweepOrphans(ctx); err != nil {
			return 0, err
		}
		day, at := nextSweep(now)
		if err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
			return s.Jobs.At(ctx, tx, ExpiryArgs{Day: day}, at)
		}); err != nil {
			return 0, err
		}
	}
	if a.RecordingID == 0 {
		return 0, nil
	}
	var stored, deleted int64
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT stored_at, deleted_at FROM phone_recordings WHERE id = ?`, a.RecordingID).Scan(&stored, &deleted)
	})
	if err != nil || deleted != 0 {
		return 0, nil // gone: nothing to wait for
	}
	return db.FromMicro(stored).Add(s.retention()).Sub(now), nil
}

// expireDue deletes the recordings past the retention period.
func (s *Service) expireDue(ctx context.Context, now time.Time) error {
	cutoff := db.Micro(now.Add(-s.retention()))
	days := itoa(int64(s.retention() / (24 * time.Hour)))
	var gone []string
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, call_id, file_key FROM phone_recordings WHERE deleted_at = 0 AND stored_at <= ?
			ORDER BY stored_at LIMIT ?`, cutoff, sweepBatch)
		if err != nil {
			return err
		}
		type due struct {
			id, call int64
			key      string
		}
		var list []due
		for rows.Next() {
			var d due
			if err := rows.Scan(&d.id, &d.call, &d.key); err != nil {
				rows.Close()
				return err
			}
			list = append(list, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, d := range list {
			// A concurrent sweep may have taken it: only one deletes and audits.
			res, err := tx.Exec(ctx, `UPDATE phone_recordings SET deleted_at = ? WHERE id = ? AND deleted_at = 0`, db.Micro(now), d.id)
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n != 1 {
				continue
			}
			if err := s.Audit.Record(ctx, tx, audit.Entry{ActorRole: "system", Action: "phone.recording_delete", ObjectType: "phone_recording",
				ObjectID: itoa(d.id), Outcome: audit.Success, Detail: "call=" + itoa(d.call) + " retention_days=" + days}); err != nil {
				return err
			}
			gone = append(gone, d.key)
		}
		return nil
	})
	if err != nil {
		return err
	}
	for _, key := range gone {
		if err := os.Remove(filepath.Join(s.Dir, key+".rec")); err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.log().Error("phone: remove expired recording file (the daily sweep retries)", "file", key, "err", err)
		}
	}
	return nil
}

// sweepOrphans removes the files of the recordings folder that no stored
// recording owns, once they are older than orphanAge (by their time on
// disk).
func (s *Service) sweepOrphans(ctx context.Context) error {
	entries, err := os.ReadDir(s.Dir)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	live := map[string]bool{}
	err = s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT file_key FROM phone_recordings WHERE deleted_at = 0`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			if err := rows.Scan(&k); err != nil {
				return err
			}
			live[k] = true
		}
		return rows.Err()
	})
	if err != nil {
		return err
	}
	for _, e := range entries {
		name := e.Name()
		key := strings.TrimSuffix(strings.TrimSuffix(name, ".rec"), ".part")
		if e.IsDir() || key == name || live[key] {
			continue
		}
		info, err := e.Info()
		if err != nil || time.Since(info.ModTime()) < orphanAge {
			continue
		}
		if err := os.Remove(filepath.Join(s.Dir, name)); err != nil && !errors.Is(err, fs.ErrNotExist) {
			s.log().Error("phone: remove orphaned recording file", "file", name, "err", err)
		}
	}
	return nil
}
