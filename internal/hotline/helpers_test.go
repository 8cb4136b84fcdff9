package hotline_test

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
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/people"
	"github.com/careloop/careloop/internal/seal"
	"github.com/careloop/careloop/internal/testutil"
)

// env has a city with a hotline station and two branches, a second
// station, and the contact service on a controllable clock.
type env struct {
	t                     *testing.T
	ctx                   context.Context
	d                     *db.DB
	clk                   *testutil.Clock
	keys                  *seal.Keyring
	svc                   *hotline.Service
	org                   *org.Service
	ppl                   *people.Service
	city, station, b1, b2 *org.Unit
	other, district       *org.Unit
	admin                 access.Principal
	next                  int
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	d := testutil.DB(t)
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
	e := &env{t: t, ctx: ctx, d: d, clk: clk, keys: keys,
		svc: &hotline.Service{DB: d, Audit: log, Seal: keys, Pepper: pepper, Now: clk.Now},
		org: &org.Service{DB: d, Audit: log, Now: clk.Now},
		ppl: &people.Service{DB: d, Audit: log, Seal: keys, Now: clk.Now}}
	if e.city, err = e.org.CreateRoot(ctx, "江海市", "Jianghai"); err != nil {
		t.Fatal(err)
	}
	e.admin = access.Principal{UserID: 900001, Memberships: []access.Membership{{OrgID: e.city.ID, OrgPath: e.city.Path, Role: access.SysAdmin}}}
	e.station = e.unit(org.HotlineStation, "陶老师工作站", e.city)
	e.b1 = e.unit(org.HotlineStation, "东城分站", e.station)
	e.b2 = e.unit(org.HotlineStation, "西城分站", e.station)
	e.other = e.unit(org.HotlineStation, "另一热线", e.city)
	e.district = e.unit(org.District, "东城区", e.city)
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
	return testutil.Staff(e.t, e.ctx, e.ppl, "hotline-staff-"+strconv.Itoa(e.next), role, at)
}

func (e *env) num(q string, args ...any) int64 {
	e.t.Helper()
	return testutil.Num(e.t, e.d, q, args...)
}

func wantCode(t *testing.T, what string, err error, code apperr.Code) {
	t.Helper()
	if got := apperr.CodeOf(err); got != code {
		t.Errorf("%s: code %q (%v), want %q", what, got, err, code)
	}
}
