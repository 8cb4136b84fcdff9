package audit_test

import (
	"context"
	"fmt"
	"testing"

	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/testutil"
)

// TestRecordBatchChainsLikeRecord: a batch of 450 entries between single
// records verifies as one chain, and tampering inside the batch is found.
func TestRecordBatchChainsLikeRecord(t *testing.T) {
	d := testutil.DB(t)
	ctx := context.Background()
	l, err := audit.New("sm3", nil)
	if err != nil {
		t.Fatal(err)
	}
	err = d.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if err := l.Record(ctx, tx, audit.Entry{Action: "a.one", Outcome: audit.Success}); err != nil {
			return err
		}
		batch := make([]audit.Entry, 450)
		for i := range batch {
			batch[i] = audit.Entry{ActorUserID: 7, Action: "student.create", ObjectType: "student", ObjectID: fmt.Sprint(i), Outcome: audit.Success}
		}
		if err := l.RecordBatch(ctx, tx, batch); err != nil {
			return err
		}
		return l.Record(ctx, tx, audit.Entry{Action: "a.last", Outcome: audit.Success})
	})
	if err != nil {
		t.Fatal(err)
	}
	good, problem, err := audit.Verify(ctx, d)
	if err != nil || problem != nil || good != 452 {
		t.Fatalf("Verify = %d, %v, %v; want 452 good entries", good, problem, err)
	}
	drop := `DROP TRIGGER audit_log_no_update`
	if d.Dialect == db.Postgres {
		drop = `DROP TRIGGER audit_log_no_change ON audit_log`
	}
	if _, err := d.Exec(ctx, drop); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Exec(ctx, `UPDATE audit_log SET object_id = 'x' WHERE seq = 300`); err != nil {
		t.Fatal(err)
	}
	if _, problem, _ := audit.Verify(ctx, d); problem == nil || problem.Seq != 300 {
		t.Fatalf("tampered batch entry: problem %v, want entry 300", problem)
	}
}
