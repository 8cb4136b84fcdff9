package sharing_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/jobs"
	"github.com/careloop/careloop/internal/notify"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/people"
	"github.com/careloop/careloop/internal/sharing"
	"github.com/careloop/careloop/internal/student"
	"github.com/careloop/careloop/internal/testutil"
)

// monday is the tests' clock start: Monday 2 March 2026, 09:00 UTC.
var monday = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// env is a city with two districts (A with schools A1 and A2, B with
// school B1), a hotline station with a branch, police, a hospital and a
// civil-affairs agency; staff in each; and three students: young (11, in
// A1), teen (15, in A1) and other (in B1).
type env struct {
	t   *testing.T
	ctx context.Context
	d   *db.DB
	clk *testutil.Clock
	svc *sharing.Service
	stu *student.Service
	org *org.Service
	ppl *people.Service
	q   *jobs.Queue

	city, distA, a1, a2, distB, b1     *org.Unit
	station, branch, police, hospital  *org.Unit
	civil                              *org.Unit
	admin, registrar                   access.Principal // not accounts
	counsellorA1, leaderA1, coordA     access.Principal
	counsellorB1, leaderB1, coordB     access.Principal
	supervisor, hotline, policeLiaison access.Principal
	young, teen, other                 int64
	next                               int
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	d := testutil.DB(t)
	if err := jobs.Migrate(ctx, d); err != nil {
		t.Fatalf("jobs.Migrate: %v", err)
	}
	clk := testutil.NewClock(monday)
	log, err := audit.New("sha256", clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	keys := testutil.Keyring(t)
	q, err := jobs.New(d, jobs.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: ctx, d: d, clk: clk, q: q,
		svc: &sharing.Service{DB: d, Audit: log, Seal: keys, Jobs: q, Notify: &notify.Service{Now: clk.Now}, Now: clk.Now},
		stu: &student.Service{DB: d, Audit: log, Seal: keys, Now: clk.Now},
		org: &org.Service{DB: d, Audit: log, Now: clk.Now},
		ppl: &people.Service{DB: d, Audit: log, Seal: keys, Now: clk.Now}}
	jobs.Handle(q, &sharing.ExpiryWorker{S: e.svc}) // registered as the app does; the queue is not started
	if e.city, err = e.org.CreateRoot(ctx, "江海市", "Jianghai"); err != nil {
		t.Fatal(err)
	}
	e.admin = access.Principal{UserID: 900001, Memberships: []access.Membership{{OrgID: e.city.ID, OrgPath: e.city.Path, Role: access.SysAdmin}}}
	e.registrar = access.Principal{UserID: 900002, Memberships: []access.Membership{{OrgID: e.city.ID, OrgPath: e.city.Path, Role: access.Coordinator}}}
	e.distA = e.unit(org.District, "东城区", "", e.city)
	e.a1 = e.unit(org.School, "东城第一中学", "A1", e.distA)
	e.a2 = e.unit(org.School, "东城第二中学", "A2", e.distA)
	e.distB = e.unit(org.District, "西城区", "", e.city)
	e.b1 = e.unit(org.School, "西城第一中学", "B1", e.distB)
	e.station = e.unit(org.HotlineStation, "陶老师工作站", "", e.city)
	e.branch = e.unit(org.HotlineStation, "东城分站", "", e.station)
	e.police = e.unit(org.Police, "110 指挥中心", "", e.city)
	e.hospital = e.unit(org.Hospital, "脑科医院", "", e.city)
	e.civil = e.unit(org.Agency, "民政局", "", e.city)
	e.counsellorA1 = e.user(access.SchoolCounsellor, e.a1)
	e.leaderA1 = e.user(access.SchoolLeader, e.a1)
	e.coordA = e.user(access.Coordinator, e.distA)
	e.counsellorB1 = e.user(access.SchoolCounsellor, e.b1)
	e.leaderB1 = e.user(access.SchoolLeader, e.b1)
	e.coordB = e.user(access.Coordinator, e.distB)
	e.supervisor = e.user(access.HotlineSupervisor, e.station)
	e.hotline = e.user(access.HotlineCounsellor, e.branch)
	e.policeLiaison = e.user(access.PoliceLiaison, e.police)
	e.young = e.student("S-YOUNG", "2014-06-01", e.a1) // 11 on monday
	e.teen = e.student("S-TEEN", "2010-09-01", e.a1)   // 15
	e.other = e.student("S-OTHER", "2012-01-01", e.b1)
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
	name := "s" + strconv.Itoa(e.next)
	id, _, err := e.ppl.Bootstrap(e.ctx, people.NewUser{Username: name + "-staff", DisplayName: role + " " + name}, "Correct-Horse-42x", at.ID, role)
	if err != nil {
		e.t.Fatalf("Bootstrap %s: %v", role, err)
	}
	return access.Principal{UserID: id, Username: name, Memberships: []access.Membership{{OrgID: at.ID, OrgPath: at.Path, Role: role}}}
}

func (e *env) student(no, birth string, school *org.Unit) int64 {
	e.t.Helper()
	rows := []student.RosterRow{{Line: 2, StudentNo: no, Name: "学生" + no, Gender: "女", BirthDate: birth, School: school.Code,
		Grade: "7", ClassName: "1班", Guardians: []student.Guardian{{Name: "家长" + no, Relation: "母亲", Phone: "13812345678"}}}}
	rep, err := e.stu.Import(e.ctx, e.registrar, rows, false, nil)
	if err != nil || !rep.OK() || rep.Created != 1 {
		e.t.Fatalf("Import: %+v, %v", rep, err)
	}
	return e.num(`SELECT id FROM students WHERE student_no = ?`, no)
}

func (e *env) num(q string, args ...any) int64 {
	e.t.Helper()
	var n int64
	if err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error { return tx.QueryRow(ctx, q, args...).Scan(&n) }); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return n
}

// audits counts audit entries with action (and object id, if not "").
func (e *env) audits(action, object string) int64 {
	e.t.Helper()
	if object == "" {
		return e.num(`SELECT COUNT(*) FROM audit_log WHERE action = ?`, action)
	}
	return e.num(`SELECT COUNT(*) FROM audit_log WHERE action = ? AND object_id = ?`, action, object)
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
