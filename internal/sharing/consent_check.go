package sharing

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/student"
)

// HasConsent reports whether the processing named by scope (one of
// Scopes) was consented for the student at time at. Other services call it
// in their own transaction tx (nil: a read of its own). It needs both
//
//   - a general consent covering scope: a guardian's, or from 14 on the
//     child's own; and
//   - the separate consent for sensitive personal information covering
//     scope, given by a guardian or, from 14 on, by the child;
//
// each given by at and not withdrawn by then. The child's age is taken at
// at from students.birth_date; an unreadable birth date counts as under
// 14, so only a guardian's consent counts. An unknown student is ENotFound.
// The caller has already decided that it may act for the student.
func (s *Service) HasConsent(ctx context.Context, tx *db.Tx, studentID int64, scope string, at time.Time) (bool, error) {
	if tx == nil {
		var ok bool
		err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
			var err error
			ok, err = s.HasConsent(ctx, tx, studentID, scope, at)
			return err
		})
		return ok, err
	}
	if !slices.Contains(Scopes, scope) {
		return false, apperr.Internal(errBadScope)
	}
	var birth string
	if err := tx.QueryRow(ctx, `SELECT birth_date FROM students WHERE id = ?`, studentID).Scan(&birth); err != nil {
		return false, err
	}
	minor := student.AgeOn(birth, at) < AgeOfConsent
	t := db.Micro(at)
	rows, err := tx.Query(ctx, `SELECT kind, relation, scope FROM consent_records
		WHERE student_id = ? AND given_at <= ? AND (withdrawn_at = 0 OR withdrawn_at > ?)`, studentID, t, t)
	if err != nil {
		return false, err
	}
	defer rows.Close()
	general, sensitive := false, false
	for rows.Next() {
		var kind, relation, codes string
		if err := rows.Scan(&kind, &relation, &codes); err != nil {
			return false, apperr.Internal(err)
		}
		if !slices.Contains(strings.Fields(codes), scope) {
			continue
		}
		byChild := relation == Self
		if byChild && minor {
			continue // under 14, only a guardian's consent counts
		}
		switch kind {
		case ConsentGuardian:
			general = general || !byChild
		case ConsentChild:
			general = general || byChild
		case ConsentSensitive:
			sensitive = true
		}
	}
	if err := rows.Err(); err != nil {
		return false, apperr.Internal(err)
	}
	return general && sensitive, nil
}

type badScope struct{}

func (badScope) Error() string { return "sharing: unknown consent scope" }

var errBadScope = badScope{}
