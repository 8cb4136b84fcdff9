package audit

import (
	"context"
	"strconv"

	"github.com/careloop/careloop/internal/db"
)

// Filter selects entries for the auditor's page, newest first.
type Filter struct {
	Before int64 // only entries with seq < Before (0: from the newest)
	Limit  int
}

// FindEntries returns entries for an auditor and records that read, with
// reader as the actor, in the same transaction. Callers check the
// permission before calling.
func FindEntries(ctx context.Context, d *db.DB, l *Log, reader Entry, f Filter) ([]Entry, error) {
	if f.Limit <= 0 || f.Limit > 500 {
		f.Limit = 100
	}
	var out []Entry
	err := d.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		q := `SELECT seq, at, actor_user_id, actor_role, actor_org_id, action, object_type, object_id, outcome, detail,
			algo, prev_hash, hash FROM audit_log`
		var args []any
		if f.Before > 0 {
			q += ` WHERE seq < ?`
			args = append(args, f.Before)
		}
		rows, err := tx.Query(ctx, q+` ORDER BY seq DESC LIMIT `+strconv.Itoa(f.Limit), args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var e Entry
			var at int64
			if err := rows.Scan(&e.Seq, &at, &e.ActorUserID, &e.ActorRole, &e.ActorOrgID, &e.Action, &e.ObjectType,
				&e.ObjectID, &e.Outcome, &e.Detail, &e.Algo, &e.PrevHash, &e.Hash); err != nil {
				rows.Close()
				return err
			}
			e.At = db.FromMicro(at)
			out = append(out, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		reader.Action, reader.ObjectType, reader.Outcome = "audit.read", "audit_log", Success
		reader.Detail = "before=" + strconv.FormatInt(f.Before, 10)
		return l.Record(ctx, tx, reader)
	})
	return out, err
}
