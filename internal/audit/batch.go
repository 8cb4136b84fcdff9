package audit

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/db"
)

// batchRows is how many entries one INSERT carries (13 values each, well
// under both engines' limits on bound parameters).
const batchRows = 200

// RecordBatch appends many entries inside tx as one chain segment: the head
// is read (and locked) once, the hashes are chained in memory, the rows are
// inserted a few hundred per statement, and the head is updated once. The
// entries are exactly as Record would have written them one by one.
func (l *Log) RecordBatch(ctx context.Context, tx *db.Tx, entries []Entry) error {
	if len(entries) == 0 {
		return nil
	}
	lock := ""
	if tx.Dialect() == db.Postgres {
		lock = " FOR UPDATE"
	}
	var seq int64
	var prev string
	if err := tx.QueryRow(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`+lock).Scan(&seq, &prev); err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	at := l.now().UTC().Truncate(time.Microsecond)
	for i := range entries {
		e := &entries[i]
		if e.Action == "" || e.Outcome == "" {
			return fmt.Errorf("audit: entry needs an action and an outcome")
		}
		seq++
		e.Seq, e.PrevHash, e.Algo, e.At = seq, prev, l.algo, at
		h, err := e.computeHash()
		if err != nil {
			return err
		}
		e.Hash, prev = h, h
	}
	for start := 0; start < len(entries); start += batchRows {
		chunk := entries[start:min(start+batchRows, len(entries))]
		args := make([]any, 0, 13*len(chunk)+2)
		for _, e := range chunk {
			args = append(args, e.Seq, db.Micro(e.At), e.ActorUserID, e.ActorRole, e.ActorOrgID, e.Action,
				e.ObjectType, e.ObjectID, e.Outcome, e.Detail, e.Algo, e.PrevHash, e.Hash)
		}
		values := strings.TrimSuffix(strings.Repeat("(?,?,?,?,?,?,?,?,?,?,?,?,?),", len(chunk)), ",")
		insert := `INSERT INTO audit_log (seq, at, actor_user_id, actor_role, actor_org_id, action,
			object_type, object_id, outcome, detail, algo, prev_hash, hash) VALUES ` + values
		if tx.Dialect() == db.Postgres && start+batchRows >= len(entries) {
			// The last rows and the head in one round trip: the head row
			// stays locked until the commit, so every round trip here is
			// one that all other writers wait for.
			if _, err := tx.Exec(ctx, `WITH ins AS (`+insert+`) UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`,
				append(args, seq, prev)...); err != nil {
				return fmt.Errorf("audit insert: %w", err)
			}
			return nil
		}
		if _, err := tx.Exec(ctx, insert, args...); err != nil {
			return fmt.Errorf("audit insert: %w", err)
		}
	}
	if _, err := tx.Exec(ctx, `UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`, seq, prev); err != nil {
		return fmt.Errorf("audit head update: %w", err)
	}
	return nil
}
