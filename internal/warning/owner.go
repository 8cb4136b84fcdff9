package warning

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// Steps of the escalation chain.
const (
	StepFirst    = 0 // the school counsellor, or whoever is on duty
	StepSchool   = 1 // the school leader
	StepDistrict = 2 // the district centre
	StepCity     = 3 // the city centre
)

// SchoolHours are the hours in which a school counsellor owns new alerts.
type SchoolHours struct {
	Days       [7]bool // by time.Weekday
	Start, End int     // minutes after midnight
	Zone       *time.Location
}

// DefaultHours are Monday to Friday, 07:30 to 17:30, China Standard Time.
func DefaultHours() SchoolHours {
	h, _ := ParseHours("mon-fri 07:30-17:30")
	return h
}

var dayNames = []string{"sun", "mon", "tue", "wed", "thu", "fri", "sat"}

// ParseHours reads "mon-fri 07:30-17:30" (days as a range or a comma list).
func ParseHours(s string) (SchoolHours, error) {
	h := SchoolHours{Zone: time.FixedZone("CST", 8*3600)}
	parts := strings.Fields(strings.ToLower(s))
	if len(parts) != 2 {
		return h, fmt.Errorf("school hours %q: want days and times, e.g. mon-fri 07:30-17:30", s)
	}
	day := func(n string) int {
		for i, d := range dayNames {
			if d == n {
				return i
			}
		}
		return -1
	}
	for _, d := range strings.Split(parts[0], ",") {
		a, b, isRange := strings.Cut(d, "-")
		from, to := day(a), day(a)
		if isRange {
			to = day(b)
		}
		if from < 0 || to < 0 {
			return h, fmt.Errorf("school hours %q: unknown day", s)
		}
		for i := from; ; i = (i + 1) % 7 {
			h.Days[i] = true
			if i == to {
				break
			}
		}
	}
	a, b, ok := strings.Cut(parts[1], "-")
	start, err1 := clockMinutes(a)
	end, err2 := clockMinutes(b)
	if !ok || err1 != nil || err2 != nil || end <= start {
		return h, fmt.Errorf("school hours %q: want times like 07:30-17:30", s)
	}
	h.Start, h.End = start, end
	return h, nil
}

func clockMinutes(s string) (int, error) {
	hh, mm, ok := strings.Cut(s, ":")
	h, err1 := strconv.Atoi(hh)
	m, err2 := strconv.Atoi(mm)
	if !ok || err1 != nil || err2 != nil || h < 0 || h > 24 || m < 0 || m > 59 {
		return 0, fmt.Errorf("bad time %q", s)
	}
	return h*60 + m, nil
}

// Open reports whether t falls in school hours.
func (h SchoolHours) Open(t time.Time) bool {
	if h.Zone == nil {
		return false
	}
	t = t.In(h.Zone)
	m := t.Hour()*60 + t.Minute()
	return h.Days[t.Weekday()] && m >= h.Start && m < h.End
}

// holder is who holds a step of the chain for a school.
type holder struct {
	userID, orgID int64
	step          int
}

// ancestors returns the unit ids of a path, top first: "/1/5/23/" → 1 5 23.
func ancestors(path string) []int64 {
	var out []int64
	for _, p := range strings.Split(strings.Trim(path, "/"), "/") {
		if id, err := strconv.ParseInt(p, 10, 64); err == nil {
			out = append(out, id)
		}
	}
	return out
}

// memberAt returns the first active user holding role at one of the units,
// trying the units in the order given.
func memberAt(ctx context.Context, tx *db.Tx, role string, units []int64) (holder, bool, error) {
	for _, u := range units {
		// Memberships do not change within a group commit (see db.Tx.Memo):
		// the students of one school share its counsellor's lookup.
		v, err := tx.Memo("warning.member:"+role+":"+itoa(u), func() (any, error) {
			var h holder
			err := tx.QueryRow(ctx, `SELECT m.user_id, m.org_unit_id FROM memberships m JOIN users u ON u.id = m.user_id
				WHERE m.org_unit_id = ? AND m.role = ? AND u.active = 1 ORDER BY m.user_id LIMIT 1`, u, role).Scan(&h.userID, &h.orgID)
			if apperr.CodeOf(err) == apperr.ENotFound {
				return (*holder)(nil), nil
			}
			return &h, err
		})
		if err != nil {
			return holder{}, false, err
		}
		if h := v.(*holder); h != nil {
			return *h, true, nil
		}
	}
	return holder{}, false, nil
}

// onDuty returns who is on duty at t.
func onDuty(ctx context.Context, tx *db.Tx, t time.Time) (holder, bool, error) {
	var h holder
	now := db.Micro(t)
	err := tx.QueryRow(ctx, `SELECT d.user_id, d.org_unit_id FROM duty_shifts d JOIN users u ON u.id = d.user_id
		WHERE d.purpose = 'alerts' AND d.starts_at <= ? AND d.ends_at > ? AND u.active = 1 ORDER BY d.id LIMIT 1`, now, now).Scan(&h.userID, &h.orgID)
	if apperr.CodeOf(err) == apperr.ENotFound {
		return h, false, nil
	}
	return h, err == nil, err
}

// stepHolder returns who holds one step of the chain for a school.
func stepHolder(ctx context.Context, tx *db.Tx, step int, schoolPath string) (holder, bool, error) {
	units := ancestors(schoolPath)
	if len(units) == 0 {
		return holder{}, false, nil
	}
	var h holder
	var ok bool
	var err error
	switch step {
	case StepSchool:
		h, ok, err = memberAt(ctx, tx, access.SchoolLeader, units[len(units)-1:])
	case StepDistrict:
		// The nearest centre above the school, below the city.
		var mid []int64
		for i := len(units) - 2; i >= 1; i-- {
			mid = append(mid, units[i])
		}
		h, ok, err = memberAt(ctx, tx, access.Coordinator, mid)
	case StepCity:
		h, ok, err = memberAt(ctx, tx, access.Coordinator, units[:1])
	}
	h.step = step
	return h, ok, err
}

// firstOwner decides who owns a new alert, at once: the school counsellor
// in school hours; whoever is on duty outside them or when the school has
// no counsellor; else the next step of the chain that has someone; and as
// the last resort anyone with a role at the top unit, so that an alert is
// never without an owner (a network without staff still shows it).
func (s *Service) firstOwner(ctx context.Context, tx *db.Tx, su *subject, at time.Time) (holder, error) {
	units := ancestors(su.schoolPath)
	if s.Hours.Open(at) {
		if h, ok, err := memberAt(ctx, tx, access.SchoolCounsellor, units[len(units)-1:]); err != nil || ok {
			return h, err
		}
	}
	if h, ok, err := onDuty(ctx, tx, at); err != nil || ok {
		return h, err
	}
	if h, ok, err := memberAt(ctx, tx, access.SchoolCounsellor, units[len(units)-1:]); err != nil || ok {
		return h, err
	}
	for step := StepSchool; step <= StepCity; step++ {
		if h, ok, err := stepHolder(ctx, tx, step, su.schoolPath); err != nil || ok {
			return h, err
		}
	}
	var h holder
	err := tx.QueryRow(ctx, `SELECT m.user_id, m.org_unit_id FROM memberships m JOIN users u ON u.id = m.user_id
		WHERE m.org_unit_id = ? AND u.active = 1 ORDER BY m.id LIMIT 1`, units[0]).Scan(&h.userID, &h.orgID)
	h.step = StepCity
	return h, err
}

// Holder is who holds a step of the escalation chain for a school.
type Holder struct {
	UserID, OrgID int64
	Step          int
}

// NextHolder returns the holder of the first step after from that has
// someone for the school at schoolPath, or false at the top of the chain.
// Follow-ups of cases escalate along the same chain.
func NextHolder(ctx context.Context, tx *db.Tx, from int, schoolPath string) (Holder, bool, error) {
	h, ok, err := nextHolder(ctx, tx, from, schoolPath)
	return Holder{UserID: h.userID, OrgID: h.orgID, Step: h.step}, ok, err
}

func nextHolder(ctx context.Context, tx *db.Tx, from int, schoolPath string) (holder, bool, error) {
	for step := from + 1; step <= StepCity; step++ {
		h, ok, err := stepHolder(ctx, tx, step, schoolPath)
		if err != nil || ok {
			return h, ok, err
		}
	}
	return holder{}, false, nil
}
