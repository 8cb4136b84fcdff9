package crisis_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/care"
	"github.com/careloop/careloop/internal/crisis"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/jobs"
	"github.com/careloop/careloop/internal/notify"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/people"
	"github.com/careloop/careloop/internal/sharing"
	"github.com/careloop/careloop/internal/student"
	"github.com/careloop/careloop/internal/testutil"
)

const password = "Crisis-Test-Pass-2026"

// env is a city with districts X (a guidance centre, school A) and Y
// (school B), the hotline station S with branch S1, another station S2,
// police units P1 and P2, a hospital, and the crisis service on a
// controllable clock.
type env struct {
	t                   *testing.T
	ctx                 context.Context
	d                   *db.DB
	clk                 *testutil.Clock
	q                   *jobs.Queue
	svc                 *crisis.Service
	care                *care.Service
	org                 *org.Service
	ppl                 *people.Service
	stu                 *student.Service
	city, x, xCentre, y *org.Unit
	a, b                *org.Unit
	s, s1, s2           *org.Unit
	p1, p2, hospital    *org.Unit
	admin, registrar    access.Principal
	next                int
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	d := testutil.DB(t)
	if err := jobs.Migrate(ctx, d); err != nil {
		t.Fatal(err)
	}
	clk := testutil.NewClock(time.Date(2026, 3, 2, 21, 0, 0, 0, time.UTC))
	log, err := audit.New("sha256", clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	keys := testutil.Keyring(t)
	q, err := jobs.New(d, jobs.Options{Now: clk.Now, PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	n := &notify.Service{Jobs: q, Now: clk.Now}
	cs := &care.Service{DB: d, Audit: log, Seal: keys, Jobs: q, Notify: n, Now: clk.Now}
	e := &env{t: t, ctx: ctx, d: d, clk: clk, q: q, care: cs,
		svc: &crisis.Service{DB: d, Audit: log, Seal: keys, Jobs: q, Notify: n, Care: cs, Now: clk.Now,
			Sharing: &sharing.Service{DB: d, Audit: log, Seal: keys, Now: clk.Now}},
		org: &org.Service{DB: d, Audit: log, Now: clk.Now},
		ppl: &people.Service{DB: d, Audit: log, Seal: keys, Now: clk.Now},
		stu: &student.Service{DB: d, Audit: log, Seal: keys, Now: clk.Now}}
	jobs.Handle(q, &crisis.SafetyWorker{S: e.svc})
	jobs.Handle(q, &care.FollowUpWorker{S: cs})
	if e.city, err = e.org.CreateRoot(ctx, "江海市", "Jianghai"); err != nil {
		t.Fatal(err)
	}
	e.admin = access.Principal{UserID: 900001, Memberships: []access.Membership{{OrgID: e.city.ID, OrgPath: e.city.Path, Role: access.SysAdmin}}}
	e.registrar = access.Principal{UserID: 900002, Memberships: []access.Membership{{OrgID: e.city.ID, OrgPath: e.city.Path, Role: access.Coordinator}}}
	e.x = e.unit(org.District, "东城区", "", e.city)
	e.xCentre = e.unit(org.GuidanceCentre, "东城区指导中心", "", e.x)
	e.y = e.unit(org.District, "西城区", "", e.city)
	e.a = e.unit(org.School, "东城第一中学", "DC01", e.x)
	e.b = e.unit(org.School, "西城第一中学", "XC01", e.y)
	e.s = e.unit(org.HotlineStation, "陶老师工作站", "", e.city)
	e.s1 = e.unit(org.HotlineStation, "东城分站", "", e.s)
	e.s2 = e.unit(org.HotlineStation, "另一热线", "", e.city)
	e.p1 = e.unit(org.Police, "110 指挥中心", "", e.city)
	e.p2 = e.unit(org.Police, "另一公安分局", "", e.city)
	e.hospital = e.unit(org.Hospital, "市脑科医院", "", e.city)
	t.Cleanup(func() {
		n, problem, err := audit.Verify(ctx, d)
		if err != nil || problem != nil {
			t.Errorf("audit.Verify: %v %v", problem, err)
		}
		if want := e.num(`SELECT COUNT(*) FROM audit_log`); n != want {
			t.Errorf("audit.Verify checked %d of %d entries", n, want)
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

// user creates an account holding role at unit and returns it as a caller.
func (e *env) user(role string, at *org.Unit) access.Principal {
	e.t.Helper()
	e.next++
	name := "crisis-staff-" + strconv.Itoa(e.next)
	id, _, err := e.ppl.Bootstrap(e.ctx, people.NewUser{Username: name, DisplayName: role + " " + name}, password, at.ID, role)
	if err != nil {
		e.t.Fatalf("Bootstrap: %v", err)
	}
	return access.Principal{UserID: id, Username: name, Memberships: []access.Membership{{OrgID: at.ID, OrgPath: at.Path, Role: role}}}
}

// student imports a student into school and returns the id.
func (e *env) student(school *org.Unit, no string) int64 {
	e.t.Helper()
	rows := []student.RosterRow{{Line: 2, StudentNo: no, Name: "学生" + no, Gender: "女", BirthDate: "2011-09-01", School: school.Code,
		Grade: "7", ClassName: "1班", Guardians: []student.Guardian{{Name: "家长" + no, Relation: "母亲", Phone: "13800000000"}}}}
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

func (e *env) str(q string, args ...any) string {
	e.t.Helper()
	var s string
	if err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error { return tx.QueryRow(ctx, q, args...).Scan(&s) }); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return s
}

// open opens an incident directly (source duty) and fails the test on error.
func (e *env) open(p access.Principal, unit *org.Unit, d crisis.Details) int64 {
	e.t.Helper()
	id, err := e.svc.Open(e.ctx, p, crisis.NewIncident{UnitID: unit.ID, Source: "duty", Details: d})
	if err != nil {
		e.t.Fatalf("Open: %v", err)
	}
	return id
}

// step records a step and fails the test on error.
func (e *env) step(p access.Principal, id int64, in crisis.StepInput) int64 {
	e.t.Helper()
	sid, err := e.svc.Advance(e.ctx, p, id, in)
	if err != nil {
		e.t.Fatalf("Advance to %s: %v", in.To, err)
	}
	return sid
}

func (e *env) cosign(p access.Principal, id, step int64) {
	e.t.Helper()
	if err := e.svc.Cosign(e.ctx, p, id, step, crisis.Signed, ""); err != nil {
		e.t.Fatalf("Cosign: %v", err)
	}
}

func (e *env) state(id int64) string {
	e.t.Helper()
	return e.str(`SELECT state FROM incidents WHERE id = ?`, id)
}

// rescue takes an incident to police_requested (co-signed) at police unit.
func (e *env) rescue(handler, supervisor access.Principal, id int64, police *org.Unit) {
	e.t.Helper()
	e.step(handler, id, crisis.StepInput{To: crisis.RescueNeeded})
	sid := e.step(handler, id, crisis.StepInput{To: crisis.PoliceRequested, PoliceUnitID: police.ID})
	e.cosign(supervisor, id, sid)
}

// audits counts audit entries of an action on an incident (id 0: any).
func (e *env) audits(action string, id int64) int64 {
	return e.num(`SELECT COUNT(*) FROM audit_log WHERE action = ? AND (? = '0' OR object_id = ?)`, action,
		strconv.FormatInt(id, 10), strconv.FormatInt(id, 10))
}

func wantCode(t *testing.T, what string, err error, code apperr.Code) {
	t.Helper()
	if got := apperr.CodeOf(err); got != code {
		t.Errorf("%s: code %q (%v), want %q", what, got, err, code)
	}
}

var imminent = crisis.Risk{Ideation: "active", Intent: "yes", Plan: "specific", Means: "access", Timeframe: "now", Behaviour: "unknown"}
