package phone_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/hotline"
	"github.com/careloop/careloop/internal/hotline/phone"
	"github.com/careloop/careloop/internal/jobs"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/people"
	"github.com/careloop/careloop/internal/testutil"
)

// env has a city with a hotline station, a branch and another station;
// at the station a PBX account (its token's principal), two counsellors
// and a supervisor; and the phone service on a controllable clock, with a
// job queue that schedules but does not run.
type env struct {
	t                              *testing.T
	ctx                            context.Context
	d                              *db.DB
	clk                            *testutil.Clock
	hot                            *hotline.Service
	svc                            *phone.Service
	org                            *org.Service
	ppl                            *people.Service
	city, station, branch, other   *org.Unit
	admin                          access.Principal
	pbx, pbxOther                  access.Principal // tokens limited to hotline.telephony
	a, b, sup, stranger, colleague access.Principal
	next                           int
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	d := testutil.DB(t)
	if err := jobs.Migrate(ctx, d); err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(d, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	clk := testutil.NewClock(time.Date(2026, 3, 2, 21, 0, 0, 0, time.UTC))
	log, err := audit.New("sha256", clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	keys := testutil.Keyring(t)
	pepper, err := keys.Derive("contact identifiers")
	if err != nil {
		t.Fatal(err)
	}
	hot := &hotline.Service{DB: d, Audit: log, Seal: keys, Pepper: pepper, Now: clk.Now}
	e := &env{t: t, ctx: ctx, d: d, clk: clk, hot: hot,
		svc: &phone.Service{DB: d, Audit: log, Seal: keys, Hotline: hot, Jobs: q, Dir: t.TempDir(), Now: clk.Now},
		org: &org.Service{DB: d, Audit: log, Now: clk.Now},
		ppl: &people.Service{DB: d, Audit: log, Seal: keys, Now: clk.Now}}
	jobs.Handle(q, &phone.ExpiryWorker{S: e.svc}) // registered as the app does; the queue is not started
	if e.city, err = e.org.CreateRoot(ctx, "江海市", "Jianghai"); err != nil {
		t.Fatal(err)
	}
	e.admin = access.Principal{UserID: 900001, Memberships: []access.Membership{{OrgID: e.city.ID, OrgPath: e.city.Path, Role: access.SysAdmin}}}
	e.station = e.unit(org.HotlineStation, "陶老师工作站", e.city)
	e.branch = e.unit(org.HotlineStation, "东城分站", e.station)
	e.other = e.unit(org.HotlineStation, "另一热线", e.city)
	e.pbx = e.user(access.TelephonyGateway, e.station)
	e.pbx.Limit = []access.Permission{access.HotlineTelephony}
	e.pbxOther = e.user(access.TelephonyGateway, e.other)
	e.pbxOther.Limit = []access.Permission{access.HotlineTelephony}
	e.a = e.user(access.HotlineCounsellor, e.station)
	e.b = e.user(access.HotlineCounsellor, e.station)
	e.sup = e.user(access.HotlineSupervisor, e.station)
	e.colleague = e.user(access.HotlineCounsellor, e.station)
	e.stranger = e.user(access.HotlineCounsellor, e.other)
	t.Cleanup(func() {
		if _, problem, err := audit.Verify(ctx, d); err != nil || problem != nil {
			t.Errorf("audit chain: %v %v", problem, err)
		}
	})
	return e
}

func (e *env) unit(kind org.Kind, name string, parent *org.Unit) *org.Unit {
	e.t.Helper()
	return testutil.Unit(e.t, e.ctx, e.org, e.admin, kind, name, parent)
}

func (e *env) user(role string, at *org.Unit) access.Principal {
	e.t.Helper()
	e.next++
	return testutil.Staff(e.t, e.ctx, e.ppl, "phone-staff-"+strconv.Itoa(e.next), role, at)
}

func (e *env) num(q string, args ...any) int64 {
	e.t.Helper()
	return testutil.Num(e.t, e.d, q, args...)
}

func (e *env) str(q string, args ...any) string {
	e.t.Helper()
	var s string
	if err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error { return tx.QueryRow(ctx, q, args...).Scan(&s) }); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return s
}

func (e *env) audits(action string) int64 {
	return e.num(`SELECT COUNT(*) FROM audit_log WHERE action = ?`, action)
}

// report sends an event as the station's PBX and fails the test on error.
func (e *env) report(ev phone.Event) *phone.Outcome {
	e.t.Helper()
	out, err := e.svc.Report(e.ctx, e.pbx, ev)
	if err != nil {
		e.t.Fatalf("report %s %s: %v", ev.Event, ev.CallRef, err)
	}
	return out
}

func seq(n int64) *int64 { return &n }

func wantCode(t *testing.T, what string, err error, code apperr.Code) {
	t.Helper()
	if got := apperr.CodeOf(err); got != code {
		t.Errorf("%s: code %q (%v), want %q", what, got, err, code)
	}
}

// state is a snapshot of everything an event may change.
func (e *env) state() [5]int64 {
	return [5]int64{e.num(`SELECT COUNT(*) FROM phone_calls`), e.num(`SELECT COUNT(*) FROM phone_call_events`),
		e.num(`SELECT COUNT(*) FROM contacts`), e.num(`SELECT COUNT(*) FROM audit_log`),
		e.num(`SELECT COALESCE(SUM(transfers), 0) + COALESCE(SUM(contact_id), 0) + COALESCE(SUM(counsellor_id), 0) FROM phone_calls`)}
}
