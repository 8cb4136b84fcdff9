package warning_test

import (
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/warning"
)

// A shift added through the roster makes its person the owner of an alert
// raised outside school hours; ending it hands the next alert on.
func TestDutyRosterOwnsAlertsOutOfHours(t *testing.T) {
	e := newEnv(t)
	station := e.unit(org.HotlineStation, "热线站", "HS", e.city)
	chief := e.user(access.HotlineSupervisor, station) // keeps the roster
	onDuty := e.user(access.HotlineSupervisor, station)
	teacher := e.user(access.HeadTeacher, e.a)
	e.user(access.SchoolCounsellor, e.a)
	ids := e.students(e.a, "DUTY-1", "DUTY-2")

	// Saturday 22:00 China time: outside school hours.
	e.clk.Set(time.Date(2025, 3, 8, 22, 0, 0, 0, time.FixedZone("CST", 8*3600)))
	now := e.clk.Now()
	_, err := e.svc.AddShift(e.ctx, chief, warning.DutyShift{OrgUnitID: station.ID, UserID: teacher.UserID, Start: now, End: now.Add(time.Hour)})
	wantCode(t, "a head teacher on duty", err, apperr.EInvalid)
	_, err = e.svc.AddShift(e.ctx, chief, warning.DutyShift{OrgUnitID: station.ID, UserID: onDuty.UserID, Start: now, End: now.Add(-time.Hour)})
	wantCode(t, "a shift ending before it starts", err, apperr.EInvalid)
	_, err = e.svc.AddShift(e.ctx, teacher, warning.DutyShift{OrgUnitID: station.ID, UserID: onDuty.UserID, Start: now, End: now.Add(time.Hour)})
	wantCode(t, "a roster kept by someone without duty.manage", err, apperr.EForbidden)
	shift, err := e.svc.AddShift(e.ctx, chief, warning.DutyShift{OrgUnitID: station.ID, UserID: onDuty.UserID,
		Start: now.Add(-time.Hour), End: now.Add(10 * time.Hour)})
	if err != nil {
		t.Fatal(err)
	}
	list, err := e.svc.Shifts(e.ctx, chief, now)
	if err != nil || len(list) != 1 || list[0].UserID != onDuty.UserID {
		t.Fatalf("shifts: %+v, %v", list, err)
	}
	id := e.mustRaise(red(ids[0]))
	if a := e.alert(id); a.Owner != onDuty.UserID {
		t.Errorf("out-of-hours alert owned by %d, want the person on duty %d", a.Owner, onDuty.UserID)
	}
	if err := e.svc.EndShift(e.ctx, chief, shift); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(time.Minute)
	id2 := e.mustRaise(red(ids[1]))
	if a := e.alert(id2); a.Owner == onDuty.UserID || a.Owner == 0 {
		t.Errorf("after the shift ended the alert went to %d", a.Owner)
	}
	if n := e.audits("duty.add", shift, chief.UserID) + e.audits("duty.end", shift, chief.UserID); n != 2 {
		t.Errorf("%d duty audit entries, want 2", n)
	}
}

// Only the city changes deadlines; a new alert uses them.
func TestCityChangesDeadlines(t *testing.T) {
	e := newEnv(t)
	city := e.user(access.Coordinator, e.city)
	district := e.user(access.Coordinator, e.x)
	e.user(access.SchoolCounsellor, e.a)
	ids := e.students(e.a, "DL-1")
	d := warning.Deadlines{Ack: 5 * time.Minute, Contact: 60 * time.Minute}
	wantCode(t, "a district changing deadlines", e.svc.SetDeadlines(e.ctx, district, warning.Red, d), apperr.EForbidden)
	wantCode(t, "contact before acknowledgement", e.svc.SetDeadlines(e.ctx, city, warning.Red,
		warning.Deadlines{Ack: time.Hour, Contact: time.Minute}), apperr.EInvalid)
	if err := e.svc.SetDeadlines(e.ctx, city, warning.Red, d); err != nil {
		t.Fatal(err)
	}
	all, err := e.svc.AllDeadlines(e.ctx)
	if err != nil || all[warning.Red] != d {
		t.Fatalf("deadlines %+v, %v", all, err)
	}
	id := e.mustRaise(red(ids[0]))
	a := e.alert(id)
	if a.AckDue != micro(e.clk.Now().Add(5*time.Minute)) {
		t.Errorf("new alert's ack due %d, want now + 5 min", a.AckDue)
	}
}

// The hotline's roster: counsellors take hotline shifts at a station but
// never alert shifts, and a hotline shift never makes an alert's owner.
func TestHotlineShiftsAreNotAlertOwners(t *testing.T) {
	e := newEnv(t)
	station := e.unit(org.HotlineStation, "热线站", "HS", e.city)
	chief := e.user(access.HotlineSupervisor, station)
	counsellor := e.user(access.HotlineCounsellor, station)
	e.user(access.SchoolCounsellor, e.a)
	ids := e.students(e.a, "HOT-1")
	e.clk.Set(time.Date(2025, 3, 8, 22, 0, 0, 0, time.FixedZone("CST", 8*3600)))
	now := e.clk.Now()
	span := warning.DutyShift{OrgUnitID: station.ID, UserID: counsellor.UserID, Start: now.Add(-time.Hour), End: now.Add(8 * time.Hour)}

	_, err := e.svc.AddShift(e.ctx, chief, span)
	wantCode(t, "a hotline counsellor on alert duty", err, apperr.EInvalid)
	wrong := span
	wrong.Purpose, wrong.OrgUnitID = warning.DutyHotline, e.a.ID
	_, err = e.svc.AddShift(e.ctx, e.user(access.Coordinator, e.city), wrong)
	wantCode(t, "a hotline shift at a school", err, apperr.EInvalid)
	span.Purpose = warning.DutyHotline
	if _, err := e.svc.AddShift(e.ctx, chief, span); err != nil {
		t.Fatalf("hotline shift: %v", err)
	}
	id := e.mustRaise(red(ids[0]))
	if a := e.alert(id); a.Owner == counsellor.UserID {
		t.Errorf("a hotline shift made the counsellor the alert's owner")
	}
}
