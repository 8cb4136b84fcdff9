package db_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/testutil"
)

// TestCachedStatementNestedInItsOwnRows: the same query run again while
// its rows are still open (a statement cached per connection on SQLite)
// gives both result sets in full, and a script of several statements still
// runs every one.
func TestCachedStatementNestedInItsOwnRows(t *testing.T) {
	d := testutil.DB(t)
	if d.Dialect != db.SQLite {
		t.Skip("SQLite: PostgreSQL runs one query at a time on a connection")
	}
	ctx := context.Background()
	err := d.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		for _, u := range []string{"c1", "c2", "c3"} {
			if _, err := tx.Exec(ctx, `INSERT INTO users (username, display_name, password_hash, password_changed_at, created_at)
				VALUES (?, 'C', 'x', 1, 1)`, u); err != nil {
				return err
			}
		}
		const q = `SELECT username FROM users WHERE username LIKE ? ORDER BY username`
		outer, err := tx.Query(ctx, q, "c%")
		if err != nil {
			return err
		}
		defer outer.Close()
		var got []string
		for outer.Next() {
			var u string
			if err := outer.Scan(&u); err != nil {
				return err
			}
			inner, err := tx.Query(ctx, q, u)
			if err != nil {
				return err
			}
			for inner.Next() {
				var v string
				if err := inner.Scan(&v); err != nil {
					return err
				}
				got = append(got, u+"="+v)
			}
			if err := inner.Close(); err != nil {
				return err
			}
		}
		if err := outer.Err(); err != nil {
			return err
		}
		if len(got) != 3 || got[0] != "c1=c1" || got[2] != "c3=c3" {
			t.Errorf("nested results %v", got)
		}
		// the same statement again, after both were closed
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM users WHERE username LIKE ?`, "c%").Scan(&n); err != nil || n != 3 {
			t.Errorf("count %d, %v", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := d.Exec(ctx, `CREATE TABLE cache_a (x INTEGER); CREATE TABLE cache_b (x INTEGER);`); err != nil {
		t.Fatal(err)
	}
	if _, err := d.Exec(ctx, `INSERT INTO cache_b (x) VALUES (1)`); err != nil {
		t.Fatalf("second statement of the script did not run: %v", err)
	}
}

// TestStatementCacheStartsOver: more distinct statements than the cache
// holds all run, and so do the first ones again afterwards.
func TestStatementCacheStartsOver(t *testing.T) {
	d := testutil.DB(t)
	ctx := context.Background()
	err := d.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		for i := range 1200 {
			var n int
			if err := tx.QueryRow(ctx, `SELECT ? + `+strconv.Itoa(i), 1).Scan(&n); err != nil || n != i+1 {
				t.Fatalf("statement %d: %d, %v", i, n, err)
			}
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT ? + 0`, 5).Scan(&n); err != nil || n != 5 {
			t.Fatalf("first statement again: %d, %v", n, err)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
