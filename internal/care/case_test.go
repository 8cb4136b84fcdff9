package care

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/jobs"
	"github.com/careloop/careloop/internal/notify"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/people"
	"github.com/careloop/careloop/internal/student"
	"github.com/careloop/careloop/internal/testutil"
	"github.com/careloop/careloop/internal/warning"
)

// casesMonday10 is a Monday at 10:00 in China: school hours, so a new
// alert goes to the school's first counsellor.
var casesMonday10 = time.Date(2025, 3, 3, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

// casesEnv is a city with districts X and Y, school A in X and B in Y, the
// default warning rules, River's tables (the queue is not started: tests
// run timers by calling EscalateFollowUp), and staff: two counsellors and
// a leader at A, a coordinator at X, a counsellor and a leader at B.
type casesEnv struct {
	t                         *testing.T
	ctx                       context.Context
	d                         *db.DB
	clk                       *testutil.Clock
	svc                       *Service
	warn                      *warning.Service
	ppl                       *people.Service
	stu                       *student.Service
	org                       *org.Service
	city, x, y, a, b          *org.Unit
	admin, registrar          access.Principal // not accounts
	counsellorA, counsellorA2 access.Principal
	leaderA, coordX           access.Principal
	counsellorB, leaderB      access.Principal
	next                      int
}

func newCasesEnv(t *testing.T) *casesEnv {
	t.Helper()
	ctx := context.Background()
	d := testutil.DB(t)
	if err := jobs.Migrate(ctx, d); err != nil {
		t.Fatalf("jobs.Migrate: %v", err)
	}
	clk := testutil.NewClock(casesMonday10)
	log, err := audit.New("sha256", clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	keys := testutil.Keyring(t)
	q, err := jobs.New(d, jobs.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	nt := &notify.Service{Jobs: q, Now: clk.Now}
	e := &casesEnv{t: t, ctx: ctx, d: d, clk: clk,
		org: &org.Service{DB: d, Audit: log, Now: clk.Now},
		ppl: &people.Service{DB: d, Audit: log, Seal: keys, Now: clk.Now},
		stu: &student.Service{DB: d, Audit: log, Seal: keys, Now: clk.Now}}
	e.warn = &warning.Service{DB: d, Audit: log, Seal: keys, Jobs: q, Notify: nt, Now: clk.Now, Hours: warning.DefaultHours()}
	e.svc = &Service{DB: d, Audit: log, Seal: keys, Jobs: q, Notify: nt, Warning: e.warn, Now: clk.Now}
	jobs.Handle(q, &warning.DeadlineWorker{S: e.warn}) // registered as the app does; the queue is not started
	jobs.Handle(q, &FollowUpWorker{S: e.svc})
	if e.city, err = e.org.CreateRoot(ctx, "江海市", "Jianghai"); err != nil {
		t.Fatal(err)
	}
	e.admin = access.Principal{UserID: 900001, Memberships: []access.Membership{{OrgID: e.city.ID, OrgPath: e.city.Path, Role: access.SysAdmin}}}
	e.registrar = access.Principal{UserID: 900002, Memberships: []access.Membership{{OrgID: e.city.ID, OrgPath: e.city.Path, Role: access.Coordinator}}}
	e.x = e.unit(org.District, "东城区", "", e.city)
	e.y = e.unit(org.District, "西城区", "", e.city)
	e.a = e.unit(org.School, "东城第一中学", "DC01", e.x)
	e.b = e.unit(org.School, "西城第一中学", "XC01", e.y)
	if err := e.warn.InstallDefaults(ctx, e.city.ID); err != nil {
		t.Fatalf("InstallDefaults: %v", err)
	}
	e.counsellorA = e.user(access.SchoolCounsellor, e.a)
	e.counsellorA2 = e.user(access.SchoolCounsellor, e.a)
	e.leaderA = e.user(access.SchoolLeader, e.a)
	e.coordX = e.user(access.Coordinator, e.x)
	e.counsellorB = e.user(access.SchoolCounsellor, e.b)
	e.leaderB = e.user(access.SchoolLeader, e.b)
	t.Cleanup(e.verifyAudit)
	return e
}

func (e *casesEnv) unit(kind org.Kind, name, code string, parent *org.Unit) *org.Unit {
	e.t.Helper()
	u, err := e.org.CreateUnit(e.ctx, e.admin, org.NewUnit{Kind: kind, Name: name, Code: code, ParentID: parent.ID})
	if err != nil {
		e.t.Fatalf("CreateUnit %s: %v", name, err)
	}
	return u
}

func (e *casesEnv) user(role string, at *org.Unit) access.Principal {
	e.t.Helper()
	e.next++
	name := "c" + strconv.Itoa(e.next)
	id, _, err := e.ppl.Bootstrap(e.ctx, people.NewUser{Username: name + "-staff", DisplayName: role + " " + name}, "Correct-Horse-42x", at.ID, role)
	if err != nil {
		e.t.Fatalf("Bootstrap %s: %v", role, err)
	}
	return access.Principal{UserID: id, Username: name, Memberships: []access.Membership{{OrgID: at.ID, OrgPath: at.Path, Role: role}}}
}

// students imports students into school and returns their ids in order.
func (e *casesEnv) students(school *org.Unit, nos ...string) []int64 {
	e.t.Helper()
	rows := make([]student.RosterRow, len(nos))
	for i, no := range nos {
		rows[i] = student.RosterRow{Line: i + 2, StudentNo: no, Name: "学生" + no, Gender: "女", BirthDate: "2011-09-01",
			School: school.Code, Grade: "7", ClassName: "1班", Guardians: []student.Guardian{{Name: "家长" + no, Relation: "母亲", Phone: "13800000000"}}}
	}
	rep, err := e.stu.Import(e.ctx, e.registrar, rows, false, nil)
	if err != nil || !rep.OK() || rep.Created != len(rows) {
		e.t.Fatalf("Import: %+v, %v", rep, err)
	}
	ids := make([]int64, len(nos))
	for i, no := range nos {
		ids[i] = e.num(`SELECT id FROM students WHERE student_no = ?`, no)
	}
	return ids
}

// redAlert raises a red alert (a critical answer) for a student.
func (e *casesEnv) redAlert(studentID int64) int64 {
	e.t.Helper()
	var id int64
	err := e.d.Tx(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		id, err = e.warn.Raise(ctx, tx, warning.Signal{StudentID: studentID, Source: "screening", Tier: "red",
			Scores: map[string]int{"phq-a": 3}, Critical: []string{"phq-a.9"}})
		return err
	})
	if err != nil || id == 0 {
		e.t.Fatalf("Raise: %d, %v", id, err)
	}
	return id
}

func (e *casesEnv) open(p access.Principal, studentID, alertID int64) int64 {
	e.t.Helper()
	id, err := e.svc.OpenCase(e.ctx, p, studentID, alertID)
	if err != nil {
		e.t.Fatalf("OpenCase: %v", err)
	}
	return id
}

func (e *casesEnv) num(q string, args ...any) int64 {
	e.t.Helper()
	var n int64
	if err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error { return tx.QueryRow(ctx, q, args...).Scan(&n) }); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return n
}

func (e *casesEnv) exec(q string, args ...any) {
	e.t.Helper()
	if err := e.d.Tx(e.ctx, func(ctx context.Context, tx *db.Tx) error { _, err := tx.Exec(ctx, q, args...); return err }); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
}

func (e *casesEnv) str(q string, args ...any) string {
	e.t.Helper()
	var s string
	if err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error { return tx.QueryRow(ctx, q, args...).Scan(&s) }); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return s
}

// audits counts audit entries of an action by an actor (any actor when 0)
// on an object id (any object when "").
func (e *casesEnv) audits(action string, actor int64, object string) int64 {
	return e.num(`SELECT COUNT(*) FROM audit_log WHERE action = ? AND (? = 0 OR actor_user_id = ?) AND (? = '' OR object_id = ?)`,
		action, actor, actor, object, object)
}

func (e *casesEnv) verifyAudit() {
	n, problem, err := audit.Verify(e.ctx, e.d)
	if err != nil || problem != nil {
		e.t.Errorf("audit.Verify: problem %v, err %v", problem, err)
	} else if want := e.num(`SELECT COUNT(*) FROM audit_log`); n != want {
		e.t.Errorf("audit.Verify checked %d entries, want %d", n, want)
	}
}

func casesWant(t *testing.T, what string, err error, code apperr.Code, msg string) {
	t.Helper()
	if apperr.CodeOf(err) != code || (msg != "" && apperr.MessageOf(err) != msg) {
		t.Errorf("%s: got %v, want %s %s", what, err, code, msg)
	}
}

func TestCasesOpenFromAlertClosesItInTheSameTransaction(t *testing.T) {
	e := newCasesEnv(t)
	ids := e.students(e.a, "A001", "A002")
	alert := e.redAlert(ids[0])
	other := e.redAlert(ids[1])
	// An alert of another student: nothing is written.
	_, err := e.svc.OpenCase(e.ctx, e.counsellorA, ids[0], other)
	casesWant(t, "alert of another student", err, apperr.EInvalid, "case.alert_other_student")
	// Outside the caller's scope the student does not exist.
	_, err = e.svc.OpenCase(e.ctx, e.counsellorB, ids[0], alert)
	casesWant(t, "other school", err, apperr.ENotFound, "")
	if n := e.num(`SELECT COUNT(*) FROM cases`); n != 0 {
		t.Fatalf("%d cases after refused opens", n)
	}
	id := e.open(e.counsellorA, ids[0], alert)
	if d := e.str(`SELECT decision FROM alerts WHERE id = ?`, alert); d != warning.DecisionCase {
		t.Errorf("alert decision %q", d)
	}
	if c := e.num(`SELECT case_id FROM alerts WHERE id = ? AND closed_at > 0`, alert); c != id {
		t.Errorf("alert case_id %d, want %d", c, id)
	}
	if o := e.num(`SELECT owner_user_id FROM cases WHERE id = ? AND state = 'open'`, id); o != e.counsellorA.UserID {
		t.Errorf("owner %d", o)
	}
	if n := e.num(`SELECT COUNT(*) FROM case_events WHERE case_id = ? AND kind = 'opened'`, id); n != 1 {
		t.Errorf("%d opened events", n)
	}
	if n := e.num(`SELECT COUNT(*) FROM student_events WHERE student_id = ? AND kind = 'case'`, ids[0]); n != 1 {
		t.Errorf("%d timeline entries", n)
	}
	if e.audits("case.open", e.counsellorA.UserID, itoa(id)) != 1 || e.audits("alert.close", e.counsellorA.UserID, itoa(alert)) != 1 {
		t.Error("open or alert close not audited")
	}
	// Closing the alert fails (it is closed already): the case is not
	// opened either, since both are one transaction.
	_, err = e.svc.OpenCase(e.ctx, e.counsellorA, ids[1], other)
	if err != nil {
		t.Fatal(err)
	}
	before := e.num(`SELECT COUNT(*) FROM cases`)
	e.exec(`UPDATE cases SET state = 'closed' WHERE student_id = ?`, ids[1])
	_, err = e.svc.OpenCase(e.ctx, e.counsellorA, ids[1], other)
	casesWant(t, "closed alert", err, apperr.EConflict, "alert.closed")
	if n := e.num(`SELECT COUNT(*) FROM cases`); n != before {
		t.Errorf("a case was opened although closing its alert failed: %d cases, want %d", n, before)
	}
}

func TestCasesOneOpenCasePerStudent(t *testing.T) {
	e := newCasesEnv(t)
	s := e.students(e.a, "A001")[0]
	id := e.open(e.counsellorA, s, 0)
	if again := e.open(e.counsellorA2, s, 0); again != id {
		t.Fatalf("second open gave case %d, want %d", again, id)
	}
	alert := e.redAlert(s)
	if joined := e.open(e.counsellorA2, s, alert); joined != id {
		t.Fatalf("open from a new alert gave case %d, want %d", joined, id)
	}
	if n := e.num(`SELECT COUNT(*) FROM case_events WHERE case_id = ? AND kind = 'alert_joined' AND detail = ?`, id, "alert="+itoa(alert)); n != 1 {
		t.Errorf("%d alert_joined events", n)
	}
	if c := e.num(`SELECT case_id FROM alerts WHERE id = ? AND closed_at > 0`, alert); c != id {
		t.Errorf("joined alert closed with case %d", c)
	}
	// A case waiting for sign-off is still the open case.
	if err := e.svc.RequestClose(e.ctx, e.counsellorA, id, "improved", ""); err != nil {
		t.Fatal(err)
	}
	if again := e.open(e.counsellorA2, s, 0); again != id {
		t.Errorf("open during sign-off gave case %d, want %d", again, id)
	}
	if n := e.num(`SELECT COUNT(*) FROM cases WHERE student_id = ?`, s); n != 1 {
		t.Errorf("%d cases for one student", n)
	}
	if e.audits("case.join", e.counsellorA2.UserID, itoa(id)) != 1 {
		t.Error("join not audited")
	}
}

func TestCasesCloseNeedsSignOffBySomeoneElse(t *testing.T) {
	e := newCasesEnv(t)
	s := e.students(e.a, "A001")[0]
	id := e.open(e.coordX, s, 0)
	err := e.svc.RequestClose(e.ctx, e.coordX, id, "better", "")
	casesWant(t, "unknown reason", err, apperr.EInvalid, "form.invalid")
	if f := apperr.FieldsOf(err); f["reason"] == "" {
		t.Errorf("fields %v", f)
	}
	casesWant(t, "other without a note", e.svc.RequestClose(e.ctx, e.coordX, id, "other", " "), apperr.EInvalid, "form.invalid")
	casesWant(t, "sign-off before a request", e.svc.SignOff(e.ctx, e.leaderA, id), apperr.EConflict, "case.no_close_request")
	if err := e.svc.RequestClose(e.ctx, e.coordX, id, "improved", "情绪稳定，学业恢复"); err != nil {
		t.Fatal(err)
	}
	if st := e.str(`SELECT state FROM cases WHERE id = ?`, id); st != CaseCloseRequested {
		t.Fatalf("state %q", st)
	}
	// Told: everyone with case.signoff over school A but the requester.
	for _, u := range []access.Principal{e.leaderA, e.coordX, e.counsellorA, e.leaderB} {
		want := int64(0)
		if u.UserID == e.leaderA.UserID {
			want = 1
		}
		if n := e.num(`SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = 'case.signoff_requested' AND ref_id = ?`, u.UserID, id); n != want {
			t.Errorf("user %d: %d sign-off notifications, want %d", u.UserID, n, want)
		}
	}
	casesWant(t, "a second request", e.svc.RequestClose(e.ctx, e.counsellorA, id, "improved", ""), apperr.EConflict, "case.not_open")
	casesWant(t, "counsellor signs off", e.svc.SignOff(e.ctx, e.counsellorA, id), apperr.EForbidden, "")
	casesWant(t, "requester signs off", e.svc.SignOff(e.ctx, e.coordX, id), apperr.EForbidden, "case.signoff_self")
	casesWant(t, "other school's leader", e.svc.SignOff(e.ctx, e.leaderB, id), apperr.ENotFound, "")
	if err := e.svc.SignOff(e.ctx, e.leaderA, id); err != nil {
		t.Fatal(err)
	}
	if n := e.num(`SELECT COUNT(*) FROM cases WHERE id = ? AND state = 'closed' AND closed_at = ? AND closed_by = ? AND signed_off_by = ?`,
		id, db.Micro(e.clk.Now()), e.coordX.UserID, e.leaderA.UserID); n != 1 {
		t.Error("closed case not as expected")
	}
	if e.audits("case.request_close", e.coordX.UserID, itoa(id)) != 1 || e.audits("case.signoff", e.leaderA.UserID, itoa(id)) != 1 {
		t.Error("closing not audited")
	}
	if e.audits("case.signoff", e.coordX.UserID, "") != 0 {
		t.Error("a refused sign-off was audited as a success")
	}
}

func TestCasesReopenKeepsHistory(t *testing.T) {
	e := newCasesEnv(t)
	s := e.students(e.a, "A001")[0]
	id := e.open(e.counsellorA, s, 0)
	if _, err := e.svc.SavePlan(e.ctx, e.counsellorA, id, casesPlan(e)); err != nil {
		t.Fatal(err)
	}
	casesWant(t, "reopen an open case", e.svc.Reopen(e.ctx, e.counsellorA, id, "复发"), apperr.EConflict, "case.not_closed")
	if err := e.svc.RequestClose(e.ctx, e.counsellorA, id, "moved_away", "转学"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SignOff(e.ctx, e.coordX, id); err != nil {
		t.Fatal(err)
	}
	casesWant(t, "no reason", e.svc.Reopen(e.ctx, e.counsellorA, id, " "), apperr.EInvalid, "form.invalid")
	casesWant(t, "other school", e.svc.Reopen(e.ctx, e.counsellorB, id, "复发"), apperr.ENotFound, "")
	// Another case opened meanwhile blocks the reopening.
	second := e.open(e.counsellorA2, s, 0)
	if second == id {
		t.Fatal("a closed case was joined")
	}
	casesWant(t, "another open case", e.svc.Reopen(e.ctx, e.counsellorA, id, "复发"), apperr.EConflict, "case.other_open")
	e.exec(`UPDATE cases SET state = 'closed' WHERE id = ?`, second)
	e.clk.Advance(time.Hour)
	if err := e.svc.Reopen(e.ctx, e.counsellorA, id, "再次出现自伤念头"); err != nil {
		t.Fatal(err)
	}
	d, err := e.svc.FindCase(e.ctx, e.counsellorA, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.State != CaseOpen || d.Reopened != 1 || !d.ClosedAt.IsZero() || d.SignedOffBy != 0 || len(d.Plans) != 1 {
		t.Errorf("reopened case %+v", d.Case)
	}
	if d.CloseReason != "moved_away" || d.CloseNote != "转学" {
		t.Errorf("last closing %q %q", d.CloseReason, d.CloseNote)
	}
	var kinds []string
	for _, ev := range d.Events {
		kinds = append(kinds, ev.Kind)
		if ev.Kind == "reopened" && (ev.Note != "再次出现自伤念头" || ev.Detail != "n=1") {
			t.Errorf("reopened event %+v", ev)
		}
	}
	if got := strings.Join(kinds, " "); got != "opened plan close_requested closed reopened" {
		t.Errorf("history %q", got)
	}
	if n := e.num(`SELECT COUNT(*) FROM case_events WHERE detail LIKE '%再次%'`); n != 0 {
		t.Error("the reason is stored in plain text")
	}
	if e.audits("case.reopen", e.counsellorA.UserID, itoa(id)) != 1 || e.str(`SELECT detail FROM audit_log WHERE action = 'case.reopen'`) != "student="+itoa(s)+" n=1" {
		t.Error("reopen not audited with codes only")
	}
}
