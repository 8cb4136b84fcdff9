// Package care is what follows an alert (一生一策, 跟踪辅导, 个辅/团辅, 研判):
// one open case per student of concern with a versioned support plan;
// follow-ups that escalate like alerts when missed; counselling
// appointments and individual and group sessions; risk reviews and case
// reviews whose decisions become tasks; and each person's work list.
package care

import (
	"context"
	"strconv"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/jobs"
	"github.com/careloop/careloop/internal/notify"
	"github.com/careloop/careloop/internal/seal"
	"github.com/careloop/careloop/internal/warning"
)

// Service runs cases, plans, follow-ups, counselling and reviews.
type Service struct {
	DB      *db.DB
	Audit   *audit.Log
	Seal    seal.Sealer
	Jobs    *jobs.Queue
	Notify  *notify.Service
	Warning *warning.Service
	Now     func() time.Time
	// NotesBarred reports whether a reader may not see sealed session and
	// follow-up notes (the workforce's lapse rule); nil: never barred.
	NotesBarred func(ctx context.Context, tx *db.Tx, userID int64) (bool, error)
}

// notesBarred asks NotesBarred, if set, in tx.
func (s *Service) notesBarred(ctx context.Context, tx *db.Tx, userID int64) (bool, error) {
	if s.NotesBarred == nil {
		return false, nil
	}
	return s.NotesBarred(ctx, tx, userID)
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// studentAt checks that the caller holds perm over the student's current
// school and returns the membership and the school's path. An unknown
// student and one outside the caller's reach get the same ENotFound.
func studentAt(ctx context.Context, tx *db.Tx, p access.Principal, perm access.Permission, studentID int64) (access.Membership, string, error) {
	var path string
	if err := tx.QueryRow(ctx, `SELECT o.path FROM students st JOIN org_units o ON o.id = st.school_id WHERE st.id = ?`, studentID).Scan(&path); err != nil {
		if apperr.CodeOf(err) == apperr.ENotFound {
			return access.Membership{}, "", apperr.NotFound()
		}
		return access.Membership{}, "", err
	}
	m, ok := p.At(perm, path)
	if !ok {
		return m, "", apperr.NotFound()
	}
	return m, path, nil
}

// record writes an audit entry for a caller's act on a care object.
func (s *Service) record(ctx context.Context, tx *db.Tx, p access.Principal, m access.Membership, action, objType string, id int64, detail string) error {
	return s.Audit.Record(ctx, tx, audit.Entry{ActorUserID: p.UserID, ActorRole: m.Role, ActorOrgID: m.OrgID, Action: action,
		ObjectType: objType, ObjectID: itoa(id), Outcome: audit.Success, Detail: detail})
}
