package stats_test

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/stats"
)

func caller(role string, u *org.Unit) access.Principal {
	return access.Principal{UserID: 77, Memberships: []access.Membership{{OrgID: u.ID, OrgPath: u.Path, Role: role}}}
}

// Who may read which dashboard, what they read (exact or rounded), the
// next level down, a school's grades and a grade's classes.
func TestDashboardScopeAndSuppression(t *testing.T) {
	w := newWorld(t)
	start := time.Date(2026, 4, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	w.generate(7, start)
	q2 := stats.Quarter(2026, 2)
	if err := w.svc.Refresh(w.ctx, w.reg, q2); err != nil {
		t.Fatal(err)
	}
	var dist0, dist1, school *org.Unit
	for _, u := range w.units {
		switch {
		case u.Kind == org.District && dist0 == nil:
			dist0 = u
		case u.Kind == org.District:
			dist1 = u
		case u.Kind == org.School && school == nil:
			school = u
		}
	}
	coord := caller(access.Coordinator, dist0)
	d, err := w.svc.Dashboard(w.ctx, coord, w.reg, dist0.ID, q2, "")
	if err != nil {
		t.Fatal(err)
	}
	if !d.Exact || d.Up != 0 {
		t.Errorf("a district coordinator: exact %v, up %d (the city is not theirs)", d.Exact, d.Up)
	}
	for _, in := range w.reg.Counted() {
		if want := w.expect(in, dist0.ID, "", q2); d.Figures[in.ID].Value != float64(want) {
			t.Errorf("%s: the dashboard reads %v, want %d", in.ID, d.Figures[in.ID].Value, want)
		}
	}
	if len(d.Rows) != 4 { // three schools and a community station
		t.Errorf("%d rows under the district, want 4", len(d.Rows))
	}
	cov := d.Figures["screening_coverage"]
	if en, sc := w.expect(mustGet(t, w, "students_enrolled"), dist0.ID, "", q2), w.expect(mustGet(t, w, "students_screened"), dist0.ID, "", q2); en > 0 &&
		math.Abs(cov.Value-float64(sc)/float64(en)) > 1e-9 {
		t.Errorf("coverage %v, want %d/%d", cov.Value, sc, en)
	}
	if n := numOf(t, w, `SELECT COUNT(*) FROM audit_log WHERE action = 'stats.read'`); n != 1 {
		t.Errorf("%d audit entries for one read", n)
	}

	// A school leader reads their school rounded, by grade and by class.
	leader := caller(access.SchoolLeader, school)
	d, err = w.svc.Dashboard(w.ctx, leader, w.reg, school.ID, q2, "")
	if err != nil {
		t.Fatal(err)
	}
	if d.Exact {
		t.Error("a school leader reads exact counts")
	}
	for id, f := range d.Figures {
		in, _ := w.reg.Get(id)
		want := w.expect(in, school.ID, "", q2)
		if in.Protected() && !f.Hidden && !f.Withheld && int64(f.Value)%5 != 0 {
			t.Errorf("%s reads %v to a viewer without identities", id, f.Value)
		}
		if in.Protected() && want > 0 && want < 5 && !f.Hidden && !f.Withheld {
			t.Errorf("%s = %d is not hidden", id, want)
		}
		if in.Counted() && !in.Protected() && (f.Value != float64(want) || f.Hidden || f.Withheld) {
			t.Errorf("%s of the network or its staff reads %s, want exactly %d", id, f.Text(), want)
		}
	}
	if len(d.Rows) == 0 {
		t.Fatal("no grades at the school")
	}
	for _, r := range d.Rows {
		if r.Part == "" || r.Part[0] != 'g' || len(r.Part) > 3 {
			t.Errorf("a grade row has part %q", r.Part)
		}
	}
	grade := d.Rows[0].Part
	d, err = w.svc.Dashboard(w.ctx, leader, w.reg, school.ID, q2, grade)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Rows) != 0 {
		t.Errorf("a reader without record access reads %d classes of %s", len(d.Rows), grade)
	}
	counsellor := caller(access.SchoolCounsellor, school)
	d, err = w.svc.Dashboard(w.ctx, counsellor, w.reg, school.ID, q2, grade)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Rows) == 0 {
		t.Errorf("the school counsellor reads no classes of %s", grade)
	}
	for _, r := range d.Rows {
		if len(r.Part) <= len(grade) || r.Part[:len(grade)+1] != grade+"/" {
			t.Errorf("a class row of %s has part %q", grade, r.Part)
		}
	}

	refused := []struct {
		name string
		p    access.Principal
		unit int64
		part string
	}{
		{"another district's coordinator", caller(access.Coordinator, dist1), dist0.ID, ""},
		{"a hotline counsellor", caller(access.HotlineCounsellor, dist0), dist0.ID, ""},
		{"a head teacher", caller(access.HeadTeacher, school), school.ID, ""},
		{"a researcher", caller(access.Researcher, w.city), w.city.ID, ""},
		{"a part of a district", coord, dist0.ID, "g7"},
		{"a class as a part", leader, school.ID, "g7/1班"},
		{"no such unit", coord, 999999, ""},
	}
	for _, c := range refused {
		if _, err := w.svc.Dashboard(w.ctx, c.p, w.reg, c.unit, q2, c.part); apperr.CodeOf(err) != apperr.ENotFound {
			t.Errorf("%s: %v, want not found", c.name, err)
		}
	}
}

func mustGet(t *testing.T, w *world, id string) stats.Indicator {
	in, ok := w.reg.Get(id)
	if !ok {
		t.Fatalf("no indicator %s", id)
	}
	return in
}

func numOf(t *testing.T, w *world, q string) int64 {
	var n int64
	if err := w.d.Read(w.ctx, func(ctx context.Context, tx *db.Tx) error { return tx.QueryRow(ctx, q).Scan(&n) }); err != nil {
		t.Fatal(err)
	}
	return n
}

// A reader who sees the records of part of a unit is refused its rounded
// dashboard; figures of a period whose protection was never decided read
// as withheld until the refresh job decides it; figures about the network
// and its staff read exactly to everyone.
func TestRoundedReadersEdges(t *testing.T) {
	w := newWorld(t)
	start := time.Date(2026, 4, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	w.generate(9, start)
	may := stats.Month(2026, 5)
	if err := w.svc.Refresh(w.ctx, w.reg, may); err != nil {
		t.Fatal(err)
	}
	var dist, school *org.Unit
	for _, u := range w.units {
		if u.Kind == org.District && dist == nil {
			dist = u
		}
		if u.Kind == org.School && dist != nil && w.parent[u.ID] == dist.ID && school == nil {
			school = u
		}
	}
	mixed := access.Principal{UserID: 78, Memberships: []access.Membership{
		{OrgID: dist.ID, OrgPath: dist.Path, Role: access.SchoolLeader},
		{OrgID: school.ID, OrgPath: school.Path, Role: access.SchoolCounsellor}}}
	if _, err := w.svc.Dashboard(w.ctx, mixed, w.reg, dist.ID, may, ""); apperr.CodeOf(err) != apperr.EForbidden {
		t.Errorf("a reader of one school's records reads its district rounded: %v", err)
	}
	if d, err := w.svc.Dashboard(w.ctx, mixed, w.reg, school.ID, may, ""); err != nil || !d.Exact {
		t.Errorf("the same reader's own school: exact=%v, %v", d != nil && d.Exact, err)
	}

	leader := caller(access.SchoolLeader, dist)
	w.run(`UPDATE stat_periods SET protected_at = 0 WHERE period = ?`, may.String())
	d, err := w.svc.Dashboard(w.ctx, leader, w.reg, dist.ID, may, "")
	if err != nil {
		t.Fatal(err)
	}
	shown := 0
	for id, f := range d.Figures {
		in, _ := w.reg.Get(id)
		want := w.expect(in, dist.ID, "", may)
		switch {
		case in.Protected() && want != 0 && !f.Withheld:
			t.Errorf("unprotected period: %s reads %s", id, f.Text())
		case in.Counted() && !in.Protected() && f.Value != float64(want):
			t.Errorf("%s about the network reads %s, want %d", id, f.Text(), want)
		case in.Protected() && want >= stats.Small:
			shown++
		}
	}
	if shown == 0 {
		t.Fatal("no figure of 5 or more in the district: the check proves nothing")
	}
	w.svc.Now = func() time.Time { return time.Date(2026, 7, 20, 9, 0, 0, 0, time.UTC) }
	if err := w.svc.RefreshNow(w.ctx, w.reg); err != nil {
		t.Fatal(err)
	}
	if n := numOf(t, w, `SELECT COUNT(*) FROM stat_periods WHERE protected_at = 0`); n != 0 {
		t.Errorf("%d periods still unprotected after a refresh", n)
	}
	d, err = w.svc.Dashboard(w.ctx, leader, w.reg, dist.ID, may, "")
	if err != nil {
		t.Fatal(err)
	}
	visible := 0
	for _, f := range d.Figures {
		if f.Indicator.Protected() && !f.Withheld && f.Value > 0 {
			visible++
		}
	}
	if visible == 0 {
		t.Error("after the refresh every figure is still withheld")
	}
}
