package training

import (
	"context"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// Summary is what a person's training adds to their registry record: the
// hours credited, the sessions attended and the certification levels they
// are eligible for.
type Summary struct {
	Hours    float64
	Sessions int
	Eligible []string // certification levels, e.g. "senior", "intermediate"
}

// Summary returns userID's training for a caller who may see that person
// (the person themself, or training.manage or workforce.manage over one of
// their units). The read is audited.
func (s *Service) Summary(ctx context.Context, p access.Principal, userID int64) (Summary, error) {
	var out Summary
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		m, err := seePerson(ctx, tx, p, userID)
		if err != nil {
			return err
		}
		if out, err = summary(ctx, tx, userID); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "training.summary_read", "user", userID, "")
	})
	return out, err
}

// seePerson returns the membership through which p may see userID's
// training, or NotFound.
func seePerson(ctx context.Context, tx *db.Tx, p access.Principal, userID int64) (access.Membership, error) {
	if p.UserID == 0 {
		return access.Membership{}, apperr.NotFound()
	}
	if p.UserID == userID && p.Limit == nil {
		return own(p), nil
	}
	rows, err := tx.Query(ctx, `SELECT o.path FROM memberships m JOIN org_units o ON o.id = m.org_unit_id WHERE m.user_id = ?`, userID)
	if err != nil {
		return access.Membership{}, err
	}
	defer rows.Close()
	for rows.Next() {
		var path string
		if err := rows.Scan(&path); err != nil {
			return access.Membership{}, apperr.Internal(err)
		}
		if m, ok := p.At(access.TrainingManage, path); ok {
			return m, nil
		}
		if m, ok := p.At(access.WorkforceManage, path); ok {
			return m, nil
		}
	}
	if err := rows.Err(); err != nil {
		return access.Membership{}, apperr.Internal(err)
	}
	return access.Membership{}, apperr.NotFound()
}

func summary(ctx context.Context, tx *db.Tx, userID int64) (Summary, error) {
	var out Summary
	var minutes int64
	if err := tx.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(e.minutes), 0) FROM training_enrolments e
		JOIN training_sessions s ON s.id = e.session_id WHERE e.user_id = ? AND e.attended = 1 AND s.cancelled_at = 0`, userID).Scan(&out.Sessions, &minutes); err != nil {
		return out, err
	}
	out.Hours = float64(minutes) / 60
	rows, err := tx.Query(ctx, `SELECT DISTINCT level FROM training_eligibility WHERE user_id = ? ORDER BY level`, userID)
	if err != nil {
		return out, err
	}
	defer rows.Close()
	for rows.Next() {
		var l string
		if err := rows.Scan(&l); err != nil {
			return out, apperr.Internal(err)
		}
		out.Eligible = append(out.Eligible, l)
	}
	return out, apperr.Internal(rows.Err())
}

// MyEnrolment is one of the caller's sessions.
type MyEnrolment struct {
	Session  Session
	How      string
	Attended bool
	Minutes  int64
}

// Eligibility is a certification level a person is eligible for, and since when.
type Eligibility struct {
	Level            string
	Course, CourseEn string
	Since            time.Time
}

// Mine is the caller's own training: the summary, their sessions, their
// eligibility and the sessions open to them.
type Mine struct {
	Summary     Summary
	Enrolments  []MyEnrolment
	Eligibility []Eligibility
	Open        []Session // not started, of courses offered to one of the caller's units, not enrolled
}

// MyTraining returns the caller's own training.
func (s *Service) MyTraining(ctx context.Context, p access.Principal) (*Mine, error) {
	if p.UserID == 0 || p.Limit != nil {
		return nil, apperr.Forbidden()
	}
	var out Mine
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		if out.Summary, err = summary(ctx, tx, p.UserID); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+sessionColumns+`, e.how, e.attended, e.minutes`+sessionFrom+`
			JOIN training_enrolments e ON e.session_id = s.id WHERE e.user_id = ? AND s.cancelled_at = 0 ORDER BY s.starts_at DESC LIMIT 500`, p.UserID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var e MyEnrolment
			var start, end, att int64
			x := &e.Session
			if err := rows.Scan(&x.ID, &x.CourseID, &x.Course, &x.CourseEn, &x.Unit.ID, &x.Unit.Name, &x.Unit.NameEn, &x.Unit.Path, &start, &end,
				&x.Place, &x.OnlineURL, &x.Trainers, &x.Capacity, &x.Enrolled, &x.Minutes, &x.Attended, &e.How, &att, &e.Minutes); err != nil {
				rows.Close()
				return apperr.Internal(err)
			}
			x.StartsAt, x.EndsAt, e.Attended = db.FromMicro(start), db.FromMicro(end), att == 1
			out.Enrolments = append(out.Enrolments, e)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return apperr.Internal(err)
		}
		rows, err = tx.Query(ctx, `SELECT g.level, k.title, k.title_en, g.eligible_at FROM training_eligibility g
			JOIN training_courses k ON k.id = g.course_id WHERE g.user_id = ? ORDER BY g.eligible_at`, p.UserID)
		if err != nil {
			return err
		}
		for rows.Next() {
			var g Eligibility
			var at int64
			if err := rows.Scan(&g.Level, &g.Course, &g.CourseEn, &at); err != nil {
				rows.Close()
				return apperr.Internal(err)
			}
			g.Since = db.FromMicro(at)
			out.Eligibility = append(out.Eligibility, g)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return apperr.Internal(err)
		}
		// Courses offered at or above one of the caller's units.
		var conds []string
		args := []any{}
		for _, m := range p.Memberships {
			if m.OrgPath != "" {
				conds = append(conds, `? LIKE ko.path || '%'`)
				args = append(args, m.OrgPath)
			}
		}
		if len(conds) == 0 {
			return nil
		}
		args = append(args, db.Micro(s.now()), p.UserID)
		out.Open, err = listSessions(ctx, tx, `k.active = 1 AND (`+strings.Join(conds, " OR ")+`) AND s.starts_at > ?
			AND NOT EXISTS (SELECT 1 FROM training_enrolments e WHERE e.session_id = s.id AND e.user_id = ?)`, args, `s.starts_at`)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}
