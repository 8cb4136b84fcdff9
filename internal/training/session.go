package training

import (
	"context"
	"math"
	"net/url"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// Session is one sitting of a course.
type Session struct {
	ID               int64
	CourseID         int64
	Course, CourseEn string
	Unit             UnitName // the course's offering unit
	StartsAt, EndsAt time.Time
	Place            string
	OnlineURL        string
	Trainers         string
	Capacity         int
	Enrolled         int
	Attended         int
	Minutes          int64
	Enrolments       []Enrolment // filled by FindSession
}

// CourseTitle is the course's title in locale l.
func (s Session) CourseTitle(l string) string {
	if l == "en" && s.CourseEn != "" {
		return s.CourseEn
	}
	return s.Course
}

// Full reports whether no place is left.
func (s Session) Full() bool { return s.Enrolled >= s.Capacity }

// Enrolment is one person in one session.
type Enrolment struct {
	UserID      int64
	Username    string
	Name        string
	Unit        UnitName
	How         string // self, assigned, walk_in, import
	Attended    bool
	AttendedAt  time.Time
	AttendedHow string // list, qr, import
	Minutes     int64
}

// NewSession is a session as a manager schedules it.
type NewSession struct {
	CourseID         int64
	StartsAt, EndsAt time.Time
	Place            string
	OnlineURL        string
	Trainers         string
	Capacity         int
	Hours            float64 // 0: the course's default
}

func (n *NewSession) check() map[string]string {
	bad := map[string]string{}
	n.Place, n.OnlineURL, n.Trainers = strings.TrimSpace(n.Place), strings.TrimSpace(n.OnlineURL), strings.TrimSpace(n.Trainers)
	if n.StartsAt.IsZero() {
		bad["starts_at"] = "training.bad_time"
	}
	if n.EndsAt.IsZero() || !n.EndsAt.After(n.StartsAt) || n.EndsAt.Sub(n.StartsAt) > 24*time.Hour {
		bad["ends_at"] = "training.bad_period"
	}
	if n.Place == "" && n.OnlineURL == "" {
		bad["place"] = "training.place_required"
	}
	if utf8.RuneCountInString(n.Place) > 200 {
		bad["place"] = "training.too_long"
	}
	if n.OnlineURL != "" {
		u, err := url.Parse(n.OnlineURL)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || len(n.OnlineURL) > 500 {
			bad["online_url"] = "training.bad_url"
		}
	}
	if utf8.RuneCountInString(n.Trainers) > 300 {
		bad["trainers"] = "training.too_long"
	}
	if n.Capacity < 1 || n.Capacity > 5000 {
		bad["capacity"] = "training.bad_capacity"
	}
	if n.Hours < 0 || n.Hours > 24 || math.IsNaN(n.Hours) {
		bad["hours"] = "training.bad_hours"
	}
	return bad
}

// ScheduleSession adds a session to a course of a unit where the caller
// holds training.manage.
func (s *Service) ScheduleSession(ctx context.Context, p access.Principal, n NewSession) (int64, error) {
	if !p.Can(access.TrainingManage) {
		return 0, apperr.Forbidden()
	}
	var id int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var path string
		var minutes int64
		if err := tx.QueryRow(ctx, `SELECT ko.path, k.minutes FROM training_courses k JOIN org_units ko ON ko.id = k.org_unit_id
			WHERE k.id = ? AND k.active = 1`, n.CourseID).Scan(&path, &minutes); err != nil {
			return err
		}
		m, err := managing(p, path)
		if err != nil {
			return err
		}
		if bad := n.check(); len(bad) > 0 {
			return apperr.Invalid("form.invalid", bad)
		}
		if n.Hours > 0 {
			minutes = int64(math.Round(n.Hours * 60))
		}
		id, err = tx.InsertID(ctx, `INSERT INTO training_sessions (course_id, starts_at, ends_at, place, online_url, trainers, capacity, minutes,
			created_by, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, n.CourseID, db.Micro(n.StartsAt), db.Micro(n.EndsAt), n.Place,
			n.OnlineURL, n.Trainers, n.Capacity, minutes, p.UserID, db.Micro(s.now()))
		if err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "training.session_schedule", "training_session", id, "course="+itoa(n.CourseID))
	})
	return id, err
}

const sessionColumns = `s.id, s.course_id, k.title, k.title_en, ko.id, ko.name, ko.name_en, ko.path, s.starts_at, s.ends_at, s.place,
	s.online_url, s.trainers, s.capacity, s.enrolled, s.minutes,
	(SELECT COUNT(*) FROM training_enrolments e WHERE e.session_id = s.id AND e.attended = 1)`

const sessionFrom = ` FROM training_sessions s JOIN training_courses k ON k.id = s.course_id JOIN org_units ko ON ko.id = k.org_unit_id `

func scanSession(sc interface{ Scan(...any) error }, x *Session) error {
	var start, end int64
	if err := sc.Scan(&x.ID, &x.CourseID, &x.Course, &x.CourseEn, &x.Unit.ID, &x.Unit.Name, &x.Unit.NameEn, &x.Unit.Path, &start, &end,
		&x.Place, &x.OnlineURL, &x.Trainers, &x.Capacity, &x.Enrolled, &x.Minutes, &x.Attended); err != nil {
		return err
	}
	x.StartsAt, x.EndsAt = db.FromMicro(start), db.FromMicro(end)
	return nil
}

// listSessions reads the sessions matching where (a trusted condition
// with its arguments), in order.
func listSessions(ctx context.Context, tx *db.Tx, where string, args []any, order string) ([]Session, error) {
	rows, err := tx.Query(ctx, `SELECT `+sessionColumns+sessionFrom+` WHERE s.cancelled_at = 0 AND `+where+` ORDER BY `+order+` LIMIT 500`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Session
	for rows.Next() {
		var x Session
		if err := scanSession(rows, &x); err != nil {
			return nil, apperr.Internal(err)
		}
		out = append(out, x)
	}
	if err := rows.Err(); err != nil {
		return nil, apperr.Internal(err)
	}
	return out, nil
}

// UpcomingSessions lists the sessions, not yet ended, of courses of units
// where the caller holds training.manage.
func (s *Service) UpcomingSessions(ctx context.Context, p access.Principal) ([]Session, error) {
	if !p.Can(access.TrainingManage) {
		return nil, apperr.Forbidden()
	}
	scope, args := p.Scope(access.TrainingManage, "ko.path")
	var out []Session
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		out, err = listSessions(ctx, tx, scope+` AND s.ends_at > ?`, append(args, db.Micro(s.now())), `s.starts_at`)
		return err
	})
	return out, err
}

// FindSession returns a session of a course the caller manages, with its
// enrolments. The read of the attendance list is audited.
func (s *Service) FindSession(ctx context.Context, p access.Principal, id int64) (*Session, error) {
	var x Session
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if err := scanSession(tx.QueryRow(ctx, `SELECT `+sessionColumns+sessionFrom+` WHERE s.id = ? AND s.cancelled_at = 0`, id), &x); err != nil {
			return err
		}
		m, err := managing(p, x.Unit.Path)
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT e.user_id, u.username, u.display_name, o.id, o.name, o.name_en, o.path, e.how, e.attended,
			e.attended_at, e.attended_how, e.minutes FROM training_enrolments e JOIN users u ON u.id = e.user_id
			JOIN org_units o ON o.id = e.org_unit_id WHERE e.session_id = ? ORDER BY o.path, u.display_name, u.id`, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e Enrolment
			var att, at int64
			if err := rows.Scan(&e.UserID, &e.Username, &e.Name, &e.Unit.ID, &e.Unit.Name, &e.Unit.NameEn, &e.Unit.Path, &e.How, &att,
				&at, &e.AttendedHow, &e.Minutes); err != nil {
				return apperr.Internal(err)
			}
			e.Attended = att == 1
			if at != 0 {
				e.AttendedAt = db.FromMicro(at)
			}
			x.Enrolments = append(x.Enrolments, e)
		}
		if err := rows.Err(); err != nil {
			return apperr.Internal(err)
		}
		return s.record(ctx, tx, p, m, "training.session_read", "training_session", id, "enrolments="+itoa(int64(len(x.Enrolments))))
	})
	if err != nil {
		return nil, err
	}
	return &x, nil
}
