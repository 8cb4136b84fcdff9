package sharing

import (
	"context"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
)

// DefaultEmergencyFor is how long emergency access lasts unless the
// service is configured otherwise.
const DefaultEmergencyFor = 3 * time.Hour

// Grant is emergency access (break the glass): one user's time-limited,
// read-only access to one child's record, for a stated (sealed) reason.
type Grant struct {
	ID            int64
	UserID        int64
	UserName      string
	Unit          UnitName // the unit of the role through which it was taken
	Role          string
	StudentID     int64
	StudentNo     string
	School        UnitName
	Reason        string // opened only for the holder and the reviewers
	LifeException bool   // acting without consent to protect a life
	TaskID        int64  // the task to inform the guardian or child afterwards
	StartedAt     time.Time
	ExpiresAt     time.Time
	EndedAt       time.Time // zero while open
	EndKind       string    // ended, expired
	Reads         int
}

// Open reports whether the grant still gives access at now.
func (g Grant) Open(now time.Time) bool { return g.EndedAt.IsZero() && now.Before(g.ExpiresAt) }

// EmergencyRequest is what a user states to break the glass.
type EmergencyRequest struct {
	StudentNo     string // 学籍号
	Reason        string
	LifeException bool
}

// emergencyData is what a grant's page shows of the record.
var emergencyData = []string{"identity", "guardians", "contact", "risk", "case_summary"}

func reasonAAD(id int64) string { return "emergency_grants:" + itoa(id) + ":reason" }

func (s *Service) emergencyFor() time.Duration {
	if s.EmergencyFor > 0 {
		return s.EmergencyFor
	}
	return DefaultEmergencyFor
}

// StartEmergency gives the caller, who holds record.emergency, access to
// the one record of the student with req.StudentNo for EmergencyFor. It is
// for a child outside the caller's scope: a student whose record the
// caller may read anyway is refused (emergency.in_scope). In the same
// transaction the supervisors of the caller's unit and the school's
// leaders are alerted (no personal data in the note), the start is
// audited, put on the student's timeline and logged as a disclosure to
// the caller's unit (basis emergency), the expiry is scheduled, and
// with LifeException a task to inform the guardian or the child afterwards
// goes to the school's counsellor. A grant of the caller for the same
// student that is still open is returned instead of a new one.
func (s *Service) StartEmergency(ctx context.Context, p access.Principal, req EmergencyRequest) (int64, error) {
	m, ok := p.Grant(access.EmergencyAccess)
	if !ok {
		return 0, apperr.Forbidden()
	}
	req.StudentNo, req.Reason = strings.TrimSpace(req.StudentNo), strings.TrimSpace(req.Reason)
	bad := map[string]string{}
	if req.StudentNo == "" {
		bad["student_no"] = "emergency.unknown_student"
	}
	if n := utf8.RuneCountInString(req.Reason); n < 10 || n > 2000 {
		bad["reason"] = "emergency.reason_required"
	}
	if len(bad) > 0 {
		return 0, apperr.Invalid("form.invalid", bad)
	}
	var id int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var studentID, schoolID int64
		var schoolPath string
		if err := tx.QueryRow(ctx, `SELECT st.id, st.school_id, o.path FROM students st JOIN org_units o ON o.id = st.school_id
			WHERE st.student_no = ? AND st.status = 'active'`, req.StudentNo).Scan(&studentID, &schoolID, &schoolPath); err != nil {
			if apperr.CodeOf(err) == apperr.ENotFound {
				return apperr.Invalid("form.invalid", map[string]string{"student_no": "emergency.unknown_student"})
			}
			return err
		}
		if _, ok := p.At(access.RecordRead, schoolPath); ok {
			return apperr.New(apperr.EConflict, "emergency.in_scope")
		}
		now := s.now()
		err := tx.QueryRow(ctx, `SELECT id FROM emergency_grants WHERE user_id = ? AND student_id = ? AND ended_at = 0 AND expires_at > ?`,
			p.UserID, studentID, db.Micro(now)).Scan(&id)
		if err == nil {
			return nil
		} else if apperr.CodeOf(err) != apperr.ENotFound {
			return err
		}
		expires := now.Add(s.emergencyFor())
		if id, err = tx.InsertID(ctx, `INSERT INTO emergency_grants (user_id, org_unit_id, role, student_id, reason, life_exception, started_at, expires_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, p.UserID, m.OrgID, m.Role, studentID, []byte("-"), db.Bool(req.LifeException),
			db.Micro(now), db.Micro(expires)); err != nil {
			return err
		}
		sealed, err := s.Seal.Seal([]byte(req.Reason), reasonAAD(id))
		if err != nil {
			return apperr.Internal(err)
		}
		if _, err := tx.Exec(ctx, `UPDATE emergency_grants SET reason = ? WHERE id = ?`, sealed, id); err != nil {
			return err
		}
		told, err := s.alertWatchers(ctx, tx, p, m, id, schoolPath)
		if err != nil {
			return err
		}
		// The record's data now reaches the caller's unit: a disclosure the
		// record's owner sees, on the basis of the emergency.
		if err := s.Record(ctx, tx, p, Disclosure{StudentID: studentID, FromUnit: schoolID, ToUnit: m.OrgID, What: emergencyData,
			Purpose: "crisis", Basis: "emergency", RefType: "emergency", RefID: id}); err != nil {
			return err
		}
		task := int64(0)
		if req.LifeException {
			if task, err = s.informTask(ctx, tx, id, studentID, schoolPath, now); err != nil {
				return err
			}
		}
		if s.Jobs != nil {
			if err := s.Jobs.At(ctx, tx, ExpiryArgs{Grant: id}, expires); err != nil {
				return err
			}
		}
		if err := addEvent(ctx, tx, studentID, db.Micro(now), p.UserID, m.OrgID, "emergency_access", "grant="+itoa(id)); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "emergency.start", "emergency_grant", id, "student="+itoa(studentID)+" school="+itoa(schoolID)+
			" until="+itoa(db.Micro(expires))+" life_exception="+itoa(int64(db.Bool(req.LifeException)))+" notified="+itoa(int64(told))+
			" task="+itoa(task))
	})
	return id, err
}

// EndEmergency ends the caller's own grant now; ending an ended grant
// changes nothing.
func (s *Service) EndEmergency(ctx context.Context, p access.Principal, id int64) error {
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var ended, student int64
		if err := tx.QueryRow(ctx, `SELECT ended_at, student_id FROM emergency_grants WHERE id = ? AND user_id = ?`, id, p.UserID).Scan(&ended, &student); err != nil {
			return err
		}
		m, ok := p.Grant(access.EmergencyAccess)
		if !ok {
			return apperr.NotFound()
		}
		if ended != 0 {
			return nil
		}
		now := db.Micro(s.now())
		if _, err := tx.Exec(ctx, `UPDATE emergency_grants SET ended_at = ?, end_kind = 'ended' WHERE id = ? AND ended_at = 0`, now, id); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "emergency.end", "emergency_grant", id, "student="+itoa(student))
	})
}

// ExpireEmergency ends a grant whose time is up, as the system, and audits
// it; a grant already ended or not yet due is left alone. The expiry job
// calls it, and so does a read that finds the time up first.
func (s *Service) ExpireEmergency(ctx context.Context, id int64) error {
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		_, err := s.expire(ctx, tx, id)
		return err
	})
}

func (s *Service) expire(ctx context.Context, tx *db.Tx, id int64) (bool, error) {
	var expires, student int64
	if err := tx.QueryRow(ctx, `SELECT expires_at, student_id FROM emergency_grants WHERE id = ?`, id).Scan(&expires, &student); err != nil {
		return false, err
	}
	if db.Micro(s.now()) < expires {
		return false, nil
	}
	res, err := tx.Exec(ctx, `UPDATE emergency_grants SET ended_at = expires_at, end_kind = 'expired' WHERE id = ? AND ended_at = 0`, id)
	if err != nil {
		return false, err
	}
	if n, _ := res.RowsAffected(); n == 0 {
		return false, nil
	}
	return true, s.Audit.Record(ctx, tx, audit.Entry{ActorRole: "system", Action: "emergency.expire", ObjectType: "emergency_grant",
		ObjectID: itoa(id), Outcome: audit.Success, Detail: "student=" + itoa(student)})
}
