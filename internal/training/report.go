package training

import (
	"context"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// Figures are one row of the training report.
//
//   - Sessions: sessions held, counted under the course's offering unit: not
//     cancelled, starting in the period, with at least one attendance.
//   - PersonTimes (人次): attendances, counted under the trainee's unit.
//   - People (人数): distinct persons among those attendances.
//   - Minutes: the minutes credited for those attendances.
type Figures struct {
	Unit        UnitName
	Own         bool // the report unit itself, without its children
	Sessions    int64
	PersonTimes int64
	People      int64
	Minutes     int64
}

// Missing is a person who holds a role a course is required for, within
// the course's unit's subtree, and has attended none of its sessions.
type Missing struct {
	CourseID         int64
	Course, CourseEn string
	UserID           int64
	Username, Name   string
	Unit             UnitName
	Role             string
}

// CourseTitle is the course's title in locale l.
func (m Missing) CourseTitle(l string) string {
	if l == "en" && m.CourseEn != "" {
		return m.CourseEn
	}
	return m.Course
}

// Report is the training report of a unit for a period [From, To).
type Report struct {
	Unit     UnitName
	From, To time.Time
	Rows     []Figures // one per child unit, then the unit's own
	Total    Figures
	Missing  []Missing
}

// Report computes the training report of a unit where the caller holds
// training.manage, for sessions starting in [from, to). Every count is
// SQL restricted to the caller's subtrees. The read is audited.
func (s *Service) Report(ctx context.Context, p access.Principal, unitID int64, from, to time.Time) (*Report, error) {
	if !p.Can(access.TrainingManage) {
		return nil, apperr.Forbidden()
	}
	if from.IsZero() || to.IsZero() || !to.After(from) {
		return nil, apperr.Invalid("form.invalid", map[string]string{"to": "training.bad_period"})
	}
	rep := &Report{From: from, To: to}
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		u := &rep.Unit
		if err := tx.QueryRow(ctx, `SELECT id, name, name_en, path FROM org_units WHERE id = ? AND active = 1`, unitID).Scan(&u.ID, &u.Name, &u.NameEn, &u.Path); err != nil {
			return err
		}
		m, err := managing(p, u.Path)
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT id, name, name_en, path FROM org_units WHERE parent_id = ? ORDER BY name, id`, unitID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var c Figures
			if err := rows.Scan(&c.Unit.ID, &c.Unit.Name, &c.Unit.NameEn, &c.Unit.Path); err != nil {
				rows.Close()
				return apperr.Internal(err)
			}
			rep.Rows = append(rep.Rows, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return apperr.Internal(err)
		}
		rep.Rows = append(rep.Rows, Figures{Unit: *u, Own: true})
		rep.Total = Figures{Unit: *u}
		for i := range rep.Rows {
			if err := s.figures(ctx, tx, p, &rep.Rows[i], from, to); err != nil {
				return err
			}
		}
		if err := s.figures(ctx, tx, p, &rep.Total, from, to); err != nil {
			return err
		}
		if rep.Missing, err = missing(ctx, tx, p, u.Path); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "training.report", "org_unit", unitID, "from="+from.UTC().Format(time.RFC3339)+" to="+to.UTC().Format(time.RFC3339))
	})
	if err != nil {
		return nil, err
	}
	return rep, nil
}

// figures fills f: for its unit alone when Own, else for its subtree.
func (s *Service) figures(ctx context.Context, tx *db.Tx, p access.Principal, f *Figures, from, to time.Time) error {
	where, args := `ou.id = ?`, []any{f.Unit.ID}
	if !f.Own {
		where, args = `ou.path >= ? AND ou.path < ?`, []any{f.Unit.Path, access.SubtreeEnd(f.Unit.Path)}
	}
	scope, sargs := p.Scope(access.TrainingManage, "ou.path")
	args = append(append(args, sargs...), db.Micro(from), db.Micro(to))
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM training_sessions s JOIN training_courses k ON k.id = s.course_id
		JOIN org_units ou ON ou.id = k.org_unit_id WHERE `+where+` AND `+scope+` AND s.cancelled_at = 0 AND s.starts_at >= ? AND s.starts_at < ?
		AND EXISTS (SELECT 1 FROM training_enrolments e WHERE e.session_id = s.id AND e.attended = 1)`, args...).Scan(&f.Sessions); err != nil {
		return err
	}
	return tx.QueryRow(ctx, `SELECT COUNT(*), COUNT(DISTINCT e.user_id), COALESCE(SUM(e.minutes), 0) FROM training_enrolments e
		JOIN training_sessions s ON s.id = e.session_id JOIN org_units ou ON ou.id = e.org_unit_id
		WHERE `+where+` AND `+scope+` AND e.attended = 1 AND s.cancelled_at = 0 AND s.starts_at >= ? AND s.starts_at < ?`, args...).
		Scan(&f.PersonTimes, &f.People, &f.Minutes)
}

// missing lists, once per course and person, the holders of a required
// role in the subtree at path who have attended no session of the course.
func missing(ctx context.Context, tx *db.Tx, p access.Principal, path string) ([]Missing, error) {
	scope, sargs := p.Scope(access.TrainingManage, "mu.path")
	args := append([]any{path, access.SubtreeEnd(path)}, sargs...)
	rows, err := tx.Query(ctx, `SELECT k.id, k.title, k.title_en, u.id, u.username, u.display_name, mu.id, mu.name, mu.name_en, mu.path, m.role
		FROM training_courses k JOIN org_units ko ON ko.id = k.org_unit_id
		JOIN training_required_roles rr ON rr.course_id = k.id
		JOIN memberships m ON m.role = rr.role
		JOIN org_units mu ON mu.id = m.org_unit_id
		JOIN users u ON u.id = m.user_id
		WHERE k.active = 1 AND u.active = 1 AND mu.active = 1 AND mu.path LIKE ko.path || '%'
		AND mu.path >= ? AND mu.path < ? AND `+scope+`
		AND NOT EXISTS (SELECT 1 FROM training_enrolments e JOIN training_sessions s ON s.id = e.session_id
			WHERE s.course_id = k.id AND e.user_id = u.id AND e.attended = 1 AND s.cancelled_at = 0)
		ORDER BY mu.path, u.display_name, u.id, k.id, m.role LIMIT 5000`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Missing
	type key struct{ course, user int64 }
	seen := map[key]bool{}
	for rows.Next() {
		var x Missing
		if err := rows.Scan(&x.CourseID, &x.Course, &x.CourseEn, &x.UserID, &x.Username, &x.Name, &x.Unit.ID, &x.Unit.Name, &x.Unit.NameEn,
			&x.Unit.Path, &x.Role); err != nil {
			return nil, apperr.Internal(err)
		}
		if k := (key{x.CourseID, x.UserID}); !seen[k] {
			seen[k] = true
			out = append(out, x)
		}
	}
	return out, apperr.Internal(rows.Err())
}
