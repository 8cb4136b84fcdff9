package org_test

import (
	"context"
	"strconv"
	"testing"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/testutil"
)

// env is a migrated database with an org service, a root unit and a
// sysadmin at the root. It tracks how many audit entries there should be.
type env struct {
	t      *testing.T
	ctx    context.Context
	d      *db.DB
	s      *org.Service
	root   *org.Unit
	admin  access.Principal
	audits int // audit entries expected so far
}

func newEnv(t *testing.T) *env {
	t.Helper()
	d := testutil.DB(t)
	l, err := audit.New("sha256", nil)
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: context.Background(), d: d, s: &org.Service{DB: d, Audit: l}}
	e.root, err = e.s.CreateRoot(e.ctx, "上海市", "Shanghai")
	if err != nil {
		t.Fatalf("CreateRoot: %v", err)
	}
	e.audits = 1
	e.admin = principal(1, access.SysAdmin, e.root)
	return e
}

func principal(userID int64, role string, home *org.Unit) access.Principal {
	return access.Principal{UserID: userID, Memberships: []access.Membership{{OrgID: home.ID, OrgPath: home.Path, Role: role}}}
}

// create adds a unit as the root sysadmin and checks its audit entry.
func (e *env) create(kind org.Kind, name string, parent *org.Unit) *org.Unit {
	e.t.Helper()
	u, err := e.s.CreateUnit(e.ctx, e.admin, org.NewUnit{Kind: kind, Name: name, ParentID: parent.ID})
	if err != nil {
		e.t.Fatalf("CreateUnit %s %q under %d: %v", kind, name, parent.ID, err)
	}
	e.wrote("org.create", u.ID, e.admin.UserID)
	return u
}

// get reloads a unit as the root sysadmin.
func (e *env) get(id int64) *org.Unit {
	e.t.Helper()
	u, err := e.s.FindUnitByID(e.ctx, e.admin, id)
	if err != nil {
		e.t.Fatalf("FindUnitByID %d: %v", id, err)
	}
	return u
}

func (e *env) count(q string, args ...any) int {
	e.t.Helper()
	var n int
	err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, q, args...).Scan(&n)
	})
	if err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return n
}

// wrote asserts that exactly one more audit entry exists, and that the
// newest one records action on unit id by actor.
func (e *env) wrote(action string, id, actor int64) {
	e.t.Helper()
	e.audits++
	e.checkAuditCount()
	var gotAction, gotObject, gotType, outcome string
	var gotActor int64
	err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT action, object_type, object_id, actor_user_id, outcome FROM audit_log
			ORDER BY seq DESC LIMIT 1`).Scan(&gotAction, &gotType, &gotObject, &gotActor, &outcome)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	if gotAction != action || gotType != "org_unit" || gotObject != strconv.FormatInt(id, 10) || gotActor != actor || outcome != audit.Success {
		e.t.Errorf("last audit entry = %s %s/%s by %d (%s), want %s org_unit/%d by %d (success)",
			gotAction, gotType, gotObject, gotActor, outcome, action, id, actor)
	}
}

// checkAuditCount asserts that no write went unaudited and no refused write
// left an entry.
func (e *env) checkAuditCount() {
	e.t.Helper()
	if n := e.count(`SELECT COUNT(*) FROM audit_log`); n != e.audits {
		e.t.Errorf("audit_log has %d entries, want %d", n, e.audits)
	}
}

// verifyAudit runs the chain check over everything written so far.
func (e *env) verifyAudit() {
	e.t.Helper()
	e.checkAuditCount()
	n, p, err := audit.Verify(e.ctx, e.d)
	if err != nil || p != nil {
		e.t.Fatalf("audit.Verify: problem %v, err %v", p, err)
	}
	if n != int64(e.audits) {
		e.t.Errorf("audit.Verify counted %d entries, want %d", n, e.audits)
	}
}

// checkTree asserts the materialized-path invariant for every unit, computed
// from parent links: path = parent's path + id + "/", depth = parent's + 1.
func (e *env) checkTree() {
	e.t.Helper()
	type node struct {
		parent int64
		path   string
		depth  int
	}
	nodes := map[int64]node{}
	err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT id, COALESCE(parent_id, 0), path, depth FROM org_units`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id int64
			var n node
			if err := rows.Scan(&id, &n.parent, &n.path, &n.depth); err != nil {
				return err
			}
			nodes[id] = n
		}
		return rows.Err()
	})
	if err != nil {
		e.t.Fatal(err)
	}
	var want func(id int64, hops int) (string, int)
	want = func(id int64, hops int) (string, int) {
		if hops > len(nodes) {
			e.t.Fatalf("cycle in parent links at unit %d", id)
		}
		n := nodes[id]
		if n.parent == 0 {
			return "/" + strconv.FormatInt(id, 10) + "/", 0
		}
		p, d := want(n.parent, hops+1)
		return p + strconv.FormatInt(id, 10) + "/", d + 1
	}
	for id, n := range nodes {
		p, d := want(id, 0)
		if n.path != p || n.depth != d {
			e.t.Errorf("unit %d: path %q depth %d, want %q depth %d (from parent links)", id, n.path, n.depth, p, d)
		}
	}
}

func wantCode(t *testing.T, what string, err error, code apperr.Code) {
	t.Helper()
	if got := apperr.CodeOf(err); got != code {
		t.Errorf("%s: got %v (code %q), want code %q", what, err, got, code)
	}
}

func ids(us []org.Unit) map[int64]bool {
	out := map[int64]bool{}
	for _, u := range us {
		out[u.ID] = true
	}
	return out
}

func sameIDs(t *testing.T, what string, got []org.Unit, want ...*org.Unit) {
	t.Helper()
	g := ids(got)
	ok := len(g) == len(want) && len(got) == len(want)
	for _, w := range want {
		ok = ok && g[w.ID]
	}
	if !ok {
		var gs, ws []int64
		for _, u := range got {
			gs = append(gs, u.ID)
		}
		for _, u := range want {
			ws = append(ws, u.ID)
		}
		t.Errorf("%s: got units %v, want %v", what, gs, ws)
	}
}
