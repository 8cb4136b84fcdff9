package audit_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/testutil"
)

// TestRecordInGroupCommit: entries recorded by units of a group commit are
// chained together at the end of the group; a failed unit's entry is gone
// with its writes, and the chain verifies.
func TestRecordInGroupCommit(t *testing.T) {
	d := testutil.DB(t)
	ctx := context.Background()
	l, err := audit.New("sha256", nil)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	for i := 0; i < 120; i++ {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			_ = d.TxGrouped(ctx, func(ctx context.Context, tx *db.Tx) error {
				if err := l.Record(ctx, tx, audit.Entry{Action: "unit.run", ObjectID: fmt.Sprint(i), Outcome: audit.Success}); err != nil {
					return err
				}
				if i%4 == 0 {
					return apperr.New(apperr.EInvalid, "undo") // this unit's entry must vanish
				}
				return nil
			})
		}(i)
	}
	wg.Wait()
	good, problem, err := audit.Verify(ctx, d)
	if err != nil || problem != nil {
		t.Fatalf("Verify: %v %v", problem, err)
	}
	if good != 90 {
		t.Fatalf("%d entries, want 90 (120 units, 30 undone)", good)
	}
	var undone int
	if err := d.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT COUNT(*) FROM audit_log WHERE CAST(object_id AS INTEGER) % 4 = 0`).Scan(&undone)
	}); err != nil {
		t.Fatal(err)
	}
	if undone != 0 {
		t.Errorf("%d entries of undone units were written", undone)
	}
}
