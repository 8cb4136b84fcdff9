package crisis_test

import (
	"slices"
	"strconv"
	"testing"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/crisis"
	"github.com/careloop/careloop/internal/org"
)

// matrix counts the cells of an authorization matrix over a service: each
// cell is one principal trying one action on one object, expected allowed
// or denied from the role table and the org tree alone.
type matrix struct {
	t                                          *testing.T
	cells, allows, wantAllows, unexpAllow, bad int
}

// cell records one outcome. denied says whether err is the refusal the
// action gives (ENotFound or EForbidden unless the action says otherwise);
// any other error is a failure of the test's setup, reported as such.
func (m *matrix) cell(who, action string, want bool, err error, denied func(error) bool) {
	m.t.Helper()
	m.cells++
	if want {
		m.wantAllows++
	}
	got := err == nil
	if err != nil && !denied(err) {
		m.bad++
		m.t.Errorf("%s %s: unexpected error %v (want allowed=%v)", who, action, err, want)
		return
	}
	if got {
		m.allows++
	}
	switch {
	case got && !want:
		m.unexpAllow++
		m.t.Errorf("UNEXPECTED ALLOW: %s %s", who, action)
	case !got && want:
		m.bad++
		m.t.Errorf("unexpected deny: %s %s: %v", who, action, err)
	}
}

func (m *matrix) report(name string) {
	m.t.Logf("%s matrix: %d cells, %d allowed (expected %d), %d unexpected allows, %d unexpected denies or errors",
		name, m.cells, m.allows, m.wantAllows, m.unexpAllow, m.bad)
}

func refused(err error) bool {
	c := apperr.CodeOf(err)
	return c == apperr.ENotFound || c == apperr.EForbidden
}

// found turns a list's membership test into a cell outcome.
func found(ok bool, err error) error {
	if err == nil && !ok {
		return apperr.NotFound()
	}
	return err
}

// tree answers "is unit u at or below home" from parent links, not paths.
type tree map[int64]int64

func (tr tree) within(u, home *org.Unit) bool {
	for id := u.ID; id != 0; id = tr[id] {
		if id == home.ID {
			return true
		}
	}
	return false
}

// holds: role holds perm at home, through v, and home covers u.
func (tr tree) holds(v variant, role string, home *org.Unit, perm access.Permission, u *org.Unit) bool {
	return u != nil && v.can(role, perm) && tr.within(u, home)
}

// variant is how a user holding a role calls: interactively, or through an
// API token whose scopes leave out every permission these services check.
type variant struct {
	name  string
	limit []access.Permission
}

var variants = []variant{{"", nil}, {" via token(org.read)", []access.Permission{access.OrgRead, access.TokenOwn}}}

// can: the role holds perm and the token, if any, lets it through.
func (v variant) can(role string, perm access.Permission) bool {
	return access.Has(role, perm) && (v.limit == nil || slices.Contains(v.limit, perm))
}

// crisisObj is one kind of incident in the matrix: its handling unit, the
// known child's school (nil: anonymous) and a way to make fresh ones.
type crisisObj struct {
	name   string
	unit   *org.Unit
	school *org.Unit
	shared int64                       // handed to police unit p1
	fresh  func(police bool) int64     // opened (false) or handed to p1 (true)
	pend   func() (id int64, st int64) // waiting for the co-signature of a police request
}

// TestAuthorizationMatrixCrisis extends the foundation's authorization
// matrix to crisis incidents: every role placed at every unit of the
// network tries every act on incidents of a school, of a station, and of a
// station about a known child of a school; the expectation comes from the
// role table and the parent links.
func TestAuthorizationMatrixCrisis(t *testing.T) {
	e := newEnv(t)
	counsellor := e.user(access.SchoolCounsellor, e.a)
	leader := e.user(access.SchoolLeader, e.a)
	hotline := e.user(access.HotlineCounsellor, e.s1)
	supervisor := e.user(access.HotlineSupervisor, e.s)
	coordX := e.user(access.Coordinator, e.x)
	both := access.Principal{UserID: coordX.UserID, Memberships: append(coordX.Memberships,
		access.Membership{OrgID: e.s1.ID, OrgPath: e.s1.Path, Role: access.HotlineCounsellor})}
	e.student(e.a, "MX-1")
	seq := 0
	openAt := func(p access.Principal, unit *org.Unit, known bool) int64 {
		seq++
		n := crisis.NewIncident{UnitID: unit.ID, Source: "duty", Details: crisis.Details{Location: "地点" + strconv.Itoa(seq)}}
		if known {
			n.StudentNo = "MX-1"
		}
		id, err := e.svc.Open(e.ctx, p, n)
		if err != nil {
			t.Fatalf("Open: %v", err)
		}
		return id
	}
	kind := func(name string, unit, school *org.Unit, opener, signer access.Principal) *crisisObj {
		o := &crisisObj{name: name, unit: unit, school: school}
		o.fresh = func(police bool) int64 {
			id := openAt(opener, unit, school != nil)
			if police {
				e.rescue(opener, signer, id, e.p1)
			}
			return id
		}
		o.pend = func() (int64, int64) {
			id := o.fresh(false)
			e.step(opener, id, crisis.StepInput{To: crisis.RescueNeeded})
			return id, e.step(opener, id, crisis.StepInput{To: crisis.PoliceRequested, PoliceUnitID: e.p1.ID})
		}
		o.shared = o.fresh(true)
		return o
	}
	objs := []*crisisObj{
		kind("school incident", e.a, e.a, counsellor, leader),
		kind("station incident", e.s1, nil, hotline, supervisor),
		kind("station incident about a school's child", e.s1, e.a, both, supervisor),
	}

	units := []*org.Unit{e.city, e.x, e.xCentre, e.y, e.a, e.b, e.s, e.s1, e.s2, e.p1, e.p2, e.hospital}
	tr := tree{}
	for _, u := range units {
		tr[u.ID] = u.ParentID
	}
	m := &matrix{t: t}
	type slot struct{ id, step int64 }
	fresh := map[string]int64{}  // object/action -> an incident not yet changed by an allowed act
	pending := map[string]slot{} // object -> an incident waiting for a co-signature
	for _, role := range access.RoleNames() {
		for _, home := range units {
			user := e.user(role, home)
			for _, v := range variants {
				if v.limit != nil && home != units[0] { // tokens at the root only: the widest reach
					continue
				}
				p := user
				p.Limit = v.limit
				who := role + "@" + home.Name + v.name
				has := func(perm access.Permission, u *org.Unit) bool { return tr.holds(v, role, home, perm, u) }
				for _, o := range objs {
					handle := has(access.CrisisHandle, o.unit) || has(access.CrisisHandle, o.school)
					view := handle || has(access.CrisisCosign, o.unit)
					police := has(access.CrisisPolice, e.p1)
					act := func(a string) string { return a + " " + o.name }

					if o.school == nil || o.unit == o.school { // opening an anonymous incident at the unit
						_, err := e.svc.Open(e.ctx, p, crisis.NewIncident{UnitID: o.unit.ID, Source: "duty"})
						m.cell(who, act("open"), has(access.CrisisHandle, o.unit), err, func(err error) bool {
							return refused(err) || apperr.FieldsOf(err)["unit"] == "crisis.bad_unit"
						})
					}
					_, err := e.svc.Find(e.ctx, p, o.shared)
					m.cell(who, act("read"), view, err, refused)
					l, err := e.svc.List(e.ctx, p, crisis.ListOpen, 500)
					m.cell(who, act("list"), view, found(slices.ContainsFunc(l, func(s crisis.Summary) bool { return s.ID == o.shared }), err), refused)
					err = e.svc.UpdateDetails(e.ctx, p, o.shared, crisis.Details{Location: who})
					m.cell(who, act("update details"), handle, err, refused)
					err = e.svc.RecordGuardian(e.ctx, p, o.shared, crisis.GuardianDecision{Notified: true})
					m.cell(who, act("record guardian decision"), handle, err, refused)

					key := o.name + "/step"
					if fresh[key] == 0 {
						fresh[key] = o.fresh(false)
					}
					_, err = e.svc.Advance(e.ctx, p, fresh[key], crisis.StepInput{To: crisis.Assessing})
					m.cell(who, act("step"), handle, err, refused)
					if err == nil {
						fresh[key] = 0
					}

					if pending[o.name].id == 0 {
						id, st := o.pend()
						pending[o.name] = slot{id, st}
					}
					ps := pending[o.name]
					err = e.svc.Cosign(e.ctx, p, ps.id, ps.step, crisis.Signed, "")
					m.cell(who, act("co-sign rescue"), has(access.CrisisCosign, o.unit), err, refused)
					if err == nil {
						pending[o.name] = slot{}
					}

					_, err = e.svc.PoliceFind(e.ctx, p, o.shared)
					m.cell(who, act("police view"), police, err, refused)
					pl, err := e.svc.PoliceList(e.ctx, p)
					m.cell(who, act("police list"), police, found(slices.ContainsFunc(pl, func(v crisis.PoliceView) bool { return v.ID == o.shared }), err), refused)
					key = o.name + "/police"
					if fresh[key] == 0 {
						fresh[key] = o.fresh(true)
					}
					_, err = e.svc.PoliceAdvance(e.ctx, p, fresh[key], crisis.StepInput{To: crisis.PoliceAcknowledged, PoliceRef: "110-" + strconv.Itoa(len(fresh))})
					m.cell(who, act("police step"), police, err, refused)
					if err == nil {
						fresh[key] = 0
					}
					// The police's own view of a rescue is not a handler's: no
					// police liaison records a handler's step (checked above
					// through "step"), and no handler uses the police's entry
					// on an incident handed to another unit (p2).
				}
			}
		}
	}
	m.report("crisis")
	if m.wantAllows == 0 || m.wantAllows == m.cells {
		t.Errorf("degenerate matrix: %d of %d cells allowed", m.wantAllows, m.cells)
	}
}
