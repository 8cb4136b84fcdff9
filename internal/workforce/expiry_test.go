package workforce_test

import (
	"context"
	"testing"
	"time"

	"github.com/riverqueue/river"

	"github.com/careloop/careloop/internal/workforce"
)

// The daily check tells the person and the nearest workforce managers once
// per certification and threshold, however often it runs; ended
// certifications and inactive entries are left alone.
func TestExpiryCheckIsIdempotent(t *testing.T) {
	e := newEnv(t)
	liu := e.person(e.a1, "刘老师", workforce.KindTeacherFull, "core", e.counsellorA1.Username)
	wu := e.person(e.branch, "吴咨询", "hotline_counsellor", "volunteer", e.hotline.Username)
	gone := e.person(e.a2, "离职", workforce.KindTeacherFull, "core", "")
	c1 := e.cert(liu, "intermediate", monday.AddDate(0, 0, 60))
	e.cert(wu, "senior", monday.AddDate(0, 0, 200))
	ended := e.cert(wu, "intermediate", monday.AddDate(0, 0, 10))
	if err := e.svc.EndCert(e.ctx, e.supervisor, ended); err != nil {
		t.Fatal(err)
	}
	e.cert(gone, "senior", monday.AddDate(0, 0, 5))
	if err := e.svc.UpdatePerson(e.ctx, e.coordA, gone, workforce.Entry{UnitID: e.a2.ID, Name: "离职", Kind: workforce.KindTeacherFull}); err != nil {
		t.Fatal(err)
	}
	notes := func(user int64, kind string) int64 {
		return e.num(`SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = ? AND ref_type IN ('workforce_person', 'workforce_mine')`, user, kind)
	}
	run := func(want int) {
		t.Helper()
		n, err := e.svc.CheckExpiry(e.ctx)
		if err != nil || n != want {
			t.Fatalf("CheckExpiry at %s = %d, %v; want %d", e.clk.Now().Format(time.DateTime), n, err, want)
		}
	}
	run(1)
	run(0)
	if notes(e.counsellorA1.UserID, workforce.NoteExpiring) != 1 || notes(e.coordA.UserID, workforce.NoteExpiring) != 1 {
		t.Error("the person and district A's coordinator are not told once")
	}
	if e.num(`SELECT COUNT(*) FROM notifications WHERE user_id = ? AND ref_type = 'workforce_mine' AND ref_id = ?`, e.counsellorA1.UserID, liu) != 1 ||
		e.num(`SELECT COUNT(*) FROM notifications WHERE user_id = ? AND ref_type = 'workforce_person' AND ref_id = ?`, e.coordA.UserID, liu) != 1 {
		t.Error("the person is not sent to their own record, or the manager not to the entry")
	}
	if notes(e.cityCoord.UserID, workforce.NoteExpiring) != 0 || notes(e.coordB.UserID, workforce.NoteExpiring) != 0 {
		t.Error("managers other than the nearest are told")
	}
	e.clk.Advance(30 * 24 * time.Hour)
	run(0)
	e.clk.Set(monday.AddDate(0, 0, 62))
	run(1) // c1 lapsed
	run(0)
	if notes(e.counsellorA1.UserID, workforce.NoteLapsed) != 1 || notes(e.coordA.UserID, workforce.NoteLapsed) != 1 {
		t.Error("the lapse is not told once")
	}
	e.clk.Set(monday.AddDate(0, 0, 120)) // wu's senior enters its window
	run(1)
	if notes(e.hotline.UserID, workforce.NoteExpiring) != 1 || notes(e.supervisor.UserID, workforce.NoteExpiring) != 1 {
		t.Error("the hotline counsellor and the station's supervisor are not told")
	}
	if n := e.num(`SELECT COUNT(*) FROM workforce_cert_notices WHERE cert_id = ?`, c1); n != 2 {
		t.Errorf("%d notices of the first certification, want 2", n)
	}
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'workforce.cert_notice'`); n != 3 {
		t.Errorf("%d notices audited, want 3", n)
	}

	// The worker runs the check and schedules the next day once.
	if err := e.svc.ScheduleCheck(e.ctx); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.ScheduleCheck(e.ctx); err != nil {
		t.Fatal(err)
	}
	if n := e.num(`SELECT COUNT(*) FROM river_job WHERE kind = 'workforce.cert_expiry'`); n != 1 {
		t.Errorf("%d daily checks scheduled by two starts, want 1", n)
	}
	w := &workforce.ExpiryWorker{S: e.svc}
	if err := w.Work(context.Background(), &river.Job[workforce.ExpiryArgs]{Args: workforce.ExpiryArgs{Day: "2026-06-30"}}); err != nil {
		t.Fatal(err)
	}
	if n := e.num(`SELECT COUNT(*) FROM river_job WHERE kind = 'workforce.cert_expiry'`); n != 1 {
		t.Errorf("the worker scheduled %d more checks on the same day", n-1)
	}
	e.clk.Advance(24 * time.Hour)
	if err := w.Work(context.Background(), &river.Job[workforce.ExpiryArgs]{Args: workforce.ExpiryArgs{Day: "2026-07-01"}}); err != nil {
		t.Fatal(err)
	}
	if n := e.num(`SELECT COUNT(*) FROM river_job WHERE kind = 'workforce.cert_expiry'`); n != 2 {
		t.Errorf("%d daily checks after a day, want 2", n)
	}
}

// The lapse rule: on at the person's unit or above, for someone who had a
// certification and holds none valid now. Nobody else is barred.
func TestLapseRule(t *testing.T) {
	e := newEnv(t)
	liu := e.person(e.a1, "刘老师", workforce.KindTeacherFull, "core", e.counsellorA1.Username)
	wu := e.person(e.branch, "吴咨询", "hotline_counsellor", "volunteer", e.hotline.Username)
	c := e.cert(liu, "intermediate", monday.AddDate(0, 0, 10))
	e.cert(wu, "intermediate", monday.AddDate(0, 0, -1)) // lapsed already

	// The rule is off everywhere: nobody is barred.
	if e.barred(e.counsellorA1.UserID) || e.barred(e.hotline.UserID) {
		t.Fatal("barred with the rule off")
	}
	if err := e.svc.SaveSettings(e.ctx, e.coordA, e.distA.ID, true, 90); err != nil {
		t.Fatal(err)
	}
	if e.barred(e.counsellorA1.UserID) {
		t.Error("barred while the certification is valid")
	}
	if e.barred(e.hotline.UserID) {
		t.Error("district A's rule bars the hotline branch")
	}
	e.clk.Set(monday.AddDate(0, 0, 11))
	if !e.barred(e.counsellorA1.UserID) {
		t.Error("not barred after the only certification lapsed")
	}
	// A school turning its own rule off does not weaken the district's.
	if err := e.svc.SaveSettings(e.ctx, e.cityCoord, e.a1.ID, false, 90); err != nil {
		t.Fatal(err)
	}
	if !e.barred(e.counsellorA1.UserID) {
		t.Error("the school's setting weakens the district's rule")
	}
	// A new certification lifts it; ending it brings it back.
	n, err := e.svc.AddCert(e.ctx, e.coordA, liu, workforce.NewCert{Level: "senior", Body: "省心理学会", Issued: e.clk.Now(), Expires: e.clk.Now().AddDate(3, 0, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if e.barred(e.counsellorA1.UserID) {
		t.Error("barred with a new valid certification")
	}
	if err := e.svc.EndCert(e.ctx, e.coordA, n); err != nil {
		t.Fatal(err)
	}
	if !e.barred(e.counsellorA1.UserID) {
		t.Error("not barred after the new certification was ended")
	}
	_ = c
	// Someone with no certification at all, and someone with no entry.
	e.person(e.a2, "新老师", workforce.KindTeacherPart, "", e.leaderA1.Username)
	if e.barred(e.leaderA1.UserID) || e.barred(e.coordB.UserID) || e.barred(0) {
		t.Error("barred without ever having a certification, or without an entry")
	}
	// The station's rule bars its lapsed volunteer.
	if err := e.svc.SaveSettings(e.ctx, e.supervisor, e.station.ID, true, 90); err != nil {
		t.Fatal(err)
	}
	if !e.barred(e.hotline.UserID) {
		t.Error("the station's rule does not bar its branch's lapsed counsellor")
	}
	set, err := e.svc.UnitSettings(e.ctx, e.cityCoord)
	if err != nil || len(set) != 1 || set[0].BarLapsed || set[0].WarnDays != 90 {
		t.Errorf("city settings: %+v %v", set, err)
	}
	set, _ = e.svc.UnitSettings(e.ctx, e.coordA)
	if len(set) != 1 || !set[0].BarLapsed || !set[0].WarnOwn {
		t.Errorf("district A settings: %+v", set)
	}
}
