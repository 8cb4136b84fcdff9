// Package station is the running of a hotline station: its roster and gaps
// in 24/7 cover, contacts to call back, supervision of finished contacts,
// and statistics per station and period.
//
// It reads the contacts of package hotline, the live-queue tables of the
// chat and phone parts and the duty roster of package warning; it writes
// only its own tables (supervision_reviews, contact_debriefs) and the
// called_back_at mark of a missed call or conversation.
package station

import (
	"context"
	"strconv"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/hotline/taxonomy"
	"github.com/careloop/careloop/internal/seal"
)

// Service is the station part of the hotline station.
type Service struct {
	DB       *db.DB
	Audit    *audit.Log
	Seal     seal.Sealer
	Taxonomy []taxonomy.Category // the station's concerns; nil: taxonomy.Default()
	Rubric   *Rubric             // the supervision rubric; nil: DefaultRubric()
	Now      func() time.Time
}

// Zone is China Standard Time: periods, days and hours of day are counted
// in it; times are stored in UTC.
var Zone = time.FixedZone("CST", 8*3600)

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// Station is a hotline station (or a branch) the caller may pick.
type Station struct {
	ID     int64
	Name   string
	NameEn string
	Path   string
}

// DisplayName returns the name to show in locale.
func (u Station) DisplayName(locale string) string {
	if locale == "en" && u.NameEn != "" {
		return u.NameEn
	}
	return u.Name
}

// Stations lists the active hotline stations where the caller holds any of
// perms (at the station or above it), in tree order.
func (s *Service) Stations(ctx context.Context, p access.Principal, perms ...access.Permission) ([]Station, error) {
	cond, args := "1=0", []any(nil)
	for _, perm := range perms {
		c, a := p.Scope(perm, "path")
		cond, args = cond+" OR "+c, append(args, a...)
	}
	var out []Station
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, name, name_en, path FROM org_units WHERE kind = 'hotline_station' AND active = 1 AND (`+cond+`)
			ORDER BY path LIMIT 500`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var u Station
			if err := rows.Scan(&u.ID, &u.Name, &u.NameEn, &u.Path); err != nil {
				return err
			}
			out = append(out, u)
		}
		return rows.Err()
	})
	return out, err
}

// station reads a hotline station and returns the first membership through
// which the caller holds one of perms there. A unit that is not a station,
// or out of the caller's reach, is not found.
func (s *Service) station(ctx context.Context, tx *db.Tx, p access.Principal, id int64, perms ...access.Permission) (Station, access.Membership, error) {
	u := Station{ID: id}
	var kind string
	if err := tx.QueryRow(ctx, `SELECT name, name_en, path, kind FROM org_units WHERE id = ?`, id).Scan(&u.Name, &u.NameEn, &u.Path, &kind); err != nil {
		return u, access.Membership{}, apperr.NotFound()
	}
	if kind != "hotline_station" {
		return u, access.Membership{}, apperr.NotFound()
	}
	for _, perm := range perms {
		if m, ok := p.At(perm, u.Path); ok {
			return u, m, nil
		}
	}
	return u, access.Membership{}, apperr.NotFound()
}

// record appends an audit entry in tx.
func (s *Service) record(ctx context.Context, tx *db.Tx, p access.Principal, m access.Membership, action, objType string, id int64, detail string) error {
	return s.Audit.Record(ctx, tx, audit.Entry{ActorUserID: p.UserID, ActorRole: m.Role, ActorOrgID: m.OrgID, Action: action,
		ObjectType: objType, ObjectID: itoa(id), Outcome: audit.Success, Detail: detail})
}

// Period is a span of whole days in China Standard Time: [From, To).
type Period struct {
	From, To time.Time
}

// Days returns the period from the first to the last day (both included,
// dates as YYYY-MM-DD in China Standard Time). A bad date, a last day
// before the first or a span over three years is invalid.
func Days(first, last string) (Period, error) {
	from, err1 := time.ParseInLocation("2006-01-02", first, Zone)
	to, err2 := time.ParseInLocation("2006-01-02", last, Zone)
	switch {
	case err1 != nil:
		return Period{}, apperr.Invalid("form.invalid", map[string]string{"from": "station.bad_date"})
	case err2 != nil:
		return Period{}, apperr.Invalid("form.invalid", map[string]string{"to": "station.bad_date"})
	case to.Before(from):
		return Period{}, apperr.Invalid("form.invalid", map[string]string{"to": "station.bad_period"})
	case to.Sub(from) > 3*366*24*time.Hour:
		return Period{}, apperr.Invalid("form.invalid", map[string]string{"to": "station.period_too_long"})
	}
	return Period{From: from, To: to.AddDate(0, 0, 1)}, nil
}

// First and Last are the period's first and last days, YYYY-MM-DD.
func (p Period) First() string { return p.From.In(Zone).Format("2006-01-02") }

// Last is the last day of the period, YYYY-MM-DD.
func (p Period) Last() string { return p.To.In(Zone).AddDate(0, 0, -1).Format("2006-01-02") }

// midnight returns the start of t's day in China Standard Time.
func midnight(t time.Time) time.Time {
	c := t.In(Zone)
	return time.Date(c.Year(), c.Month(), c.Day(), 0, 0, 0, 0, Zone)
}

func (s *Service) taxonomy() []taxonomy.Category {
	if s.Taxonomy != nil {
		return s.Taxonomy
	}
	tax, err := taxonomy.Default()
	if err != nil {
		return nil
	}
	return tax
}
