package training_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/people"
	"github.com/careloop/careloop/internal/testutil"
	"github.com/careloop/careloop/internal/training"
)

// TestReportsReconcileWithRawRecords generates a network with random
// courses, sessions, enrolments and attendance through the service, then
// checks every figure of the reports (the city's, and each district's as
// its own coordinator sees it) against counts computed here, in Go, from
// what was generated.
func TestReportsReconcileWithRawRecords(t *testing.T) {
	seed := uint64(time.Now().UnixNano())
	t.Logf("seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 7))
	ctx := context.Background()
	d := testutil.DB(t)
	clk := testutil.NewClock(monday)
	log, err := audit.New("sha256", clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	keys := testutil.Keyring(t)
	svc := &training.Service{DB: d, Audit: log, Seal: keys, Now: clk.Now}
	orgs := &org.Service{DB: d, Audit: log, Now: clk.Now}
	ppl := &people.Service{DB: d, Audit: log, Seal: keys, Now: clk.Now}
	city, err := orgs.CreateRoot(ctx, "江海市", "Jianghai")
	if err != nil {
		t.Fatal(err)
	}
	admin := access.Principal{UserID: 900001, Memberships: []access.Membership{{OrgID: city.ID, OrgPath: city.Path, Role: access.SysAdmin}}}
	parent := map[int64]int64{}
	units := []*org.Unit{city}
	var districts []*org.Unit
	coords := map[int64]access.Principal{}
	n := 0
	staff := func(role string, at *org.Unit) access.Principal {
		n++
		return testutil.Staff(t, ctx, ppl, fmt.Sprintf("rec-%d", n), role, at)
	}
	type person struct {
		p    access.Principal
		unit *org.Unit
		role string
	}
	var persons []person
	coords[city.ID] = staff(access.Coordinator, city)
	persons = append(persons, person{coords[city.ID], city, access.Coordinator})
	for i := 0; i < 3; i++ {
		dist := testutil.Unit(t, ctx, orgs, admin, org.District, fmt.Sprintf("区%d", i), city)
		parent[dist.ID] = city.ID
		units, districts = append(units, dist), append(districts, dist)
		coords[dist.ID] = staff(access.Coordinator, dist)
		persons = append(persons, person{coords[dist.ID], dist, access.Coordinator})
		for j := 0; j < 2+rng.IntN(2); j++ {
			school := testutil.Unit(t, ctx, orgs, admin, org.School, fmt.Sprintf("区%d学校%d", i, j), dist)
			parent[school.ID] = dist.ID
			units = append(units, school)
			for k := 0; k < 1+rng.IntN(3); k++ {
				persons = append(persons, person{staff(access.HeadTeacher, school), school, access.HeadTeacher})
			}
			persons = append(persons, person{staff(access.SchoolCounsellor, school), school, access.SchoolCounsellor})
		}
	}
	within := func(u, anc int64) bool {
		for id := u; id != 0; id = parent[id] {
			if id == anc {
				return true
			}
		}
		return false
	}
	// manager of a unit: the coordinator of it or of the nearest unit above.
	manager := func(u int64) access.Principal {
		for id := u; id != 0; id = parent[id] {
			if p, ok := coords[id]; ok {
				return p
			}
		}
		t.Fatal("no manager")
		return access.Principal{}
	}
	type course struct {
		id       int64
		unit     int64
		required []string
	}
	type session struct {
		id, course, unit int64
		start            time.Time
	}
	type attendance struct {
		session  session
		user     int64
		unit     int64
		minutes  int64
		attended bool
	}
	var courses []course
	var atts []attendance
	roles := []string{access.HeadTeacher, access.SchoolCounsellor, access.Coordinator}
	for i := 0; i < 10; i++ {
		u := units[rng.IntN(len(units))]
		var req []string
		for _, r := range roles {
			if rng.IntN(3) == 0 {
				req = append(req, r)
			}
		}
		hours := float64(1+rng.IntN(8)) / 2
		id, err := svc.CreateCourse(ctx, manager(u.ID), training.NewCourse{UnitID: u.ID, Title: fmt.Sprintf("课程%d", i), Kind: "general",
			Hours: hours, RequiredFor: req})
		if err != nil {
			t.Fatal(err)
		}
		c := course{id, u.ID, req}
		courses = append(courses, c)
		for j := 0; j < 1+rng.IntN(4); j++ {
			start := monday.Add(time.Duration(rng.IntN(90*24)-45*24) * time.Hour)
			sessHours := 0.0
			if rng.IntN(2) == 0 {
				sessHours = float64(1+rng.IntN(6)) / 2
			}
			mgr := manager(u.ID)
			sid, err := svc.ScheduleSession(ctx, mgr, training.NewSession{CourseID: id, StartsAt: start, EndsAt: start.Add(2 * time.Hour),
				Place: "会议室", Capacity: 100, Hours: sessHours})
			if err != nil {
				t.Fatal(err)
			}
			minutes := int64(hours * 60)
			if sessHours > 0 {
				minutes = int64(sessHours * 60)
			}
			s := session{sid, id, u.ID, start}
			clk.Set(start.Add(time.Minute))
			present := map[int64]bool{}
			for _, pr := range persons {
				if !within(pr.unit.ID, u.ID) || rng.IntN(2) != 0 {
					continue
				}
				if err := svc.Assign(ctx, mgr, sid, pr.p.Username); err != nil {
					t.Fatalf("Assign: %v", err)
				}
				here := rng.IntN(4) != 0
				present[pr.p.UserID] = here
				a := attendance{s, pr.p.UserID, pr.unit.ID, 0, here}
				if here {
					a.minutes = minutes
				}
				atts = append(atts, a)
			}
			if err := svc.SetAttendance(ctx, mgr, sid, present); err != nil {
				t.Fatalf("SetAttendance: %v", err)
			}
		}
	}
	clk.Set(monday.Add(60 * 24 * time.Hour))
	from, to := monday.Add(-30*24*time.Hour), monday.Add(20*24*time.Hour)
	inPeriod := func(t time.Time) bool { return !t.Before(from) && t.Before(to) }

	expect := func(unit int64, own bool) training.Figures {
		in := func(u int64) bool {
			if own {
				return u == unit
			}
			return within(u, unit)
		}
		var f training.Figures
		held := map[int64]bool{}
		people := map[int64]bool{}
		for _, a := range atts {
			if !a.attended || !inPeriod(a.session.start) {
				continue
			}
			if in(a.session.unit) {
				held[a.session.id] = true
			}
			if in(a.unit) {
				f.PersonTimes++
				f.Minutes += a.minutes
				people[a.user] = true
			}
		}
		f.Sessions, f.People = int64(len(held)), int64(len(people))
		return f
	}
	expectMissing := func(unit int64) map[[2]int64]bool {
		out := map[[2]int64]bool{}
		for _, c := range courses {
			for _, pr := range persons {
				if !within(pr.unit.ID, c.unit) || !within(pr.unit.ID, unit) {
					continue
				}
				needed := false
				for _, r := range c.required {
					needed = needed || r == pr.role
				}
				if !needed {
					continue
				}
				done := false
				for _, a := range atts {
					done = done || (a.attended && a.user == pr.p.UserID && a.session.course == c.id)
				}
				if !done {
					out[[2]int64{c.id, pr.p.UserID}] = true
				}
			}
		}
		return out
	}
	checked := 0
	for _, u := range append([]*org.Unit{city}, districts...) {
		caller := coords[u.ID]
		rep, err := svc.Report(ctx, caller, u.ID, from, to)
		if err != nil {
			t.Fatalf("Report %s: %v", u.Name, err)
		}
		rows := append(rep.Rows, rep.Total)
		for i, got := range rows {
			want := expect(got.Unit.ID, got.Own)
			if i == len(rows)-1 {
				want = expect(u.ID, false)
			}
			if got.Sessions != want.Sessions || got.PersonTimes != want.PersonTimes || got.People != want.People || got.Minutes != want.Minutes {
				t.Errorf("report of %s, row %s (own=%v): got sessions=%d person-times=%d people=%d minutes=%d; want %d %d %d %d",
					u.Name, got.Unit.Name, got.Own, got.Sessions, got.PersonTimes, got.People, got.Minutes,
					want.Sessions, want.PersonTimes, want.People, want.Minutes)
			}
			checked++
		}
		wantMissing := expectMissing(u.ID)
		gotMissing := map[[2]int64]bool{}
		for _, m := range rep.Missing {
			gotMissing[[2]int64{m.CourseID, m.UserID}] = true
		}
		if len(gotMissing) != len(rep.Missing) || len(gotMissing) != len(wantMissing) {
			t.Errorf("report of %s: %d missing (%d distinct), want %d", u.Name, len(rep.Missing), len(gotMissing), len(wantMissing))
		}
		for k := range wantMissing {
			if !gotMissing[k] {
				t.Errorf("report of %s: course %d person %d lacks the training but is not listed", u.Name, k[0], k[1])
			}
		}
		if u == city {
			t.Logf("city: %d sessions held, %d person-times, %d people, %.1f hours, %d missing a required training; %d attendance rows generated",
				rep.Total.Sessions, rep.Total.PersonTimes, rep.Total.People, float64(rep.Total.Minutes)/60, len(rep.Missing), len(atts))
		}
	}
	if checked < 10 {
		t.Fatalf("only %d rows checked", checked)
	}
	// Summaries agree with the raw records too.
	for _, pr := range persons {
		var minutes int64
		var count int
		for _, a := range atts {
			if a.user == pr.p.UserID && a.attended {
				minutes += a.minutes
				count++
			}
		}
		s, err := svc.Summary(ctx, pr.p, pr.p.UserID)
		if err != nil {
			t.Fatal(err)
		}
		if s.Sessions != count || s.Hours != float64(minutes)/60 {
			t.Errorf("summary of %s: %+v, want %d sessions %.2f hours", pr.p.Username, s, count, float64(minutes)/60)
		}
	}
}
