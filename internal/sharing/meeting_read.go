package sharing

import (
	"context"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// FindMeeting returns a meeting the caller may see (meeting.manage over
// its convening unit or a member unit) with members, agenda, decisions
// and action items, sealed texts opened. Its agenda may name children, so
// the read is audited.
func (s *Service) FindMeeting(ctx context.Context, p access.Principal, id int64) (*JointMeeting, error) {
	var mt JointMeeting
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		path, m, err := loadMeeting(ctx, tx, p, id, false)
		if err != nil {
			return err
		}
		_, mt.Mine = p.At(access.MeetingManage, path)
		var held int64
		var decisions []byte
		if err := tx.QueryRow(ctx, `SELECT m.id, m.title, m.held_at, m.decisions, co.id, co.name, co.name_en FROM joint_meetings m
			JOIN org_units co ON co.id = m.convening_unit WHERE m.id = ?`, id).Scan(&mt.ID, &mt.Title, &held, &decisions,
			&mt.Convening.ID, &mt.Convening.Name, &mt.Convening.NameEn); err != nil {
			return err
		}
		mt.HeldAt = db.FromMicro(held)
		if mt.Decisions, err = s.open(decisions, decisionsAAD(id)); err != nil {
			return err
		}
		if mt.Members, err = members(ctx, tx, id); err != nil {
			return err
		}
		if mt.Items, err = s.items(ctx, tx, id); err != nil {
			return err
		}
		if mt.Actions, err = s.actions(ctx, tx, `a.meeting_id = ?`, []any{id}, ` ORDER BY a.id`); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "meeting.read", "joint_meeting", id, "items="+itoa(int64(len(mt.Items))))
	})
	if err != nil {
		return nil, err
	}
	return &mt, nil
}

// open opens a sealed text; an empty value is "".
func (s *Service) open(sealed []byte, aad string) (string, error) {
	if len(sealed) == 0 {
		return "", nil
	}
	plain, err := s.Seal.Open(sealed, aad)
	if err != nil {
		return "", apperr.Internal(err)
	}
	return string(plain), nil
}

func members(ctx context.Context, tx *db.Tx, id int64) ([]Member, error) {
	rows, err := tx.Query(ctx, `SELECT o.id, o.name, o.name_en, mm.attendance FROM meeting_members mm JOIN org_units o ON o.id = mm.org_unit_id
		WHERE mm.meeting_id = ? ORDER BY o.path`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		var mb Member
		if err := rows.Scan(&mb.Unit.ID, &mb.Unit.Name, &mb.Unit.NameEn, &mb.Attendance); err != nil {
			return nil, apperr.Internal(err)
		}
		out = append(out, mb)
	}
	return out, apperr.Internal(rows.Err())
}

func (s *Service) items(ctx context.Context, tx *db.Tx, id int64) ([]AgendaItem, error) {
	rows, err := tx.Query(ctx, `SELECT i.id, i.position, i.body, i.student_id, COALESCE(st.student_no, ''), COALESCE(st.name, ''), i.basis
		FROM meeting_items i LEFT JOIN students st ON st.id = i.student_id WHERE i.meeting_id = ? ORDER BY i.position, i.id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []AgendaItem
	for rows.Next() {
		var it AgendaItem
		var body []byte
		if err := rows.Scan(&it.ID, &it.Position, &body, &it.StudentID, &it.StudentNo, &it.StudentName, &it.Basis); err != nil {
			return nil, apperr.Internal(err)
		}
		if it.Body, err = s.open(body, itemAAD(it.ID)); err != nil {
			return nil, err
		}
		out = append(out, it)
	}
	return out, apperr.Internal(rows.Err())
}

// actions reads action items matching where, texts opened.
func (s *Service) actions(ctx context.Context, tx *db.Tx, where string, args []any, order string) ([]ActionItem, error) {
	now := db.Micro(s.now())
	rows, err := tx.Query(ctx, `SELECT a.id, a.meeting_id, m.title, a.body, a.owner_id, u.display_name, o.id, o.name, o.name_en,
		a.due_at, a.done_at, a.done_note FROM meeting_actions a JOIN joint_meetings m ON m.id = a.meeting_id JOIN users u ON u.id = a.owner_id
		JOIN org_units o ON o.id = a.owning_unit WHERE `+where+order+` LIMIT 500`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []ActionItem
	for rows.Next() {
		var a ActionItem
		var body, note []byte
		var due, done int64
		if err := rows.Scan(&a.ID, &a.MeetingID, &a.MeetingTitle, &body, &a.OwnerID, &a.OwnerName, &a.Unit.ID, &a.Unit.Name, &a.Unit.NameEn,
			&due, &done, &note); err != nil {
			return nil, apperr.Internal(err)
		}
		a.Due = db.FromMicro(due)
		if done != 0 {
			a.DoneAt = db.FromMicro(done)
		}
		a.Overdue = done == 0 && due < now
		if a.Body, err = s.open(body, actionAAD(a.ID)); err != nil {
			return nil, err
		}
		if a.DoneNote, err = s.open(note, actionNoteAAD(a.ID)); err != nil {
			return nil, err
		}
		out = append(out, a)
	}
	return out, apperr.Internal(rows.Err())
}

// OverdueActions lists the open action items past their due date of the
// meetings the caller may see, most overdue first. The read is audited.
func (s *Service) OverdueActions(ctx context.Context, p access.Principal) ([]ActionItem, error) {
	m, ok := p.Grant(access.MeetingManage)
	if !ok {
		return nil, apperr.Forbidden()
	}
	cond, args := meetingVisible(p)
	var out []ActionItem
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		out, err = s.actions(ctx, tx, `a.done_at = 0 AND a.due_at < ? AND EXISTS (SELECT 1 FROM joint_meetings m JOIN org_units co
			ON co.id = m.convening_unit WHERE m.id = a.meeting_id AND `+cond+`)`, append([]any{db.Micro(s.now())}, args...), ` ORDER BY a.due_at, a.id`)
		if err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "meeting.actions_overdue", "meeting_action", 0, "count="+itoa(int64(len(out))))
	})
	return out, err
}

// MyActions lists the action items the caller owns: open ones first by
// due date, then those done. Anyone signed in may read their own.
func (s *Service) MyActions(ctx context.Context, p access.Principal) ([]ActionItem, error) {
	if p.UserID == 0 {
		return nil, apperr.Forbidden()
	}
	var out []ActionItem
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		out, err = s.actions(ctx, tx, `a.owner_id = ?`, []any{p.UserID}, ` ORDER BY CASE WHEN a.done_at = 0 THEN 0 ELSE 1 END, a.due_at, a.id`)
		return err
	})
	return out, err
}
