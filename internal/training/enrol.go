package training

import (
	"context"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// sessionRow is what the writes need to know of a session.
type sessionRow struct {
	ID, CourseID     int64
	CoursePath       string
	StartsAt, EndsAt time.Time
	Minutes          int64
}

func loadSession(ctx context.Context, tx *db.Tx, id int64) (sessionRow, error) {
	var r sessionRow
	var start, end int64
	err := tx.QueryRow(ctx, `SELECT s.id, s.course_id, ko.path, s.starts_at, s.ends_at, s.minutes`+sessionFrom+`
		WHERE s.id = ? AND s.cancelled_at = 0 AND k.active = 1`, id).Scan(&r.ID, &r.CourseID, &r.CoursePath, &start, &end, &r.Minutes)
	r.StartsAt, r.EndsAt = db.FromMicro(start), db.FromMicro(end)
	return r, err
}

// traineeUnit returns the unit under which userID takes a course offered
// at coursePath: the deepest unit of the subtree where the person holds a
// role. A person without one is not offered the course (NotFound).
func traineeUnit(ctx context.Context, tx *db.Tx, userID int64, coursePath string) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `SELECT o.id FROM memberships m JOIN org_units o ON o.id = m.org_unit_id JOIN users u ON u.id = m.user_id
		WHERE m.user_id = ? AND u.active = 1 AND o.active = 1 AND o.path LIKE ? ESCAPE '\' ORDER BY o.depth DESC, o.id LIMIT 1`,
		userID, db.Prefix(coursePath)).Scan(&id)
	return id, err
}

// enrolTx enrols userID in the session under unit, taking a place: the
// place is taken by one conditional UPDATE, so two enrolments for the last
// place cannot both succeed. An existing enrolment is kept (false).
func (s *Service) enrolTx(ctx context.Context, tx *db.Tx, sess sessionRow, userID, unitID int64, how string, by int64) (bool, error) {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM training_enrolments WHERE session_id = ? AND user_id = ?`, sess.ID, userID).Scan(&one)
	if err == nil {
		return false, nil
	}
	if apperr.CodeOf(err) != apperr.ENotFound {
		return false, err
	}
	res, err := tx.Exec(ctx, `UPDATE training_sessions SET enrolled = enrolled + 1 WHERE id = ? AND enrolled < capacity`, sess.ID)
	if err != nil {
		return false, err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		if err != nil {
			return false, apperr.Internal(err)
		}
		return false, apperr.New(apperr.EConflict, "training.full")
	}
	_, err = tx.Exec(ctx, `INSERT INTO training_enrolments (session_id, user_id, org_unit_id, how, enrolled_by, enrolled_at)
		VALUES (?, ?, ?, ?, ?, ?)`, sess.ID, userID, unitID, how, by, db.Micro(s.now()))
	return err == nil, err
}

// Enrol enrols the caller in a session that has not started, of a course
// offered to a unit at or above one of the caller's units, while places
// last.
func (s *Service) Enrol(ctx context.Context, p access.Principal, sessionID int64) error {
	if p.UserID == 0 || p.Limit != nil {
		return apperr.Forbidden()
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		sess, err := loadSession(ctx, tx, sessionID)
		if err != nil {
			return err
		}
		unit, err := traineeUnit(ctx, tx, p.UserID, sess.CoursePath)
		if err != nil {
			return err
		}
		if !s.now().Before(sess.StartsAt) {
			return apperr.New(apperr.EConflict, "training.started")
		}
		created, err := s.enrolTx(ctx, tx, sess, p.UserID, unit, "self", p.UserID)
		if err != nil || !created {
			return err
		}
		return s.record(ctx, tx, p, own(p), "training.enrol", "training_session", sessionID, "user="+itoa(p.UserID)+" how=self")
	})
}

// Assign enrols a person (by username) in a session of a course the
// caller manages; the person must hold a role in the course's unit's
// subtree.
func (s *Service) Assign(ctx context.Context, p access.Principal, sessionID int64, username string) error {
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		sess, err := loadSession(ctx, tx, sessionID)
		if err != nil {
			return err
		}
		m, err := managing(p, sess.CoursePath)
		if err != nil {
			return err
		}
		unknown := apperr.Invalid("form.invalid", map[string]string{"username": "training.unknown_person"})
		var userID int64
		if err := tx.QueryRow(ctx, `SELECT id FROM users WHERE username = ? AND active = 1`, strings.TrimSpace(username)).Scan(&userID); err != nil {
			return unknown
		}
		unit, err := traineeUnit(ctx, tx, userID, sess.CoursePath)
		if err != nil {
			return unknown
		}
		created, err := s.enrolTx(ctx, tx, sess, userID, unit, "assigned", p.UserID)
		if err != nil || !created {
			return err
		}
		return s.record(ctx, tx, p, m, "training.assign", "training_session", sessionID, "user="+itoa(userID))
	})
}

// attendFrom is how long before its start a session's attendance may be
// taken (and its check-in code used).
const attendFrom = 30 * time.Minute

// markPresent records userID's attendance of an enrolled session and
// credits the session's minutes; it returns false if already recorded.
func (s *Service) markPresent(ctx context.Context, tx *db.Tx, sess sessionRow, userID int64, how string, by int64) (bool, error) {
	res, err := tx.Exec(ctx, `UPDATE training_enrolments SET attended = 1, attended_at = ?, attended_how = ?, recorded_by = ?, minutes = ?
		WHERE session_id = ? AND user_id = ? AND attended = 0`, db.Micro(s.now()), how, by, sess.Minutes, sess.ID, userID)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, apperr.Internal(err)
	}
	if n == 0 {
		return false, nil
	}
	return true, s.refreshEligibility(ctx, tx, userID, sess.CourseID)
}

// refreshEligibility applies the eligibility rule: a person who has
// attended the required number of sessions of a certification course is
// eligible for its level from then on (a row with the date); one whose
// attendance was corrected below it is not.
func (s *Service) refreshEligibility(ctx context.Context, tx *db.Tx, userID, courseID int64) error {
	var level string
	var required int64
	if err := tx.QueryRow(ctx, `SELECT level, required_sessions FROM training_courses WHERE id = ?`, courseID).Scan(&level, &required); err != nil {
		return err
	}
	if level == "" || required <= 0 {
		return nil
	}
	var n int64
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM training_enrolments e JOIN training_sessions s ON s.id = e.session_id
		WHERE s.course_id = ? AND e.user_id = ? AND e.attended = 1 AND s.cancelled_at = 0`, courseID, userID).Scan(&n); err != nil {
		return err
	}
	if n < required {
		_, err := tx.Exec(ctx, `DELETE FROM training_eligibility WHERE user_id = ? AND course_id = ?`, userID, courseID)
		return err
	}
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM training_eligibility WHERE user_id = ? AND course_id = ?`, userID, courseID).Scan(&one)
	if apperr.CodeOf(err) != apperr.ENotFound {
		return err
	}
	_, err = tx.Exec(ctx, `INSERT INTO training_eligibility (user_id, course_id, level, eligible_at) VALUES (?, ?, ?, ?)`,
		userID, courseID, level, db.Micro(s.now()))
	return err
}

// SetAttendance takes a session's attendance by list: present maps an
// enrolled person to whether they were there. Only changes are written,
// each audited; unticking a person withdraws the credited hours.
func (s *Service) SetAttendance(ctx context.Context, p access.Principal, sessionID int64, present map[int64]bool) error {
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		sess, err := loadSession(ctx, tx, sessionID)
		if err != nil {
			return err
		}
		m, err := managing(p, sess.CoursePath)
		if err != nil {
			return err
		}
		if s.now().Before(sess.StartsAt.Add(-attendFrom)) {
			return apperr.Invalid("training.not_started", nil)
		}
		for userID, here := range present {
			var att int64
			if err := tx.QueryRow(ctx, `SELECT attended FROM training_enrolments WHERE session_id = ? AND user_id = ?`, sessionID, userID).Scan(&att); err != nil {
				return apperr.Invalid("form.invalid", map[string]string{"attendance": "training.not_enrolled"})
			}
			switch {
			case here && att == 0:
				if _, err := s.markPresent(ctx, tx, sess, userID, "list", p.UserID); err != nil {
					return err
				}
			case !here && att == 1:
				if _, err := tx.Exec(ctx, `UPDATE training_enrolments SET attended = 0, attended_at = 0, attended_how = '', recorded_by = ?,
					minutes = 0 WHERE session_id = ? AND user_id = ?`, p.UserID, sessionID, userID); err != nil {
					return err
				}
				if err := s.refreshEligibility(ctx, tx, userID, sess.CourseID); err != nil {
					return err
				}
			default:
				continue
			}
			if err := s.record(ctx, tx, p, m, "training.attendance", "training_session", sessionID,
				"user="+itoa(userID)+" present="+map[bool]string{true: "1", false: "0"}[here]); err != nil {
				return err
			}
		}
		return nil
	})
}
