package referral_test

import (
	"context"
	"encoding/json"
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
	"github.com/careloop/careloop/internal/referral"
	"github.com/careloop/careloop/internal/seal"
	"github.com/careloop/careloop/internal/sharing"
	"github.com/careloop/careloop/internal/student"
	"github.com/careloop/careloop/internal/testutil"
	"github.com/careloop/careloop/internal/warning"
)

// monday10 is a Monday at 10:00 in China: school hours.
var monday10 = time.Date(2026, 3, 2, 10, 0, 0, 0, time.FixedZone("CST", 8*3600))

// env is a city with districts X (school A) and Y (school B), two
// hospitals and an agency, a hotline station, and staff: a counsellor, a
// leader and (in X) a coordinator for A, a counsellor for B, a liaison at
// each hospital and a hotline supervisor. The job queue is not started:
// tests run timers by calling Escalate, except the worker test.
type env struct {
	t                  *testing.T
	ctx                context.Context
	d                  *db.DB
	clk                *testutil.Clock
	keys               *seal.Keyring
	q                  *jobs.Queue
	svc                *referral.Service
	care               *care.Service
	ppl                *people.Service
	stu                *student.Service
	org                *org.Service
	city, x, y, a, b   *org.Unit
	h1, h2, agency, st *org.Unit
	admin, registrar   access.Principal
	counsellorA        access.Principal
	leaderA, coordX    access.Principal
	counsellorB        access.Principal
	liaison1, liaison2 access.Principal
	supervisor         access.Principal
	next               int
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	d := testutil.DB(t)
	if err := jobs.Migrate(ctx, d); err != nil {
		t.Fatalf("jobs.Migrate: %v", err)
	}
	clk := testutil.NewClock(monday10)
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
	e := &env{t: t, ctx: ctx, d: d, clk: clk, keys: keys, q: q,
		org: &org.Service{DB: d, Audit: log, Now: clk.Now},
		ppl: &people.Service{DB: d, Audit: log, Seal: keys, Now: clk.Now},
		stu: &student.Service{DB: d, Audit: log, Seal: keys, Now: clk.Now}}
	warn := &warning.Service{DB: d, Audit: log, Seal: keys, Jobs: q, Notify: nt, Now: clk.Now, Hours: warning.DefaultHours()}
	e.care = &care.Service{DB: d, Audit: log, Seal: keys, Jobs: q, Notify: nt, Warning: warn, Now: clk.Now}
	e.svc = &referral.Service{DB: d, Audit: log, Seal: keys, Jobs: q, Notify: nt, Care: e.care, Now: clk.Now,
		Sharing: &sharing.Service{DB: d, Audit: log, Seal: keys, Now: clk.Now}}
	jobs.Handle(q, &referral.DueWorker{S: e.svc})
	jobs.Handle(q, &care.FollowUpWorker{S: e.care})
	if e.city, err = e.org.CreateRoot(ctx, "江海市", "Jianghai"); err != nil {
		t.Fatal(err)
	}
	e.admin = access.Principal{UserID: 900001, Memberships: []access.Membership{{OrgID: e.city.ID, OrgPath: e.city.Path, Role: access.SysAdmin}}}
	e.registrar = access.Principal{UserID: 900002, Memberships: []access.Membership{{OrgID: e.city.ID, OrgPath: e.city.Path, Role: access.Coordinator}}}
	e.x = e.unit(org.District, "东城区", "", e.city)
	e.y = e.unit(org.District, "西城区", "", e.city)
	e.a = e.unit(org.School, "东城第一中学", "DC01", e.x)
	e.b = e.unit(org.School, "西城第一中学", "XC01", e.y)
	e.h1 = e.unit(org.Hospital, "市脑科医院", "", e.city)
	e.h2 = e.unit(org.Hospital, "市儿童医院", "", e.city)
	e.agency = e.unit(org.Agency, "市民政局", "", e.city)
	e.st = e.unit(org.HotlineStation, "陶老师工作站", "", e.city)
	e.counsellorA = e.user(access.SchoolCounsellor, e.a)
	e.leaderA = e.user(access.SchoolLeader, e.a)
	e.coordX = e.user(access.Coordinator, e.x)
	e.counsellorB = e.user(access.SchoolCounsellor, e.b)
	e.liaison1 = e.user(access.HospitalLiaison, e.h1)
	e.liaison2 = e.user(access.HospitalLiaison, e.h2)
	e.supervisor = e.user(access.HotlineSupervisor, e.st)
	t.Cleanup(func() {
		if _, problem, err := audit.Verify(ctx, d); err != nil || problem != nil {
			t.Errorf("audit chain: %v %v", problem, err)
		}
	})
	return e
}

func (e *env) unit(kind org.Kind, name, code string, parent *org.Unit) *org.Unit {
	e.t.Helper()
	u, err := e.org.CreateUnit(e.ctx, e.admin, org.NewUnit{Kind: kind, Name: name, Code: code, ParentID: parent.ID})
	if err != nil {
		e.t.Fatalf("CreateUnit %s: %v", name, err)
	}
	return u
}

func (e *env) user(role string, at *org.Unit) access.Principal {
	e.t.Helper()
	e.next++
	name := "r" + strconv.Itoa(e.next)
	id, _, err := e.ppl.Bootstrap(e.ctx, people.NewUser{Username: name + "-staff", DisplayName: role + " " + name}, "Correct-Horse-42x", at.ID, role)
	if err != nil {
		e.t.Fatalf("Bootstrap %s: %v", role, err)
	}
	return access.Principal{UserID: id, Username: name, Memberships: []access.Membership{{OrgID: at.ID, OrgPath: at.Path, Role: role}}}
}

// student files a student born on birth at school and returns the id.
func (e *env) student(school *org.Unit, no, birth string) int64 {
	e.t.Helper()
	rows := []student.RosterRow{{Line: 2, StudentNo: no, Name: "学生" + no, Gender: "女", BirthDate: birth, School: school.Code, Grade: "7",
		ClassName: "1班", Guardians: []student.Guardian{{Name: "家长" + no, Relation: "母亲", Phone: "13800000000"}}}}
	rep, err := e.stu.Import(e.ctx, e.registrar, rows, false, nil)
	if err != nil || !rep.OK() || rep.Created != 1 {
		e.t.Fatalf("Import: %+v, %v", rep, err)
	}
	return e.num(`SELECT id FROM students WHERE student_no = ?`, no)
}

// caseFor files a student (12 years old) at school and opens a case for
// them by p; it returns the case and the student.
func (e *env) caseFor(p access.Principal, school *org.Unit, no string) (int64, int64) {
	e.t.Helper()
	sid := e.student(school, no, "2013-09-01")
	id, err := e.care.OpenCase(e.ctx, p, sid, 0)
	if err != nil {
		e.t.Fatalf("OpenCase: %v", err)
	}
	return id, sid
}

// consent is a guardian's written consent given an hour ago.
func (e *env) consent(detail bool) referral.Consent {
	return referral.Consent{Given: true, By: "mother", At: e.clk.Now().Add(-time.Hour), How: "written", Version: "v1", Detail: detail}
}

// refer sends a routine case referral to hospital 1 with consent, and fails the test on error.
func (e *env) refer(p access.Principal, caseID int64, change func(*referral.NewReferral)) int64 {
	e.t.Helper()
	n := referral.NewReferral{Source: referral.SourceCase, SourceID: caseID, ToUnit: e.h1.ID, Urgency: referral.Routine,
		Reason: "持续情绪低落，需专业评估", Consent: e.consent(false)}
	if change != nil {
		change(&n)
	}
	id, err := e.svc.Send(e.ctx, p, n)
	if err != nil {
		e.t.Fatalf("Send: %v", err)
	}
	return id
}

func (e *env) num(q string, args ...any) int64 {
	e.t.Helper()
	var n int64
	if err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error { return tx.QueryRow(ctx, q, args...).Scan(&n) }); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return n
}

func (e *env) str(q string, args ...any) string {
	e.t.Helper()
	var s string
	if err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error { return tx.QueryRow(ctx, q, args...).Scan(&s) }); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return s
}

// dueJobs returns the states of the referral timers of a referral by generation.
func (e *env) dueJobs(id int64) map[int]string {
	e.t.Helper()
	out := map[int]string{}
	err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		args := "json(args)" // riversqlite stores SQLite's binary JSON
		if tx.Dialect() == db.Postgres {
			args = "args::text"
		}
		rows, err := tx.Query(ctx, `SELECT `+args+`, state FROM river_job WHERE kind = 'referral.due'`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var raw []byte
			var state string
			if err := rows.Scan(&raw, &state); err != nil {
				return err
			}
			var a referral.DueArgs
			if err := json.Unmarshal(raw, &a); err != nil {
				return err
			}
			if a.ReferralID == id {
				out[a.Seq] = state
			}
		}
		return rows.Err()
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func wantCode(t *testing.T, what string, err error, code apperr.Code) {
	t.Helper()
	if got := apperr.CodeOf(err); got != code {
		t.Errorf("%s: code %q (%v), want %q", what, got, err, code)
	}
}

func wantField(t *testing.T, what string, err error, field, key string) {
	t.Helper()
	if got := apperr.FieldsOf(err)[field]; got != key {
		t.Errorf("%s: field %s = %q (%v), want %q", what, field, got, err, key)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// containsText reports whether raw (a column read as text) holds s.
func containsText(raw, s string) bool { return strings.Contains(raw, s) }

// careInput is a first support plan written by school A's counsellor.
func careInput(e *env) care.PlanInput {
	return care.PlanInput{Concern: "上课注意力下降", Goals: "恢复学习节奏", MeasureNotes: "原有措施说明", Measures: []string{"counselling"},
		Frequency: "weekly", Responsible: []int64{e.counsellorA.UserID}, NextReview: e.clk.Now().Add(30 * 24 * time.Hour)}
}

// incidentAt records a crisis incident handled at unit (directly: the
// crisis package is not under test here) and returns its id.
func (e *env) incidentAt(unit *org.Unit) int64 {
	e.t.Helper()
	var id int64
	err := e.d.Tx(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		id, err = tx.InsertID(ctx, `INSERT INTO incidents (unit_id, source, state, handler_id, opened_by, opened_at, updated_at)
			VALUES (?, 'duty', 'opened', ?, ?, ?, ?)`, unit.ID, e.supervisor.UserID, e.supervisor.UserID, db.Micro(e.clk.Now()), db.Micro(e.clk.Now()))
		return err
	})
	if err != nil {
		e.t.Fatalf("incident: %v", err)
	}
	return id
}
