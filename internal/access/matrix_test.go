package access_test

import (
	"context"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/testutil"
)

// unit is a node of the test network. Ids are chosen so that paths share
// prefixes across subtrees: /1/2/ (district A) and /1/20/ (district B);
// /1/2/3/ (school A1) and /1/2/30/ (school A2); /1/5/ (hotline), /1/50/
// (police) and /1/500/ (hospital).
type unit struct {
	id, parent int64
	kind, name string
	path       string
}

var network = []unit{
	{id: 1, kind: "city", name: "root"},
	{id: 2, parent: 1, kind: "district", name: "districtA"},
	{id: 3, parent: 2, kind: "school", name: "schoolA1"},
	{id: 30, parent: 2, kind: "school", name: "schoolA2"},
	{id: 20, parent: 1, kind: "district", name: "districtB"},
	{id: 21, parent: 20, kind: "school", name: "schoolB1"},
	{id: 5, parent: 1, kind: "hotline_station", name: "hotline"},
	{id: 52, parent: 5, kind: "hotline_station", name: "hotlineBranch"},
	{id: 50, parent: 1, kind: "police", name: "police"},
	{id: 500, parent: 1, kind: "hospital", name: "hospital"},
}

// tree indexes the network and derives each unit's path from its parent
// links; the database gets these paths, the expectations use the links.
type tree struct {
	units  []unit
	byName map[string]*unit
	byID   map[int64]*unit
}

func newTree(t *testing.T) *tree {
	tr := &tree{units: append([]unit(nil), network...), byName: map[string]*unit{}, byID: map[int64]*unit{}}
	for i := range tr.units {
		u := &tr.units[i]
		tr.byName[u.name] = u
		tr.byID[u.id] = u
	}
	for i := range tr.units {
		u := &tr.units[i]
		path := ""
		for a := u; a != nil; a = tr.byID[a.parent] {
			path = "/" + strconv.FormatInt(a.id, 10) + path
		}
		u.path = path + "/"
	}
	if len(tr.byName) != len(tr.units) || len(tr.byID) != len(tr.units) {
		t.Fatal("network has duplicate names or ids")
	}
	return tr
}

// within reports whether u is home or below it, by walking parent links.
func (tr *tree) within(u, home *unit) bool {
	for a := u; a != nil; a = tr.byID[a.parent] {
		if a.id == home.id {
			return true
		}
	}
	return false
}

func (tr *tree) insert(t *testing.T, d *db.DB) {
	ctx := context.Background()
	now := db.Micro(time.Now())
	err := d.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		for _, u := range tr.units { // parents come before children in network
			var parent any
			if u.parent != 0 {
				parent = u.parent
			}
			depth := strings.Count(u.path, "/") - 2
			if _, err := tx.Exec(ctx, `INSERT INTO org_units (id, kind, name, parent_id, path, depth, created_at, updated_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, u.id, u.kind, u.name, parent, u.path, depth, now, now); err != nil {
				return fmt.Errorf("insert %s: %w", u.name, err)
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// homes says where each role is held in the matrix. A new role must be
// given a home here before the matrix passes.
var homes = map[string]string{
	access.SchoolCounsellor:  "schoolA1",
	access.HeadTeacher:       "schoolA1",
	access.SchoolLeader:      "schoolA1",
	access.CommunityWorker:   "districtA",
	access.Coordinator:       "districtA",
	access.HotlineCounsellor: "hotline",
	access.HotlineSupervisor: "hotline",
	access.TelephonyGateway:  "hotlineBranch",
	access.PoliceLiaison:     "police",
	access.HospitalLiaison:   "hospital",
	access.SysAdmin:          "root",
	access.SecurityAdmin:     "root",
	access.Auditor:           "root",
	access.Researcher:        "root",
}

type grant struct{ role, home string }

type matrixCase struct {
	name   string
	grants []grant
	limit  []access.Permission // nil: interactive session
}

// decision is one cell of the matrix, computed three ways.
type decision struct {
	expected, at, sql bool
}

// TestAuthorizationMatrix is the acceptance test: for every role, permission
// and unit, the in-memory check (At) and the SQL scope (Scope) agree with an
// expectation derived independently from the role table and the parent links.
func TestAuthorizationMatrix(t *testing.T) {
	tr := newTree(t)
	d := testutil.DB(t)
	tr.insert(t, d)
	ctx := context.Background()

	var cases []matrixCase
	for _, r := range access.RoleNames() {
		h, ok := homes[r]
		if !ok {
			t.Fatalf("role %q has no home unit in the matrix; add it to homes", r)
		}
		cases = append(cases, matrixCase{name: r, grants: []grant{{r, h}}})
	}
	// Principals with several memberships, and API tokens.
	cases = append(cases,
		matrixCase{name: "coordinator A + counsellor A1 (nested)", grants: []grant{{access.Coordinator, "districtA"}, {access.SchoolCounsellor, "schoolA1"}}},
		matrixCase{name: "coordinator A + coordinator B", grants: []grant{{access.Coordinator, "districtA"}, {access.Coordinator, "districtB"}}},
		matrixCase{name: "head teacher A1 + hotline counsellor", grants: []grant{{access.HeadTeacher, "schoolA1"}, {access.HotlineCounsellor, "hotline"}}},
		matrixCase{name: "head teacher A2 + sysadmin A", grants: []grant{{access.HeadTeacher, "schoolA2"}, {access.SysAdmin, "districtA"}}},
		matrixCase{name: "hotline counsellor at branch + police", grants: []grant{{access.HotlineCounsellor, "hotlineBranch"}, {access.PoliceLiaison, "police"}}},
		matrixCase{name: "coordinator A token org.read", grants: []grant{{access.Coordinator, "districtA"}}, limit: []access.Permission{access.OrgRead}},
		matrixCase{name: "sysadmin token record.read", grants: []grant{{access.SysAdmin, "root"}}, limit: []access.Permission{access.RecordRead, access.OrgManage}},
		matrixCase{name: "auditor empty token", grants: []grant{{access.Auditor, "root"}}, limit: []access.Permission{}},
	)

	perms := access.AllPermissions()
	// results[case][perm][unit]
	results := map[string]map[access.Permission]map[string]decision{}
	allows, cells, wrongAt, wrongSQL := 0, 0, 0, 0
	for ci, c := range cases {
		p := access.Principal{UserID: int64(100 + ci), Username: c.name, Limit: c.limit}
		for _, g := range c.grants {
			h := tr.byName[g.home]
			p.Memberships = append(p.Memberships, access.Membership{OrgID: h.id, OrgPath: h.path, Role: g.role})
		}
		results[c.name] = map[access.Permission]map[string]decision{}
		for _, perm := range perms {
			limited := c.limit != nil
			for _, l := range c.limit {
				if l == perm {
					limited = false
				}
			}
			// (2) the SQL scope, run against the database.
			where, args := p.Scope(perm, "path")
			inSQL := map[int64]bool{}
			err := d.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
				rows, err := tx.Query(ctx, `SELECT id FROM org_units WHERE `+where, args...)
				if err != nil {
					return err
				}
				defer rows.Close()
				for rows.Next() {
					var id int64
					if err := rows.Scan(&id); err != nil {
						return err
					}
					inSQL[id] = true
				}
				return rows.Err()
			})
			if err != nil {
				t.Fatalf("%s %s: %s: %v", c.name, perm, where, err)
			}
			results[c.name][perm] = map[string]decision{}
			anywhere := false
			for _, u := range tr.units {
				// The expectation: some membership's role holds perm and u is
				// in that membership's subtree, and no token limit excludes it.
				var dec decision
				for _, g := range c.grants {
					if access.Has(g.role, perm) && tr.within(&u, tr.byName[g.home]) && !limited {
						dec.expected = true
					}
				}
				// (1) the in-memory check.
				mm, ok := p.At(perm, u.path)
				dec.at = ok
				dec.sql = inSQL[u.id]
				if ok {
					if !access.Has(mm.Role, perm) || !tr.within(&u, tr.byID[mm.OrgID]) {
						t.Errorf("%s: At(%s, %s) granted through %+v, which does not cover it", c.name, perm, u.name, mm)
					}
				}
				results[c.name][perm][u.name] = dec
				cells++
				if dec.expected {
					allows++
					anywhere = true
				}
				if dec.at != dec.expected {
					wrongAt++
					t.Errorf("%s: At(%s, %s %s) = %v, want %v", c.name, perm, u.name, u.path, dec.at, dec.expected)
				}
				if dec.sql != dec.expected {
					wrongSQL++
					t.Errorf("%s: Scope(%s) includes %s %s = %v, want %v (where %s %v)", c.name, perm, u.name, u.path, dec.sql, dec.expected, where, args)
				}
			}
			if len(inSQL) > 0 && !anywhere {
				t.Errorf("%s: Scope(%s) returned rows where nothing is allowed", c.name, perm)
			}
			if can := p.Can(perm); can != anywhere {
				t.Errorf("%s: Can(%s) = %v, but allowed on %v units", c.name, perm, can, anywhere)
			}
		}
	}
	t.Logf("%d cells (%d principals x %d permissions x %d units): %d allowed, %d denied; unexpected At: %d, unexpected SQL: %d",
		cells, len(cases), len(perms), len(tr.units), allows, cells-allows, wrongAt, wrongSQL)

	// The number of allows, counted from the role table and subtree sizes
	// alone, for the single-role principals.
	wantAllows, gotAllows := 0, 0
	for _, r := range access.RoleNames() {
		size := 0
		for _, u := range tr.units {
			if tr.within(&u, tr.byName[homes[r]]) {
				size++
			}
		}
		wantAllows += len(access.Roles[r].Permissions) * size
		for _, perm := range perms {
			for _, dec := range results[r][perm] {
				if dec.at && dec.sql {
					gotAllows++
				}
			}
		}
	}
	if gotAllows != wantAllows {
		t.Errorf("single-role principals are allowed %d cells, the role table implies %d", gotAllows, wantAllows)
	}

	// Key facts, stated outright.
	cell := func(c string, perm access.Permission, u string) bool {
		d, ok := results[c][perm][u]
		if !ok {
			t.Fatalf("no result for %s %s %s", c, perm, u)
		}
		return d.at && d.sql
	}
	if cell(access.HeadTeacher, access.OrgRead, "schoolA2") {
		t.Error("head_teacher of school A1 can org.read school A2 (/1/2/30/ vs /1/2/3/)")
	}
	if !cell(access.HeadTeacher, access.OrgRead, "schoolA1") {
		t.Error("head_teacher cannot org.read its own school")
	}
	if cell(access.Coordinator, access.RecordRead, "districtB") || cell(access.Coordinator, access.RecordRead, "schoolB1") {
		t.Error("coordinator of district A reaches district B (/1/20/ vs /1/2/)")
	}
	if cell(access.HotlineCounsellor, access.OrgRead, "police") || cell(access.PoliceLiaison, access.OrgRead, "hospital") {
		t.Error("hotline (/1/5/) reaches police (/1/50/) or police reaches hospital (/1/500/)")
	}
	for _, u := range tr.units {
		for _, r := range []string{access.SysAdmin, access.SecurityAdmin} {
			if cell(r, access.RecordRead, u.name) || cell(r, access.RecordWrite, u.name) {
				t.Errorf("%s can read or write children's records at %s", r, u.name)
			}
		}
		for _, r := range access.RoleNames() {
			if r != access.Auditor && cell(r, access.AuditRead, u.name) {
				t.Errorf("%s has audit.read at %s; only the auditor may", r, u.name)
			}
		}
		if !cell(access.Auditor, access.AuditRead, u.name) {
			t.Errorf("auditor lacks audit.read at %s", u.name)
		}
		for _, perm := range perms {
			got := cell(access.Researcher, perm, u.name)
			if want := perm == access.ResearchExtract; got != want {
				t.Errorf("researcher %s at %s = %v, want %v", perm, u.name, got, want)
			}
		}
	}
	// The telephony gateway of a branch reports calls there and reads nothing.
	for _, u := range tr.units {
		if got, want := cell(access.TelephonyGateway, access.HotlineTelephony, u.name), u.name == "hotlineBranch"; got != want {
			t.Errorf("telephony_gateway hotline.telephony at %s = %v, want %v", u.name, got, want)
		}
		for _, perm := range []access.Permission{access.HotlineContact, access.HotlineSupervise, access.RecordRead, access.OrgRead} {
			if cell(access.TelephonyGateway, perm, u.name) {
				t.Errorf("telephony_gateway has %s at %s", perm, u.name)
			}
		}
	}
	// A token narrows, it never widens.
	for _, u := range tr.units {
		if cell("sysadmin token record.read", access.RecordRead, u.name) {
			t.Errorf("a sysadmin token listing record.read reads records at %s", u.name)
		}
	}
	if got := summary(results, cases, perms, tr); testing.Verbose() {
		t.Logf("allowed units per principal and permission:\n%s", got)
	}
}

// summary renders the matrix compactly for -v runs.
func summary(results map[string]map[access.Permission]map[string]decision, cases []matrixCase, perms []access.Permission, tr *tree) string {
	var b strings.Builder
	for _, c := range cases {
		for _, perm := range perms {
			var names []string
			for _, u := range tr.units {
				if results[c.name][perm][u.name].expected {
					names = append(names, u.name)
				}
			}
			if len(names) > 0 {
				sort.Strings(names)
				fmt.Fprintf(&b, "  %-45s %-18s %s\n", c.name, perm, strings.Join(names, ","))
			}
		}
	}
	return b.String()
}
