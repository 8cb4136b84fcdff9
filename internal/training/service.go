// Package training is the training of the workforce: courses and their sessions, enrolment, attendance (by list or a QR code at the door, or imported from XLSX), credited hours, eligibility for certification, and the reports of who was trained and who still lacks a required training.
package training

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/jobs"
	"github.com/careloop/careloop/internal/notify"
	"github.com/careloop/careloop/internal/seal"
)

// Service is the package's one entry point; handlers call it with the
// caller's Principal.
type Service struct {
	DB     *db.DB
	Audit  *audit.Log
	Seal   seal.Sealer
	Jobs   *jobs.Queue
	Notify *notify.Service
	Now    func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// UnitName is a unit as lists show it.
type UnitName struct {
	ID     int64
	Name   string
	NameEn string
	Path   string
}

// Display is the unit's name in locale l (Chinese when no English name).
func (u UnitName) Display(l string) string {
	if l == "en" && u.NameEn != "" {
		return u.NameEn
	}
	return u.Name
}

// Hours shows minutes as hours with one decimal.
func Hours(minutes int64) string { return fmt.Sprintf("%.1f", float64(minutes)/60) }

// record writes an audit entry for the caller's act through membership m.
func (s *Service) record(ctx context.Context, tx *db.Tx, p access.Principal, m access.Membership, action, objType string, id int64, detail string) error {
	return s.Audit.Record(ctx, tx, audit.Entry{ActorUserID: p.UserID, ActorRole: m.Role, ActorOrgID: m.OrgID, Action: action,
		ObjectType: objType, ObjectID: itoa(id), Outcome: audit.Success, Detail: detail})
}

// own is the membership a caller acts through on their own training.
func own(p access.Principal) access.Membership {
	if len(p.Memberships) > 0 {
		return p.Memberships[0]
	}
	return access.Membership{}
}

// unitPath returns the path of an active unit, or NotFound.
func unitPath(ctx context.Context, tx *db.Tx, id int64) (string, error) {
	var path string
	if err := tx.QueryRow(ctx, `SELECT path FROM org_units WHERE id = ? AND active = 1`, id).Scan(&path); err != nil {
		return "", err
	}
	return path, nil
}

// managing returns the membership through which p manages the training of
// the unit at path, or NotFound (a unit out of scope does not exist for
// the caller).
func managing(p access.Principal, path string) (access.Membership, error) {
	m, ok := p.At(access.TrainingManage, path)
	if !ok {
		return access.Membership{}, apperr.NotFound()
	}
	return m, nil
}

// HoursText shows the session's credit in hours.
func (s Session) HoursText() string { return Hours(s.Minutes) }

// HoursText shows the credited hours.
func (e Enrolment) HoursText() string { return Hours(e.Minutes) }

// HoursText shows the credited hours.
func (e MyEnrolment) HoursText() string { return Hours(e.Minutes) }

// HoursText shows the hours of the row.
func (f Figures) HoursText() string { return Hours(f.Minutes) }

// HoursText shows the course's default credit per session in hours.
func (c Course) HoursText() string { return Hours(c.Minutes) }

// HoursText shows the summary's hours with one decimal.
func (s Summary) HoursText() string { return Hours(int64(s.Hours*60 + 0.5)) }
