package workforce_test

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
	"github.com/careloop/careloop/internal/testutil"
	"github.com/careloop/careloop/internal/workforce"
)

// monday is the tests' clock start: Monday 2 March 2026, 09:00 UTC.
var monday = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// env is a city with two districts (A: schools A1, A2 and a guidance
// centre; B: school B1), a hotline station with a branch, and staff.
type env struct {
	t   *testing.T
	ctx context.Context
	d   *db.DB
	clk *testutil.Clock
	svc *workforce.Service
	org *org.Service
	ppl *people.Service
	q   *jobs.Queue

	city, distA, a1, a2, centreA, distB, b1, station, branch *org.Unit
	admin, root                                              access.Principal // not accounts
	coordA, coordB, supervisor, counsellorA1, hotline        access.Principal
	leaderA1, cityCoord                                      access.Principal
	next                                                     int
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
		svc: &workforce.Service{DB: d, Audit: log, Seal: keys, Jobs: q, Notify: &notify.Service{Now: clk.Now}, Now: clk.Now},
		org: &org.Service{DB: d, Audit: log, Now: clk.Now},
		ppl: &people.Service{DB: d, Audit: log, Seal: keys, Now: clk.Now}}
	jobs.Handle(q, &workforce.ExpiryWorker{S: e.svc})
	if e.city, err = e.org.CreateRoot(ctx, "江海市", "Jianghai"); err != nil {
		t.Fatal(err)
	}
	e.admin = access.Principal{UserID: 900001, Memberships: []access.Membership{{OrgID: e.city.ID, OrgPath: e.city.Path, Role: access.SysAdmin}}}
	e.root = access.Principal{UserID: 900002, Memberships: []access.Membership{{OrgID: e.city.ID, OrgPath: e.city.Path, Role: access.Coordinator}}}
	e.distA = testutil.Unit(t, ctx, e.org, e.admin, org.District, "东城区", e.city)
	e.a1 = testutil.Unit(t, ctx, e.org, e.admin, org.School, "东城第一中学", e.distA)
	e.a2 = testutil.Unit(t, ctx, e.org, e.admin, org.School, "东城第二中学", e.distA)
	e.centreA = testutil.Unit(t, ctx, e.org, e.admin, org.GuidanceCentre, "东城指导中心", e.distA)
	e.distB = testutil.Unit(t, ctx, e.org, e.admin, org.District, "西城区", e.city)
	e.b1 = testutil.Unit(t, ctx, e.org, e.admin, org.School, "西城第一中学", e.distB)
	e.station = testutil.Unit(t, ctx, e.org, e.admin, org.HotlineStation, "陶老师工作站", e.city)
	e.branch = testutil.Unit(t, ctx, e.org, e.admin, org.HotlineStation, "东城分站", e.station)
	e.cityCoord = e.user(access.Coordinator, e.city)
	e.coordA = e.user(access.Coordinator, e.distA)
	e.coordB = e.user(access.Coordinator, e.distB)
	e.supervisor = e.user(access.HotlineSupervisor, e.station)
	e.counsellorA1 = e.user(access.SchoolCounsellor, e.a1)
	e.leaderA1 = e.user(access.SchoolLeader, e.a1)
	e.hotline = e.user(access.HotlineCounsellor, e.branch)
	t.Cleanup(func() {
		if _, problem, err := audit.Verify(ctx, d); err != nil || problem != nil {
			t.Errorf("audit chain: %v %v", problem, err)
		}
	})
	return e
}

func (e *env) user(role string, at *org.Unit) access.Principal {
	e.t.Helper()
	e.next++
	return testutil.Staff(e.t, e.ctx, e.ppl, "staff"+strconv.Itoa(e.next), role, at)
}

func (e *env) num(q string, args ...any) int64 {
	e.t.Helper()
	return testutil.Num(e.t, e.d, q, args...)
}

// person files an entry as the root coordinator, or fails.
func (e *env) person(unit *org.Unit, name, kind, tier, username string) int64 {
	e.t.Helper()
	id, err := e.svc.AddPerson(e.ctx, e.root, workforce.Entry{UnitID: unit.ID, Name: name, Kind: kind, Tier: tier, Username: username})
	if err != nil {
		e.t.Fatalf("AddPerson %s: %v", name, err)
	}
	return id
}

// cert records a certification issued a year ago expiring at expires.
func (e *env) cert(person int64, level string, expires time.Time) int64 {
	e.t.Helper()
	id, err := e.svc.AddCert(e.ctx, e.root, person, workforce.NewCert{Level: level, Body: "省心理学会", Issued: e.clk.Now().AddDate(-1, 0, 0), Expires: expires})
	if err != nil {
		e.t.Fatalf("AddCert: %v", err)
	}
	return id
}

func (e *env) barred(userID int64) bool {
	e.t.Helper()
	var b bool
	if err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		b, err = e.svc.NotesBarred(ctx, tx, userID)
		return err
	}); err != nil {
		e.t.Fatalf("NotesBarred: %v", err)
	}
	return b
}
