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

// JointMeeting is a joint meeting of agencies (联席会议): a convening unit,
// member units with their attendance, agenda items, decisions (sealed)
// and action items tracked to done.
type JointMeeting struct {
	ID        int64
	Convening UnitName
	Title     string
	HeldAt    time.Time
	Decisions string
	Members   []Member
	Items     []AgendaItem
	Actions   []ActionItem
	Mine      bool // the caller holds meeting.manage at the convening unit
}

// Member is a member unit and whether it attended.
type Member struct {
	Unit       UnitName
	Attendance string // "", attended, absent
}

// Attendances are the values of Member.Attendance once known.
var Attendances = []string{"attended", "absent"}

// AgendaItem is one item of the agenda; one that names a student presents
// that child's case to the members.
type AgendaItem struct {
	ID          int64
	Position    int
	Body        string
	StudentID   int64
	StudentNo   string
	StudentName string
	Basis       string
}

// ActionItem is a task a meeting gave to a person of a unit.
type ActionItem struct {
	ID           int64
	MeetingID    int64
	MeetingTitle string
	Body         string
	OwnerID      int64
	OwnerName    string
	Unit         UnitName
	Due          time.Time
	DoneAt       time.Time
	DoneNote     string
	Overdue      bool
}

// NewMeeting is a meeting as a coordinator schedules it.
type NewMeeting struct {
	ConveningUnit int64
	Title         string
	HeldAt        time.Time
	Members       []int64
}

func decisionsAAD(id int64) string  { return "joint_meetings:" + itoa(id) + ":decisions" }
func itemAAD(id int64) string       { return "meeting_items:" + itoa(id) + ":body" }
func actionAAD(id int64) string     { return "meeting_actions:" + itoa(id) + ":body" }
func actionNoteAAD(id int64) string { return "meeting_actions:" + itoa(id) + ":done_note" }

// CreateMeeting records a meeting and its member units. The caller needs
// meeting.manage at the convening unit; members are any active units.
func (s *Service) CreateMeeting(ctx context.Context, p access.Principal, n NewMeeting) (int64, error) {
	n.Title = strings.TrimSpace(n.Title)
	bad := map[string]string{}
	if n.Title == "" || utf8.RuneCountInString(n.Title) > 200 {
		bad["title"] = "meeting.title_required"
	}
	if n.HeldAt.IsZero() {
		bad["held_at"] = "meeting.date_required"
	}
	slices.Sort(n.Members)
	n.Members = slices.Compact(n.Members)
	if len(n.Members) == 0 {
		bad["members"] = "meeting.members_required"
	}
	if len(bad) > 0 {
		return 0, apperr.Invalid("form.invalid", bad)
	}
	var id int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var path string
		if err := tx.QueryRow(ctx, `SELECT path FROM org_units WHERE id = ? AND active = 1`, n.ConveningUnit).Scan(&path); err != nil {
			return apperr.Invalid("form.invalid", map[string]string{"convening_unit": "sharing.bad_unit"})
		}
		m, ok := p.At(access.MeetingManage, path)
		if !ok {
			return apperr.Invalid("form.invalid", map[string]string{"convening_unit": "sharing.bad_unit"})
		}
		var err error
		if id, err = tx.InsertID(ctx, `INSERT INTO joint_meetings (convening_unit, title, held_at, created_by, created_at) VALUES (?, ?, ?, ?, ?)`,
			n.ConveningUnit, n.Title, db.Micro(n.HeldAt), p.UserID, db.Micro(s.now())); err != nil {
			return err
		}
		for _, u := range n.Members {
			var one int
			if err := tx.QueryRow(ctx, `SELECT 1 FROM org_units WHERE id = ? AND active = 1`, u).Scan(&one); err != nil {
				return apperr.Invalid("form.invalid", map[string]string{"members": "sharing.bad_unit"})
			}
			if _, err := tx.Exec(ctx, `INSERT INTO meeting_members (meeting_id, org_unit_id) VALUES (?, ?)`, id, u); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, p, m, "meeting.create", "joint_meeting", id, "members="+itoa(int64(len(n.Members))))
	})
	return id, err
}

// meetingVisible is the SQL condition on a meeting m (convening unit co)
// for the caller: meeting.manage over the convening unit or over one of
// its member units.
func meetingVisible(p access.Principal) (string, []any) {
	conv, cargs := p.Scope(access.MeetingManage, "co.path")
	mem, margs := p.Scope(access.MeetingManage, "mo.path")
	return `(` + conv + ` OR EXISTS (SELECT 1 FROM meeting_members mm JOIN org_units mo ON mo.id = mm.org_unit_id
		WHERE mm.meeting_id = m.id AND ` + mem + `))`, append(cargs, margs...)
}

// Meetings lists the meetings the caller may see, latest first, without
// their contents.
func (s *Service) Meetings(ctx context.Context, p access.Principal) ([]JointMeeting, error) {
	if !p.Can(access.MeetingManage) {
		return nil, apperr.Forbidden()
	}
	cond, args := meetingVisible(p)
	var out []JointMeeting
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT m.id, m.title, m.held_at, co.id, co.name, co.name_en, co.path FROM joint_meetings m
			JOIN org_units co ON co.id = m.convening_unit WHERE `+cond+` ORDER BY m.held_at DESC, m.id DESC LIMIT 200`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var mt JointMeeting
			var held int64
			var path string
			if err := rows.Scan(&mt.ID, &mt.Title, &held, &mt.Convening.ID, &mt.Convening.Name, &mt.Convening.NameEn, &path); err != nil {
				return apperr.Internal(err)
			}
			mt.HeldAt = db.FromMicro(held)
			_, mt.Mine = p.At(access.MeetingManage, path)
			out = append(out, mt)
		}
		return apperr.Internal(rows.Err())
	})
	return out, err
}

// loadMeeting returns the meeting's convening path if the caller may see
// it, and the membership through which; with manage, only the convening
// unit's managers may (they edit it).
func loadMeeting(ctx context.Context, tx *db.Tx, p access.Principal, id int64, manage bool) (string, access.Membership, error) {
	cond, args := meetingVisible(p)
	var path string
	if err := tx.QueryRow(ctx, `SELECT co.path FROM joint_meetings m JOIN org_units co ON co.id = m.convening_unit WHERE m.id = ? AND `+cond,
		append([]any{id}, args...)...).Scan(&path); err != nil {
		return "", access.Membership{}, err
	}
	m, ok := p.At(access.MeetingManage, path)
	if !ok {
		if manage {
			return "", m, apperr.NotFound()
		}
		m, _ = p.Grant(access.MeetingManage)
	}
	return path, m, nil
}
