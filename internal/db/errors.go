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
