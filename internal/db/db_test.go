package db_test

import (
	"context"
	"testing"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/testutil"
)

func TestMigrateIsIdempotent(t *testing.T) {
	d := testutil.DB(t)
	applied, err := d.Migrate(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(applied) != 0 {
		t.Fatalf("second migrate applied %v", applied)
	}
}

func TestUniqueViolationIsConflictOnBothEngines(t *testing.T) {
	d := testutil.DB(t)
	ctx := context.Background()
	ins := func() error {
		return d.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO users (username, display_name, password_hash, password_changed_at, created_at) VALUES (?, ?, ?, ?, ?)`,
				"dup", "D", "x", 1, 1)
			return err
		})
	}
	if err := ins(); err != nil {
		t.Fatal(err)
	}
	if err := ins(); apperr.CodeOf(err) != apperr.EConflict {
		t.Fatalf("second insert: got %v, want conflict", err)
	}
}

func TestTxRollsBackOnError(t *testing.T) {
	d := testutil.DB(t)
	ctx := context.Background()
	_ = d.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `INSERT INTO users (username, display_name, password_hash, password_changed_at, created_at) VALUES (?, ?, ?, ?, ?)`, "rb", "R", "x", 1, 1); err != nil {
			t.Fatal(err)
		}
		return apperr.New(apperr.EInvalid, "stop")
	})
	var n int
	err := d.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT COUNT(*) FROM users WHERE username = ?`, "rb").Scan(&n)
	})
	if err != nil || n != 0 {
		t.Fatalf("rolled-back row visible: n=%d err=%v", n, err)
	}
}

func TestNestedTxJoinsOuter(t *testing.T) {
	d := testutil.DB(t)
	ctx := context.Background()
	err := d.Tx(ctx, func(ctx context.Context, outer *db.Tx) error {
		return d.Tx(ctx, func(ctx context.Context, inner *db.Tx) error {
			if inner != outer {
				t.Error("inner transaction did not join the outer one")
			}
			return nil
		})
	})
	if err != nil {
		t.Fatal(err)
	}
}
