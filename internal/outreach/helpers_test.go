package outreach_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/outreach"
	"github.com/careloop/careloop/internal/people"
	"github.com/careloop/careloop/internal/testutil"
)

// start is the tests' clock: Monday 2 November 2026, 09:00 UTC.
var start = time.Date(2026, 11, 2, 9, 0, 0, 0, time.UTC)

// env is a city with two districts: A with school A1 and community
// station A2, B with school B1; a coordinator in each district, a
// counsellor at A1 and a community worker at A2.
type env struct {
	t   *testing.T
	ctx context.Context
	d   *db.DB
	clk *testutil.Clock
	svc *outreach.Service
	org *org.Service
	ppl *people.Service

	city, distA, a1, a2, distB, b1 *org.Unit
	admin                          access.Principal
	coordA, coordB, counsellorA1   access.Principal
	communityA2                    access.Principal
	next                           int
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	d := testutil.DB(t)
	clk := testutil.NewClock(start)
	log, err := audit.New("sha256", clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	keys := testutil.Keyring(t)
	e := &env{t: t, ctx: ctx, d: d, clk: clk,
		svc: &outreach.Service{DB: d, Audit: log, Seal: keys, Now: clk.Now},
		org: &org.Service{DB: d, Audit: log, Now: clk.Now},
		ppl: &people.Service{DB: d, Audit: log, Seal: keys, Now: clk.Now}}
	if e.city, err = e.org.CreateRoot(ctx, "台州市", "Taizhou"); err != nil {
		t.Fatal(err)
	}
	e.admin = access.Principal{UserID: 900001, Memberships: []access.Membership{{OrgID: e.city.ID, OrgPath: e.city.Path, Role: access.SysAdmin}}}
	e.distA = testutil.Unit(t, ctx, e.org, e.admin, org.District, "椒江区", e.city)
	e.a1 = testutil.Unit(t, ctx, e.org, e.admin, org.School, "椒江一中", e.distA)
	e.a2 = testutil.Unit(t, ctx, e.org, e.admin, org.CommunityStation, "海门街道辅导站", e.distA)
	e.distB = testutil.Unit(t, ctx, e.org, e.admin, org.District, "黄岩区", e.city)
	e.b1 = testutil.Unit(t, ctx, e.org, e.admin, org.School, "黄岩中学", e.distB)
	e.coordA = e.user(access.Coordinator, e.distA)
	e.coordB = e.user(access.Coordinator, e.distB)
	e.counsellorA1 = e.user(access.SchoolCounsellor, e.a1)
	e.communityA2 = e.user(access.CommunityWorker, e.a2)
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
	return testutil.Staff(e.t, e.ctx, e.ppl, "staff-"+itoa(int64(e.next)), role, at)
}

func (e *env) num(q string, args ...any) int64 {
	e.t.Helper()
	return testutil.Num(e.t, e.d, q, args...)
}

// activity records an activity or fails the test.
func (e *env) activity(p access.Principal, n outreach.NewActivity) int64 {
	e.t.Helper()
	id, err := e.svc.CreateActivity(e.ctx, p, n)
	if err != nil {
		e.t.Fatalf("CreateActivity %s: %v", n.Title, err)
	}
	return id
}

// lecture is a valid activity of unit u.
func lecture(u *org.Unit, title string, at time.Time, attendance int64) outreach.NewActivity {
	return outreach.NewActivity{Unit: u.ID, Kind: "lecture", Title: title, StartsAt: at, Place: "礼堂",
		Audiences: []string{"parents"}, Attendance: attendance}
}

// venue records a venue or fails the test.
func (e *env) venue(p access.Principal, u *org.Unit, kind, name string) int64 {
	e.t.Helper()
	id, err := e.svc.CreateVenue(e.ctx, p, outreach.NewVenue{Unit: u.ID, Kind: kind, Name: name, Address: "路 1 号",
		Facilities: "沙盘\n放松椅", OpeningHours: "周一至周五 8:00-17:00", Active: true})
	if err != nil {
		e.t.Fatalf("CreateVenue %s: %v", name, err)
	}
	return id
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// jpeg is the start of a JPEG file (enough for the sniffer).
var jpeg = append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, 'J', 'F', 'I', 'F', 0}, make([]byte, 64)...)
