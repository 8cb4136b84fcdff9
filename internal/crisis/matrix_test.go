package crisis_test

import (
	"slices"
	"strconv"
	"testing"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/crisis"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/testutil"
)

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
	tr := testutil.Tree{}
	for _, u := range units {
		tr[u.ID] = u.ParentID
	}
	m := &testutil.Matrix{T: t}
	type slot struct{ id, step int64 }
	fresh := map[string]int64{}  // object/action -> an incident not yet changed by an allowed act
	pending := map[string]slot{} // object -> an incident waiting for a co-signature
	for _, role := range access.RoleNames() {
		for _, home := range units {
			user := e.user(role, home)
			for _, v := range testutil.Variants {
				if v.Limit != nil && home != units[0] { // tokens at the root only: the widest reach
					continue
				}
				p := user
				p.Limit = v.Limit
				who := role + "@" + home.Name + v.Name
				has := func(perm access.Permission, u *org.Unit) bool { return tr.Holds(v, role, home, perm, u) }
				for _, o := range objs {
					handle := has(access.CrisisHandle, o.unit) || has(access.CrisisHandle, o.school)
					view := handle || has(access.CrisisCosign, o.unit)
					police := has(access.CrisisPolice, e.p1)
					act := func(a string) string { return a + " " + o.name }

					if o.school == nil || o.unit == o.school { // opening an anonymous incident at the unit
						_, err := e.svc.Open(e.ctx, p, crisis.NewIncident{UnitID: o.unit.ID, Source: "duty"})
						m.Cell(who, act("open"), has(access.CrisisHandle, o.unit), err, func(err error) bool {
							return testutil.Refused(err) || apperr.FieldsOf(err)["unit"] == "crisis.bad_unit"
						})
					}
					_, err := e.svc.Find(e.ctx, p, o.shared)
					m.Cell(who, act("read"), view, err, testutil.Refused)
					l, err := e.svc.List(e.ctx, p, crisis.ListOpen, 500)
					m.Cell(who, act("list"), view, testutil.Found(slices.ContainsFunc(l, func(s crisis.Summary) bool { return s.ID == o.shared }), err), testutil.Refused)
					err = e.svc.UpdateDetails(e.ctx, p, o.shared, crisis.Details{Location: who})
					m.Cell(who, act("update details"), handle, err, testutil.Refused)
					err = e.svc.RecordGuardian(e.ctx, p, o.shared, crisis.GuardianDecision{Notified: true})
					m.Cell(who, act("record guardian decision"), handle, err, testutil.Refused)

					key := o.name + "/step"
					if fresh[key] == 0 {
						fresh[key] = o.fresh(false)
					}
					_, err = e.svc.Advance(e.ctx, p, fresh[key], crisis.StepInput{To: crisis.Assessing})
					m.Cell(who, act("step"), handle, err, testutil.Refused)
					if err == nil {
						fresh[key] = 0
					}

					if pending[o.name].id == 0 {
						id, st := o.pend()
						pending[o.name] = slot{id, st}
					}
					ps := pending[o.name]
					err = e.svc.Cosign(e.ctx, p, ps.id, ps.step, crisis.Signed, "")
					m.Cell(who, act("co-sign rescue"), has(access.CrisisCosign, o.unit), err, testutil.Refused)
					if err == nil {
						pending[o.name] = slot{}
					}

					_, err = e.svc.PoliceFind(e.ctx, p, o.shared)
					m.Cell(who, act("police view"), police, err, testutil.Refused)
					pl, err := e.svc.PoliceList(e.ctx, p)
					m.Cell(who, act("police list"), police, testutil.Found(slices.ContainsFunc(pl, func(v crisis.PoliceView) bool { return v.ID == o.shared }), err), testutil.Refused)
					key = o.name + "/police"
					if fresh[key] == 0 {
						fresh[key] = o.fresh(true)
					}
					_, err = e.svc.PoliceAdvance(e.ctx, p, fresh[key], crisis.StepInput{To: crisis.PoliceAcknowledged, PoliceRef: "110-" + strconv.Itoa(len(fresh))})
					m.Cell(who, act("police step"), police, err, testutil.Refused)
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
	m.Report("crisis")
}
