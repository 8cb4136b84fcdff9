package care_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/care"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/jobs"
	"github.com/careloop/careloop/internal/notify"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/people"
	"github.com/careloop/careloop/internal/student"
	"github.com/careloop/careloop/internal/testutil"
	"github.com/careloop/careloop/internal/warning"
)

// loopToday is where the clock of these tests stands: Monday 7 April 2025.
var loopToday = time.Date(2025, 4, 7, 10, 0, 0, 0, time.UTC)

// loopEnv is a migrated database with River's tables, a city with
// districts X and Y, schools A and A2 in X and B in Y, and the care
// service on a clock standing at loopToday.
type loopEnv struct {
	t                *testing.T
	ctx              context.Context
	d                *db.DB
	clk              *testutil.Clock
	svc              *care.Service
	org              *org.Service
	ppl              *people.Service
	stu              *student.Service
	city, x, y       *org.Unit
	a, a2, b         *org.Unit
	admin, registrar access.Principal // not accounts: for units and rosters
	next             int
}

func newLoopEnv(t *testing.T) *loopEnv {
	t.Helper()
	ctx := context.Background()
	d := testutil.DB(t)
	if err := jobs.Migrate(ctx, d); err != nil {
		t.Fatalf("jobs.Migrate: %v", err)
	}
	clk := testutil.NewClock(loopToday)
	log, err := audit.New("sha256", clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	keys := testutil.Keyring(t)
	q, err := jobs.New(d, jobs.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	n := &notify.Service{Jobs: q, Now: clk.Now}
	w := &warning.Service{DB: d, Audit: log, Seal: keys, Jobs: q, Notify: n, Now: clk.Now, Hours: warning.DefaultHours()}
	e := &loopEnv{t: t, ctx: ctx, d: d, clk: clk,
		svc: &care.Service{DB: d, Audit: log, Seal: keys, Jobs: q, Notify: n, Warning: w, Now: clk.Now},
		org: &org.Service{DB: d, Audit: log, Now: clk.Now},
		ppl: &people.Service{DB: d, Audit: log, Seal: keys, Now: clk.Now},
		stu: &student.Service{DB: d, Audit: log, Seal: keys, Now: clk.Now}}
	if e.city, err = e.org.CreateRoot(ctx, "江海市", "Jianghai"); err != nil {
		t.Fatal(err)
	}
	e.admin = access.Principal{UserID: 900001, Memberships: []access.Membership{{OrgID: e.city.ID, OrgPath: e.city.Path, Role: access.SysAdmin}}}
	e.registrar = access.Principal{UserID: 900002, Memberships: []access.Membership{{OrgID: e.city.ID, OrgPath: e.city.Path, Role: access.Coordinator}}}
	e.x = e.unit(org.District, "东城区", "", e.city)
	e.y = e.unit(org.District, "西城区", "", e.city)
	e.a = e.unit(org.School, "东城第一中学", "DC01", e.x)
	e.a2 = e.unit(org.School, "东城第二中学", "DC02", e.x)
	e.b = e.unit(org.School, "西城第一中学", "XC01", e.y)
	t.Cleanup(e.verifyAudit)
	return e
}

func (e *loopEnv) unit(kind org.Kind, name, code string, parent *org.Unit) *org.Unit {
	e.t.Helper()
	u, err := e.org.CreateUnit(e.ctx, e.admin, org.NewUnit{Kind: kind, Name: name, Code: code, ParentID: parent.ID})
	if err != nil {
		e.t.Fatalf("CreateUnit %s: %v", name, err)
	}
	return u
}

// user creates an account holding role at unit and returns it as a caller.
func (e *loopEnv) user(role string, at *org.Unit) access.Principal {
	e.t.Helper()
	e.next++
	name := "loop" + strconv.Itoa(e.next)
	id, _, err := e.ppl.Bootstrap(e.ctx, people.NewUser{Username: name, DisplayName: role + " " + name}, "Correct-Horse-42x", at.ID, role)
	if err != nil {
		e.t.Fatalf("Bootstrap %s: %v", role, err)
	}
	return access.Principal{UserID: id, Username: name, Memberships: []access.Membership{{OrgID: at.ID, OrgPath: at.Path, Role: role}}}
}

// students imports 13-year-olds into school and returns their ids in order.
func (e *loopEnv) students(school *org.Unit, prefix string, n int) []int64 {
	e.t.Helper()
	rows := make([]student.RosterRow, n)
	for i := range rows {
		no := prefix + strconv.Itoa(1000+i)
		rows[i] = student.RosterRow{Line: i + 2, StudentNo: no, Name: "学生" + no, Gender: "女", BirthDate: "2011-09-01",
			School: school.Code, Grade: "7", ClassName: "1班", Guardians: []student.Guardian{{Name: "家长" + no, Relation: "母亲", Phone: "13800000000"}}}
	}
	rep, err := e.stu.Import(e.ctx, e.registrar, rows, false, nil)
	if err != nil || !rep.OK() || rep.Created != n {
		e.t.Fatalf("Import: %+v, %v", rep, err)
	}
	ids := make([]int64, n)
	for i, r := range rows {
		ids[i] = e.num(`SELECT id FROM students WHERE student_no = ?`, r.StudentNo)
	}
	return ids
}

// loopWant checks an error's code and, when field is set, its field problem.
func loopWant(t *testing.T, what string, err error, code apperr.Code, field, key string) {
	t.Helper()
	if apperr.CodeOf(err) != code {
		t.Errorf("%s: got %v (code %q), want code %q", what, err, apperr.CodeOf(err), code)
		return
	}
	if field != "" && apperr.FieldsOf(err)[field] != key {
		t.Errorf("%s: fields %v, want %s=%s", what, apperr.FieldsOf(err), field, key)
	}
}

func TestLoopAppointments(t *testing.T) {
	e := newLoopEnv(t)
	cA, cB, teacher := e.user(access.SchoolCounsellor, e.a), e.user(access.SchoolCounsellor, e.b), e.user(access.HeadTeacher, e.a)
	coordX := e.user(access.Coordinator, e.x)
	kid := e.students(e.a, "A", 1)[0]
	at := loopToday.Add(24 * time.Hour)
	appt := func(p access.Principal, counsellor int64, start time.Time, minutes int) (int64, error) {
		return e.svc.RequestAppointment(e.ctx, p, care.Appointment{CounsellorID: counsellor, StudentID: kid, OrgUnitID: e.a.ID,
			RequestedBy: "parent", StartsAt: start, Minutes: minutes})
	}
	first, err := appt(coordX, cA.UserID, at, 50)
	if err != nil {
		t.Fatalf("first appointment: %v", err)
	}
	_, err = appt(cA, cA.UserID, at.Add(30*time.Minute), 50)
	loopWant(t, "overlapping appointment", err, apperr.EConflict, "starts_at", "counselling.overlap")
	_, err = appt(cA, cA.UserID, at.Add(-20*time.Minute), 30)
	loopWant(t, "appointment ending inside another", err, apperr.EConflict, "starts_at", "counselling.overlap")
	next, err := appt(cA, cA.UserID, at.Add(50*time.Minute), 30)
	if err != nil {
		t.Fatalf("back-to-back appointment: %v", err)
	}
	_, err = appt(coordX, cB.UserID, at, 30)
	loopWant(t, "counsellor of another district", err, apperr.EInvalid, "counsellor_id", "counselling.not_counsellor")
	_, err = appt(coordX, teacher.UserID, at, 30)
	loopWant(t, "head teacher as counsellor", err, apperr.EInvalid, "counsellor_id", "counselling.not_counsellor")
	_, err = appt(cB, cA.UserID, at.Add(3*time.Hour), 30)
	loopWant(t, "caller without case.manage at the unit", err, apperr.EForbidden, "", "")
	_, err = e.svc.RequestAppointment(e.ctx, cA, care.Appointment{CounsellorID: cA.UserID, OrgUnitID: e.a.ID, RequestedBy: "uncle", Minutes: 2})
	loopWant(t, "bad input", err, apperr.EInvalid, "requested_by", "form.invalid")
	if f := apperr.FieldsOf(err); f["starts_at"] != "form.bad_date" || f["minutes"] != "form.invalid" {
		t.Errorf("bad input fields = %v", f)
	}

	loopWant(t, "requested → done", e.svc.SetAppointmentState(e.ctx, cA, first, "done"), apperr.EConflict, "", "")
	for _, st := range []string{"confirmed", "done"} {
		if err := e.svc.SetAppointmentState(e.ctx, cA, first, st); err != nil {
			t.Fatalf("→ %s: %v", st, err)
		}
	}
	loopWant(t, "done → cancelled", e.svc.SetAppointmentState(e.ctx, cA, first, "cancelled"), apperr.EConflict, "", "")
	loopWant(t, "other school's counsellor", e.svc.SetAppointmentState(e.ctx, cB, next, "cancelled"), apperr.ENotFound, "", "")
	if err := e.svc.SetAppointmentState(e.ctx, cA, next, "cancelled"); err != nil {
		t.Fatalf("cancel: %v", err)
	}
	again, err := appt(cA, cA.UserID, at.Add(50*time.Minute), 30)
	if err != nil {
		t.Fatalf("a cancelled appointment's slot is free again: %v", err)
	}

	cal, err := e.svc.Calendar(e.ctx, cA, cA.UserID, at.Add(-time.Hour), at.Add(2*time.Hour))
	if err != nil || len(cal) != 3 || cal[0].ID != first || cal[0].State != "done" || cal[1].ID != next || cal[1].State != "cancelled" ||
		cal[2].ID != again || cal[2].State != "requested" || !cal[0].StartsAt.Equal(at) || cal[0].StudentID != kid {
		t.Fatalf("Calendar = %+v, %v", cal, err)
	}
	if cal, err := e.svc.Calendar(e.ctx, cA, cA.UserID, at.Add(40*time.Minute), at.Add(55*time.Minute)); err != nil || len(cal) != 3 {
		t.Errorf("Calendar of a window overlapping all three = %d, %v", len(cal), err)
	}
	if cal, err := e.svc.Calendar(e.ctx, cB, cA.UserID, at.Add(-time.Hour), at.Add(2*time.Hour)); err != nil || len(cal) != 0 {
		t.Errorf("Calendar seen from school B = %+v, %v", cal, err)
	}
	_, err = e.svc.Calendar(e.ctx, teacher, cA.UserID, at, at.Add(time.Hour))
	loopWant(t, "calendar without case.manage", err, apperr.EForbidden, "", "")
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action IN ('appointment.request', 'appointment.state')`); n != 6 {
		t.Errorf("appointment audit entries = %d, want 6", n)
	}
}

func TestLoopSessions(t *testing.T) {
	e := newLoopEnv(t)
	cA := e.user(access.SchoolCounsellor, e.a)
	kids, other := e.students(e.a, "A", 3), e.students(e.b, "B", 1)[0]
	held := loopToday.Add(-2 * time.Hour)
	ind := func(attendees ...int64) care.Session {
		return care.Session{Kind: "individual", OrgUnitID: e.a.ID, HeldAt: held, Minutes: 45, Notes: "谈到了家里的矛盾", Attendees: attendees}
	}
	_, err := e.svc.RecordSession(e.ctx, cA, ind())
	loopWant(t, "individual without attendee", err, apperr.EInvalid, "attendees", "counselling.one_attendee")
	_, err = e.svc.RecordSession(e.ctx, cA, ind(kids[0], kids[1]))
	loopWant(t, "individual with two", err, apperr.EInvalid, "attendees", "counselling.one_attendee")
	_, err = e.svc.RecordSession(e.ctx, cA, care.Session{Kind: "group", OrgUnitID: e.a.ID, HeldAt: held, Minutes: 45, Attendees: kids})
	loopWant(t, "group without topic", err, apperr.EInvalid, "topic", "form.required")
	_, err = e.svc.RecordSession(e.ctx, cA, care.Session{Kind: "group", Topic: "情绪管理", OrgUnitID: e.a.ID, HeldAt: held, Minutes: 45})
	loopWant(t, "group without attendees", err, apperr.EInvalid, "attendees", "form.required")
	_, err = e.svc.RecordSession(e.ctx, cA, ind(other))
	loopWant(t, "student outside the caller's scope", err, apperr.EInvalid, "attendees", "counselling.student_out_of_scope")
	_, err = e.svc.RecordSession(e.ctx, cA, care.Session{Kind: "chat", OrgUnitID: e.a.ID, HeldAt: loopToday.Add(48 * time.Hour), Minutes: 45})
	loopWant(t, "bad kind and date", err, apperr.EInvalid, "held_at", "form.bad_date")
	if n := e.num(`SELECT COUNT(*) FROM counselling_sessions`); n != 0 {
		t.Fatalf("refused sessions wrote %d rows", n)
	}

	id, err := e.svc.RecordSession(e.ctx, cA, ind(kids[0]))
	if err != nil {
		t.Fatalf("individual session: %v", err)
	}
	if raw := e.raw(`SELECT notes FROM counselling_sessions WHERE id = ?`, id); len(raw) == 0 || strings.Contains(string(raw), "家里") {
		t.Errorf("notes are not sealed in the database: %q", raw)
	}
	got, err := e.svc.FindSession(e.ctx, cA, id)
	if err != nil || got.Notes != "谈到了家里的矛盾" || got.Kind != "individual" || len(got.Attendees) != 1 || got.Attendees[0] != kids[0] ||
		got.CounsellorID != cA.UserID || !got.HeldAt.Equal(held) {
		t.Errorf("FindSession = %+v, %v", got, err)
	}
	_, err = e.svc.FindSession(e.ctx, e.user(access.SchoolCounsellor, e.b), id)
	loopWant(t, "FindSession from school B", err, apperr.ENotFound, "", "")
	if n := e.num(`SELECT COUNT(*) FROM student_events WHERE student_id = ? AND kind = 'counselling'`, kids[0]); n != 1 {
		t.Errorf("counselling events = %d, want 1", n)
	}
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'counselling.record' AND object_id = ?`, strconv.FormatInt(id, 10)); n != 1 {
		t.Errorf("counselling.record audit entries = %d, want 1", n)
	}
}

// Three group sessions of ten students each, with overlap, are 30
// person-times (人次) but 14 people; they count at the school, its
// district and the city, never at the other district.
func TestLoopGroupPersonTimes(t *testing.T) {
	e := newLoopEnv(t)
	cA := e.user(access.SchoolCounsellor, e.a)
	kids := e.students(e.a, "A", 14)
	for i, from := range []int{0, 2, 4} {
		if _, err := e.svc.RecordSession(e.ctx, cA, care.Session{Kind: "group", Topic: "情绪管理", OrgUnitID: e.a.ID,
			HeldAt: loopToday.Add(-time.Duration(72-i) * time.Hour), Minutes: 40, Attendees: kids[from : from+10]}); err != nil {
			t.Fatalf("group session %d: %v", i, err)
		}
	}
	for range 2 {
		if _, err := e.svc.RecordSession(e.ctx, cA, care.Session{Kind: "individual", OrgUnitID: e.a.ID,
			HeldAt: loopToday.Add(-time.Hour), Minutes: 40, Attendees: []int64{kids[0]}}); err != nil {
			t.Fatal(err)
		}
	}
	if n := e.num(`SELECT COUNT(*) FROM student_events WHERE kind = 'counselling'`); n != 32 {
		t.Errorf("counselling events = %d, want 32 (one per attendance)", n)
	}
	city := e.user(access.Coordinator, e.city)
	from, to := loopToday.Add(-7*24*time.Hour), loopToday
	for _, u := range []*org.Unit{e.a, e.x, e.city} {
		m, err := e.svc.LoopMetrics(e.ctx, city, u.ID, from, to)
		if err != nil {
			t.Fatal(err)
		}
		if want := (care.SessionFigures{Sessions: 3, PersonTimes: 30, People: 14}); m.GroupSessions != want {
			t.Errorf("%s: group = %+v, want %+v", u.Name, m.GroupSessions, want)
		}
		if want := (care.SessionFigures{Sessions: 2, PersonTimes: 2, People: 1}); m.IndividualSessions != want {
			t.Errorf("%s: individual = %+v, want %+v", u.Name, m.IndividualSessions, want)
		}
	}
	m, err := e.svc.LoopMetrics(e.ctx, city, e.y.ID, from, to)
	if err != nil || m.GroupSessions != (care.SessionFigures{}) || m.IndividualSessions != (care.SessionFigures{}) {
		t.Errorf("district Y = %+v, %v", m, err)
	}
	if m, err := e.svc.LoopMetrics(e.ctx, city, e.a.ID, to, to.Add(time.Hour)); err != nil || m.GroupSessions.PersonTimes != 0 {
		t.Errorf("a later period = %+v, %v", m, err)
	}
}
