package care

import (
	"context"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/notify"
	"github.com/careloop/careloop/internal/warning"
)

// Case states. A case waiting for sign-off is still open: a student has
// at most one case that is not closed.
const (
	CaseOpen           = "open"
	CaseCloseRequested = "close_requested"
	CaseClosed         = "closed"
)

// CloseReasons are why a case may be closed.
var CloseReasons = []string{"improved", "moved_away", "graduated", "referred_out", "other"}

// Case is one student's case (一生一策). CloseReason and CloseNote are
// those of the latest request to close; they stay after a reopen, and the
// case events keep every closing.
type Case struct {
	ID          int64
	StudentID   int64
	StudentName string
	SchoolID    int64
	State       string
	OwnerID     int64
	OwnerName   string
	OpenedAt    time.Time
	OpenedBy    int64
	ClosedAt    time.Time
	ClosedBy    int64 // who asked to close it
	SignedOffBy int64
	CloseReason string
	CloseNote   string // opened by FindCase only
	Reopened    int

	path       string // the student's current school
	sealedNote []byte
}

// CaseEvent is one entry of a case's history.
type CaseEvent struct {
	At      time.Time
	ActorID int64
	Kind    string // opened, alert_joined, plan, follow_up_planned, follow_up, close_requested, closed, reopened
	Detail  string // codes and ids
	Note    string // the reason given for a reopening (sealed in the detail)
}

// CaseDetail is a case with its plans (every version, newest first), its
// follow-ups and its history.
type CaseDetail struct {
	Case
	Plans     []Plan
	FollowUps []FollowUp
	Events    []CaseEvent
}

const caseColumns = `c.id, c.student_id, st.name, st.school_id, o.path, c.state, c.owner_user_id, u.display_name, c.opened_at,
	c.opened_by, c.closed_at, c.closed_by, c.signed_off_by, c.close_reason, c.close_note, c.reopened
	FROM cases c JOIN students st ON st.id = c.student_id JOIN org_units o ON o.id = st.school_id JOIN users u ON u.id = c.owner_user_id`

func scanCase(sc interface{ Scan(...any) error }) (*Case, error) {
	c := &Case{}
	var opened, closed int64
	err := sc.Scan(&c.ID, &c.StudentID, &c.StudentName, &c.SchoolID, &c.path, &c.State, &c.OwnerID, &c.OwnerName, &opened,
		&c.OpenedBy, &closed, &c.ClosedBy, &c.SignedOffBy, &c.CloseReason, &c.sealedNote, &c.Reopened)
	c.OpenedAt, c.ClosedAt = db.FromMicro(opened), db.FromMicro(closed)
	return c, err
}

// caseVisible is the SQL condition for cases a caller may see: case.manage
// over the student's current school, or the caller's own cases.
func caseVisible(p access.Principal) (string, []any) {
	cond, args := p.Scope(access.CaseManage, "o.path")
	if !p.Can(access.CaseManage) { // a token without case.manage sees no case, not even its owner's
		return cond, args
	}
	return "(" + cond + " OR c.owner_user_id = ?)", append(args, p.UserID)
}

// loadCase reads a case for a change, locking it on PostgreSQL.
func loadCase(ctx context.Context, tx *db.Tx, id int64) (*Case, error) {
	if err := tx.Serialize(ctx, "case-row:"+itoa(id)); err != nil {
		return nil, err
	}
	c, err := scanCase(tx.QueryRow(ctx, `SELECT `+caseColumns+` WHERE c.id = ?`, id))
	if apperr.CodeOf(err) == apperr.ENotFound {
		return nil, apperr.NotFound()
	}
	return c, err
}

// grant returns the membership through which p holds perm over the case:
// over the student's current school or, when ownerOK, as the case's owner
// holding perm somewhere.
func (c *Case) grant(p access.Principal, perm access.Permission, ownerOK bool) (access.Membership, bool) {
	if m, ok := p.At(perm, c.path); ok {
		return m, true
	}
	if ownerOK && c.OwnerID == p.UserID {
		return p.Grant(perm)
	}
	return access.Membership{}, false
}

// denied is the error for a caller without the needed permission: one who
// may see the case is forbidden; for anyone else it does not exist.
func (c *Case) denied(p access.Principal) error {
	if _, ok := c.grant(p, access.CaseManage, true); ok {
		return apperr.Forbidden()
	}
	return apperr.NotFound()
}

// activeCase returns the student's case that is not closed.
func activeCase(ctx context.Context, tx *db.Tx, studentID int64) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `SELECT id FROM cases WHERE student_id = ? AND state IN ('open', 'close_requested') ORDER BY id DESC LIMIT 1`,
		studentID).Scan(&id)
	return id, err
}

// logCase writes an act on a case: the case event, a timeline entry of
// kind "case" when timeline is not "", and the audit entry.
func (s *Service) logCase(ctx context.Context, tx *db.Tx, p access.Principal, m access.Membership, c *Case, kind, detail, timeline, action string) error {
	now := db.Micro(s.now())
	if _, err := tx.Exec(ctx, `INSERT INTO case_events (case_id, at, actor_id, kind, detail) VALUES (?, ?, ?, ?, ?)`,
		c.ID, now, p.UserID, kind, detail); err != nil {
		return err
	}
	if timeline != "" {
		if _, err := tx.Exec(ctx, `INSERT INTO student_events (student_id, at, kind, actor_user_id, org_unit_id, detail) VALUES (?, ?, 'case', ?, ?, ?)`,
			c.StudentID, now, p.UserID, c.SchoolID, "case="+itoa(c.ID)+" "+timeline); err != nil {
			return err
		}
	}
	codes, _, _ := strings.Cut(detail, " why=") // a sealed reason stays out of the audit trail
	return s.record(ctx, tx, p, m, action, "case", c.ID, strings.TrimSpace("student="+itoa(c.StudentID)+" "+codes))
}

// unitOf returns the last unit of a path: the school of "/1/5/23/".
func unitOf(path string) int64 {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	id, _ := strconv.ParseInt(parts[len(parts)-1], 10, 64)
	return id
}

// OpenCase opens a case for a student, owned by the caller, who needs
// case.manage over the student's school. A student with a case that is not
// closed has it joined instead, and its id is returned. With fromAlertID,
// that alert of the student is closed with the decision "case" in the same
// transaction.
func (s *Service) OpenCase(ctx context.Context, p access.Principal, studentID, fromAlertID int64) (int64, error) {
	var id int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		m, path, err := studentAt(ctx, tx, p, access.CaseManage, studentID)
		if err != nil {
			return err
		}
		if err := tx.Serialize(ctx, "case-student:"+itoa(studentID)); err != nil {
			return err
		}
		if fromAlertID != 0 {
			var n int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM alerts WHERE id = ? AND student_id = ?`, fromAlertID, studentID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return apperr.Invalid("case.alert_other_student", map[string]string{"alert_id": "case.alert_other_student"})
			}
		}
		id, err = activeCase(ctx, tx, studentID)
		c := &Case{ID: id, StudentID: studentID, SchoolID: unitOf(path)}
		switch {
		case err == nil && fromAlertID == 0:
			return nil
		case err == nil:
			err = s.logCase(ctx, tx, p, m, c, "alert_joined", "alert="+itoa(fromAlertID), "", "case.join")
		case apperr.CodeOf(err) == apperr.ENotFound:
			now := db.Micro(s.now())
			if c.ID, err = tx.InsertID(ctx, `INSERT INTO cases (student_id, owner_user_id, opened_at, opened_by) VALUES (?, ?, ?, ?)`,
				studentID, p.UserID, now, p.UserID); err != nil {
				return err
			}
			id = c.ID
			detail := ""
			if fromAlertID != 0 {
				detail = "alert=" + itoa(fromAlertID)
			}
			err = s.logCase(ctx, tx, p, m, c, "opened", detail, "opened", "case.open")
		}
		if err != nil || fromAlertID == 0 {
			return err
		}
		return s.Warning.CloseTx(ctx, tx, p, fromAlertID, warning.Closing{Decision: warning.DecisionCase, CaseID: id})
	})
	return id, err
}

func closeNoteAAD(id int64) string { return "cases:" + itoa(id) + ":close_note" }

func reopenAAD(id int64, n int) string {
	return "case_events:" + itoa(id) + ":reopened:" + strconv.Itoa(n)
}

// sealReason seals the reason for the n-th reopening into the event's
// detail ("n=2 why=<sealed, base64>"): case events hold no plain text.
func (s *Service) sealReason(id int64, n int, why string) (string, error) {
	sealed, err := s.Seal.Seal([]byte(why), reopenAAD(id, n))
	if err != nil {
		return "", apperr.Internal(err)
	}
	return "n=" + strconv.Itoa(n) + " why=" + base64.RawURLEncoding.EncodeToString(sealed), nil
}

// RequestClose asks to close a case, with a reason and a note (sealed):
// the case waits for a sign-off, and everyone who may sign it off for the
// student's school is told.
func (s *Service) RequestClose(ctx context.Context, p access.Principal, id int64, reason, note string) error {
	note = strings.TrimSpace(note)
	fields := map[string]string{}
	if !slices.Contains(CloseReasons, reason) {
		fields["reason"] = "case.close_reason_required"
	}
	if reason == "other" && note == "" {
		fields["note"] = "form.required"
	}
	if len([]rune(note)) > 4000 {
		fields["note"] = "form.too_long"
	}
	if len(fields) > 0 {
		return apperr.Invalid("form.invalid", fields)
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		c, err := loadCase(ctx, tx, id)
		if err != nil {
			return err
		}
		m, ok := c.grant(p, access.CaseManage, true)
		if !ok {
			return c.denied(p)
		}
		if c.State != CaseOpen {
			return apperr.New(apperr.EConflict, "case.not_open")
		}
		var sealed []byte
		if note != "" {
			if sealed, err = s.Seal.Seal([]byte(note), closeNoteAAD(id)); err != nil {
				return apperr.Internal(err)
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE cases SET state = 'close_requested', close_reason = ?, close_note = ?, closed_by = ? WHERE id = ?`,
			reason, sealed, p.UserID, id); err != nil {
			return err
		}
		if err := s.notifySigners(ctx, tx, c, p.UserID); err != nil {
			return err
		}
		return s.logCase(ctx, tx, p, m, c, "close_requested", "reason="+reason, "", "case.request_close")
	})
}

// notifySigners tells every active user holding case.signoff over the
// case's school (a membership at the school or a unit above it), but the
// one who asked.
func (s *Service) notifySigners(ctx context.Context, tx *db.Tx, c *Case, except int64) error {
	var roles []any
	for _, r := range access.RoleNames() {
		if access.Has(r, access.CaseSignoff) {
			roles = append(roles, r)
		}
	}
	var units []any
	for _, u := range strings.Split(strings.Trim(c.path, "/"), "/") {
		if id, err := strconv.ParseInt(u, 10, 64); err == nil {
			units = append(units, id)
		}
	}
	if len(roles) == 0 || len(units) == 0 {
		return nil
	}
	rows, err := tx.Query(ctx, `SELECT DISTINCT m.user_id FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.org_unit_id IN (`+marks(len(units))+`) AND m.role IN (`+marks(len(roles))+`) AND u.active = 1 AND m.user_id <> ? ORDER BY m.user_id`,
		append(append(units, roles...), except)...)
	if err != nil {
		return err
	}
	var users []int64
	for rows.Next() {
		var u int64
		if err := rows.Scan(&u); err != nil {
			rows.Close()
			return apperr.Internal(err)
		}
		users = append(users, u)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return apperr.Internal(err)
	}
	for _, u := range users {
		if err := s.Notify.Send(ctx, tx, u, notify.Note{Kind: "case.signoff_requested", RefType: "case", RefID: c.ID}); err != nil {
			return err
		}
	}
	return nil
}

// marks returns n comma-separated placeholders.
func marks(n int) string { return strings.TrimSuffix(strings.Repeat("?, ", n), ", ") }

// SignOff closes a case whose closing was asked for. The caller needs
// case.signoff over the student's school and must not be the one who asked.
func (s *Service) SignOff(ctx context.Context, p access.Principal, id int64) error {
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		c, err := loadCase(ctx, tx, id)
		if err != nil {
			return err
		}
		m, ok := c.grant(p, access.CaseSignoff, false)
		switch {
		case !ok:
			return c.denied(p)
		case c.State != CaseCloseRequested:
			return apperr.New(apperr.EConflict, "case.no_close_request")
		case c.ClosedBy == p.UserID:
			return apperr.New(apperr.EForbidden, "case.signoff_self")
		}
		now := db.Micro(s.now())
		if _, err := tx.Exec(ctx, `UPDATE cases SET state = 'closed', closed_at = ?, signed_off_by = ? WHERE id = ?`, now, p.UserID, id); err != nil {
			return err
		}
		detail := "reason=" + c.CloseReason + " requested_by=" + itoa(c.ClosedBy)
		return s.logCase(ctx, tx, p, m, c, "closed", detail, "closed reason="+c.CloseReason, "case.signoff")
	})
}

// Reopen opens a closed case again, with its plans, follow-ups and
// history, if the student has no other case that is not closed. why is
// required and kept sealed in the case's history.
func (s *Service) Reopen(ctx context.Context, p access.Principal, id int64, why string) error {
	why = strings.TrimSpace(why)
	switch {
	case why == "":
		return apperr.Invalid("form.invalid", map[string]string{"why": "form.required"})
	case len([]rune(why)) > 2000:
		return apperr.Invalid("form.invalid", map[string]string{"why": "form.too_long"})
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		c, err := loadCase(ctx, tx, id)
		if err != nil {
			return err
		}
		m, ok := c.grant(p, access.CaseManage, true)
		if !ok {
			return c.denied(p)
		}
		if c.State != CaseClosed {
			return apperr.New(apperr.EConflict, "case.not_closed")
		}
		if err := tx.Serialize(ctx, "case-student:"+itoa(c.StudentID)); err != nil {
			return err
		}
		if _, err := activeCase(ctx, tx, c.StudentID); err == nil {
			return apperr.New(apperr.EConflict, "case.other_open")
		} else if apperr.CodeOf(err) != apperr.ENotFound {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE cases SET state = 'open', reopened = reopened + 1, closed_at = 0, closed_by = 0, signed_off_by = 0
			WHERE id = ?`, id); err != nil {
			return err
		}
		detail, err := s.sealReason(id, c.Reopened+1, why)
		if err != nil {
			return err
		}
		return s.logCase(ctx, tx, p, m, c, "reopened", detail, "reopened", "case.reopen")
	})
}
