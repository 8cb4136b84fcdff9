package outreach_test

import (
	"math/rand"
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/outreach"
	"github.com/careloop/careloop/internal/testutil"
)

// A bad activity is refused field by field, nothing is stored, and a unit
// or a venue out of the caller's reach is a field problem too.
func TestActivityValidation(t *testing.T) {
	e := newEnv(t)
	bad := outreach.NewActivity{Unit: e.a1.ID, Kind: "party", Title: "  ", Place: strings.Repeat("地", 201),
		Audiences: []string{"aliens"}, Attendance: -1, Series: strings.Repeat("栀", 101)}
	_, err := e.svc.CreateActivity(e.ctx, e.counsellorA1, bad)
	want := map[string]string{"kind": "outreach.kind_required", "title": "outreach.title_required", "starts_at": "outreach.date_required",
		"place": "outreach.place_long", "audiences": "outreach.audience_required", "attendance": "outreach.bad_attendance",
		"series": "outreach.series_long"}
	got := apperr.FieldsOf(err)
	for f, k := range want {
		if got[f] != k {
			t.Errorf("field %s: %q, want %q (%v)", f, got[f], k, err)
		}
	}
	ok := lecture(e.a1, "家长课堂", start, 40)
	ok.Attendance = outreach.MaxAttendance + 1
	if _, err := e.svc.CreateActivity(e.ctx, e.counsellorA1, ok); apperr.FieldsOf(err)["attendance"] == "" {
		t.Errorf("attendance over the bound: %v", err)
	}
	ok = lecture(e.b1, "家长课堂", start, 40)
	if _, err := e.svc.CreateActivity(e.ctx, e.counsellorA1, ok); apperr.FieldsOf(err)["unit"] != "outreach.bad_unit" {
		t.Errorf("another school's activity: %v", err)
	}
	venueB := e.venue(e.coordB, e.b1, "counselling_room", "黄岩中学心理辅导室")
	ok = lecture(e.a1, "家长课堂", start, 40)
	ok.VenueID = venueB
	if _, err := e.svc.CreateActivity(e.ctx, e.counsellorA1, ok); apperr.FieldsOf(err)["venue"] != "outreach.bad_venue" {
		t.Errorf("a venue out of scope: %v", err)
	}
	if n := e.num(`SELECT COUNT(*) FROM outreach_activities`); n != 0 {
		t.Errorf("%d activities stored from refused forms", n)
	}
	// A valid one, with a series made at first use and found at the second.
	ok.VenueID = e.venue(e.counsellorA1, e.a1, "counselling_room", "椒江一中心理辅导室")
	ok.Series = "栀子花讲堂"
	ok.Audiences = []string{"teachers", "aliens"}
	if _, err := e.svc.CreateActivity(e.ctx, e.counsellorA1, ok); apperr.FieldsOf(err)["audiences"] == "" {
		t.Errorf("an unknown audience among known ones: %v", err)
	}
	ok.Audiences = []string{"teachers", "parents", "parents"} // a repeat counts once
	id := e.activity(e.counsellorA1, ok)
	e.activity(e.counsellorA1, ok)
	if n := e.num(`SELECT COUNT(*) FROM outreach_series`); n != 1 {
		t.Errorf("%d series, want 1", n)
	}
	a, err := e.svc.FindActivity(e.ctx, e.counsellorA1, id)
	if err != nil {
		t.Fatal(err)
	}
	if a.Series != "栀子花讲堂" || a.VenueName != "椒江一中心理辅导室" || strings.Join(a.Audiences, " ") != "parents teachers" || a.Attendance != 40 {
		t.Errorf("activity read back: %+v", a)
	}
	// Attendance known afterwards.
	ok.Attendance = 52
	if err := e.svc.UpdateActivity(e.ctx, e.counsellorA1, id, ok); err != nil {
		t.Fatal(err)
	}
	if n := e.num(`SELECT attendance FROM outreach_activities WHERE id = ?`, id); n != 52 {
		t.Errorf("attendance %d after the update, want 52", n)
	}
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action IN ('outreach.activity_create', 'outreach.activity_update')`); n != 3 {
		t.Errorf("%d audit entries of activity writes, want 3", n)
	}
}

// Activities are seen and changed only within the caller's subtrees: a
// school's by its counsellor and its district's coordinator, never by the
// other district or by a community station next door.
func TestActivityScope(t *testing.T) {
	e := newEnv(t)
	id := e.activity(e.counsellorA1, lecture(e.a1, "心理健康月开幕式", start, 300))
	cases := []struct {
		who  string
		sees bool
	}{{"counsellor A1", true}, {"coordinator A", true}, {"coordinator B", false}, {"community A2", false}}
	for i, pr := range []access.Principal{e.counsellorA1, e.coordA, e.coordB, e.communityA2} {
		list, tot, err := e.svc.Activities(e.ctx, pr, outreach.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		if got := len(list) == 1 && tot.Activities == 1 && tot.PersonTimes == 300; got != cases[i].sees {
			t.Errorf("%s lists it: %v (%d, %+v)", cases[i].who, got, len(list), tot)
		}
		_, err = e.svc.FindActivity(e.ctx, pr, id)
		if (err == nil) != cases[i].sees || (err != nil && !testutil.Refused(err)) {
			t.Errorf("%s opens it: %v", cases[i].who, err)
		}
		err = e.svc.UpdateActivity(e.ctx, pr, id, lecture(e.a1, "改", start, 300))
		if cases[i].sees != (err == nil) || (err != nil && apperr.CodeOf(err) != apperr.ENotFound) {
			t.Errorf("%s changes it: %v", cases[i].who, err)
		}
	}
	if _, _, err := e.svc.Activities(e.ctx, e.user("head_teacher", e.a1), outreach.Filter{}); apperr.CodeOf(err) != apperr.EForbidden {
		t.Errorf("a head teacher lists activities: %v", err)
	}
}

// The list's totals (activities, person-times) reconcile with the rows
// as the test made them, for filters by unit, kind, series and period and
// for callers of different reach; the rows listed are the ones counted.
func TestListTotalsReconcile(t *testing.T) {
	e := newEnv(t)
	type made struct {
		unit   *org.Unit
		kind   string
		series string
		at     time.Time
		att    int64
	}
	rng := rand.New(rand.NewSource(7))
	units := []*org.Unit{e.a1, e.a2, e.distA, e.b1, e.distB}
	var all []made
	seriesIDs := map[string]int64{}
	for i := 0; i < 120; i++ {
		m := made{unit: units[rng.Intn(len(units))], kind: outreach.Kinds[rng.Intn(len(outreach.Kinds))],
			at: start.AddDate(0, rng.Intn(5)-2, rng.Intn(28)), att: int64(rng.Intn(500))}
		if rng.Intn(3) == 0 {
			m.series = "系列" + itoa(int64(rng.Intn(2)))
		}
		p := e.coordA
		if m.unit == e.b1 || m.unit == e.distB {
			p = e.coordB
		}
		id := e.activity(p, outreach.NewActivity{Unit: m.unit.ID, Kind: m.kind, Title: "活动" + itoa(int64(i)), StartsAt: m.at,
			Audiences: []string{"public"}, Attendance: m.att, Series: m.series})
		if m.series != "" {
			seriesIDs[itoa(m.unit.ID)+m.series] = e.num(`SELECT series_id FROM outreach_activities WHERE id = ?`, id)
		}
		all = append(all, m)
	}
	tr := testutil.Tree{}
	for _, u := range append(units, e.city) {
		tr[u.ID] = u.ParentID
	}
	nov := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	filters := []struct {
		name string
		f    outreach.Filter
		keep func(m made) bool
	}{
		{"all", outreach.Filter{}, func(made) bool { return true }},
		{"district A", outreach.Filter{Unit: e.distA.ID}, func(m made) bool { return tr.Within(m.unit, e.distA) }},
		{"school A1", outreach.Filter{Unit: e.a1.ID}, func(m made) bool { return m.unit == e.a1 }},
		{"lectures", outreach.Filter{Kind: "lecture"}, func(m made) bool { return m.kind == "lecture" }},
		{"November", outreach.Filter{From: nov, To: nov.AddDate(0, 1, 0)}, func(m made) bool { return !m.at.Before(nov) && m.at.Before(nov.AddDate(0, 1, 0)) }},
		{"A1's series 1", outreach.Filter{SeriesID: seriesIDs[itoa(e.a1.ID)+"系列1"]}, func(m made) bool { return m.unit == e.a1 && m.series == "系列1" }},
		{"district A parent lectures in autumn", outreach.Filter{Unit: e.distA.ID, Kind: "parent_class", From: nov.AddDate(0, -2, 0), To: nov.AddDate(0, 2, 0)},
			func(m made) bool {
				return tr.Within(m.unit, e.distA) && m.kind == "parent_class" && !m.at.Before(nov.AddDate(0, -2, 0)) && m.at.Before(nov.AddDate(0, 2, 0))
			}},
	}
	callers := []struct {
		name string
		home *org.Unit
	}{{"coordinator A", e.distA}, {"coordinator B", e.distB}, {"counsellor A1", e.a1}, {"city coordinator", e.city}}
	checked := 0
	for _, c := range callers {
		p := e.user("coordinator", c.home)
		if c.name == "counsellor A1" {
			p = e.counsellorA1
		}
		for _, f := range filters {
			var want outreach.Totals
			for _, m := range all {
				if tr.Within(m.unit, c.home) && f.keep(m) {
					want.Activities++
					want.PersonTimes += m.att
				}
			}
			list, got, err := e.svc.Activities(e.ctx, p, f.f)
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("%s, %s: totals %+v, want %+v", c.name, f.name, got, want)
			}
			var sum int64
			for i, a := range list {
				sum += a.Attendance
				if i > 0 && a.StartsAt.Before(list[i-1].StartsAt) {
					t.Errorf("%s, %s: not in date order", c.name, f.name)
				}
			}
			if int64(len(list)) != got.Activities || sum != got.PersonTimes {
				t.Errorf("%s, %s: %d rows summing %d, totals %+v", c.name, f.name, len(list), sum, got)
			}
			if want.Activities > 0 {
				checked++
			}
		}
	}
	// Raw rows: the city's totals are the table's.
	city := e.user("coordinator", e.city)
	_, tot, _ := e.svc.Activities(e.ctx, city, outreach.Filter{})
	if raw := e.num(`SELECT COALESCE(SUM(attendance), 0) FROM outreach_activities`); tot.PersonTimes != raw || tot.Activities != 120 {
		t.Errorf("city totals %+v, raw person-times %d of 120 rows", tot, raw)
	}
	if checked < 20 {
		t.Errorf("only %d non-empty cells reconciled", checked)
	}
	t.Logf("reconciled %d filter × caller cells over 120 activities, %d person-times", checked, tot.PersonTimes)
}
