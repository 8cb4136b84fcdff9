package training_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/people"
	"github.com/careloop/careloop/internal/testutil"
	"github.com/careloop/careloop/internal/training"
)

// monday is the tests' clock start: Monday 2 March 2026, 09:00 UTC.
var monday = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// env is a city with two districts (A with schools A1 and A2, B with
// school B1) and a hotline station, with coordinators at the city and in
// each district, a counsellor and a head teacher in each school and a
// hotline supervisor and counsellor at the station.
type env struct {
	t   *testing.T
	ctx context.Context
	d   *db.DB
	clk *testutil.Clock
	svc *training.Service
	org *org.Service
	ppl *people.Service

	city, distA, a1, a2, distB, b1, station *org.Unit
	admin                                   access.Principal
	coordCity, coordA, coordB               access.Principal
	counsellorA1, headA1, headA2, headB1    access.Principal
	counsellorB1, supervisor, hotline       access.Principal
	next                                    int
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	d := testutil.DB(t)
	clk := testutil.NewClock(monday)
	log, err := audit.New("sha256", clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	keys := testutil.Keyring(t)
	e := &env{t: t, ctx: ctx, d: d, clk: clk,
		svc: &training.Service{DB: d, Audit: log, Seal: keys, Now: clk.Now},
		org: &org.Service{DB: d, Audit: log, Now: clk.Now},
		ppl: &people.Service{DB: d, Audit: log, Seal: keys, Now: clk.Now}}
	if e.city, err = e.org.CreateRoot(ctx, "江海市", "Jianghai"); err != nil {
		t.Fatal(err)
	}
	e.admin = access.Principal{UserID: 900001, Memberships: []access.Membership{{OrgID: e.city.ID, OrgPath: e.city.Path, Role: access.SysAdmin}}}
	e.distA = testutil.Unit(t, ctx, e.org, e.admin, org.District, "东城区", e.city)
	e.a1 = testutil.Unit(t, ctx, e.org, e.admin, org.School, "东城第一中学", e.distA)
	e.a2 = testutil.Unit(t, ctx, e.org, e.admin, org.School, "东城第二中学", e.distA)
	e.distB = testutil.Unit(t, ctx, e.org, e.admin, org.District, "西城区", e.city)
	e.b1 = testutil.Unit(t, ctx, e.org, e.admin, org.School, "西城第一中学", e.distB)
	e.station = testutil.Unit(t, ctx, e.org, e.admin, org.HotlineStation, "陶老师工作站", e.city)
	e.coordCity = e.user(access.Coordinator, e.city)
	e.coordA = e.user(access.Coordinator, e.distA)
	e.coordB = e.user(access.Coordinator, e.distB)
	e.counsellorA1 = e.user(access.SchoolCounsellor, e.a1)
	e.headA1 = e.user(access.HeadTeacher, e.a1)
	e.headA2 = e.user(access.HeadTeacher, e.a2)
	e.headB1 = e.user(access.HeadTeacher, e.b1)
	e.counsellorB1 = e.user(access.SchoolCounsellor, e.b1)
	e.supervisor = e.user(access.HotlineSupervisor, e.station)
	e.hotline = e.user(access.HotlineCounsellor, e.station)
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
	return testutil.Staff(e.t, e.ctx, e.ppl, "training-staff-"+strconv.Itoa(e.next), role, at)
}

// course creates a course at unit as p, or fails.
func (e *env) course(p access.Principal, unit *org.Unit, n training.NewCourse) int64 {
	e.t.Helper()
	n.UnitID = unit.ID
	if n.Title == "" {
		n.Title = "危机干预培训"
	}
	if n.Kind == "" {
		n.Kind = "crisis"
	}
	if n.Hours == 0 {
		n.Hours = 3
	}
	id, err := e.svc.CreateCourse(e.ctx, p, n)
	if err != nil {
		e.t.Fatalf("CreateCourse: %v", err)
	}
	return id
}

// session schedules a session of course starting at start, lasting two
// hours, or fails.
func (e *env) session(p access.Principal, course int64, start time.Time, capacity int) int64 {
	e.t.Helper()
	id, err := e.svc.ScheduleSession(e.ctx, p, training.NewSession{CourseID: course, StartsAt: start, EndsAt: start.Add(2 * time.Hour),
		Place: "区教师发展中心 301", Trainers: "王老师", Capacity: capacity})
	if err != nil {
		e.t.Fatalf("ScheduleSession: %v", err)
	}
	return id
}
