package station

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/db"
)

// Roles a person has on a station's roster, from the roles they hold there.
const (
	RoleSupervisor = "supervisor" // holds hotline.supervise: supervises, and answers contacts too
	RoleCounsellor = "counsellor" // holds hotline.contact: answers contacts
	RoleOther      = "other"      // on duty for alerts only (a coordinator): covers nothing here
)

// CoverRoles are the kinds of cover a station needs around the clock: someone
// answering contacts (a counsellor, or a supervisor who answers too), and a
// supervisor.
var CoverRoles = []string{RoleCounsellor, RoleSupervisor}

// Horizon is how far ahead the roster looks for gaps: today and the six
// days after it, in China Standard Time.
const Horizon = 7

// Member is someone on a station's roster: an active account holding a
// hotline role in the station or one of its branches.
type Member struct {
	UserID     int64
	Name       string
	Role       string // the access role, e.g. hotline_counsellor
	UnitID     int64
	UnitName   string
	UnitNameEn string
}

// Shift is a duty shift (warning.DutyShift) at the station or a branch,
// with the person's role on the station's roster.
type Shift struct {
	ID         int64
	UnitID     int64
	UnitName   string
	UnitNameEn string
	UserID     int64
	UserName   string
	Role       string // RoleSupervisor, RoleCounsellor or RoleOther
	Start, End time.Time
}

// Gap is a span in which no one of Role is on duty.
type Gap struct {
	Role       string // RoleCounsellor or RoleSupervisor
	Start, End time.Time
}

// Day is one day of the roster in China Standard Time: the shifts that
// overlap it and its gaps, cut at midnight.
type Day struct {
	Date   time.Time // midnight, China Standard Time
	Shifts []Shift
	Gaps   []Gap
}

// Roster is a station's roster as of Now: who is on it, who is on duty now,
// and the coming days with their gaps in cover.
type Roster struct {
	Station Station
	Now     time.Time
	Members []Member
	OnDuty  []Shift
	Days    []Day
	Gaps    []Gap // every gap from Now to the end of the last day, not cut at midnight
}

// Roster returns the roster of a station and its branches; the caller needs
// hotline.contact or hotline.supervise there.
func (s *Service) Roster(ctx context.Context, p access.Principal, stationID int64) (*Roster, error) {
	now := s.now()
	r := &Roster{Now: now}
	end := midnight(now).AddDate(0, 0, Horizon)
	var shifts []Shift
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		st, _, err := s.station(ctx, tx, p, stationID, access.HotlineContact, access.HotlineSupervise)
		if err != nil {
			return err
		}
		r.Station = st
		if r.Members, err = members(ctx, tx, st.Path); err != nil {
			return err
		}
		shifts, err = s.shifts(ctx, tx, st.Path, now, end)
		return err
	})
	if err != nil {
		return nil, err
	}
	for _, sh := range shifts {
		if !sh.Start.After(now) && sh.End.After(now) {
			r.OnDuty = append(r.OnDuty, sh)
		}
	}
	for _, role := range CoverRoles {
		r.Gaps = append(r.Gaps, Gaps(role, shifts, now, end)...)
	}
	sort.SliceStable(r.Gaps, func(i, j int) bool { return r.Gaps[i].Start.Before(r.Gaps[j].Start) })
	for d := midnight(now); d.Before(end); d = d.AddDate(0, 0, 1) {
		r.Days = append(r.Days, day(d, shifts, r.Gaps))
	}
	return r, nil
}

// day collects the shifts overlapping the day starting at d and its gaps,
// cut at its midnights.
func day(d time.Time, shifts []Shift, gaps []Gap) Day {
	next := d.AddDate(0, 0, 1)
	out := Day{Date: d}
	for _, sh := range shifts {
		if sh.Start.Before(next) && sh.End.After(d) {
			out.Shifts = append(out.Shifts, sh)
		}
	}
	for _, g := range gaps {
		if g.Start.Before(next) && g.End.After(d) {
			out.Gaps = append(out.Gaps, Gap{Role: g.Role, Start: later(g.Start, d), End: earlier(g.End, next)})
		}
	}
	sort.SliceStable(out.Gaps, func(i, j int) bool {
		a, b := out.Gaps[i], out.Gaps[j]
		if !a.Start.Equal(b.Start) {
			return a.Start.Before(b.Start)
		}
		return a.Role == RoleCounsellor && b.Role != RoleCounsellor
	})
	return out
}

// Gaps returns the spans of [from, to) that no shift of role covers. A
// supervisor covers both roles; a RoleOther shift covers none.
func Gaps(role string, shifts []Shift, from, to time.Time) []Gap {
	var spans []Shift
	for _, sh := range shifts {
		if covers(sh.Role, role) && sh.End.After(from) && sh.Start.Before(to) {
			spans = append(spans, sh)
		}
	}
	sort.Slice(spans, func(i, j int) bool { return spans[i].Start.Before(spans[j].Start) })
	var out []Gap
	at := from
	for _, sh := range spans {
		if sh.Start.After(at) {
			out = append(out, Gap{Role: role, Start: at, End: sh.Start})
		}
		at = later(at, sh.End)
		if !at.Before(to) {
			return out
		}
	}
	if at.Before(to) {
		out = append(out, Gap{Role: role, Start: at, End: to})
	}
	return out
}

// covers reports whether a shift of role shift covers the need.
func covers(shift, need string) bool {
	switch need {
	case RoleSupervisor:
		return shift == RoleSupervisor
	case RoleCounsellor:
		return shift == RoleCounsellor || shift == RoleSupervisor
	}
	return false
}

func later(a, b time.Time) time.Time {
	if b.After(a) {
		return b
	}
	return a
}

func earlier(a, b time.Time) time.Time {
	if b.Before(a) {
		return b
	}
	return a
}

// hotlineRoles are the roles that answer contacts.
func hotlineRoles() []any {
	var out []any
	for _, name := range access.RoleNames() {
		if access.Has(name, access.HotlineContact) {
			out = append(out, name)
		}
	}
	return out
}

func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// members lists active accounts with a hotline role in the subtree at path.
func members(ctx context.Context, tx *db.Tx, path string) ([]Member, error) {
	roles := hotlineRoles()
	rows, err := tx.Query(ctx, `SELECT u.id, u.display_name, m.role, o.id, o.name, o.name_en FROM memberships m
		JOIN users u ON u.id = m.user_id JOIN org_units o ON o.id = m.org_unit_id
		WHERE u.active = 1 AND o.path >= ? AND o.path < ? AND m.role IN (`+placeholders(len(roles))+`)
		ORDER BY o.path, m.role DESC, u.display_name, u.id LIMIT 500`, append([]any{path, access.SubtreeEnd(path)}, roles...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Member
	for rows.Next() {
		var m Member
		if err := rows.Scan(&m.UserID, &m.Name, &m.Role, &m.UnitID, &m.UnitName, &m.UnitNameEn); err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	return out, rows.Err()
}

// shifts reads the duty shifts of active people at units in the subtree at
// path that overlap [from, to), each with the person's role there.
func (s *Service) shifts(ctx context.Context, tx *db.Tx, path string, from, to time.Time) ([]Shift, error) {
	rows, err := tx.Query(ctx, `SELECT d.id, d.org_unit_id, o.name, o.name_en, o.path, d.user_id, u.display_name, d.starts_at, d.ends_at
		FROM duty_shifts d JOIN org_units o ON o.id = d.org_unit_id JOIN users u ON u.id = d.user_id
		WHERE d.ends_at > ? AND d.starts_at < ? AND u.active = 1 AND o.path >= ? AND o.path < ?
		ORDER BY d.starts_at, d.id LIMIT 2000`, db.Micro(from), db.Micro(to), path, access.SubtreeEnd(path))
	if err != nil {
		return nil, err
	}
	var out []Shift
	var paths []string
	users := map[int64]bool{}
	for rows.Next() {
		var sh Shift
		var unitPath string
		var start, end int64
		if err := rows.Scan(&sh.ID, &sh.UnitID, &sh.UnitName, &sh.UnitNameEn, &unitPath, &sh.UserID, &sh.UserName, &start, &end); err != nil {
			rows.Close()
			return nil, err
		}
		sh.Start, sh.End = db.FromMicro(start), db.FromMicro(end)
		out, paths = append(out, sh), append(paths, unitPath)
		users[sh.UserID] = true
	}
	rows.Close()
	if err := rows.Err(); err != nil || len(out) == 0 {
		return out, err
	}
	held, err := memberships(ctx, tx, users)
	if err != nil {
		return nil, err
	}
	for i := range out {
		out[i].Role = roleAt(held[out[i].UserID], paths[i])
	}
	return out, nil
}

// memberships reads the memberships of users.
func memberships(ctx context.Context, tx *db.Tx, users map[int64]bool) (map[int64][]access.Membership, error) {
	ids := make([]any, 0, len(users))
	for id := range users {
		ids = append(ids, id)
	}
	rows, err := tx.Query(ctx, `SELECT m.user_id, m.org_unit_id, o.path, m.role FROM memberships m JOIN org_units o ON o.id = m.org_unit_id
		WHERE m.user_id IN (`+placeholders(len(ids))+`)`, ids...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[int64][]access.Membership{}
	for rows.Next() {
		var uid int64
		var m access.Membership
		if err := rows.Scan(&uid, &m.OrgID, &m.OrgPath, &m.Role); err != nil {
			return nil, err
		}
		out[uid] = append(out[uid], m)
	}
	return out, rows.Err()
}

// roleAt is a person's role on the roster of the unit at path: from their
// memberships at the unit, above it or in its subtree.
func roleAt(ms []access.Membership, path string) string {
	role := RoleOther
	for _, m := range ms {
		if !strings.HasPrefix(path, m.OrgPath) && !strings.HasPrefix(m.OrgPath, path) {
			continue
		}
		switch {
		case access.Has(m.Role, access.HotlineSupervise):
			return RoleSupervisor
		case access.Has(m.Role, access.HotlineContact):
			role = RoleCounsellor
		}
	}
	return role
}
