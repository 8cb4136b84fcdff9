package workforce

import (
	"context"
	"strings"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// Settings are a unit's workforce settings as its managers see them.
type Settings struct {
	Unit UnitName
	// BarLapsed: withhold sealed notes from people whose certification
	// lapsed, set at this unit.
	BarLapsed bool
	// BarAbove: a unit above sets the rule, so it holds here whatever this
	// unit says.
	BarAbove bool
	// WarnDays: how many days ahead expiring certifications are flagged.
	WarnDays int
	// WarnOwn: this unit sets WarnDays (else it is inherited).
	WarnOwn bool
}

type unitSetting struct {
	path string
	bar  bool
	warn int
}

// settingsIndex is every unit's own settings, by path.
type settingsIndex []unitSetting

func loadSettings(ctx context.Context, tx *db.Tx) (settingsIndex, error) {
	rows, err := tx.Query(ctx, `SELECT o.path, ws.bar_lapsed, ws.warn_days FROM workforce_settings ws JOIN org_units o ON o.id = ws.org_unit_id`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out settingsIndex
	for rows.Next() {
		var u unitSetting
		var bar int
		if err := rows.Scan(&u.path, &bar, &u.warn); err != nil {
			return nil, apperr.Internal(err)
		}
		u.bar = bar == 1
		out = append(out, u)
	}
	return out, apperr.Internal(rows.Err())
}

// warnDays is the window of the nearest unit at or above path that sets
// one.
func (ix settingsIndex) warnDays(path string) int {
	best, days := -1, DefaultWarnDays
	for _, u := range ix {
		if strings.HasPrefix(path, u.path) && len(u.path) > best {
			best, days = len(u.path), u.warn
		}
	}
	return days
}

// barred reports whether the lapse rule is on at path or above (strictly
// above with above).
func (ix settingsIndex) barred(path string, above bool) bool {
	for _, u := range ix {
		if u.bar && strings.HasPrefix(path, u.path) && (!above || u.path != path) {
			return true
		}
	}
	return false
}

// UnitSettings returns the settings of each unit where the caller holds
// workforce.manage through a role held there.
func (s *Service) UnitSettings(ctx context.Context, p access.Principal) ([]Settings, error) {
	if !p.Can(access.WorkforceManage) {
		return nil, apperr.Forbidden()
	}
	var out []Settings
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		ix, err := loadSettings(ctx, tx)
		if err != nil {
			return err
		}
		seen := map[int64]bool{}
		for _, m := range p.Memberships {
			if seen[m.OrgID] || !access.Has(m.Role, access.WorkforceManage) {
				continue
			}
			seen[m.OrgID] = true
			st := Settings{Unit: UnitName{ID: m.OrgID}}
			var path string
			if err := tx.QueryRow(ctx, `SELECT name, name_en, path FROM org_units WHERE id = ?`, m.OrgID).Scan(&st.Unit.Name, &st.Unit.NameEn, &path); err != nil {
				return err
			}
			st.BarAbove, st.WarnDays = ix.barred(path, true), ix.warnDays(path)
			for _, u := range ix {
				if u.path == path {
					st.BarLapsed, st.WarnOwn = u.bar, true
				}
			}
			out = append(out, st)
		}
		return nil
	})
	return out, err
}

// SaveSettings sets a unit's lapse rule and warning window (1 to 365
// days). The caller needs workforce.manage at the unit. A rule set above
// still holds here when this unit turns its own off.
func (s *Service) SaveSettings(ctx context.Context, p access.Principal, unitID int64, barLapsed bool, warnDays int) error {
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var path string
		err := tx.QueryRow(ctx, `SELECT path FROM org_units WHERE id = ?`, unitID).Scan(&path)
		if err != nil && apperr.CodeOf(err) != apperr.ENotFound {
			return err
		}
		m, ok := p.At(access.WorkforceManage, path)
		if err != nil || !ok {
			return apperr.NotFound()
		}
		if warnDays < 1 || warnDays > 365 {
			return apperr.Invalid("form.invalid", map[string]string{"warn_days": "workforce.bad_warn_days"})
		}
		now := db.Micro(s.now())
		if _, err := tx.Exec(ctx, `INSERT INTO workforce_settings (org_unit_id, bar_lapsed, warn_days, updated_by, updated_at) VALUES (?, ?, ?, ?, ?)
			ON CONFLICT (org_unit_id) DO UPDATE SET bar_lapsed = excluded.bar_lapsed, warn_days = excluded.warn_days,
			updated_by = excluded.updated_by, updated_at = excluded.updated_at`, unitID, boolInt(barLapsed), warnDays, p.UserID, now); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "workforce.settings", "org_unit", unitID, "bar_lapsed="+boolText(barLapsed)+" warn_days="+itoa(int64(warnDays)))
	})
}

// NotesBarred reports, in the caller's transaction tx, whether userID may
// not read sealed notes under the lapse rule: the rule is on at the unit
// of the person's registry entry or above, the person had at least one
// certification, and none is valid now. A user with no entry is never
// barred. care.Service calls it before opening session and follow-up notes.
func (s *Service) NotesBarred(ctx context.Context, tx *db.Tx, userID int64) (bool, error) {
	if userID <= 0 {
		return false, nil
	}
	var person int64
	var path string
	err := tx.QueryRow(ctx, `SELECT wp.id, o.path FROM workforce_people wp JOIN org_units o ON o.id = wp.org_unit_id WHERE wp.user_id = ?`,
		userID).Scan(&person, &path)
	if apperr.CodeOf(err) == apperr.ENotFound {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var rules int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM workforce_settings ws JOIN org_units u ON u.id = ws.org_unit_id
		WHERE ws.bar_lapsed = 1 AND ? LIKE u.path || '%'`, path).Scan(&rules); err != nil {
		return false, err
	}
	if rules == 0 {
		return false, nil
	}
	now := s.now()
	var had, valid int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN ended_at = 0 AND issued_on <= ? AND expires_on > ? THEN 1 ELSE 0 END), 0)
		FROM workforce_certs WHERE person_id = ?`, db.Micro(now), db.Micro(now.Add(-day)), person).Scan(&had, &valid); err != nil {
		return false, err
	}
	return had > 0 && valid == 0, nil
}
