package training

import (
	"context"
	"math"
	"regexp"
	"slices"
	"strings"
	"unicode/utf8"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// Kinds of course.
var Kinds = []string{"crisis", "supervision", "certification", "general"}

// levelCode is the shape of a certification level code (the workforce
// registry's levels, e.g. "intermediate", "senior").
var levelCode = regexp.MustCompile(`^[a-z][a-z0-9_]{0,39}$`)

// Course is a training course offered by a unit.
type Course struct {
	ID               int64
	Unit             UnitName
	Title, TitleEn   string
	Kind             string
	Level            string // the certification level it leads to, or ""
	RequiredSessions int    // attended sessions that make a person eligible for Level
	Minutes          int64  // default credit of a session
	RequiredFor      []string
	Sessions         int // scheduled sessions
}

// Display is the course's title in locale l.
func (c Course) Display(l string) string {
	if l == "en" && c.TitleEn != "" {
		return c.TitleEn
	}
	return c.Title
}

// NewCourse is a course as a manager enters it.
type NewCourse struct {
	UnitID           int64
	Title, TitleEn   string
	Kind             string
	Level            string
	RequiredSessions int
	Hours            float64 // default hours credited per session
	RequiredFor      []string
}

func (n *NewCourse) check() map[string]string {
	bad := map[string]string{}
	n.Title, n.TitleEn, n.Level = strings.TrimSpace(n.Title), strings.TrimSpace(n.TitleEn), strings.TrimSpace(n.Level)
	if n.Title == "" || utf8.RuneCountInString(n.Title) > 200 {
		bad["title"] = "training.title_required"
	}
	if utf8.RuneCountInString(n.TitleEn) > 200 {
		bad["title_en"] = "training.too_long"
	}
	if !slices.Contains(Kinds, n.Kind) {
		bad["kind"] = "training.bad_value"
	}
	if n.Level != "" && !levelCode.MatchString(n.Level) {
		bad["level"] = "training.bad_level"
	}
	if n.Kind == "certification" && n.Level == "" {
		bad["level"] = "training.level_required"
	}
	if n.RequiredSessions < 0 || n.RequiredSessions > 100 || (n.Level != "" && n.RequiredSessions == 0) {
		bad["required_sessions"] = "training.bad_required_sessions"
	}
	if !(n.Hours > 0 && n.Hours <= 24) || math.IsNaN(n.Hours) {
		bad["hours"] = "training.bad_hours"
	}
	for _, r := range n.RequiredFor {
		if _, ok := access.Roles[r]; !ok {
			bad["required_for"] = "training.bad_value"
		}
	}
	return bad
}

// CreateCourse records a course offered by a unit where the caller holds
// training.manage.
func (s *Service) CreateCourse(ctx context.Context, p access.Principal, n NewCourse) (int64, error) {
	if !p.Can(access.TrainingManage) {
		return 0, apperr.Forbidden()
	}
	if bad := n.check(); len(bad) > 0 {
		return 0, apperr.Invalid("form.invalid", bad)
	}
	var id int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		path, err := unitPath(ctx, tx, n.UnitID)
		if err != nil {
			return apperr.Invalid("form.invalid", map[string]string{"unit": "training.bad_unit"})
		}
		m, ok := p.At(access.TrainingManage, path)
		if !ok {
			return apperr.Invalid("form.invalid", map[string]string{"unit": "training.bad_unit"})
		}
		id, err = tx.InsertID(ctx, `INSERT INTO training_courses (org_unit_id, title, title_en, kind, level, required_sessions, minutes,
			created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, n.UnitID, n.Title, n.TitleEn, n.Kind, n.Level, n.RequiredSessions,
			int64(math.Round(n.Hours*60)), p.UserID, db.Micro(s.now()))
		if err != nil {
			return err
		}
		seen := map[string]bool{}
		for _, r := range n.RequiredFor {
			if seen[r] {
				continue
			}
			seen[r] = true
			if _, err := tx.Exec(ctx, `INSERT INTO training_required_roles (course_id, role) VALUES (?, ?)`, id, r); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, p, m, "training.course_create", "training_course", id,
			"unit="+itoa(n.UnitID)+" kind="+n.Kind+" level="+n.Level+" required_for="+strings.Join(n.RequiredFor, ","))
	})
	return id, err
}

const courseColumns = `k.id, k.org_unit_id, ko.name, ko.name_en, ko.path, k.title, k.title_en, k.kind, k.level, k.required_sessions, k.minutes`

func scanCourse(sc interface{ Scan(...any) error }, c *Course) error {
	return sc.Scan(&c.ID, &c.Unit.ID, &c.Unit.Name, &c.Unit.NameEn, &c.Unit.Path, &c.Title, &c.TitleEn, &c.Kind, &c.Level,
		&c.RequiredSessions, &c.Minutes)
}

// requiredRoles fills the courses' RequiredFor.
func requiredRoles(ctx context.Context, tx *db.Tx, cs []Course) error {
	for i := range cs {
		rows, err := tx.Query(ctx, `SELECT role FROM training_required_roles WHERE course_id = ? ORDER BY role`, cs[i].ID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var r string
			if err := rows.Scan(&r); err != nil {
				rows.Close()
				return apperr.Internal(err)
			}
			cs[i].RequiredFor = append(cs[i].RequiredFor, r)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return apperr.Internal(err)
		}
	}
	return nil
}

// Courses lists the active courses of units where the caller holds
// training.manage, with their numbers of sessions.
func (s *Service) Courses(ctx context.Context, p access.Principal) ([]Course, error) {
	if !p.Can(access.TrainingManage) {
		return nil, apperr.Forbidden()
	}
	scope, args := p.Scope(access.TrainingManage, "ko.path")
	var out []Course
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+courseColumns+`, (SELECT COUNT(*) FROM training_sessions s WHERE s.course_id = k.id)
			FROM training_courses k JOIN org_units ko ON ko.id = k.org_unit_id WHERE k.active = 1 AND `+scope+` ORDER BY ko.path, k.id LIMIT 500`, args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var c Course
			if err := rows.Scan(&c.ID, &c.Unit.ID, &c.Unit.Name, &c.Unit.NameEn, &c.Unit.Path, &c.Title, &c.TitleEn, &c.Kind, &c.Level,
				&c.RequiredSessions, &c.Minutes, &c.Sessions); err != nil {
				rows.Close()
				return apperr.Internal(err)
			}
			out = append(out, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return apperr.Internal(err)
		}
		return requiredRoles(ctx, tx, out)
	})
	return out, err
}

// FindCourse returns a course of a unit where the caller holds
// training.manage, with its sessions.
func (s *Service) FindCourse(ctx context.Context, p access.Principal, id int64) (*Course, []Session, error) {
	var c Course
	var sessions []Session
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		if err := scanCourse(tx.QueryRow(ctx, `SELECT `+courseColumns+` FROM training_courses k JOIN org_units ko ON ko.id = k.org_unit_id
			WHERE k.id = ?`, id), &c); err != nil {
			return err
		}
		if _, err := managing(p, c.Unit.Path); err != nil {
			return err
		}
		cs := []Course{c}
		if err := requiredRoles(ctx, tx, cs); err != nil {
			return err
		}
		c = cs[0]
		var err error
		sessions, err = listSessions(ctx, tx, `k.id = ?`, []any{id}, `s.starts_at`)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return &c, sessions, nil
}
