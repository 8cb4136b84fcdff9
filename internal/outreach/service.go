// Package outreach is the work around the loop that reaches the public: outreach activities (awareness events, lectures, parent classes, group activities, media) in series with a calendar, and the venues (counselling rooms, centres, youth-care rooms, civic practice centres) with their yearly rating and ranking.
package outreach

import (
	"context"
	"strconv"
	"strings"
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
}

// Display is the unit's name in the locale.
func (u UnitName) Display(l string) string { return pick(l, u.Name, u.NameEn) }

func pick(l, zh, en string) string {
	if l == "en" && en != "" {
		return en
	}
	return zh
}

// record writes an audit entry for the caller's act (codes only).
func (s *Service) record(ctx context.Context, tx *db.Tx, p access.Principal, m access.Membership, action, objType string, id int64, detail string) error {
	return s.Audit.Record(ctx, tx, audit.Entry{ActorUserID: p.UserID, ActorRole: m.Role, ActorOrgID: m.OrgID, Action: action,
		ObjectType: objType, ObjectID: itoa(id), Outcome: audit.Success, Detail: detail})
}

// unitAt returns the path of an active unit and the membership through
// which the caller holds perm over it; a unit out of reach is the field
// problem bad on field.
func unitAt(ctx context.Context, tx *db.Tx, p access.Principal, perm access.Permission, unit int64, field, bad string) (string, access.Membership, error) {
	var path string
	if err := tx.QueryRow(ctx, `SELECT path FROM org_units WHERE id = ? AND active = 1`, unit).Scan(&path); err != nil {
		return "", access.Membership{}, apperr.Invalid("form.invalid", map[string]string{field: bad})
	}
	m, ok := p.At(perm, path)
	if !ok {
		return "", m, apperr.Invalid("form.invalid", map[string]string{field: bad})
	}
	return path, m, nil
}

func contains(list []string, v string) bool {
	for _, x := range list {
		if x == v {
			return true
		}
	}
	return false
}

// lines splits text into trimmed, non-empty lines.
func lines(text string) []string {
	var out []string
	for _, l := range strings.Split(strings.ReplaceAll(text, "\r\n", "\n"), "\n") {
		if l = strings.TrimSpace(l); l != "" {
			out = append(out, l)
		}
	}
	return out
}

// Units lists the active units where the caller holds perm (a form's
// choices), by path.
func (s *Service) Units(ctx context.Context, p access.Principal, perm access.Permission) ([]UnitName, error) {
	if perm != access.OutreachManage && perm != access.VenueRate {
		return nil, apperr.Forbidden()
	}
	cond, args := p.Scope(perm, "u.path")
	var out []UnitName
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT u.id, u.name, u.name_en FROM org_units u WHERE u.active = 1 AND `+cond+` ORDER BY u.path LIMIT 1000`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var u UnitName
			if err := rows.Scan(&u.ID, &u.Name, &u.NameEn); err != nil {
				return apperr.Internal(err)
			}
			out = append(out, u)
		}
		return apperr.Internal(rows.Err())
	})
	return out, err
}
