package audit

import (
	"context"
	"fmt"

	"github.com/careloop/careloop/internal/db"
)

// Problem describes the first bad entry Verify found.
type Problem struct {
	Seq    int64  // the sequence number of the first bad entry
	Reason string // altered, removed, reordered, truncated
}

func (p *Problem) Error() string {
	return fmt.Sprintf("audit trail broken at entry %d: %s", p.Seq, p.Reason)
}

// Verify walks the whole trail in sequence order and returns the number of
// good entries and, if the chain is broken, the first bad entry:
//   - a row whose content no longer matches its hash was altered;
//   - a missing sequence number means the entry was removed;
//   - a row whose previous-hash is not its predecessor's hash was moved
//     (reordered) or follows a removed entry;
//   - fewer rows than the head records means the tail was removed.
func Verify(ctx context.Context, d *db.DB) (int64, *Problem, error) {
	var good int64
	var problem *Problem
	err := d.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT seq, at, actor_user_id, actor_role, actor_org_id, action, object_type,
			object_id, outcome, detail, algo, prev_hash, hash FROM audit_log ORDER BY seq`)
		if err != nil {
			return err
		}
		defer rows.Close()
		want, prev := int64(1), ""
		for rows.Next() {
			var e Entry
			var at int64
			if err := rows.Scan(&e.Seq, &at, &e.ActorUserID, &e.ActorRole, &e.ActorOrgID, &e.Action, &e.ObjectType,
				&e.ObjectID, &e.Outcome, &e.Detail, &e.Algo, &e.PrevHash, &e.Hash); err != nil {
				return err
			}
			e.At = db.FromMicro(at)
			if p := check(e, want, prev); p != nil {
				problem = p
				return nil
			}
			good++
			want, prev = e.Seq+1, e.Hash
		}
		if err := rows.Err(); err != nil {
			return err
		}
		var headSeq int64
		var headHash string
		if err := tx.QueryRow(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&headSeq, &headHash); err != nil {
			return err
		}
		if headSeq != want-1 || headHash != prev {
			problem = &Problem{Seq: want, Reason: "removed (the trail ends early)"}
		}
		return nil
	})
	return good, problem, err
}

func check(e Entry, want int64, prev string) *Problem {
	if e.Seq != want {
		return &Problem{Seq: want, Reason: "removed (sequence number missing)"}
	}
	h, err := e.computeHash()
	if err != nil || h != e.Hash {
		return &Problem{Seq: e.Seq, Reason: "altered (content does not match its hash)"}
	}
	if e.PrevHash != prev {
		return &Problem{Seq: e.Seq, Reason: "reordered or preceded by a removed entry (chain link broken)"}
	}
	return nil
}
