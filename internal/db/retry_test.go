package db_test

import (
	"fmt"
	"testing"

	"github.com/jackc/pgx/v5/pgconn"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// A transaction PostgreSQL rolled back to break a deadlock runs again, up
// to three times in all; any other error is returned at once.
func TestRetryOnDeadlock(t *testing.T) {
	deadlock := apperr.Internal(fmt.Errorf("exec: %w", &pgconn.PgError{Code: "40P01"}))
	runs := 0
	err := db.Retry(func() error {
		runs++
		if runs < 3 {
			return deadlock
		}
		return nil
	})
	if err != nil || runs != 3 {
		t.Errorf("after two deadlocks: %v, %d runs", err, runs)
	}
	runs = 0
	if err := db.Retry(func() error { runs++; return deadlock }); !db.Retryable(err) || runs != 3 {
		t.Errorf("always deadlocked: %v, %d runs, want the deadlock after 3", err, runs)
	}
	runs = 0
	other := apperr.Internal(fmt.Errorf("exec: %w", &pgconn.PgError{Code: "23505"}))
	if err := db.Retry(func() error { runs++; return other }); err != other || runs != 1 {
		t.Errorf("another error: %v, %d runs", err, runs)
	}
}
