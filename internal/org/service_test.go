package org_test

import (
	"context"
	"strconv"
	"strings"
	"testing"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/org"
)

func TestCreateRoot(t *testing.T) {
	e := newEnv(t)
	r := e.root
	if r.Kind != org.City || r.ParentID != 0 || r.Depth != 0 || !r.Active {
		t.Errorf("root = %+v, want an active city at depth 0 with no parent", r)
	}
	if r.Path != "/"+strconv.FormatInt(r.ID, 10)+"/" {
		t.Errorf("root path %q", r.Path)
	}
	if r.Name != "上海市" || r.NameEn != "Shanghai" {
		t.Errorf("root names %q / %q", r.Name, r.NameEn)
	}
	// Audited as the system (actor 0).
	e.audits--
	e.wrote("org.create", r.ID, 0)

	_, err := e.s.CreateRoot(e.ctx, "Another", "")
	wantCode(t, "second root", err, apperr.EConflict)
	if n := e.count(`SELECT COUNT(*) FROM org_units`); n != 1 {
		t.Errorf("%d units after a refused second root", n)
	}
	hist, err := e.s.History(e.ctx, e.admin, r.ID)
	if err != nil || len(hist) != 1 || hist[0].Change != "created" || hist[0].NewValue != "上海市" {
		t.Errorf("root history = %+v, %v", hist, err)
	}
	e.verifyAudit()
}

func TestCreateUnit(t *testing.T) {
	e := newEnv(t)
	dist, err := e.s.CreateUnit(e.ctx, e.admin, org.NewUnit{Kind: org.District, Name: "  黄浦区 ", NameEn: " Huangpu ", Code: " 310101 ", ParentID: e.root.ID})
	if err != nil {
		t.Fatal(err)
	}
	e.wrote("org.create", dist.ID, 1)
	if dist.Name != "黄浦区" || dist.NameEn != "Huangpu" || dist.Code != "310101" {
		t.Errorf("names not trimmed: %q %q %q", dist.Name, dist.NameEn, dist.Code)
	}
	if dist.ParentID != e.root.ID || dist.Depth != 1 || dist.Path != e.root.Path+strconv.FormatInt(dist.ID, 10)+"/" || !dist.Active {
		t.Errorf("district = %+v", dist)
	}
	school := e.create(org.School, "格致中学", dist)
	if school.Depth != 2 || school.Path != dist.Path+strconv.FormatInt(school.ID, 10)+"/" || school.ParentID != dist.ID {
		t.Errorf("school = %+v", school)
	}
	if got := e.get(school.ID); got.Path != school.Path || got.Name != "格致中学" || got.Kind != org.School {
		t.Errorf("reloaded school = %+v", got)
	}
	hist, err := e.s.History(e.ctx, e.admin, school.ID)
	if err != nil || len(hist) != 1 || hist[0].Change != "created" || hist[0].ActorUserID != 1 {
		t.Errorf("school history = %+v, %v", hist, err)
	}
	// 200 characters (not bytes) is the longest name.
	long := e.create(org.Agency, strings.Repeat("教", 200), e.root)
	if long.Name != strings.Repeat("教", 200) {
		t.Errorf("200-rune name was changed")
	}

	units := e.count(`SELECT COUNT(*) FROM org_units`)
	refused := []struct {
		name  string
		n     org.NewUnit
		code  apperr.Code
		field string
	}{
		{"empty name", org.NewUnit{Kind: org.School, Name: "   ", ParentID: dist.ID}, apperr.EInvalid, "name"},
		{"name of 201 runes", org.NewUnit{Kind: org.School, Name: strings.Repeat("教", 201), ParentID: dist.ID}, apperr.EInvalid, "name"},
		{"unknown kind", org.NewUnit{Kind: "castle", Name: "X", ParentID: dist.ID}, apperr.EInvalid, "kind"},
		{"school under the city", org.NewUnit{Kind: org.School, Name: "X", ParentID: e.root.ID}, apperr.EInvalid, "kind"},
		{"district under a district", org.NewUnit{Kind: org.District, Name: "X", ParentID: dist.ID}, apperr.EInvalid, "kind"},
		{"anything under a school", org.NewUnit{Kind: org.CommunityStation, Name: "X", ParentID: school.ID}, apperr.EInvalid, "kind"},
		{"second city", org.NewUnit{Kind: org.City, Name: "X", ParentID: e.root.ID}, apperr.EInvalid, "kind"},
		{"missing parent", org.NewUnit{Kind: org.District, Name: "X", ParentID: 987654}, apperr.ENotFound, ""},
		{"no parent", org.NewUnit{Kind: org.District, Name: "X"}, apperr.ENotFound, ""},
	}
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.s.CreateUnit(e.ctx, e.admin, tc.n)
			wantCode(t, tc.name, err, tc.code)
			if tc.field != "" {
				if _, ok := apperr.FieldsOf(err)[tc.field]; !ok {
					t.Errorf("error %v does not name field %q", err, tc.field)
				}
			}
		})
	}
	if n := e.count(`SELECT COUNT(*) FROM org_units`); n != units {
		t.Errorf("refused creations left %d units, want %d", n, units)
	}
	e.checkTree()
	e.verifyAudit()
}

// TestMayHold pins the kind rules that CreateUnit and MoveUnit enforce.
func TestMayHold(t *testing.T) {
	cases := []struct {
		parent, child org.Kind
		want          bool
	}{
		{org.City, org.District, true},
		{org.City, org.HotlineStation, true},
		{org.City, org.Police, true},
		{org.City, org.Hospital, true},
		{org.City, org.School, false},
		{org.City, org.City, false},
		{org.District, org.School, true},
		{org.District, org.CommunityStation, true},
		{org.District, org.District, false},
		{org.District, org.HotlineStation, false},
		{org.HotlineStation, org.HotlineStation, true},
		{org.HotlineStation, org.School, false},
		{org.School, org.School, false},
		{org.School, org.CommunityStation, false},
		{org.CommunityStation, org.School, false},
		{org.GuidanceCentre, org.School, false},
		{org.PracticeCentre, org.PracticeCentre, true},
	}
	for _, tc := range cases {
		if got := org.MayHold(tc.parent, tc.child); got != tc.want {
			t.Errorf("MayHold(%s, %s) = %v, want %v", tc.parent, tc.child, got, tc.want)
		}
	}
	for _, k := range org.Kinds {
		if !org.ValidKind(k) {
			t.Errorf("ValidKind(%s) = false", k)
		}
		if org.MayHold(k, org.City) {
			t.Errorf("%s may hold a city", k)
		}
	}
	if org.ValidKind("") || org.ValidKind("castle") {
		t.Error("ValidKind accepts unknown kinds")
	}
}

func TestRenameUnit(t *testing.T) {
	e := newEnv(t)
	dist := e.create(org.District, "卢湾区", e.root)
	school := e.create(org.School, "旧名中学", dist)

	u, err := e.s.RenameUnit(e.ctx, e.admin, school.ID, " 新名中学 ", "New Name School")
	if err != nil {
		t.Fatal(err)
	}
	e.wrote("org.rename", school.ID, 1)
	if u.Name != "新名中学" || u.NameEn != "New Name School" {
		t.Errorf("renamed unit = %q / %q", u.Name, u.NameEn)
	}
	if u.Path != school.Path || u.ParentID != dist.ID || u.Depth != school.Depth {
		t.Errorf("rename moved the unit: %+v", u)
	}
	if got := e.get(school.ID); got.Name != "新名中学" {
		t.Errorf("reloaded name %q", got.Name)
	}
	hist, err := e.s.History(e.ctx, e.admin, school.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(hist) != 2 || hist[1].Change != "renamed" {
		t.Fatalf("history = %+v", hist)
	}
	if !strings.Contains(hist[1].OldValue, "旧名中学") || !strings.Contains(hist[1].NewValue, "新名中学") ||
		!strings.Contains(hist[1].NewValue, "New Name School") || hist[1].ActorUserID != 1 {
		t.Errorf("rename history entry = %+v, want old name kept", hist[1])
	}
	// The old name no longer finds it; the new one does.
	if us, _ := e.s.FindUnits(e.ctx, e.admin, org.UnitFilter{Query: "旧名"}); len(us) != 0 {
		t.Errorf("old name still finds %d units", len(us))
	}
	if us, _ := e.s.FindUnits(e.ctx, e.admin, org.UnitFilter{Query: "新名"}); len(us) != 1 {
		t.Errorf("new name finds %d units", len(us))
	}

	_, err = e.s.RenameUnit(e.ctx, e.admin, school.ID, "  ", "")
	wantCode(t, "empty name", err, apperr.EInvalid)
	_, err = e.s.RenameUnit(e.ctx, e.admin, 987654, "X", "")
	wantCode(t, "missing unit", err, apperr.ENotFound)
	e.verifyAudit()
}

// TestMoveUnit moves a three-level subtree around and checks every
// descendant's path and depth against the parent links after each step.
func TestMoveUnit(t *testing.T) {
	e := newEnv(t)
	distA := e.create(org.District, "A区", e.root)
	pc := e.create(org.PracticeCentre, "实践中心", distA)
	pc1 := e.create(org.PracticeCentre, "实践站1", pc)
	pc1a := e.create(org.PracticeCentre, "实践点1a", pc1)
	schoolA := e.create(org.School, "A中学", distA)
	distB := e.create(org.District, "B区", e.root)
	// A sibling of pc whose id is pc's id followed by a zero, so that its
	// path "/r/a/<pc>0/" shares the prefix "/r/a/<pc>" with pc's subtree.
	var twin *org.Unit
	for twin == nil {
		u := e.create(org.Agency, "filler", distB)
		switch {
		case u.ID == pc.ID*10-1:
			twin = e.create(org.PracticeCentre, "孪生中心", distA)
		case u.ID >= pc.ID*10:
			t.Fatalf("ids are not sequential (got %d); cannot build the prefix twin", u.ID)
		}
	}
	if twin.ID != pc.ID*10 {
		t.Fatalf("twin id %d, want %d", twin.ID, pc.ID*10)
	}
	e.checkTree()

	move := func(u, to *org.Unit) *org.Unit {
		t.Helper()
		got, err := e.s.MoveUnit(e.ctx, e.admin, u.ID, to.ID)
		if err != nil {
			t.Fatalf("move %d under %d: %v", u.ID, to.ID, err)
		}
		e.wrote("org.move", u.ID, 1)
		if got.ParentID != to.ID || got.Path != to.Path+strconv.FormatInt(u.ID, 10)+"/" || got.Depth != to.Depth+1 {
			t.Errorf("moved unit = %+v, want under %+v", got, to)
		}
		e.checkTree()
		return got
	}
	// Sideways into the other district: same depths, new paths.
	move(pc, distB)
	if got := e.get(pc1a.ID); got.Path != distB.Path+strconv.FormatInt(pc.ID, 10)+"/"+strconv.FormatInt(pc1.ID, 10)+"/"+strconv.FormatInt(pc1a.ID, 10)+"/" || got.Depth != 4 {
		t.Errorf("grandchild after move = %q depth %d", got.Path, got.Depth)
	}
	for _, u := range []*org.Unit{twin, schoolA, distA} {
		if got := e.get(u.ID); got.Path != u.Path || got.Depth != u.Depth || got.ParentID != u.ParentID {
			t.Errorf("unit %d outside the moved subtree changed: %q -> %q", u.ID, u.Path, got.Path)
		}
	}
	// The moved subtree is now in B's scope and no longer in A's.
	inA, err := e.s.FindUnits(e.ctx, principal(2, access.SysAdmin, distA), org.UnitFilter{})
	if err != nil {
		t.Fatal(err)
	}
	sameIDs(t, "district A scope after move", inA, distA, schoolA, twin)
	inB, err := e.s.FindUnits(e.ctx, principal(3, access.SysAdmin, distB), org.UnitFilter{Kind: org.PracticeCentre})
	if err != nil {
		t.Fatal(err)
	}
	sameIDs(t, "district B practice centres after move", inB, pc, pc1, pc1a)

	// Up one level, to the city: every depth drops by one.
	move(pc, e.root)
	if got := e.get(pc1a.ID); got.Depth != 3 {
		t.Errorf("grandchild depth %d after moving up, want 3", got.Depth)
	}
	// Down two levels, under the twin whose path merely shares a prefix: not
	// a descendant, so allowed.
	move(pc, twin)
	if got := e.get(pc1a.ID); got.Depth != 5 {
		t.Errorf("grandchild depth %d after moving down, want 5", got.Depth)
	}
	// A school changes district.
	move(schoolA, distB)

	refused := []struct {
		name   string
		id, to int64
		code   apperr.Code
	}{
		{"into itself", pc.ID, pc.ID, apperr.EInvalid},
		{"into its child", pc.ID, pc1.ID, apperr.EInvalid},
		{"into its grandchild", pc.ID, pc1a.ID, apperr.EInvalid},
		{"district into its own descendant", distA.ID, pc1.ID, apperr.EInvalid},
		{"the root", e.root.ID, distA.ID, apperr.EInvalid},
		{"school under the city", schoolA.ID, e.root.ID, apperr.EInvalid},
		{"school under a practice centre", schoolA.ID, pc1.ID, apperr.EInvalid},
		{"district under a district", distA.ID, distB.ID, apperr.EInvalid},
		{"to a missing parent", pc.ID, 987654, apperr.ENotFound},
		{"a missing unit", 987654, distA.ID, apperr.ENotFound},
	}
	before := e.count(`SELECT COUNT(*) FROM org_units`)
	for _, tc := range refused {
		t.Run(tc.name, func(t *testing.T) {
			_, err := e.s.MoveUnit(e.ctx, e.admin, tc.id, tc.to)
			wantCode(t, tc.name, err, tc.code)
			e.checkAuditCount()
		})
	}
	if n := e.count(`SELECT COUNT(*) FROM org_units`); n != before {
		t.Errorf("unit count changed")
	}
	e.checkTree()
	if got := e.get(pc.ID); got.ParentID != twin.ID {
		t.Errorf("a refused move changed pc's parent to %d", got.ParentID)
	}
	hist, err := e.s.History(e.ctx, e.admin, pc.ID)
	if err != nil {
		t.Fatal(err)
	}
	var moves []string
	for _, c := range hist {
		if c.Change == "moved" {
			moves = append(moves, c.OldValue+">"+c.NewValue)
		}
	}
	id := func(u *org.Unit) string { return u.Name + " (#" + strconv.FormatInt(u.ID, 10) + ")" }
	want := []string{id(distA) + ">" + id(distB), id(distB) + ">" + id(e.root), id(e.root) + ">" + id(twin)}
	if strings.Join(moves, ",") != strings.Join(want, ",") {
		t.Errorf("move history %v, want %v", moves, want)
	}
	e.verifyAudit()
}

func TestSetUnitActive(t *testing.T) {
	e := newEnv(t)
	dist := e.create(org.District, "静安区", e.root)
	s1 := e.create(org.School, "静安一中", dist)
	s2 := e.create(org.School, "静安二中", dist)

	_, err := e.s.SetUnitActive(e.ctx, e.admin, dist.ID, false)
	wantCode(t, "deactivate with two active children", err, apperr.EInvalid)
	e.checkAuditCount()

	deactivate := func(u *org.Unit) {
		t.Helper()
		got, err := e.s.SetUnitActive(e.ctx, e.admin, u.ID, false)
		if err != nil {
			t.Fatalf("deactivate %d: %v", u.ID, err)
		}
		if got.Active {
			t.Errorf("unit %d still active", u.ID)
		}
		e.wrote("org.deactivated", u.ID, 1)
	}
	deactivate(s1)
	_, err = e.s.SetUnitActive(e.ctx, e.admin, dist.ID, false)
	wantCode(t, "deactivate with one active child", err, apperr.EInvalid)
	e.checkAuditCount()
	deactivate(s2)
	deactivate(dist)

	// Deactivating an inactive unit changes nothing and writes nothing.
	if u, err := e.s.SetUnitActive(e.ctx, e.admin, s1.ID, false); err != nil || u.Active {
		t.Errorf("repeat deactivate: %+v, %v", u, err)
	}
	e.checkAuditCount()

	all, err := e.s.FindUnits(e.ctx, e.admin, org.UnitFilter{})
	if err != nil {
		t.Fatal(err)
	}
	sameIDs(t, "FindUnits hides inactive", all, e.root)
	all, err = e.s.FindUnits(e.ctx, e.admin, org.UnitFilter{IncludeInactive: true})
	if err != nil {
		t.Fatal(err)
	}
	sameIDs(t, "FindUnits IncludeInactive", all, e.root, dist, s1, s2)
	if us, _ := e.s.FindUnits(e.ctx, e.admin, org.UnitFilter{Query: "静安"}); len(us) != 0 {
		t.Errorf("search finds %d inactive units", len(us))
	}
	// Inactive units are still readable by id (their records keep pointing at them).
	if u := e.get(s1.ID); u.Active {
		t.Errorf("FindUnitByID: s1 active")
	}
	_, err = e.s.CreateUnit(e.ctx, e.admin, org.NewUnit{Kind: org.School, Name: "新校", ParentID: dist.ID})
	wantCode(t, "create under an inactive unit", err, apperr.EInvalid)
	e.checkAuditCount()

	got, err := e.s.SetUnitActive(e.ctx, e.admin, dist.ID, true)
	if err != nil || !got.Active {
		t.Fatalf("reactivate: %+v, %v", got, err)
	}
	e.wrote("org.reactivated", dist.ID, 1)
	hist, err := e.s.History(e.ctx, e.admin, dist.ID)
	if err != nil {
		t.Fatal(err)
	}
	var changes []string
	for _, c := range hist {
		changes = append(changes, c.Change)
	}
	if strings.Join(changes, ",") != "created,deactivated,reactivated" {
		t.Errorf("history %v", changes)
	}
	_, err = e.s.SetUnitActive(e.ctx, e.admin, 987654, false)
	wantCode(t, "missing unit", err, apperr.ENotFound)
	e.verifyAudit()
}

// TestScopeIsolation: a principal scoped to one district can neither see nor
// manage another district's units, and is told they do not exist.
func TestScopeIsolation(t *testing.T) {
	e := newEnv(t)
	distA := e.create(org.District, "A区", e.root)
	schoolA := e.create(org.School, "A中学", distA)
	distB := e.create(org.District, "B区", e.root)
	schoolB := e.create(org.School, "B中学", distB)

	adminA := principal(2, access.SysAdmin, distA)    // manages district A
	coordA := principal(3, access.Coordinator, distA) // reads district A
	tokenA := adminA
	tokenA.Limit = []access.Permission{access.OrgRead} // an API token without org.manage
	var nobody access.Principal

	outside := []*org.Unit{e.root, distB, schoolB}
	for _, p := range []struct {
		name string
		p    access.Principal
	}{{"sysadmin at A", adminA}, {"coordinator at A", coordA}, {"read-only token at A", tokenA}, {"zero principal", nobody}} {
		t.Run(p.name, func(t *testing.T) {
			for _, u := range outside {
				what := func(op string) string { return op + " unit " + u.Name }
				_, err := e.s.FindUnitByID(e.ctx, p.p, u.ID)
				wantCode(t, what("FindUnitByID"), err, apperr.ENotFound)
				_, err = e.s.History(e.ctx, p.p, u.ID)
				wantCode(t, what("History"), err, apperr.ENotFound)
				_, err = e.s.RenameUnit(e.ctx, p.p, u.ID, "X", "")
				wantCode(t, what("RenameUnit"), err, apperr.ENotFound)
				_, err = e.s.SetUnitActive(e.ctx, p.p, u.ID, false)
				wantCode(t, what("SetUnitActive"), err, apperr.ENotFound)
				_, err = e.s.MoveUnit(e.ctx, p.p, u.ID, distA.ID)
				wantCode(t, what("MoveUnit from"), err, apperr.ENotFound)
			}
			_, err := e.s.CreateUnit(e.ctx, p.p, org.NewUnit{Kind: org.School, Name: "X", ParentID: distB.ID})
			wantCode(t, "CreateUnit under B", err, apperr.ENotFound)
			us, err := e.s.FindUnits(e.ctx, p.p, org.UnitFilter{ParentID: distB.ID, IncludeInactive: true})
			if err != nil || len(us) != 0 {
				t.Errorf("FindUnits children of B: %d units, %v", len(us), err)
			}
			us, err = e.s.FindUnits(e.ctx, p.p, org.UnitFilter{Query: "B", IncludeInactive: true})
			if err != nil || len(us) != 0 {
				t.Errorf("FindUnits query B: %d units, %v", len(us), err)
			}
			e.checkAuditCount()
		})
	}

	// What each may see: A's subtree for the A principals, nothing for nobody.
	for _, p := range []access.Principal{adminA, coordA, tokenA} {
		us, err := e.s.FindUnits(e.ctx, p, org.UnitFilter{IncludeInactive: true})
		if err != nil {
			t.Fatal(err)
		}
		sameIDs(t, "scope of district A", us, distA, schoolA)
		roots, err := e.s.Roots(e.ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		sameIDs(t, "roots of district A", roots, distA)
		anc, err := e.s.Ancestors(e.ctx, p, schoolA)
		if err != nil {
			t.Fatal(err)
		}
		sameIDs(t, "visible ancestors of school A", anc, distA)
	}
	if us, err := e.s.FindUnits(e.ctx, nobody, org.UnitFilter{IncludeInactive: true}); err != nil || len(us) != 0 {
		t.Errorf("zero principal sees %d units (%v)", len(us), err)
	}

	// Inside A, readers who cannot manage are refused with EForbidden.
	for _, p := range []access.Principal{coordA, tokenA} {
		_, err := e.s.RenameUnit(e.ctx, p, schoolA.ID, "X", "")
		wantCode(t, "rename inside read scope without org.manage", err, apperr.EForbidden)
		_, err = e.s.CreateUnit(e.ctx, p, org.NewUnit{Kind: org.School, Name: "X", ParentID: distA.ID})
		wantCode(t, "create inside read scope without org.manage", err, apperr.EForbidden)
	}
	// The district sysadmin may not move its school out of its scope, nor
	// touch the district's parent.
	_, err := e.s.MoveUnit(e.ctx, adminA, schoolA.ID, distB.ID)
	wantCode(t, "move A's school into B", err, apperr.ENotFound)
	_, err = e.s.CreateUnit(e.ctx, adminA, org.NewUnit{Kind: org.District, Name: "X", ParentID: e.root.ID})
	wantCode(t, "create under the city", err, apperr.ENotFound)
	e.checkAuditCount()

	// ...but manages its own district.
	if _, err := e.s.RenameUnit(e.ctx, adminA, schoolA.ID, "A实验中学", ""); err != nil {
		t.Fatal(err)
	}
	e.wrote("org.rename", schoolA.ID, 2)
	u, err := e.s.CreateUnit(e.ctx, adminA, org.NewUnit{Kind: org.CommunityStation, Name: "A辅导站", ParentID: distA.ID})
	if err != nil {
		t.Fatal(err)
	}
	e.wrote("org.create", u.ID, 2)
	// The audit entry names the membership the write was made through.
	var role string
	var orgID int64
	err = e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT actor_role, actor_org_id FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&role, &orgID)
	})
	if err != nil || role != access.SysAdmin || orgID != distA.ID {
		t.Errorf("audit actor = %q at %d (%v), want sysadmin at %d", role, orgID, err, distA.ID)
	}
	e.verifyAudit()
}

func TestFindUnits(t *testing.T) {
	e := newEnv(t)
	mk := func(kind org.Kind, name, nameEn, code string, parent *org.Unit) *org.Unit {
		u, err := e.s.CreateUnit(e.ctx, e.admin, org.NewUnit{Kind: kind, Name: name, NameEn: nameEn, Code: code, ParentID: parent.ID})
		if err != nil {
			t.Fatal(err)
		}
		e.wrote("org.create", u.ID, 1)
		return u
	}
	dA := mk(org.District, "徐汇区", "Xuhui District", "310104", e.root)
	dB := mk(org.District, "长宁区", "Changning District", "310105", e.root)
	s1 := mk(org.School, "徐汇第一中学", "Xuhui No.1 Middle School", "X-001", dA)
	s2 := mk(org.School, "徐汇实验小学", "Xuhui Experimental Primary", "X-002", dA)
	s3 := mk(org.School, "长宁第一中学", "Changning No.1 Middle School", "C-001", dB)
	st := mk(org.CommunityStation, "天平社区辅导站", "", "", dA)
	hot := mk(org.HotlineStation, "陶老师工作站", "Teacher Tao Hotline", "", e.root)

	cases := []struct {
		name string
		p    access.Principal
		f    org.UnitFilter
		want []*org.Unit
	}{
		{"everything", e.admin, org.UnitFilter{}, []*org.Unit{e.root, dA, dB, s1, s2, s3, st, hot}},
		{"chinese name fragment", e.admin, org.UnitFilter{Query: "第一中学"}, []*org.Unit{s1, s3}},
		{"english name, any case", e.admin, org.UnitFilter{Query: "MIDDLE school"}, []*org.Unit{s1, s3}},
		{"english name fragment", e.admin, org.UnitFilter{Query: "xuhui"}, []*org.Unit{dA, s1, s2}},
		{"exact code", e.admin, org.UnitFilter{Query: "X-002"}, []*org.Unit{s2}},
		{"code prefix is not a match", e.admin, org.UnitFilter{Query: "X-00"}, nil},
		{"query is trimmed", e.admin, org.UnitFilter{Query: "  陶老师 "}, []*org.Unit{hot}},
		{"no match", e.admin, org.UnitFilter{Query: "浦东"}, nil},
		{"kind", e.admin, org.UnitFilter{Kind: org.School}, []*org.Unit{s1, s2, s3}},
		{"kind and query", e.admin, org.UnitFilter{Kind: org.School, Query: "徐汇"}, []*org.Unit{s1, s2}},
		{"children", e.admin, org.UnitFilter{ParentID: dA.ID}, []*org.Unit{s1, s2, st}},
		{"limit", e.admin, org.UnitFilter{Limit: 2}, []*org.Unit{e.root, dA}},
		{"query within scope", principal(5, access.Coordinator, dB), org.UnitFilter{Query: "第一中学"}, []*org.Unit{s3}},
		{"scope of a school", principal(6, access.HeadTeacher, s1), org.UnitFilter{}, []*org.Unit{s1}},
		{"role without org.read", principal(7, access.Researcher, e.root), org.UnitFilter{}, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, err := e.s.FindUnits(e.ctx, tc.p, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			sameIDs(t, tc.name, got, tc.want...)
			for i := 1; i < len(got); i++ {
				if got[i-1].Path >= got[i].Path {
					t.Errorf("results not in path order: %q before %q", got[i-1].Path, got[i].Path)
				}
			}
		})
	}
	// Children counts are filled in by the list query.
	all, err := e.s.FindUnits(e.ctx, e.admin, org.UnitFilter{})
	if err != nil {
		t.Fatal(err)
	}
	wantChildren := map[int64]int{e.root.ID: 3, dA.ID: 3, dB.ID: 1, s1.ID: 0, hot.ID: 0}
	for _, u := range all {
		if w, ok := wantChildren[u.ID]; ok && u.Children != w {
			t.Errorf("unit %s has Children=%d, want %d", u.Name, u.Children, w)
		}
	}
	e.verifyAudit()
}
