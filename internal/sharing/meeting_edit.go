package sharing

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// SetAttendance records which member units attended (attended, absent, or
// "" while unknown). The caller needs meeting.manage at the convening unit.
func (s *Service) SetAttendance(ctx context.Context, p access.Principal, id int64, attendance map[int64]string) error {
	for _, a := range attendance {
		if a != "" && !slices.Contains(Attendances, a) {
			return apperr.Invalid("form.invalid", map[string]string{"attendance": "sharing.bad_value"})
		}
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		_, m, err := loadMeeting(ctx, tx, p, id, true)
		if err != nil {
			return err
		}
		n := 0
		for unit, a := range attendance {
			res, err := tx.Exec(ctx, `UPDATE meeting_members SET attendance = ? WHERE meeting_id = ? AND org_unit_id = ?`, a, id, unit)
			if err != nil {
				return err
			}
			if k, _ := res.RowsAffected(); k > 0 && a == "attended" {
				n++
			}
		}
		return s.record(ctx, tx, p, m, "meeting.attendance", "joint_meeting", id, "attended="+itoa(int64(n)))
	})
}

// SetDecisions replaces the meeting's decisions (sealed).
func (s *Service) SetDecisions(ctx context.Context, p access.Principal, id int64, text string) error {
	text = strings.TrimSpace(text)
	if utf8.RuneCountInString(text) > 20000 {
		return apperr.Invalid("form.invalid", map[string]string{"decisions": "sharing.too_long"})
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		_, m, err := loadMeeting(ctx, tx, p, id, true)
		if err != nil {
			return err
		}
		sealed, err := s.Seal.Seal([]byte(text), decisionsAAD(id))
		if err != nil {
			return apperr.Internal(err)
		}
		if _, err := tx.Exec(ctx, `UPDATE joint_meetings SET decisions = ? WHERE id = ?`, sealed, id); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "meeting.decisions", "joint_meeting", id, "")
	})
}

// NewItem is an agenda item; with StudentNo it presents that child's case.
type NewItem struct {
	Body      string
	StudentNo string
	Basis     string // with a student: consent, agreement or law
}

// MeetingBases are the bases on which a child's case may be presented.
var MeetingBases = []string{"consent", "agreement", "law"}

// meetingData is what presenting a case discloses.
var meetingData = []string{"identity", "case_summary"}

// AddItem adds an agenda item. The caller needs meeting.manage at the
// convening unit; to name a student, also record.read over the student's
// school. Presenting a case records, in the same transaction, a disclosure
// from the school to every member unit and the convening unit (the school
// and the units above it excepted), on the basis given, which must hold: consent needs
// HasConsent(share_meeting), agreement an agreement in force with every
// recipient, law is the caller's statement of a legal duty.
func (s *Service) AddItem(ctx context.Context, p access.Principal, id int64, n NewItem) (int64, error) {
	n.Body, n.StudentNo = strings.TrimSpace(n.Body), strings.TrimSpace(n.StudentNo)
	if n.Body == "" || utf8.RuneCountInString(n.Body) > 5000 {
		return 0, apperr.Invalid("form.invalid", map[string]string{"body": "meeting.item_required"})
	}
	if n.StudentNo == "" {
		n.Basis = ""
	} else if !slices.Contains(MeetingBases, n.Basis) {
		return 0, apperr.Invalid("form.invalid", map[string]string{"basis": "sharing.bad_value"})
	}
	var item int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		_, m, err := loadMeeting(ctx, tx, p, id, true)
		if err != nil {
			return err
		}
		var child *Child
		var recipients []int64
		if n.StudentNo != "" {
			var sid int64
			if err := tx.QueryRow(ctx, `SELECT id FROM students WHERE student_no = ?`, n.StudentNo).Scan(&sid); err == nil {
				child, _, err = childAt(ctx, tx, p, access.RecordRead, sid)
				if err != nil && apperr.CodeOf(err) != apperr.ENotFound {
					return err
				}
			}
			if child == nil {
				return apperr.Invalid("form.invalid", map[string]string{"student_no": "meeting.student_out_of_scope"})
			}
			if recipients, err = s.recipients(ctx, tx, id, child.SchoolPath); err != nil {
				return err
			}
			if field, msg, err := s.basisHolds(ctx, tx, child, recipients, n.Basis); err != nil {
				return err
			} else if msg != "" {
				return apperr.Invalid("form.invalid", map[string]string{field: msg})
			}
		}
		var pos int
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(position), 0) + 1 FROM meeting_items WHERE meeting_id = ?`, id).Scan(&pos); err != nil {
			return err
		}
		sid := int64(0)
		if child != nil {
			sid = child.ID
		}
		if item, err = tx.InsertID(ctx, `INSERT INTO meeting_items (meeting_id, position, body, student_id, basis, created_by, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, id, pos, []byte("-"), sid, n.Basis, p.UserID, db.Micro(s.now())); err != nil {
			return err
		}
		sealed, err := s.Seal.Seal([]byte(n.Body), itemAAD(item))
		if err != nil {
			return apperr.Internal(err)
		}
		if _, err := tx.Exec(ctx, `UPDATE meeting_items SET body = ? WHERE id = ?`, sealed, item); err != nil {
			return err
		}
		for _, to := range recipients {
			if err := s.Record(ctx, tx, p, Disclosure{StudentID: sid, FromUnit: child.SchoolID, ToUnit: to, What: meetingData,
				Purpose: "meeting", Basis: n.Basis, RefType: "meeting", RefID: id}); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, p, m, "meeting.item_add", "joint_meeting", id,
			"item="+itoa(item)+" student="+itoa(sid)+" disclosures="+itoa(int64(len(recipients))))
	})
	return item, err
}

// recipients are the member units and the convening unit, less the
// school and the units above it (the record's owners already).
func (s *Service) recipients(ctx context.Context, tx *db.Tx, id int64, schoolPath string) ([]int64, error) {
	rows, err := tx.Query(ctx, `SELECT o.id, o.path FROM org_units o WHERE o.id IN (SELECT org_unit_id FROM meeting_members WHERE meeting_id = ?)
		OR o.id = (SELECT convening_unit FROM joint_meetings WHERE id = ?) ORDER BY o.id`, id, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	for rows.Next() {
		var u int64
		var path string
		if err := rows.Scan(&u, &path); err != nil {
			return nil, err
		}
		if !strings.HasPrefix(schoolPath, path) {
			out = append(out, u)
		}
	}
	return out, rows.Err()
}

// basisHolds checks the basis of presenting child's case to recipients;
// it returns the field and message of a basis that does not hold.
func (s *Service) basisHolds(ctx context.Context, tx *db.Tx, child *Child, recipients []int64, basis string) (string, string, error) {
	now := s.now()
	switch basis {
	case "consent":
		ok, err := s.HasConsent(ctx, tx, child.ID, "share_meeting", now)
		if err != nil || !ok {
			return "basis", "meeting.no_consent", err
		}
	case "agreement":
		for _, to := range recipients {
			a, err := s.AgreementFor(ctx, tx, child.SchoolID, to, meetingData, "meeting", now)
			if err != nil || a == 0 {
				return "basis", "meeting.no_agreement", err
			}
		}
	}
	return "", "", nil
}

// NewAction is an action item: what, who, which unit, by when.
type NewAction struct {
	Body       string
	OwnerID    int64
	OwningUnit int64
	Due        time.Time
}

// AddAction gives an action item to a person of a member unit (or the
// convening unit): the owner must hold a role in that unit or below it.
// The caller needs meeting.manage at the convening unit.
func (s *Service) AddAction(ctx context.Context, p access.Principal, id int64, n NewAction) (int64, error) {
	n.Body = strings.TrimSpace(n.Body)
	bad := map[string]string{}
	if n.Body == "" || utf8.RuneCountInString(n.Body) > 2000 {
		bad["body"] = "meeting.action_required"
	}
	if n.Due.IsZero() {
		bad["due"] = "meeting.date_required"
	}
	if len(bad) > 0 {
		return 0, apperr.Invalid("form.invalid", bad)
	}
	var action int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		_, m, err := loadMeeting(ctx, tx, p, id, true)
		if err != nil {
			return err
		}
		var path string
		if err := tx.QueryRow(ctx, `SELECT o.path FROM org_units o WHERE o.id = ? AND (o.id IN (SELECT org_unit_id FROM meeting_members WHERE meeting_id = ?)
			OR o.id = (SELECT convening_unit FROM joint_meetings WHERE id = ?))`, n.OwningUnit, id, id).Scan(&path); err != nil {
			return apperr.Invalid("form.invalid", map[string]string{"owning_unit": "meeting.not_member"})
		}
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM memberships mb JOIN users u ON u.id = mb.user_id JOIN org_units o ON o.id = mb.org_unit_id
			WHERE mb.user_id = ? AND u.active = 1 AND o.path >= ? AND o.path < ? LIMIT 1`, n.OwnerID, path, access.SubtreeEnd(path)).Scan(&one); err != nil {
			return apperr.Invalid("form.invalid", map[string]string{"owner": "meeting.bad_owner"})
		}
		if action, err = tx.InsertID(ctx, `INSERT INTO meeting_actions (meeting_id, body, owner_id, owning_unit, due_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?)`, id, []byte("-"), n.OwnerID, n.OwningUnit, db.Micro(n.Due), db.Micro(s.now())); err != nil {
			return err
		}
		sealed, err := s.Seal.Seal([]byte(n.Body), actionAAD(action))
		if err != nil {
			return apperr.Internal(err)
		}
		if _, err := tx.Exec(ctx, `UPDATE meeting_actions SET body = ? WHERE id = ?`, sealed, action); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "meeting.action_add", "meeting_action", action, "meeting="+itoa(id)+" owner="+itoa(n.OwnerID))
	})
	return action, err
}

// CompleteAction marks an action item done with a note (sealed). Its
// owner may, and so may a holder of meeting.manage at the convening unit
// or the owning unit. Completing a done item changes nothing.
func (s *Service) CompleteAction(ctx context.Context, p access.Principal, id int64, note string) error {
	note = strings.TrimSpace(note)
	if note == "" || utf8.RuneCountInString(note) > 2000 {
		return apperr.Invalid("form.invalid", map[string]string{"note": "meeting.note_required"})
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var owner, done int64
		var convPath, unitPath string
		if err := tx.QueryRow(ctx, `SELECT a.owner_id, a.done_at, co.path, o.path FROM meeting_actions a JOIN joint_meetings m ON m.id = a.meeting_id
			JOIN org_units co ON co.id = m.convening_unit JOIN org_units o ON o.id = a.owning_unit WHERE a.id = ?`, id).Scan(&owner, &done, &convPath, &unitPath); err != nil {
			return err
		}
		m, ok := p.At(access.MeetingManage, convPath)
		if !ok {
			m, ok = p.At(access.MeetingManage, unitPath)
		}
		if !ok && (p.UserID == 0 || owner != p.UserID || len(p.Memberships) == 0) {
			return apperr.NotFound()
		}
		if !ok {
			m = p.Memberships[0]
		}
		if done != 0 {
			return nil
		}
		sealed, err := s.Seal.Seal([]byte(note), actionNoteAAD(id))
		if err != nil {
			return apperr.Internal(err)
		}
		if _, err := tx.Exec(ctx, `UPDATE meeting_actions SET done_at = ?, done_by = ?, done_note = ? WHERE id = ? AND done_at = 0`,
			db.Micro(s.now()), p.UserID, sealed, id); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "meeting.action_done", "meeting_action", id, "")
	})
}

// Person is someone who may own an action item of a meeting.
type Person struct {
	ID   int64
	Name string
	Unit UnitName
}

// Candidates lists the active staff of the meeting's member units and
// convening unit (and the units below them), for choosing an action
// item's owner. The caller needs meeting.manage at the convening unit.
func (s *Service) Candidates(ctx context.Context, p access.Principal, id int64) ([]Person, error) {
	var out []Person
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		if _, _, err := loadMeeting(ctx, tx, p, id, true); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT DISTINCT u.id, u.display_name, t.id, t.name, t.name_en, t.path FROM memberships mb JOIN users u ON u.id = mb.user_id
			JOIN org_units o ON o.id = mb.org_unit_id JOIN org_units t ON o.path LIKE t.path || '%'
			WHERE u.active = 1 AND (t.id IN (SELECT org_unit_id FROM meeting_members WHERE meeting_id = ?)
			OR t.id = (SELECT convening_unit FROM joint_meetings WHERE id = ?)) ORDER BY t.path, u.display_name, u.id LIMIT 500`, id, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var ps Person
			var path string
			if err := rows.Scan(&ps.ID, &ps.Name, &ps.Unit.ID, &ps.Unit.Name, &ps.Unit.NameEn, &path); err != nil {
				return err
			}
			out = append(out, ps)
		}
		return rows.Err()
	})
	return out, err
}
