package station_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/hotline/station"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/testutil"
)

// cst is China Standard Time, in which the tests write their times.
var cst = time.FixedZone("CST", 8*3600)

func at(y int, mo time.Month, d, h, mi int) time.Time { return time.Date(y, mo, d, h, mi, 0, 0, cst) }

// env has a city with a hotline station and two branches, a second
// station and a district, and the station service on a controllable clock
// (10:00 on Tuesday 3 March 2026, China Standard Time).
type env struct {
	t                     *testing.T
	ctx                   context.Context
	d                     *db.DB
	clk                   *testutil.Clock
	svc                   *station.Service
	org                   *org.Service
	city, station, b1, b2 *org.Unit
	other, district       *org.Unit
	admin                 access.Principal
	next                  int
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	d := testutil.DB(t)
	clk := testutil.NewClock(at(2026, 3, 3, 10, 0))
	log, err := audit.New("sha256", clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: ctx, d: d, clk: clk,
		svc: &station.Service{DB: d, Audit: log, Seal: testutil.Keyring(t), Now: clk.Now},
		org: &org.Service{DB: d, Audit: log, Now: clk.Now}}
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
	u, err := e.org.CreateUnit(e.ctx, e.admin, org.NewUnit{Kind: kind, Name: name, NameEn: name + " (en)", ParentID: parent.ID})
	if err != nil {
		e.t.Fatalf("CreateUnit %s: %v", name, err)
	}
	return u
}

// user creates an active account holding role at u.
func (e *env) user(role string, u *org.Unit) access.Principal {
	e.t.Helper()
	e.next++
	name := "station-staff-" + strconv.Itoa(e.next)
	var id int64
	e.exec(func(ctx context.Context, tx *db.Tx) error {
		var err error
		now := db.Micro(e.clk.Now())
		if id, err = tx.InsertID(ctx, `INSERT INTO users (username, display_name, password_hash, password_changed_at, created_at) VALUES (?, ?, 'x', ?, ?)`,
			name, role+" "+name, now, now); err != nil {
			return err
		}
		_, err = tx.Exec(ctx, `INSERT INTO memberships (user_id, org_unit_id, role, created_at) VALUES (?, ?, ?, ?)`, id, u.ID, role, now)
		return err
	})
	return access.Principal{UserID: id, Username: name, Memberships: []access.Membership{{OrgID: u.ID, OrgPath: u.Path, Role: role}}}
}

func (e *env) exec(fn func(ctx context.Context, tx *db.Tx) error) {
	e.t.Helper()
	if err := e.d.Tx(e.ctx, fn); err != nil {
		e.t.Fatal(err)
	}
}

// insert runs an INSERT and returns the new id.
func (e *env) insert(q string, args ...any) int64 {
	e.t.Helper()
	var id int64
	e.exec(func(ctx context.Context, tx *db.Tx) error {
		var err error
		id, err = tx.InsertID(ctx, q, args...)
		return err
	})
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

// contact is a contact row as the tests write it.
type contact struct {
	station    *org.Unit
	counsellor access.Principal
	channel    string
	state      string // "" is final
	callerType string // "" is child_self
	ageBand    string
	district   int64
	categories string
	risk       string
	profile    int64
	started    time.Time
}

func (e *env) contact(c contact) int64 {
	e.t.Helper()
	if c.state == "" {
		c.state = "final"
	}
	if c.callerType == "" {
		c.callerType = "child_self"
	}
	if c.channel == "" {
		c.channel = "phone"
	}
	if c.started.IsZero() {
		c.started = e.clk.Now().Add(-48 * time.Hour)
	}
	fin := int64(0)
	if c.state == "final" {
		fin = db.Micro(c.started.Add(20 * time.Minute))
	}
	return e.insert(`INSERT INTO contacts (station_id, channel, state, counsellor_id, author_id, started_at, ended_at, caller_type, age_band,
		district_id, categories, risk_level, profile_id, updated_at, finalised_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		c.station.ID, c.channel, c.state, c.counsellor.UserID, c.counsellor.UserID, db.Micro(c.started), fin, c.callerType, c.ageBand,
		c.district, c.categories, c.risk, c.profile, db.Micro(c.started), fin)
}

func wantCode(t *testing.T, what string, err error, code apperr.Code) {
	t.Helper()
	if got := apperr.CodeOf(err); got != code {
		t.Errorf("%s: code %q (%v), want %q", what, got, err, code)
	}
}

func wantMessage(t *testing.T, what string, err error, msg string) {
	t.Helper()
	if got := apperr.MessageOf(err); got != msg {
		t.Errorf("%s: message %q (%v), want %q", what, got, err, msg)
	}
}

func timeHours(n int) time.Duration { return time.Duration(n) * time.Hour }
