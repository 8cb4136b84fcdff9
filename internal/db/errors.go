package db

import (
	"errors"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/jackc/pgx/v5/pgconn"
	"modernc.org/sqlite"
)

// SQLite extended result codes and PostgreSQL SQLSTATEs that become
// application errors instead of internal ones.
const (
	sqliteUnique     = 2067
	sqlitePrimaryKey = 1555
	sqliteForeignKey = 787
	pgUnique         = "23505"
	pgForeignKey     = "23503"
)

// mapErr turns both engines' constraint violations into the same apperr
// codes, so that services never look at driver errors.
func mapErr(err error) error {
	if err == nil {
		return nil
	}
	var se *sqlite.Error
	if errors.As(err, &se) {
		switch se.Code() {
		case sqliteUnique, sqlitePrimaryKey:
			return &apperr.Error{Code: apperr.EConflict, Message: "error.duplicate", Err: err}
		case sqliteForeignKey:
			return &apperr.Error{Code: apperr.EConflict, Message: "error.in_use", Err: err}
		}
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		switch pe.Code {
		case pgUnique:
			return &apperr.Error{Code: apperr.EConflict, Message: "error.duplicate", Err: err}
		case pgForeignKey:
			return &apperr.Error{Code: apperr.EConflict, Message: "error.in_use", Err: err}
		}
	}
	var ae *apperr.Error
	if errors.As(err, &ae) {
		return err
	}
	return apperr.Internal(err)
}

// PostgreSQL SQLSTATEs of a transaction that lost a race and was rolled
// back whole: running it again is safe when its function has no effect
// outside the transaction.
const (
	pgDeadlock      = "40P01"
	pgSerialization = "40001"
)

// Retryable reports whether err is PostgreSQL rolling a transaction back
// to break a deadlock or a serialisation conflict.
func Retryable(err error) bool {
	var pe *pgconn.PgError
	return errors.As(err, &pe) && (pe.Code == pgDeadlock || pe.Code == pgSerialization)
}

// Retry runs tx, a whole transaction whose function has no effect outside
// it, again (up to three times in all) when PostgreSQL rolled it back to
// break a deadlock.
func Retry(tx func() error) error {
	var err error
	for range 3 {
		if err = tx(); !Retryable(err) {
			return err
		}
	}
	return err
}
