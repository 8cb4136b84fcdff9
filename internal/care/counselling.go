package care

import (
	"context"
	"slices"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// Who asked for an appointment, its states, and the kinds of session.
var (
	AppointmentRequesters = []string{"staff", "student", "parent"}
	AppointmentStates     = []string{"requested", "confirmed", "done", "cancelled"}
	SessionKinds          = []string{"individual", "group"}
)

// appointmentMoves lists the state changes an appointment allows.
var appointmentMoves = map[string][]string{
	"requested": {"confirmed", "cancelled"},
	"confirmed": {"done", "cancelled"},
}

// Appointment is a counselling appointment on a counsellor's calendar.
// StudentID is 0 when the student is not named yet (a parent's request).
type Appointment struct {
	ID, CounsellorID, StudentID, OrgUnitID int64
	RequestedBy                            string // staff, student, parent
	StartsAt                               time.Time
	Minutes                                int
	State                                  string // requested, confirmed, done, cancelled
	CreatedAt                              time.Time
}

// Session is an individual or group counselling session. Notes are sealed;
// Attendees are student ids (exactly one for an individual session).
type Session struct {
	ID           int64
	Kind         string // individual, group
	CounsellorID int64  // the caller who records it
	OrgUnitID    int64
	CaseID       int64
	HeldAt       time.Time
	Minutes      int
	Topic        string
	Notes        string
	// NotesWithheld: the session has notes the reader may not see (the
	// lapse rule of the workforce); Notes is empty.
	NotesWithheld bool
	Attendees     []int64
}

// RequestAppointment puts an appointment on a counsellor's calendar. The
// caller needs case.manage at the unit; the counsellor must hold a role
// with case.manage in the unit's subtree; a named student must be in the
// caller's case.manage scope. An appointment that overlaps another
// non-cancelled one of the counsellor is refused (EConflict,
// counselling.overlap).
func (s *Service) RequestAppointment(ctx context.Context, p access.Principal, a Appointment) (int64, error) {
	f := map[string]string{}
	fieldProblem(f, a.CounsellorID == 0, "counsellor_id", "form.required")
	fieldProblem(f, a.OrgUnitID == 0, "org_unit_id", "form.required")
	fieldProblem(f, !slices.Contains(AppointmentRequesters, a.RequestedBy), "requested_by", "form.invalid")
	fieldProblem(f, a.StartsAt.IsZero(), "starts_at", "form.bad_date")
	fieldProblem(f, a.Minutes < 5 || a.Minutes > 480, "minutes", "form.invalid")
	if len(f) > 0 {
		return 0, apperr.Invalid("form.invalid", f)
	}
	var id int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if err := tx.Serialize(ctx, "appointments:"+itoa(a.CounsellorID)); err != nil {
			return err
		}
		path, m, err := unitFor(ctx, tx, p, access.CaseManage, a.OrgUnitID, true)
		if err != nil {
			return err
		}
		var roles []string
		args := []any{a.CounsellorID, path, access.SubtreeEnd(path)}
		for _, r := range access.RoleNames() {
			if access.Has(r, access.CaseManage) {
				roles = append(roles, "?")
				args = append(args, r)
			}
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM memberships m JOIN org_units o ON o.id = m.org_unit_id JOIN users u ON u.id = m.user_id
			WHERE m.user_id = ? AND u.active = 1 AND o.path >= ? AND o.path < ? AND m.role IN (`+strings.Join(roles, ", ")+`)`, args...).Scan(&n); err != nil {
			return err
		}
		if n == 0 {
			return apperr.Invalid("counselling.not_counsellor", map[string]string{"counsellor_id": "counselling.not_counsellor"})
		}
		if a.StudentID != 0 {
			if _, _, err := studentAt(ctx, tx, p, access.CaseManage, a.StudentID); apperr.CodeOf(err) == apperr.ENotFound {
				return apperr.Invalid("form.invalid", map[string]string{"student_id": "counselling.student_out_of_scope"})
			} else if err != nil {
				return err
			}
		}
		start, end := db.Micro(a.StartsAt), db.Micro(a.StartsAt.Add(time.Duration(a.Minutes)*time.Minute))
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM appointments WHERE counsellor_id = ? AND state <> 'cancelled'
			AND starts_at < ? AND starts_at + CAST(minutes AS BIGINT) * 60000000 > ?`, a.CounsellorID, end, start).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return &apperr.Error{Code: apperr.EConflict, Message: "counselling.overlap", Fields: map[string]string{"starts_at": "counselling.overlap"}}
		}
		if id, err = tx.InsertID(ctx, `INSERT INTO appointments (counsellor_id, student_id, org_unit_id, requested_by, starts_at, minutes, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, a.CounsellorID, a.StudentID, a.OrgUnitID, a.RequestedBy, start, a.Minutes, db.Micro(s.now())); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "appointment.request", "appointment", id,
			"counsellor="+itoa(a.CounsellorID)+" student="+itoa(a.StudentID)+" by="+a.RequestedBy)
	})
	return id, err
}

// SetAppointmentState moves an appointment requested → confirmed → done,
// or to cancelled from requested or confirmed. The caller needs case.manage
// at the appointment's unit or is its counsellor; another move is
// EConflict (counselling.bad_transition).
func (s *Service) SetAppointmentState(ctx context.Context, p access.Principal, id int64, state string) error {
	if !slices.Contains(AppointmentStates, state) {
		return apperr.Invalid("form.invalid", map[string]string{"state": "form.invalid"})
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var counsellor int64
		var from, path string
		if err := tx.QueryRow(ctx, `SELECT a.counsellor_id, a.state, o.path FROM appointments a JOIN org_units o ON o.id = a.org_unit_id
			WHERE a.id = ?`, id).Scan(&counsellor, &from, &path); err != nil {
			return err
		}
		m, ok := p.At(access.CaseManage, path)
		if !ok && (p.UserID == 0 || counsellor != p.UserID) {
			return apperr.NotFound()
		}
		if !slices.Contains(appointmentMoves[from], state) {
			return apperr.New(apperr.EConflict, "counselling.bad_transition")
		}
		res, err := tx.Exec(ctx, `UPDATE appointments SET state = ? WHERE id = ? AND state = ?`, state, id, from)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return apperr.New(apperr.EConflict, "counselling.bad_transition")
		}
		return s.record(ctx, tx, p, m, "appointment.state", "appointment", id, "from="+from+" to="+state)
	})
}

// Calendar lists a counsellor's appointments that overlap [from, to),
// cancelled ones included, by start. The caller sees those at units in
// their case.manage scope, or all when they are the counsellor. Entries
// carry ids only, no names.
func (s *Service) Calendar(ctx context.Context, p access.Principal, counsellorID int64, from, to time.Time) ([]Appointment, error) {
	if from.IsZero() || !to.After(from) || to.Sub(from) > 400*24*time.Hour {
		return nil, apperr.Invalid("form.bad_date", map[string]string{"to": "form.bad_date"})
	}
	cond, args := p.Scope(access.CaseManage, "o.path")
	if p.UserID != 0 && p.UserID == counsellorID {
		cond = "1=1"
		args = nil
	} else if !p.Can(access.CaseManage) {
		return nil, apperr.Forbidden()
	}
	var out []Appointment
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		return eachRow(ctx, tx, `SELECT a.id, a.counsellor_id, a.student_id, a.org_unit_id, a.requested_by, a.starts_at, a.minutes,
			a.state, a.created_at FROM appointments a JOIN org_units o ON o.id = a.org_unit_id
			WHERE a.counsellor_id = ? AND a.starts_at < ? AND a.starts_at + CAST(a.minutes AS BIGINT) * 60000000 > ? AND `+cond+`
			ORDER BY a.starts_at, a.id`, append([]any{counsellorID, db.Micro(to), db.Micro(from)}, args...), func(sc func(...any) error) error {
			var a Appointment
			var start, created int64
			err := sc(&a.ID, &a.CounsellorID, &a.StudentID, &a.OrgUnitID, &a.RequestedBy, &start, &a.Minutes, &a.State, &created)
			a.StartsAt, a.CreatedAt = db.FromMicro(start), db.FromMicro(created)
			out = append(out, a)
			return err
		})
	})
	return out, err
}

func sessionNotesAAD(id int64) string { return "counselling_sessions:" + itoa(id) + ":notes" }

// RecordSession records a counselling session held by the caller, who
// needs case.manage at the unit. An individual session has exactly one
// attendee; a group session a topic and at least one attendee. Every
// attendee must be a student in the caller's case.manage scope; a case
// named must be one attendee's. Notes are sealed. Each attendee's record
// gains a "counselling" event. EInvalid with field keys for bad input.
func (s *Service) RecordSession(ctx context.Context, p access.Principal, in Session) (int64, error) {
	in.Topic, in.Notes = strings.TrimSpace(in.Topic), strings.TrimSpace(in.Notes)
	people := slices.Clone(in.Attendees)
	slices.Sort(people)
	people = slices.Compact(people)
	f := map[string]string{}
	fieldProblem(f, !slices.Contains(SessionKinds, in.Kind), "kind", "form.invalid")
	fieldProblem(f, in.OrgUnitID == 0, "org_unit_id", "form.required")
	fieldProblem(f, in.HeldAt.IsZero() || in.HeldAt.After(s.now().Add(time.Hour)), "held_at", "form.bad_date")
	fieldProblem(f, in.Minutes < 5 || in.Minutes > 600, "minutes", "form.invalid")
	fieldProblem(f, in.Kind == "group" && in.Topic == "", "topic", "form.required")
	fieldProblem(f, len([]rune(in.Topic)) > 200, "topic", "form.too_long")
	fieldProblem(f, len([]rune(in.Notes)) > 20000, "notes", "form.too_long")
	fieldProblem(f, in.Kind == "individual" && len(people) != 1, "attendees", "counselling.one_attendee")
	fieldProblem(f, len(people) == 0 || people[0] <= 0, "attendees", "form.required")
	fieldProblem(f, len(people) > 500, "attendees", "form.invalid")
	if len(f) > 0 {
		return 0, apperr.Invalid("form.invalid", f)
	}
	var id int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		_, m, err := unitFor(ctx, tx, p, access.CaseManage, in.OrgUnitID, true)
		if err != nil {
			return err
		}
		for _, st := range people {
			if _, _, err := studentAt(ctx, tx, p, access.CaseManage, st); err != nil {
				if apperr.CodeOf(err) == apperr.ENotFound {
					return apperr.Invalid("form.invalid", map[string]string{"attendees": "counselling.student_out_of_scope"})
				}
				return err
			}
		}
		if in.CaseID != 0 {
			var caseStudent int64
			err := tx.QueryRow(ctx, `SELECT student_id FROM cases WHERE id = ?`, in.CaseID).Scan(&caseStudent)
			if apperr.CodeOf(err) == apperr.ENotFound || (err == nil && !slices.Contains(people, caseStudent)) {
				return apperr.Invalid("form.invalid", map[string]string{"case_id": "form.invalid"})
			}
			if err != nil {
				return err
			}
		}
		now := db.Micro(s.now())
		if id, err = tx.InsertID(ctx, `INSERT INTO counselling_sessions (kind, counsellor_id, org_unit_id, case_id, held_at, minutes, topic, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, in.Kind, p.UserID, in.OrgUnitID, in.CaseID, db.Micro(in.HeldAt), in.Minutes, in.Topic, now); err != nil {
			return err
		}
		if in.Notes != "" {
			sealed, err := s.Seal.Seal([]byte(in.Notes), sessionNotesAAD(id))
			if err != nil {
				return apperr.Internal(err)
			}
			if _, err := tx.Exec(ctx, `UPDATE counselling_sessions SET notes = ? WHERE id = ?`, sealed, id); err != nil {
				return err
			}
		}
		for _, st := range people {
			if _, err := tx.Exec(ctx, `INSERT INTO session_attendance (session_id, student_id) VALUES (?, ?)`, id, st); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO student_events (student_id, at, kind, actor_user_id, org_unit_id, detail)
				VALUES (?, ?, 'counselling', ?, ?, ?)`, st, db.Micro(in.HeldAt), p.UserID, in.OrgUnitID, "session="+itoa(id)+" kind="+in.Kind); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, p, m, "counselling.record", "counselling_session", id,
			"kind="+in.Kind+" attendees="+itoa(int64(len(people)))+" case="+itoa(in.CaseID))
	})
	return id, err
}

// FindSession returns a session with its notes opened and its attendees,
// to a caller with case.manage over the session's unit. The read is audited.
func (s *Service) FindSession(ctx context.Context, p access.Principal, id int64) (*Session, error) {
	out := Session{ID: id}
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var path string
		var held int64
		var notes []byte
		if err := tx.QueryRow(ctx, `SELECT c.kind, c.counsellor_id, c.org_unit_id, c.case_id, c.held_at, c.minutes, c.topic, c.notes, o.path
			FROM counselling_sessions c JOIN org_units o ON o.id = c.org_unit_id WHERE c.id = ?`, id).Scan(&out.Kind, &out.CounsellorID,
			&out.OrgUnitID, &out.CaseID, &held, &out.Minutes, &out.Topic, &notes, &path); err != nil {
			return err
		}
		m, ok := p.At(access.CaseManage, path)
		if !ok {
			return apperr.NotFound()
		}
		out.HeldAt = db.FromMicro(held)
		barred := false
		if len(notes) > 0 {
			var err error
			if barred, err = s.notesBarred(ctx, tx, p.UserID); err != nil {
				return err
			}
		}
		if len(notes) > 0 && barred {
			out.NotesWithheld = true
		} else if len(notes) > 0 {
			plain, err := s.Seal.Open(notes, sessionNotesAAD(id))
			if err != nil {
				return apperr.Internal(err)
			}
			out.Notes = string(plain)
		}
		if err := eachRow(ctx, tx, `SELECT student_id FROM session_attendance WHERE session_id = ? ORDER BY student_id`, []any{id},
			func(sc func(...any) error) error {
				var st int64
				err := sc(&st)
				out.Attendees = append(out.Attendees, st)
				return err
			}); err != nil {
			return err
		}
		detail := ""
		if out.NotesWithheld {
			detail = "notes=withheld"
		}
		return s.record(ctx, tx, p, m, "counselling.read", "counselling_session", id, detail)
	})
	if err != nil {
		return nil, err
	}
	return &out, nil
}
