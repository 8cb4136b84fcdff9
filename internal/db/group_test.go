package db_test

import (
	"context"
	"fmt"
	"sync"
	"testing"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/testutil"
)

// TestTxGroupedCommitsEachUnitAlone: 200 concurrent units share commits; the
// ones that fail are undone alone, the others are all there.
func TestTxGroupedCommitsEachUnitAlone(t *testing.T) {
	d := testutil.DB(t)
	ctx := context.Background()
	var wg sync.WaitGroup
	errs := make([]error, 200)
	for i := range errs {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			errs[i] = d.TxGrouped(ctx, func(ctx context.Context, tx *db.Tx) error {
				if _, err := tx.Exec(ctx, `INSERT INTO users (username, display_name, password_hash, password_changed_at, created_at)
					VALUES (?, ?, 'x', 1, 1)`, fmt.Sprintf("user%03d", i), "U"); err != nil {
					return err
				}
				if i%10 == 0 {
					return apperr.New(apperr.EInvalid, "stop") // undo this unit only
				}
				if i%10 == 5 { // a failing statement inside the unit (duplicate username)
					_, err := tx.Exec(ctx, `INSERT INTO users (username, display_name, password_hash, password_changed_at, created_at)
						VALUES (?, ?, 'x', 1, 1)`, fmt.Sprintf("user%03d", i), "U")
					return err
				}
				return nil
			})
		}(i)
	}
	wg.Wait()
	for i, err := range errs {
		wantErr := i%10 == 0 || i%10 == 5
		if (err != nil) != wantErr {
			t.Errorf("unit %d: err %v, want error %v", i, err, wantErr)
		}
	}
	var n int
	if err := d.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT COUNT(*) FROM users`).Scan(&n)
	}); err != nil {
		t.Fatal(err)
	}
	if n != 160 {
		t.Fatalf("%d users committed, want 160", n)
	}
}

// TestMemoOncePerGroup: a memoized value is read once in a group commit,
// again after Forget, and every time outside a group.
func TestMemoOncePerGroup(t *testing.T) {
	d := testutil.DB(t)
	ctx := context.Background()
	calls := 0
	read := func() (any, error) { calls++; return calls, nil }
	err := d.TxGrouped(ctx, func(ctx context.Context, tx *db.Tx) error {
		a, _ := tx.Memo("k", read)
		b, _ := tx.Memo("k", read)
		tx.Forget("k")
		c, _ := tx.Memo("k", read)
		if d.Dialect == db.SQLite && (a != 1 || b != 1 || c != 2) {
			t.Errorf("grouped memo gave %v %v %v", a, b, c)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	calls = 0
	err = d.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		_, _ = tx.Memo("k", read)
		_, _ = tx.Memo("k", read)
		return nil
	})
	if err != nil || calls != 2 {
		t.Fatalf("outside a group: %d calls, %v", calls, err)
	}
}
