package station_test

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/hotline/station"
	"github.com/careloop/careloop/internal/org"
)

func (e *env) shift(u access.Principal, unit *org.Unit, start, end time.Time) int64 {
	e.t.Helper()
	return e.insert(`INSERT INTO duty_shifts (org_unit_id, user_id, starts_at, ends_at) VALUES (?, ?, ?, ?)`,
		unit.ID, u.UserID, db.Micro(start), db.Micro(end))
}

func gapText(gs []station.Gap) string {
	var parts []string
	for _, g := range gs {
		parts = append(parts, g.Role+" "+g.Start.In(cst).Format("01-02 15:04")+"–"+g.End.In(cst).Format("01-02 15:04"))
	}
	return strings.Join(parts, "; ")
}

// TestRosterGapsAroundMidnight: the clock is 10:00 on 3 March (CST, which
// is 02:00 UTC); shifts cross midnight in CST; the gaps, the days they are
// cut into and who is on duty now are checked in CST.
func TestRosterGapsAroundMidnight(t *testing.T) {
	e := newEnv(t)
	c1 := e.user(access.HotlineCounsellor, e.b1)
	c2 := e.user(access.HotlineCounsellor, e.station)
	sup := e.user(access.HotlineSupervisor, e.station)
	coord := e.user(access.Coordinator, e.city)
	elsewhere := e.user(access.HotlineCounsellor, e.other)

	e.shift(c1, e.b1, at(2026, 3, 3, 10, 0), at(2026, 3, 3, 18, 0))         // starts exactly now
	e.shift(coord, e.station, at(2026, 3, 3, 18, 0), at(2026, 3, 3, 20, 0)) // alerts only: covers nothing here
	e.shift(c2, e.station, at(2026, 3, 3, 20, 0), at(2026, 3, 4, 8, 0))     // across midnight
	e.shift(sup, e.station, at(2026, 3, 3, 22, 0), at(2026, 3, 4, 2, 0))    // across midnight
	e.shift(elsewhere, e.other, at(2026, 3, 4, 8, 0), at(2026, 3, 9, 0, 0))
	e.shift(c2, e.station, at(2026, 3, 2, 8, 0), at(2026, 3, 3, 9, 59)) // ended before now

	r, err := e.svc.Roster(e.ctx, sup, e.station.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := "supervisor 03-03 10:00–03-03 22:00; counsellor 03-03 18:00–03-03 20:00; " +
		"supervisor 03-04 02:00–03-10 00:00; counsellor 03-04 08:00–03-10 00:00"
	if got := gapText(r.Gaps); got != want {
		t.Errorf("gaps:\n got %s\nwant %s", got, want)
	}
	if len(r.Days) != station.Horizon {
		t.Fatalf("%d days, want %d", len(r.Days), station.Horizon)
	}
	// Day 1 is 3 March from 00:00 CST, which is 2 March 16:00 UTC.
	if d := r.Days[0].Date; !d.Equal(time.Date(2026, 3, 2, 16, 0, 0, 0, time.UTC)) {
		t.Errorf("first day starts %v, want 3 March 00:00 CST", d)
	}
	if got := gapText(r.Days[1].Gaps); got != "supervisor 03-04 02:00–03-05 00:00; counsellor 03-04 08:00–03-05 00:00" {
		t.Errorf("4 March gaps: %s", got)
	}
	if got := gapText(r.Days[6].Gaps); got != "counsellor 03-09 00:00–03-10 00:00; supervisor 03-09 00:00–03-10 00:00" {
		t.Errorf("9 March gaps: %s", got)
	}
	if n := len(r.Days[0].Shifts); n != 4 { // c1, coord, c2 (20:00), sup; the early shift ended before now
		t.Errorf("3 March has %d shifts, want 4", n)
	}
	if n := len(r.Days[1].Shifts); n != 2 { // c2 and sup continue past midnight
		t.Errorf("4 March has %d shifts, want 2", n)
	}
	if len(r.OnDuty) != 1 || r.OnDuty[0].UserID != c1.UserID || r.OnDuty[0].Role != station.RoleCounsellor {
		t.Errorf("on duty now: %+v, want counsellor %d only", r.OnDuty, c1.UserID)
	}
	roles := map[int64]string{}
	for _, sh := range r.Days[0].Shifts {
		roles[sh.UserID] = sh.Role
	}
	if roles[sup.UserID] != station.RoleSupervisor || roles[coord.UserID] != station.RoleOther || roles[c2.UserID] != station.RoleCounsellor {
		t.Errorf("roles on the roster: %v", roles)
	}
	var names []int64
	for _, m := range r.Members {
		names = append(names, m.UserID)
	}
	if fmt.Sprint(names) != fmt.Sprint([]int64{sup.UserID, c2.UserID, c1.UserID}) {
		t.Errorf("members %v, want supervisor, station counsellor, branch counsellor (%d %d %d)", names, sup.UserID, c2.UserID, c1.UserID)
	}

	// At 18:30 only the coordinator is on duty: nobody answers contacts.
	e.clk.Set(at(2026, 3, 3, 18, 30))
	r, err = e.svc.Roster(e.ctx, c2, e.station.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.OnDuty) != 1 || r.OnDuty[0].Role != station.RoleOther {
		t.Errorf("on duty at 18:30: %+v, want only the coordinator", r.OnDuty)
	}
	if len(r.Gaps) == 0 || !r.Gaps[0].Start.Equal(at(2026, 3, 3, 18, 30)) {
		t.Errorf("the first gap should start now (18:30): %s", gapText(r.Gaps))
	}
}

func TestGapsMergeOverlappingAndAdjacentShifts(t *testing.T) {
	from, to := at(2026, 3, 3, 0, 0), at(2026, 3, 4, 0, 0)
	sh := func(role string, h1, h2 int) station.Shift {
		return station.Shift{Role: role, Start: from.Add(time.Duration(h1) * time.Hour), End: from.Add(time.Duration(h2) * time.Hour)}
	}
	shifts := []station.Shift{
		sh(station.RoleCounsellor, 6, 12), sh(station.RoleCounsellor, -3, 2), sh(station.RoleCounsellor, 8, 10),
		sh(station.RoleCounsellor, 12, 14), sh(station.RoleSupervisor, 14, 15), sh(station.RoleOther, 15, 30),
		sh(station.RoleCounsellor, 20, 30),
	}
	if got := gapText(station.Gaps(station.RoleCounsellor, shifts, from, to)); got != "counsellor 03-03 02:00–03-03 06:00; counsellor 03-03 15:00–03-03 20:00" {
		t.Errorf("counsellor gaps: %s", got)
	}
	if got := gapText(station.Gaps(station.RoleSupervisor, shifts, from, to)); got != "supervisor 03-03 00:00–03-03 14:00; supervisor 03-03 15:00–03-04 00:00" {
		t.Errorf("supervisor gaps: %s", got)
	}
	if got := station.Gaps(station.RoleCounsellor, nil, from, to); len(got) != 1 || !got[0].Start.Equal(from) || !got[0].End.Equal(to) {
		t.Errorf("no shifts: %s", gapText(got))
	}
}

func TestRosterScope(t *testing.T) {
	e := newEnv(t)
	branch := e.user(access.HotlineCounsellor, e.b1)
	other := e.user(access.HotlineSupervisor, e.other)
	head := e.user(access.Coordinator, e.city) // report.read, no hotline role
	if _, err := e.svc.Roster(e.ctx, branch, e.b1.ID); err != nil {
		t.Errorf("a branch counsellor's own branch: %v", err)
	}
	for _, c := range []struct {
		name string
		p    access.Principal
		unit int64
	}{
		{"branch counsellor, main station", branch, e.station.ID},
		{"branch counsellor, sister branch", branch, e.b2.ID},
		{"other station's supervisor", other, e.station.ID},
		{"coordinator without a hotline role", head, e.station.ID},
		{"not a station", other, e.district.ID},
	} {
		_, err := e.svc.Roster(e.ctx, c.p, c.unit)
		wantCode(t, c.name, err, apperr.ENotFound)
	}
	list, err := e.svc.Stations(e.ctx, branch, access.HotlineContact)
	if err != nil || len(list) != 1 || list[0].ID != e.b1.ID {
		t.Errorf("stations of a branch counsellor: %+v %v", list, err)
	}
	if _, err := e.svc.Roster(e.ctx, other, e.other.ID); err != nil {
		t.Errorf("own station: %v", err)
	}
}
