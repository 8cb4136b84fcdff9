package app

// Issue 8's "done when" on the demo network itself: the demo is loaded as
// `careloop serve --demo` loads it on a first start (open, then install),
// a month of activity is generated across its real units, students and
// staff through careloop's own services, and the briefings of the city and
// of Xuanwu District for that month must hold, figure by figure, what the
// generator counted of the records it made.
//
// Which month, and the demo's own records: the demo is dated around the
// wall clock (its activities, training sessions and screening answers lie
// between 30 days before and 24 days after the day it is loaded). The
// month here is the calendar month (China time) that starts three months
// after the current one, and every service runs on a test clock standing
// in it, so the demo has no flow in the month: the test checks that too,
// with a briefing drafted before the month's activity, whose flows must
// all be zero. The demo's stocks do stand at the month's end (students,
// tiers, registry and certifications, venues, schools and stations); they
// are counted here independently: students and units from the demo's own
// tables in Go (demoSchools, demoNetwork) and the student list, tiers,
// registry and venues through the services' audited lists, never from the
// rollups. Besides the demo's accounts, the month adds one: the station's
// PBX (a telephony_gateway account, as `careloop user add` makes it).

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/care"
	"github.com/careloop/careloop/internal/config"
	"github.com/careloop/careloop/internal/crisis"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/hotline"
	"github.com/careloop/careloop/internal/hotline/letter"
	"github.com/careloop/careloop/internal/hotline/phone"
	"github.com/careloop/careloop/internal/hotline/taxonomy"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/outreach"
	"github.com/careloop/careloop/internal/people"
	"github.com/careloop/careloop/internal/referral"
	"github.com/careloop/careloop/internal/screening"
	"github.com/careloop/careloop/internal/stats"
	"github.com/careloop/careloop/internal/student"
	"github.com/careloop/careloop/internal/testutil"
	"github.com/careloop/careloop/internal/training"
	"github.com/careloop/careloop/internal/warning"
	"github.com/careloop/careloop/internal/workforce"
)

// briefCST is China Standard Time, the zone of the statistics' periods.
var briefCST = time.FixedZone("CST", 8*3600)

const demoRootEn = "Nanjing (demo)"

// bFact is one thing a figure counts, as the generator knows it: the unit
// it belongs to, the person or thing it is about, the amount it adds, when
// it happened (or began) and, for a stock, when it ended.
type bFact struct {
	unit, subject, amount int64
	at, until             time.Time
}

// What the generator made, kept until the month's end; facts are derived
// from them when the figures are checked.
type (
	bTier struct {
		tier   string
		at     time.Time
		school int64
	}
	bAlert struct {
		id, student, school int64
		level               string        // as stored: a more severe later signal raises it
		due                 time.Duration // the acknowledgement deadline when raised
		raised, acked       time.Time
	}
	bCase struct {
		id, student, school int64
		opened, closed      time.Time
	}
	bPerson struct {
		id, unit int64
		kind     string
		active   bool
		created  time.Time
		certs    []*bCert
	}
	bCert struct {
		id                     int64
		level                  string
		issued, expires, ended time.Time
	}
	bVenue struct {
		id, unit int64
		kind     string
		active   bool
		created  time.Time
	}
	bIncident struct {
		id, unit             int64
		opened, safe, closed time.Time
		police               bool
	}
	bReferral struct {
		id, from           int64
		sent, seen, closed time.Time
		feedback           bool // closed after the hospital's feedback
	}
	bActivity struct {
		id, unit   int64
		kind       string
		at         time.Time
		attendance int64
	}
	bTraining struct {
		id, courseUnit int64
		starts         time.Time
		minutes        int64
		present        map[int64]int64 // user → the unit they were enrolled under
	}
)

// bSchool is a demo school as the generator uses it.
type bSchool struct {
	id                        int64
	en                        string
	handler, signer, reporter string // usernames: who handles alerts and cases, signs off closing, reports concerns
	screened                  []student.Student
	spare                     []student.Student // neither screened here nor by the demo
	cases                     map[int]*bCase    // sitting index → case opened from its alert
	sittingDay                int
}

type bTask struct {
	at  time.Time
	seq int
	fn  func()
}

// demoWorld is the loaded demo, the clock, and everything the generator
// counted.
type demoWorld struct {
	t      *testing.T
	ctx    context.Context
	e      *env
	clk    *testutil.Clock
	month  stats.Period
	loaded time.Time
	ids    map[string]int64 // demo unit (English name) → id
	parent map[int64]int64  // by demoNetwork's shape
	name   map[int64]string
	who    map[string]access.Principal
	calls  int // calls of the services under test while generating

	facts      map[string][]bFact // counted as made
	tiers      map[int64]*bTier
	alerts     map[int64]*bAlert
	cases      []*bCase
	persons    []*bPerson
	venues     []*bVenue
	incidents  []*bIncident
	referrals  []*bReferral
	activities []*bActivity
	trainings  []*bTraining

	schools      []*bSchool
	demoScreened map[int64]bool
	campaign     int64
	todo         []*bTask
	seq          int
	late         int // tasks run after their time (an earlier task moved the clock past it)
}

func TestDemoBriefingFiguresReconcile(t *testing.T) {
	wall := time.Now()
	timing := map[string]time.Duration{}
	w := newDemoWorld(t)
	timing["1 load the demo (first start: open, install --demo)"] = time.Since(wall)

	mark := time.Now()
	w.tallyDemo()
	before := w.reconcile(false)
	timing["2 demo only: tally, refresh, draft and check"] = time.Since(mark)

	mark = time.Now()
	w.generate()
	w.run()
	timing["3 generate the month through the services"] = time.Since(mark)

	mark = time.Now()
	if err := w.e.stats.Refresh(w.ctx, w.e.reg, w.month); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	timing["4 refresh the month's rollups"] = time.Since(mark)
	mark = time.Now()
	after := w.reconcile(true)
	timing["5 refresh again, draft both briefings and check"] = time.Since(mark)

	var b strings.Builder
	fmt.Fprintf(&b, "engine %s; month %s; %d service calls generated the month (%d tasks waited for an earlier one)", w.e.db.Dialect,
		w.month, w.calls, w.late)
	fmt.Fprintf(&b, "\n  demo only: %d figures compared (city and Xuanwu District)", before)
	fmt.Fprintf(&b, "\n  after the month: %d figures compared (city and Xuanwu District)", after)
	var ks []string
	for k := range timing {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	for _, k := range ks {
		fmt.Fprintf(&b, "\n  time: %-52s %v", k, timing[k].Round(time.Millisecond))
	}
	fmt.Fprintf(&b, "\n  time: %-52s %v", "total", time.Since(wall).Round(time.Millisecond))
	t.Log(b.String())
}

// newDemoWorld starts careloop on an empty data folder as `careloop serve
// --demo` does (configuration, open, install), then puts every service on
// a clock standing in the month.
func newDemoWorld(t *testing.T) *demoWorld {
	t.Helper()
	ctx := context.Background()
	vars := map[string]string{"CARELOOP_DATA": t.TempDir(), "CARELOOP_DATABASE_URL": testutil.DatabaseURL(t), "CARELOOP_LOG_LEVEL": "warn"}
	cfg, _, err := config.Parse("serve", []string{"--demo"}, func(k string) string { return vars[k] }, io.Discard)
	if err != nil {
		t.Fatalf("config: %v", err)
	}
	e, err := open(ctx, cfg, io.Discard)
	if err != nil {
		t.Fatalf("open: %v", err)
	}
	t.Cleanup(e.Close)
	var out bytes.Buffer
	if err := install(ctx, e, &out); err != nil {
		t.Fatalf("install --demo: %v", err)
	}
	if !strings.Contains(out.String(), "careloop demo network loaded") {
		t.Fatalf("the demo was not loaded:\n%s", out.String())
	}
	w := &demoWorld{t: t, ctx: ctx, e: e, loaded: time.Now(), ids: map[string]int64{}, parent: map[int64]int64{}, name: map[int64]string{},
		who: map[string]access.Principal{}, facts: map[string][]bFact{}, tiers: map[int64]*bTier{}, alerts: map[int64]*bAlert{},
		demoScreened: map[int64]bool{}}
	now := time.Now().In(briefCST)
	first := time.Date(now.Year(), now.Month(), 1, 0, 0, 0, 0, briefCST).AddDate(0, 3, 0)
	w.month = stats.Month(first.Year(), int(first.Month()))
	w.clk = testutil.NewClock(w.month.Start.Add(8 * time.Hour))
	c := w.clk.Now
	e.org.Now, e.people.Now, e.student.Now, e.screen.Now, e.notify.Now = c, c, c, c, c
	e.warn.Now, e.care.Now, e.hotline.Now, e.chat.Now, e.wechat.Now, e.phone.Now = c, c, c, c, c, c
	e.letters.Now, e.station.Now, e.crisis.Now, e.refer.Now, e.sharing.Now = c, c, c, c, c
	e.workforce.Now, e.training.Now, e.outreach.Now, e.family.Now, e.research.Now, e.stats.Now, e.exports.Now = c, c, c, c, c, c, c
	w.network()
	return w
}

// network finds the demo's units by name and its accounts, and takes the
// units' parents from demoNetwork (the loader's own table).
func (w *demoWorld) network() {
	t := w.t
	var rootID int64
	var rootPath string
	if err := w.e.db.Read(w.ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT id, path FROM org_units WHERE parent_id IS NULL ORDER BY id LIMIT 1`).Scan(&rootID, &rootPath)
	}); err != nil {
		t.Fatal(err)
	}
	sys := access.Principal{UserID: -1, Memberships: []access.Membership{{OrgID: rootID, OrgPath: rootPath, Role: access.SysAdmin}}}
	units, err := w.e.org.FindUnits(w.ctx, sys, org.UnitFilter{Limit: 500})
	if err != nil {
		t.Fatal(err)
	}
	parentOf := map[int64]int64{}
	for _, u := range units {
		if u.NameEn == "" || w.ids[u.NameEn] != 0 {
			t.Fatalf("demo unit %q: no English name, or two of it", u.Name)
		}
		w.ids[u.NameEn], w.name[u.ID], parentOf[u.ID] = u.ID, u.NameEn, u.ParentID
	}
	if w.ids[demoRootEn] != rootID {
		t.Fatalf("the root is %d, %q is %d", rootID, demoRootEn, w.ids[demoRootEn])
	}
	var walk func(parent string, us []demoUnit)
	walk = func(parent string, us []demoUnit) {
		for _, u := range us {
			id := w.ids[u.en]
			if id == 0 {
				t.Fatalf("demo unit %q not found", u.en)
			}
			w.parent[id] = w.ids[parent]
			if parentOf[id] != w.ids[parent] {
				t.Errorf("%s is under %d, the demo's table says %s", u.en, parentOf[id], parent)
			}
			walk(u.en, u.children)
		}
	}
	walk(demoRootEn, demoNetwork)
	for _, a := range demoAccounts {
		unit := a.unit
		if a.username == "city.coord" {
			unit = demoRootEn // the city-wide coordinator role loadDemo grants
		}
		p, err := w.e.demoActor(w.ctx, w.ids, a.username, a.role, unit)
		if err != nil {
			t.Fatalf("demo account %s: %v", a.username, err)
		}
		w.who[a.username] = p
	}
}

// within reports whether unit u is top or under it, by the demo's table.
func (w *demoWorld) within(u, top int64) bool {
	for {
		if u == top {
			return true
		}
		p, ok := w.parent[u]
		if !ok {
			return false
		}
		u = p
	}
}

func (w *demoWorld) add(ind string, f bFact) { w.facts[ind] = append(w.facts[ind], f) }

func (w *demoWorld) now() time.Time { return w.clk.Now() }

// day is d days after the month's start, at h:m China time.
func (w *demoWorld) day(d, h, m int) time.Time {
	return w.month.Start.AddDate(0, 0, d).Add(time.Duration(h)*time.Hour + time.Duration(m)*time.Minute)
}

// must stops the test on an error of the code under test, with its fields.
func (w *demoWorld) must(what string, err error) {
	w.t.Helper()
	w.calls++
	if err != nil {
		w.t.Fatalf("%s at %s: %v %v", what, w.now().In(briefCST).Format("01-02 15:04"), err, apperr.FieldsOf(err))
	}
}

// at plans fn at t, inside the month.
func (w *demoWorld) at(t time.Time, fn func()) {
	w.t.Helper()
	if t.Before(w.now()) || !t.Before(w.month.End) {
		w.t.Fatalf("planned at %v: before the clock (%v) or after the month", t, w.now())
	}
	w.seq++
	w.todo = append(w.todo, &bTask{at: t, seq: w.seq, fn: fn})
}

// run does what is planned, in time order, moving the clock. A task
// planned inside a span an earlier task took (a call lasts a quarter of an
// hour) runs when that one ends; what it records is read from the clock.
func (w *demoWorld) run() {
	for len(w.todo) > 0 {
		i := 0
		for j, x := range w.todo {
			if x.at.Before(w.todo[i].at) || (x.at.Equal(w.todo[i].at) && x.seq < w.todo[i].seq) {
				i = j
			}
		}
		task := w.todo[i]
		w.todo = slices.Delete(w.todo, i, i+1)
		if task.at.Before(w.now()) {
			w.late++
		} else {
			w.clk.Set(task.at)
		}
		task.fn()
	}
	if !w.now().Before(w.month.End) {
		w.t.Fatalf("the month's activity ran past its end (%v)", w.now())
	}
}

// tallyDemo counts the demo's own stocks, and lists its students.
func (w *demoWorld) tallyDemo() {
	t, ctx, city := w.t, w.ctx, w.who["city.coord"]
	var walk func(us []demoUnit)
	walk = func(us []demoUnit) {
		for _, u := range us {
			id := w.ids[u.en]
			switch u.kind {
			case org.School:
				w.add("schools", bFact{unit: id, subject: id, amount: 1})
			case org.CommunityStation:
				w.add("community_stations", bFact{unit: id, subject: id, amount: 1})
			}
			walk(u.children)
		}
	}
	walk(demoNetwork)

	staff := map[string][3]string{ // school: handler, signer, reporter
		"Xuanwu Experimental Primary School": {"counsellor", "leader", "headteacher"},
		"Xuanwu No. 1 Middle School":         {"xuanwu.coord", "city.coord", "xuanwu.coord"},
		"Qinhuai Middle School":              {"city.coord", "", "city.coord"},
		"Gulou Senior High School":           {"city.coord", "", "city.coord"},
	}
	zh := map[string]string{}
	var names func(us []demoUnit)
	names = func(us []demoUnit) {
		for _, u := range us {
			zh[u.name] = u.en
			names(u.children)
		}
	}
	names(demoNetwork)
	for i, ds := range demoSchools {
		en := zh[ds.name]
		sc := &bSchool{id: w.ids[en], en: en, handler: staff[en][0], signer: staff[en][1], reporter: staff[en][2],
			cases: map[int]*bCase{}, sittingDay: 2 + i}
		roster, err := w.e.student.FindStudents(ctx, city, student.StudentFilter{SchoolID: sc.id, Limit: 1000})
		if err != nil {
			t.Fatal(err)
		}
		if want := (ds.last - ds.first + 1) * ds.cls * ds.perClass; len(roster) != want {
			t.Fatalf("%s has %d students, the demo files %d", en, len(roster), want)
		}
		sort.Slice(roster, func(i, j int) bool { return roster[i].ID < roster[j].ID })
		for _, st := range roster {
			w.add("students_enrolled", bFact{unit: sc.id, subject: st.ID, amount: 1, at: st.CreatedAt})
		}
		sc.spare = roster
		w.schools = append(w.schools, sc)
	}

	campaigns, err := w.e.screen.FindCampaigns(ctx, city)
	if err != nil || len(campaigns) != 1 {
		t.Fatalf("the demo's campaigns: %d, %v", len(campaigns), err)
	}
	tiers, err := w.e.screen.StudentsByTier(ctx, city, campaigns[0].ID)
	if err != nil || len(tiers) == 0 {
		t.Fatalf("the demo's screened students: %d, %v", len(tiers), err)
	}
	schoolOf := map[int64]int64{}
	for _, sc := range w.schools {
		for _, st := range sc.spare {
			schoolOf[st.ID] = sc.id
		}
	}
	for _, st := range tiers {
		w.demoScreened[st.StudentID] = true
		w.tiers[st.StudentID] = &bTier{tier: st.Tier, at: w.loaded, school: schoolOf[st.StudentID]}
	}

	reg, err := w.e.workforce.People(ctx, city, workforce.Filter{Inactive: true})
	if err != nil || len(reg) == 0 {
		t.Fatalf("the demo's registry: %d, %v", len(reg), err)
	}
	for _, p := range reg {
		bp := &bPerson{id: p.ID, unit: p.Unit.ID, kind: p.Kind, active: p.Active, created: p.CreatedAt}
		for _, c := range p.Certs {
			bp.certs = append(bp.certs, &bCert{id: c.ID, level: c.Level.Code, issued: c.Issued, expires: c.Expires, ended: c.EndedAt})
		}
		w.persons = append(w.persons, bp)
	}
	venues, err := w.e.outreach.Venues(ctx, city, outreach.VenueFilter{})
	if err != nil || len(venues) == 0 {
		t.Fatalf("the demo's venues: %d, %v", len(venues), err)
	}
	for _, v := range venues {
		w.venues = append(w.venues, &bVenue{id: v.ID, unit: v.Unit.ID, kind: v.Kind, active: v.Active, created: w.loaded})
	}
	if cs, err := w.e.care.FindCases(ctx, city, care.CaseFilter{Limit: 200}); err != nil || len(cs) != 0 {
		t.Fatalf("the demo opens %d cases (%v): count them here", len(cs), err)
	}
}

// allFacts is every fact counted: those recorded as made, and those of
// the records kept until the month's end.
func (w *demoWorld) allFacts() map[string][]bFact {
	out := map[string][]bFact{}
	for k, v := range w.facts {
		out[k] = slices.Clone(v)
	}
	add := func(ind string, f bFact) { out[ind] = append(out[ind], f) }
	for id, tr := range w.tiers {
		add("tier_"+tr.tier, bFact{unit: tr.school, subject: id, amount: 1, at: tr.at})
	}
	for _, a := range w.alerts {
		f := bFact{unit: a.school, subject: a.student, amount: 1, at: a.raised}
		add("alerts_raised", f)
		if a.level == "red" {
			add("alerts_red", f)
		}
		if !a.acked.IsZero() {
			add("alerts_acknowledged", f)
			if !a.acked.After(a.raised.Add(a.due)) {
				add("alerts_in_time", f)
			}
			add("alert_ack_minutes", bFact{unit: a.school, subject: a.student, amount: int64(a.acked.Sub(a.raised) / time.Minute), at: a.raised})
		}
	}
	for _, c := range w.cases {
		add("cases_open", bFact{unit: c.school, subject: c.student, amount: 1, at: c.opened, until: c.closed})
		add("cases_opened", bFact{unit: c.school, subject: c.student, amount: 1, at: c.opened})
	}
	for _, p := range w.persons {
		if !p.active {
			continue
		}
		if p.kind == workforce.KindTeacherFull {
			add("psych_teachers_full", bFact{unit: p.unit, subject: p.id, amount: 1, at: p.created})
		}
		for _, c := range p.certs {
			until := c.expires
			if !c.ended.IsZero() && c.ended.Before(c.expires) {
				until = c.ended
			}
			f := bFact{unit: p.unit, subject: p.id, amount: 1, at: c.issued, until: until}
			add("counsellors_certified", f)
			add("counsellors_"+c.level, f)
		}
	}
	for _, v := range w.venues {
		if v.active && (v.kind == "counselling_room" || v.kind == "youth_care_room") {
			add(v.kind+"s", bFact{unit: v.unit, subject: v.id, amount: 1, at: v.created})
		}
	}
	for _, i := range w.incidents {
		f := bFact{unit: i.unit, subject: i.id, amount: 1, at: i.opened}
		add("crises_opened", f)
		if i.police {
			add("crises_police", f)
		}
		if !i.safe.IsZero() {
			add("crises_safe", f)
		}
		if !i.closed.IsZero() {
			add("crises_closed", bFact{unit: i.unit, subject: i.id, amount: 1, at: i.closed})
		}
	}
	for _, r := range w.referrals {
		f := bFact{unit: r.from, subject: r.id, amount: 1, at: r.sent}
		add("referrals_sent", f)
		if !r.seen.IsZero() {
			add("referrals_seen", f)
			add("referral_visit_days", bFact{unit: r.from, subject: r.id, amount: int64(r.seen.Sub(r.sent) / (24 * time.Hour)), at: r.sent})
		}
		if !r.closed.IsZero() {
			c := bFact{unit: r.from, subject: r.id, amount: 1, at: r.closed}
			add("referrals_closed", c)
			if r.feedback {
				add("referrals_closed_feedback", c)
			}
		}
	}
	for _, a := range w.activities {
		add("activities", bFact{unit: a.unit, subject: a.id, amount: 1, at: a.at})
		add("activity_person_times", bFact{unit: a.unit, subject: a.id, amount: a.attendance, at: a.at})
		if a.kind == "parent_class" {
			add("parent_classes", bFact{unit: a.unit, subject: a.id, amount: 1, at: a.at})
		}
	}
	for _, s := range w.trainings {
		if len(s.present) > 0 {
			add("training_sessions", bFact{unit: s.courseUnit, subject: s.id, amount: 1, at: s.starts})
		}
		for user, unit := range s.present {
			f := bFact{unit: unit, subject: user, amount: 1, at: s.starts}
			add("training_person_times", f)
			add("training_people", f)
			f.amount = s.minutes
			add("training_minutes", f)
		}
	}
	return out
}

// expect counts an indicator over unit's subtree in the month from the
// facts, as the indicator defines it (flow or stock; sum or persons).
func (w *demoWorld) expect(facts map[string][]bFact, in stats.Indicator, unit int64) int64 {
	p := w.month
	var sum int64
	subjects := map[int64]bool{}
	for _, f := range facts[in.ID] {
		if in.Kind == "flow" && (f.at.Before(p.Start) || !f.at.Before(p.End)) {
			continue
		}
		if in.Kind == "stock" && (!f.at.Before(p.End) || (!f.until.IsZero() && f.until.Before(p.End))) {
			continue
		}
		if !w.within(f.unit, unit) {
			continue
		}
		sum += f.amount
		subjects[f.subject] = true
	}
	if in.Agg == "people" {
		return int64(len(subjects))
	}
	return sum
}

// reconcile refreshes the month, drafts the briefings of the city (by the
// city's coordinator) and of Xuanwu District (by its coordinator), both
// readers with record access, and checks every figure against the facts.
// After the month's activity (full) every figure of the briefing's
// sections must be nonzero in one of them; before it, every flow must be
// zero (the demo has no activity in the month). It returns how many
// figures were compared.
func (w *demoWorld) reconcile(full bool) int {
	t, reg := w.t, w.e.reg
	if err := w.e.stats.Refresh(w.ctx, reg, w.month); err != nil {
		t.Fatalf("Refresh: %v", err)
	}
	facts := w.allFacts()
	for ind := range facts {
		if in, ok := reg.Get(ind); !ok || in.Ratio != nil {
			t.Fatalf("the generator counts %q, which is no counted indicator", ind)
		}
	}
	tmpl, err := stats.BriefingSections()
	if err != nil {
		t.Fatal(err)
	}
	stage := "before the month's activity"
	if full {
		stage = "after the month's activity"
	}
	nonzero := map[string]bool{}
	compared := 0
	for _, r := range []struct{ reader, unit string }{{"city.coord", demoRootEn}, {"xuanwu.coord", "Xuanwu District"}} {
		p, unit := w.who[r.reader], w.ids[r.unit]
		id, err := w.e.stats.DraftBriefing(w.ctx, p, reg, unit, w.month, "zh-CN")
		if err != nil {
			t.Fatalf("DraftBriefing %s: %v", r.unit, err)
		}
		b, err := w.e.stats.Briefing(w.ctx, p, reg, id)
		if err != nil {
			t.Fatalf("Briefing %s: %v", r.unit, err)
		}
		if !b.Exact || b.Unit.ID != unit || b.Period.String() != w.month.String() {
			t.Fatalf("%s: the briefing reads exact=%v unit %d period %s", r.unit, b.Exact, b.Unit.ID, b.Period)
		}
		if len(b.Sections) != len(tmpl) {
			t.Errorf("%s: %d sections, the template has %d", r.unit, len(b.Sections), len(tmpl))
		}
		for _, sec := range b.Sections {
			for _, fid := range sec.Figures {
				if _, ok := b.Figures[fid]; !ok {
					t.Errorf("%s: section %s names %s, which the briefing does not hold", r.unit, sec.Key, fid)
				}
			}
		}
		for _, in := range reg.List {
			f, ok := b.Figures[in.ID]
			if !ok {
				t.Errorf("%s: the briefing lacks %s", r.unit, in.ID)
				continue
			}
			compared++
			if in.Ratio == nil {
				want := w.expect(facts, in, unit)
				if f.Value != float64(want) || f.Hidden || b.Raw[in.ID] != want {
					t.Errorf("%s, %s: %s reads %v (raw %d, hidden %v); the records made count %d", stage, r.unit, in.ID, f.Value,
						b.Raw[in.ID], f.Hidden, want)
				}
				if !full && in.Kind == "flow" && f.Value != 0 {
					t.Errorf("%s: the demo alone has %v of %s in %s, a month meant to be free of its activity", r.unit, f.Value, in.ID, w.month)
				}
			} else {
				num, _ := reg.Get(in.Ratio[0])
				den, _ := reg.Get(in.Ratio[1])
				n, d := w.expect(facts, num, unit), w.expect(facts, den, unit)
				switch {
				case d == 0 && !f.None:
					t.Errorf("%s, %s: %s reads %v; the records made have no %s", stage, r.unit, in.ID, f.Value, den.ID)
				case d != 0 && (f.None || f.Value != float64(n)/float64(d)):
					t.Errorf("%s, %s: %s reads %v (none %v); the records made give %d/%d", stage, r.unit, in.ID, f.Value, f.None, n, d)
				}
			}
			if f.Value != 0 && !f.None && !f.Hidden {
				nonzero[in.ID] = true
			}
		}
	}
	if full {
		shown := 0
		for _, sec := range tmpl {
			for _, fid := range sec.Figures {
				shown++
				if !nonzero[fid] {
					t.Errorf("%s is zero (or none) in both briefings: its check proves nothing", fid)
				}
			}
		}
		if shown < 40 {
			t.Errorf("the briefing template shows only %d figures", shown)
		}
	}
	return compared
}

// The PHQ-A sittings of a school, in order: the total, and whether item 9
// (thoughts of death or self-harm) is answered above 0. Totals are spread
// over items 1 to 8 (0 to 3 each); GAD-7 is answered 0 throughout.
var briefSittings = []struct {
	total int
	crit  bool
}{{11, false}, {0, false}, {16, false}, {3, true}, {6, false}, {13, false}, {21, false}, {2, false}, {12, true}, {8, false}}

// briefTier is the tier the PHQ-A bands give a sitting (docs/instruments.md:
// 0–4 green, 5–9 yellow, 10–14 orange, 15+ red; a critical answer is red).
func briefTier(total int, crit bool) string {
	switch {
	case crit || total >= 15:
		return "red"
	case total >= 10:
		return "orange"
	case total >= 5:
		return "yellow"
	}
	return "green"
}

// briefAlertLevel is the alert the default rules raise for a first
// sitting of a student without risk factors (docs/warning-rules.md):
// critical-answer red, depression-severe (PHQ-A ≥ 15) orange,
// depression-moderate (PHQ-A ≥ 10) yellow, else none.
func briefAlertLevel(total int, crit bool) string {
	switch {
	case crit:
		return "red"
	case total >= 15:
		return "orange"
	case total >= 10:
		return "yellow"
	}
	return ""
}

// briefAckWithin are the default acknowledgement deadlines.
var briefAckWithin = map[string]time.Duration{"red": 15 * time.Minute, "orange": 24 * time.Hour, "yellow": 7 * 24 * time.Hour}

var briefRank = map[string]int{"": 0, "yellow": 1, "orange": 2, "red": 3}

func phqAnswers(total int, crit bool) map[string]int {
	a := map[string]int{"9": 0}
	if crit {
		a["9"], total = 1, total-1
	}
	for i := 1; i <= 8; i++ {
		v := min(3, max(0, total))
		a[fmt.Sprint(i)], total = v, total-v
	}
	return a
}

// openAlert is the student's open alert, as the city's coordinator lists it.
func (w *demoWorld) openAlert(studentID int64) *warning.Alert {
	list, err := w.e.warn.FindAlerts(w.ctx, w.who["city.coord"], warning.AlertFilter{Open: true, Limit: 200})
	w.must("FindAlerts", err)
	for _, a := range list {
		if a.StudentID == studentID {
			return a
		}
	}
	return nil
}

// raised records an alert the generator expects for a student at school,
// raised now at level (a new one), or joined by a signal (level raised).
func (w *demoWorld) raised(studentID, school int64, level string, fresh bool) *bAlert {
	w.t.Helper()
	a := w.openAlert(studentID)
	if a == nil {
		w.t.Fatalf("no open alert for student %d after a signal expected to raise %s", studentID, level)
	}
	if a.Level != level {
		w.t.Errorf("student %d: the alert is %s, the rules as documented give %s", studentID, a.Level, level)
	}
	b := w.alerts[a.ID]
	switch {
	case fresh && b != nil, !fresh && b == nil:
		w.t.Fatalf("alert %d of student %d: new %v, expected new %v", a.ID, studentID, b == nil, fresh)
	case fresh:
		if a.RaisedAt != db.Micro(w.now()) {
			w.t.Errorf("alert %d raised at %d, not now", a.ID, a.RaisedAt)
		}
		b = &bAlert{id: a.ID, student: studentID, school: school, level: level, due: briefAckWithin[level], raised: w.now()}
		w.alerts[a.ID] = b
	case briefRank[level] > briefRank[b.level]:
		b.level = level
	}
	return b
}

func (w *demoWorld) ack(by string, a *bAlert) {
	w.must("Acknowledge", w.e.warn.Acknowledge(w.ctx, w.who[by], a.id))
	a.acked = w.now()
}

// concern files a concern report about a student at school and checks the
// alert it raises or joins.
func (w *demoWorld) concern(by string, sc *bSchool, studentID int64, signs []string, level string, fresh bool) *bAlert {
	_, alertID, err := w.e.warn.ReportConcern(w.ctx, w.who[by], warning.ConcernReport{StudentID: studentID, Signs: signs,
		Description: "班主任观察到的情况（生成）"}, student.RiskFactorKinds)
	w.must("ReportConcern", err)
	a := w.raised(studentID, sc.id, level, fresh)
	if a.id != alertID {
		w.t.Errorf("ReportConcern gave alert %d, the list shows %d", alertID, a.id)
	}
	return a
}

func (w *demoWorld) openCase(by string, sc *bSchool, studentID int64, a *bAlert) *bCase {
	var alertID int64
	if a != nil {
		alertID = a.id
	}
	id, err := w.e.care.OpenCase(w.ctx, w.who[by], studentID, alertID)
	w.must("OpenCase", err)
	if a != nil && a.acked.IsZero() {
		a.acked = w.now() // closing an alert acknowledges it
	}
	c := &bCase{id: id, student: studentID, school: sc.id, opened: w.now()}
	w.cases = append(w.cases, c)
	return c
}

func (w *demoWorld) plan(by string, c *bCase) {
	v, err := w.e.care.SavePlan(w.ctx, w.who[by], c.id, care.PlanInput{Concern: "情绪低落，睡眠差", Goals: "两周内恢复正常作息",
		Measures: []string{"counselling", "family_contact"}, Frequency: "weekly", Responsible: []int64{w.who[by].UserID},
		NextReview: w.now().AddDate(0, 0, 14)})
	w.must("SavePlan", err)
	if v == 1 {
		w.add("plans_written", bFact{unit: c.school, subject: c.student, amount: 1, at: w.now()})
	}
}

func (w *demoWorld) followUp(by string, c *bCase, due time.Time) int64 {
	id, err := w.e.care.PlanFollowUp(w.ctx, w.who[by], c.id, "student", due)
	w.must("PlanFollowUp", err)
	return id
}

func (w *demoWorld) followUpDone(by string, c *bCase, id int64, tier string) {
	w.must("RecordFollowUp", w.e.care.RecordFollowUp(w.ctx, w.who[by], id, care.FollowUpRecord{Notes: "面谈，情绪较前平稳", TierChange: tier}))
	w.add("follow_ups_done", bFact{unit: c.school, subject: c.student, amount: 1, at: w.now()})
	if tier != "" {
		w.tiers[c.student] = &bTier{tier: tier, at: w.now(), school: c.school}
	}
}

func (w *demoWorld) session(by, unit, kind, topic string, students ...int64) {
	var ids []int64
	for _, s := range students {
		if s != 0 && !slices.Contains(ids, s) {
			ids = append(ids, s)
		}
	}
	if len(ids) == 0 || (kind == "individual" && len(ids) != 1) {
		return
	}
	_, err := w.e.care.RecordSession(w.ctx, w.who[by], care.Session{Kind: kind, OrgUnitID: w.ids[unit], HeldAt: w.now(), Minutes: 45,
		Topic: topic, Attendees: ids})
	w.must("RecordSession", err)
	for _, s := range ids {
		f := bFact{unit: w.ids[unit], subject: s, amount: 1, at: w.now()}
		w.add("counselling_"+kind, f)
		w.add("counselling_people", f)
	}
}

// pick is the school's k-th screened student, 0 if it has fewer.
func (sc *bSchool) pick(k int) int64 {
	if k < len(sc.screened) {
		return sc.screened[k].ID
	}
	return 0
}

// generate plans the month.
func (w *demoWorld) generate() {
	w.setup()
	w.planScreening()
	w.planConcerns()
	w.planCounselling()
	w.planHotline()
	w.planCrises()
	w.planTraining()
	w.planOutreach()
}

// setup, on the month's first morning: the registry's new entries and
// certifications, venues, the screening campaign and the PBX's account.
func (w *demoWorld) setup() {
	ctx, city := w.ctx, w.who["city.coord"]
	m := w.month.Start
	dayOf := func(t time.Time) time.Time { return workforce.Day(t) }
	entries := []struct {
		unit, name, kind, tier string
		certs                  [][3]any // level, issued, expires
	}{
		{"Qinhuai Middle School", "陈老师", workforce.KindTeacherFull, "core", [][3]any{{"intermediate", m.AddDate(0, 0, -200), m.AddDate(3, 0, 0)},
			{"senior", m.AddDate(0, 0, 40), m.AddDate(5, 0, 0)}}}, // the senior one is issued after the month
		{"Gulou Senior High School", "林老师", workforce.KindTeacherFull, "none", [][3]any{{"senior", m.AddDate(0, 0, -400), m.AddDate(0, 0, 10)}}},
		{"Qinhuai Branch", "韩咨询", "hotline_counsellor", "volunteer", [][3]any{{"intermediate", m.AddDate(0, 0, -100), m.AddDate(2, 0, 0)},
			{"senior", m.AddDate(0, 0, -50), m.AddDate(2, 0, 0)}}},
		{"Xuanwu Guidance Centre", "许老师", "centre_staff", "core", [][3]any{{"senior", m.AddDate(0, 0, -30), m.AddDate(1, 0, 0)}}},
		{"Xuanwu No. 1 Middle School", "钱老师", workforce.KindTeacherFull, "core", [][3]any{{"intermediate", m.AddDate(-1, 0, 0), m.AddDate(2, 0, 0)}}},
		{"Xuanwu Experimental Primary School", "周老师", workforce.KindTeacherPart, "none", [][3]any{{"intermediate", m.AddDate(0, -3, 0), m.AddDate(2, 0, 0)}}},
	}
	var ended *bCert
	var inactive *bPerson
	for i, en := range entries {
		id, err := w.e.workforce.AddPerson(ctx, city, workforce.Entry{UnitID: w.ids[en.unit], Name: en.name, Kind: en.kind, Tier: en.tier})
		w.must("AddPerson", err)
		p := &bPerson{id: id, unit: w.ids[en.unit], kind: en.kind, active: true, created: w.now()}
		for _, c := range en.certs {
			issued, expires := c[1].(time.Time), c[2].(time.Time)
			cid, err := w.e.workforce.AddCert(ctx, city, id, workforce.NewCert{Level: c[0].(string), Body: "省心理学会", Issued: issued, Expires: expires})
			w.must("AddCert", err)
			p.certs = append(p.certs, &bCert{id: cid, level: c[0].(string), issued: dayOf(issued), expires: dayOf(expires)})
		}
		w.persons = append(w.persons, p)
		switch i {
		case 3:
			ended = p.certs[0]
		case 4:
			inactive = p
		}
	}
	w.at(w.day(20, 10, 0), func() {
		w.must("EndCert", w.e.workforce.EndCert(ctx, city, ended.id))
		ended.ended = w.now()
	})
	w.at(w.day(22, 10, 0), func() {
		w.must("UpdatePerson", w.e.workforce.UpdatePerson(ctx, city, inactive.id, workforce.Entry{UnitID: inactive.unit, Name: "钱老师",
			Kind: inactive.kind, Tier: "core", Active: false}))
		inactive.active = false
	})

	w.clk.Advance(30 * time.Minute)
	venues := []struct {
		by, unit, kind, name string
		active               bool
	}{
		{"city.coord", "Qinhuai Middle School", "counselling_room", "秦淮中学心理辅导室", true},
		{"city.coord", "Gulou Senior High School", "youth_care_room", "鼓楼高级中学青爱小屋", true},
		{"city.coord", "Fuzimiao Community Station", "youth_care_room", "夫子庙社区青爱小屋（筹建）", false},
		{"city.coord", "Gulou Senior High School", "counselling_room", "鼓楼高级中学心理辅导室", true},
	}
	var closing *bVenue
	for i, v := range venues {
		id, err := w.e.outreach.CreateVenue(ctx, w.who[v.by], outreach.NewVenue{Unit: w.ids[v.unit], Kind: v.kind, Name: v.name,
			Address: "校内", Active: v.active})
		w.must("CreateVenue", err)
		bv := &bVenue{id: id, unit: w.ids[v.unit], kind: v.kind, active: v.active, created: w.now()}
		w.venues = append(w.venues, bv)
		if i == 3 {
			closing = bv
		}
	}
	w.at(w.day(15, 11, 0), func() {
		w.must("UpdateVenue", w.e.outreach.UpdateVenue(ctx, city, closing.id, outreach.NewVenue{Unit: closing.unit, Kind: closing.kind,
			Name: "鼓楼高级中学心理辅导室", Address: "校内", Active: false}))
		closing.active = false
	})

	w.clk.Advance(30 * time.Minute)
	var targets []screening.Target
	for _, sc := range w.schools {
		targets = append(targets, screening.Target{SchoolID: sc.id})
	}
	campaign, err := w.e.screen.CreateCampaign(ctx, city, screening.NewCampaign{OrgUnitID: w.ids[demoRootEn], Name: "春季心理健康筛查（生成）",
		Instruments: []string{"phq-a", "gad-7"}, StartsAt: w.day(1, 8, 0), EndsAt: w.day(27, 0, 0), ConsentRule: screening.ConsentNone,
		ConsentText: "v1", Targets: targets})
	w.must("CreateCampaign", err)
	w.campaign = campaign

	station := w.ids["Teacher Tao Hotline Station"]
	_, _, err = w.e.people.Bootstrap(ctx, people.NewUser{Username: "pbx", DisplayName: "PBX"}, "", station, access.TelephonyGateway)
	w.must("Bootstrap pbx", err)
	pbx, err := w.e.demoActor(ctx, w.ids, "pbx", access.TelephonyGateway, "Teacher Tao Hotline Station")
	w.must("pbx", err)
	w.who["pbx"] = pbx
}

// planScreening: each school screens on its day, ten students (or as many
// as are 11 to 17 and were not screened by the demo), one every seven
// minutes; what follows each alert is planned from it.
func (w *demoWorld) planScreening() {
	for _, sc := range w.schools {
		day := w.day(sc.sittingDay, 9, 0)
		var spare []student.Student
		for _, st := range sc.spare {
			age := student.AgeOn(st.BirthDate, day)
			if w.demoScreened[st.ID] {
				continue
			}
			if age >= 11 && age <= 17 && len(sc.screened) < len(briefSittings) {
				sc.screened = append(sc.screened, st)
			} else {
				spare = append(spare, st)
			}
		}
		sc.spare = spare
		if len(sc.screened) < 4 || len(sc.spare) < 3 {
			w.t.Fatalf("%s: %d students to screen and %d others", sc.en, len(sc.screened), len(sc.spare))
		}
		for k, st := range sc.screened {
			w.at(day.Add(time.Duration(7*k)*time.Minute), func() { w.sit(sc, k, st) })
		}
	}
}

// sit is one student's sitting, through the class link (student number and
// birth date), and what its alert brings.
func (w *demoWorld) sit(sc *bSchool, k int, st student.Student) {
	ctx, s := w.ctx, briefSittings[k]
	token, err := w.e.screen.OpenWithNumber(ctx, w.campaign, st.StudentNo, st.BirthDate)
	w.must("OpenWithNumber", err)
	sit, err := w.e.screen.Sitting(ctx, token)
	w.must("Sitting", err)
	var battery []string
	for _, in := range sit.Battery {
		battery = append(battery, in.ID)
	}
	if sit.StudentID != st.ID || !slices.Equal(battery, []string{"phq-a", "gad-7"}) {
		w.t.Fatalf("student %d (aged 11 to 17) sits as %d with %v", st.ID, sit.StudentID, battery)
	}
	gad := map[string]int{}
	for i := 1; i <= 7; i++ {
		gad[fmt.Sprint(i)] = 0
	}
	out, err := w.e.screen.Submit(ctx, token, screening.Submission{IdempotencyKey: fmt.Sprintf("brief-%d", st.ID),
		Answers: screening.Answers{"phq-a": phqAnswers(s.total, s.crit), "gad-7": gad}, Elapsed: 6 * time.Minute})
	w.must("Submit", err)
	for range battery {
		f := bFact{unit: sc.id, subject: st.ID, amount: 1, at: w.now()}
		w.add("screening_responses", f)
		w.add("students_screened", f)
	}
	tier := briefTier(s.total, s.crit)
	if string(out.Tier) != tier {
		w.t.Errorf("student %d: tier %s, the PHQ-A bands give %s", st.ID, out.Tier, tier)
	}
	w.tiers[st.ID] = &bTier{tier: tier, at: w.now(), school: sc.id}
	level := briefAlertLevel(s.total, s.crit)
	if level == "" {
		if a := w.openAlert(st.ID); a != nil {
			w.t.Errorf("student %d (PHQ-A %d) has alert %d (%s); the rules raise none", st.ID, s.total, a.ID, a.Level)
		}
		return
	}
	a := w.raised(st.ID, sc.id, level, true)
	t0, h := w.now(), sc.handler
	switch k {
	case 0: // yellow: taken in hand at once, a case, its plan and a follow-up that lowers the tier
		w.at(t0.Add(5*time.Minute), func() { w.ack(h, a) })
		w.at(t0.Add(time.Hour), func() { sc.cases[k] = w.openCase(h, sc, st.ID, a) })
		w.at(t0.Add(2*time.Hour), func() {
			c := sc.cases[k]
			w.plan(h, c)
			f := w.followUp(h, c, t0.AddDate(0, 0, 5))
			w.at(t0.AddDate(0, 0, 5).Add(time.Hour), func() { w.followUpDone(h, c, f, "yellow") })
		})
		w.at(t0.AddDate(0, 0, 2), func() { w.plan(h, sc.cases[k]) }) // version 2: not a new plan
	case 2: // orange: acknowledged at once, stays open (a concern may raise it later)
		w.at(t0.Add(5*time.Minute), func() { w.ack(h, a) })
	case 3: // red (critical): acknowledged late, a case, a referral
		w.at(t0.Add(30*time.Minute), func() { w.ack(h, a) })
		w.at(t0.Add(2*time.Hour), func() { sc.cases[k] = w.openCase(h, sc, st.ID, a) })
		w.at(t0.Add(3*time.Hour), func() {
			c := sc.cases[k]
			w.plan(h, c)
			f := w.followUp(h, c, t0.AddDate(0, 0, 3))
			w.followUp(h, c, t0.AddDate(0, 0, 6)) // never done
			w.at(t0.AddDate(0, 0, 3).Add(time.Hour), func() { w.followUpDone(h, c, f, "") })
		})
		w.at(t0.AddDate(0, 0, 1), func() { w.caseReferral(sc, sc.cases[k]) })
	case 5: // yellow: never acknowledged
	case 6: // orange: acknowledged the next day, late
		w.at(t0.Add(26*time.Hour), func() { w.ack(h, a) })
	case 8: // red (critical): at once, a case; closed within the week where a second person may sign
		w.at(t0.Add(5*time.Minute), func() { w.ack(h, a) })
		w.at(t0.Add(30*time.Minute), func() {
			c := w.openCase(h, sc, st.ID, a)
			sc.cases[k] = c
			if sc.signer == "" {
				return
			}
			w.at(t0.AddDate(0, 0, 6), func() {
				w.must("RequestClose", w.e.care.RequestClose(w.ctx, w.who[h], c.id, "improved", ""))
			})
			w.at(t0.AddDate(0, 0, 7), func() {
				w.must("SignOff", w.e.care.SignOff(w.ctx, w.who[sc.signer], c.id))
				c.closed = w.now()
			})
		})
	}
}

// caseReferral refers a case to the city's hospital, with the guardian's
// consent; each school's referral takes a different road.
func (w *demoWorld) caseReferral(sc *bSchool, c *bCase) {
	by := w.who[sc.handler]
	hospital, liaison := w.ids["City Brain Hospital"], w.who["hospital"]
	id, err := w.e.refer.Send(w.ctx, by, referral.NewReferral{Source: referral.SourceCase, SourceID: c.id, ToUnit: hospital,
		Urgency: referral.Routine, Reason: "筛查阳性，需专科评估", Consent: referral.Consent{Given: true, By: "mother", At: w.now(),
			How: "written", Version: "v1"}})
	w.must("Send", err)
	r := &bReferral{id: id, from: sc.id, sent: w.now()}
	w.referrals = append(w.referrals, r)
	t0 := w.now()
	switch sc.en {
	case "Xuanwu Experimental Primary School", "Xuanwu No. 1 Middle School":
		seen := t0.AddDate(0, 0, 3).Add(5 * time.Hour)
		if sc.en != "Xuanwu Experimental Primary School" {
			seen = t0.AddDate(0, 0, 6).Add(2 * time.Hour)
		}
		w.at(t0.Add(20*time.Hour), func() { w.must("Accept", w.e.refer.Accept(w.ctx, liaison, id)) })
		w.at(t0.Add(21*time.Hour), func() { w.must("SetAppointment", w.e.refer.SetAppointment(w.ctx, liaison, id, seen)) })
		w.at(seen.Add(time.Hour), func() {
			w.must("MarkSeen", w.e.refer.MarkSeen(w.ctx, liaison, id, seen))
			r.seen = seen
		})
		if sc.en != "Xuanwu Experimental Primary School" {
			return // seen, no feedback yet
		}
		w.at(seen.Add(24*time.Hour), func() {
			w.must("GiveFeedback", w.e.refer.GiveFeedback(w.ctx, liaison, id, referral.FeedbackInput{Recommendations: "门诊随访，学校减轻课业压力"}))
		})
		w.at(seen.Add(48*time.Hour), func() {
			w.must("Close", w.e.refer.Close(w.ctx, by, id, "", ""))
			r.closed, r.feedback = w.now(), true
		})
	case "Qinhuai Middle School":
		w.at(t0.Add(6*time.Hour), func() {
			w.must("Decline", w.e.refer.Decline(w.ctx, liaison, id, "no_capacity", ""))
			r.closed = w.now()
		})
	default:
		w.at(t0.AddDate(0, 0, 2), func() {
			w.must("Close", w.e.refer.Close(w.ctx, by, id, "family_withdrew", ""))
			r.closed = w.now()
		})
	}
}

// planConcerns: concern reports about students not screened (a new alert
// each), a more severe concern about a screened student whose orange alert
// is open (its level rises to red), and a case opened without an alert.
func (w *demoWorld) planConcerns() {
	for i, sc := range w.schools {
		t0 := w.day(7, 10, 0).Add(time.Duration(i) * time.Hour)
		w.at(t0, func() {
			a := w.concern(sc.reporter, sc, sc.spare[0].ID, []string{"low_mood", "withdrawal"}, "yellow", true)
			switch i {
			case 0:
				w.at(t0.AddDate(0, 0, 8), func() { w.ack(sc.handler, a) }) // late
			case 3:
				w.at(t0.Add(5*time.Minute), func() { w.ack(sc.handler, a) })
			}
		})
		if i == 0 || i == 2 {
			w.at(t0.Add(20*time.Minute), func() {
				a := w.concern(sc.reporter, sc, sc.spare[1].ID, []string{"self_harm"}, "red", true)
				if i == 0 {
					w.at(w.now().Add(5*time.Minute), func() { w.ack(sc.handler, a) })
					w.at(w.now().Add(time.Hour), func() { w.plan(sc.handler, w.openCase(sc.handler, sc, sc.spare[1].ID, a)) })
				} else {
					w.at(w.now().Add(40*time.Minute), func() { w.ack(sc.handler, a) })
				}
			})
		}
		if (i == 0 || i == 1) && sc.pick(2) != 0 {
			w.at(w.day(9, 10, 0).Add(time.Duration(i)*time.Hour), func() {
				w.concern(sc.reporter, sc, sc.pick(2), []string{"self_harm", "low_mood"}, "red", false)
			})
		}
		if i == 0 || i == 2 {
			w.at(w.day(10, 14, 0).Add(time.Duration(i)*time.Hour), func() {
				c := w.openCase(sc.handler, sc, sc.spare[2].ID, nil)
				if sc.signer != "" {
					w.at(w.day(16, 10, 0), func() {
						w.must("RequestClose", w.e.care.RequestClose(w.ctx, w.who[sc.handler], c.id, "other", "家长已安排校外咨询"))
					})
					w.at(w.day(17, 10, 0), func() {
						w.must("SignOff", w.e.care.SignOff(w.ctx, w.who[sc.signer], c.id))
						c.closed = w.now()
					})
				}
			})
		}
	}
}

// planCounselling: individual and group sessions at schools, the district
// centre, a community station and the city centre.
func (w *demoWorld) planCounselling() {
	xp, x1, qh, gl := w.schools[0], w.schools[1], w.schools[2], w.schools[3]
	w.at(w.day(11, 15, 0), func() { w.session("counsellor", xp.en, "individual", "", xp.pick(0)) })
	w.at(w.day(12, 15, 0), func() { w.session("counsellor", xp.en, "individual", "", xp.pick(3)) })
	w.at(w.day(13, 15, 0), func() {
		w.session("counsellor", xp.en, "group", "情绪管理小组", xp.pick(0), xp.pick(3), xp.pick(1), xp.pick(4))
	})
	w.at(w.day(14, 15, 0), func() {
		w.session("xuanwu.coord", "Xuanwu Guidance Centre", "group", "考试焦虑团体辅导", xp.pick(4), x1.pick(0), x1.pick(1))
	})
	w.at(w.day(15, 16, 0), func() { w.session("xuanwu.coord", "Meiyuan Community Station", "individual", "", x1.pick(3)) })
	w.at(w.day(16, 15, 0), func() {
		w.session("city.coord", "City Growth-Guidance Centre", "group", "同伴关系", qh.pick(0), gl.pick(0), xp.pick(0))
	})
	w.at(w.day(17, 15, 0), func() { w.session("city.coord", qh.en, "individual", "", qh.pick(3)) })
	w.at(w.day(18, 15, 0), func() { w.session("city.coord", qh.en, "individual", "", qh.pick(3)) })
}

// Risk screens of the hotline and the level each gives by the screen's
// rule table (docs/hotline-taxonomy.md).
var briefRisks = map[string]taxonomy.RiskAnswers{
	"none":     {Thoughts: "none", Plan: "none", Means: "none", Timeframe: "none", Attempts: "none"},
	"low":      {Thoughts: "passive", Plan: "none", Means: "none", Timeframe: "none", Attempts: "none"},
	"moderate": {Thoughts: "none", Plan: "none", Means: "none", Timeframe: "none", Attempts: "ever"},
	"high":     {Thoughts: "active", Plan: "specific", Means: "none", Timeframe: "none", Attempts: "none"},
	"high2":    {Thoughts: "active", Plan: "none", Means: "none", Timeframe: "later", Attempts: "none"},
	"imminent": {Thoughts: "active", Plan: "vague", Means: "access", Timeframe: "now", Attempts: "none"},
}

func briefFields(risk string) hotline.Fields {
	f := hotline.Fields{CallerType: "child_self", AgeBand: "13_15", Gender: "female", Categories: []string{"school.exams"},
		Summary: "来访者讲述考试压力（生成）", Actions: []string{"listened"}}
	if risk != "" {
		f.Risk = briefRisks[risk]
	}
	return f
}

// finalise saves the counsellor's fields on a draft contact and, if final,
// finalises it and counts it.
func (w *demoWorld) finalise(by string, id int64, version int, started time.Time, station, channel string, f hotline.Fields, final bool) {
	v, err := w.e.hotline.Save(w.ctx, w.who[by], id, version, f)
	w.must("Save contact", err)
	if !final {
		return
	}
	c, err := w.e.hotline.FindContact(w.ctx, w.who[by], id)
	w.must("FindContact", err)
	if !c.StartedAt.Equal(started) || c.Channel != channel {
		w.t.Errorf("contact %d: %s begun %v, the generator began a %s at %v", id, c.Channel, c.StartedAt, channel, started)
	}
	w.must("Finalise", w.e.hotline.Finalise(w.ctx, w.who[by], id, v))
	g := bFact{unit: w.ids[station], subject: id, amount: 1, at: started}
	w.add("hotline_contacts", g)
	switch channel {
	case "phone":
		w.add("hotline_phone", g)
	case "face_to_face":
		w.add("hotline_face_to_face", g)
	case "wechat", "weibo", "web_chat":
		w.add("hotline_online", g)
	case "letter":
		w.add("hotline_letters", g)
	}
	level := ""
	for name, r := range briefRisks {
		if r == f.Risk {
			level = strings.TrimSuffix(name, "2")
		}
	}
	if level == "high" || level == "imminent" {
		w.add("hotline_high_risk", g)
	}
}

// planHotline: calls reported by the station's PBX (answered ones open a
// draft contact), contacts on the other channels, and letters.
func (w *demoWorld) planHotline() {
	calls := []struct {
		day, h               int
		station, agent, risk string
		final                bool
	}{
		{3, 20, "Xuanwu Branch", "hotline", "none", true},
		{6, 21, "Xuanwu Branch", "hotline", "high", true},
		{8, 23, "Teacher Tao Hotline Station", "supervisor", "imminent", true},
		{10, 19, "Qinhuai Branch", "", "", false}, // not answered
		{12, 20, "Xuanwu Branch", "supervisor", "low", false},
		{15, 18, "Teacher Tao Hotline Station", "supervisor", "hang_up", true},
		{17, 22, "Qinhuai Branch", "", "", false},
		{20, 20, "Qinhuai Branch", "supervisor", "low", true},
	}
	for n, c := range calls {
		w.at(w.day(c.day, c.h, 0), func() {
			ctx, pbx, ref := w.ctx, w.who["pbx"], fmt.Sprintf("brief-call-%d", n)
			out, err := w.e.phone.Report(ctx, pbx, phone.Event{Event: "offered", CallRef: ref, StationID: w.ids[c.station],
				Caller: fmt.Sprintf("1390000%04d", n)})
			w.must("offered", err)
			f := bFact{unit: w.ids[c.station], subject: out.CallID, amount: 1, at: w.now()}
			w.add("calls_offered", f)
			w.clk.Advance(20 * time.Second)
			if c.agent == "" {
				_, err := w.e.phone.Report(ctx, pbx, phone.Event{Event: "ended", CallRef: ref, Reason: "caller_hangup"})
				w.must("ended", err)
				return
			}
			out, err = w.e.phone.Report(ctx, pbx, phone.Event{Event: "answered", CallRef: ref, UserID: w.who[c.agent].UserID})
			w.must("answered", err)
			answered := w.now()
			w.add("calls_answered", f)
			w.clk.Advance(15 * time.Minute)
			_, err = w.e.phone.Report(ctx, pbx, phone.Event{Event: "ended", CallRef: ref, Reason: "caller_hangup"})
			w.must("ended", err)
			fields := briefFields(c.risk)
			if c.risk == "hang_up" {
				fields = hotline.Fields{CallerType: "hang_up"}
			}
			w.finalise(c.agent, out.ContactID, 1, answered, c.station, "phone", fields, c.final)
		})
	}
	contacts := []struct {
		day, h                     int
		station, by, channel, risk string
		final                      bool
	}{
		{4, 15, "Teacher Tao Hotline Station", "supervisor", "face_to_face", "moderate", true},
		{9, 16, "Xuanwu Branch", "hotline", "face_to_face", "", true},
		{7, 21, "Xuanwu Branch", "hotline", "wechat", "high2", true},
		{11, 21, "Teacher Tao Hotline Station", "supervisor", "weibo", "none", true},
		{14, 22, "Qinhuai Branch", "supervisor", "web_chat", "imminent", true},
		{16, 20, "Xuanwu Branch", "hotline", "wechat", "low", false},
		{18, 10, "Teacher Tao Hotline Station", "supervisor", "outreach", "low", true},
	}
	for _, c := range contacts {
		w.at(w.day(c.day, c.h, 0), func() {
			ct, _, err := w.e.hotline.Start(w.ctx, w.who[c.by], hotline.NewContact{StationID: w.ids[c.station], Channel: c.channel})
			w.must("Start contact", err)
			started := w.now()
			w.clk.Advance(25 * time.Minute)
			w.finalise(c.by, ct.ID, ct.Version, started, c.station, c.channel, briefFields(c.risk), c.final)
		})
	}
	letters := []struct {
		day, h            int
		station, by, risk string
		final             bool
	}{
		{5, 23, "Xuanwu Branch", "hotline", "none", true},
		{13, 20, "Teacher Tao Hotline Station", "supervisor", "low", false},
		{21, 20, "Qinhuai Branch", "", "", false}, // not taken
		{19, 21, "Teacher Tao Hotline Station", "supervisor", "high", true},
	}
	for _, l := range letters {
		w.at(w.day(l.day, l.h, 0), func() {
			written, err := w.e.letters.Write(w.ctx, letter.NewLetter{StationID: w.ids[l.station], AgeBand: "13_15",
				Text: "老师您好，我最近总是睡不着，不知道该和谁说。"})
			w.must("Write letter", err)
			if l.by == "" {
				return
			}
			w.at(w.now().Add(11*time.Hour+30*time.Minute), func() {
				p := w.who[l.by]
				w.must("Take letter", w.e.letters.Take(w.ctx, p, written.ID))
				taken := w.now()
				lt, err := w.e.letters.Find(w.ctx, p, written.ID)
				w.must("Find letter", err)
				c, err := w.e.hotline.FindContact(w.ctx, p, lt.ContactID)
				w.must("FindContact", err)
				w.clk.Advance(40 * time.Minute)
				w.finalise(l.by, c.ID, c.Version, taken, l.station, "letter", briefFields(l.risk), l.final)
			})
		})
	}
}

// briefStep is a step of a crisis incident.
type briefStep struct {
	by   string
	do   string // a crisis state, or "cosign", "withdraw", "guardian", "police:<state>"
	note string
}

// incident opens a crisis incident now, by `by` at unit (source duty: an
// anonymous child), and records its steps a minute apart.
func (w *demoWorld) incident(by, unit string, steps []briefStep) *bIncident {
	ctx := w.ctx
	id, err := w.e.crisis.Open(ctx, w.who[by], crisis.NewIncident{UnitID: w.ids[unit], Source: "duty", Details: crisis.Details{
		Location: "某小区（生成）", Callback: "13900000000", Risk: crisis.Risk{Ideation: "active", Plan: "specific"}}})
	w.must("Open incident", err)
	inc := &bIncident{id: id, unit: w.ids[unit], opened: w.now()}
	w.incidents = append(w.incidents, inc)
	var pending int64
	var pendingTo string
	for _, s := range steps {
		w.clk.Advance(time.Minute)
		p := w.who[s.by]
		switch {
		case s.do == "cosign" || s.do == "withdraw":
			decision := crisis.Signed
			if s.do == "withdraw" {
				decision = crisis.Withdrawn
			}
			w.must("Cosign "+pendingTo, w.e.crisis.Cosign(ctx, p, id, pending, decision, ""))
			if decision == crisis.Signed {
				switch pendingTo {
				case crisis.PoliceRequested:
					inc.police = true
				case crisis.Closed:
					inc.closed = w.now()
				}
			}
		case s.do == "guardian":
			w.must("RecordGuardian", w.e.crisis.RecordGuardian(ctx, p, id, crisis.GuardianDecision{Notified: true}))
		case strings.HasPrefix(s.do, "police:"):
			to := strings.TrimPrefix(s.do, "police:")
			_, err := w.e.crisis.PoliceAdvance(ctx, p, id, crisis.StepInput{To: to, PoliceRef: "JJ-BRIEF-" + fmt.Sprint(id)})
			w.must("PoliceAdvance "+to, err)
			if to == crisis.SafetyConfirmed {
				inc.safe = w.now()
			}
		default:
			in := crisis.StepInput{To: s.do, Note: s.note}
			switch s.do {
			case crisis.PoliceRequested:
				in.PoliceUnitID = w.ids["Police 110 Dispatch Centre"]
			case crisis.HandedOver:
				in.HandedTo = "guardian"
			case crisis.FollowUpPlanned:
				in.FollowUpKind = "family"
			case crisis.Reviewed:
				in.Review = crisis.Review{WhatHappened: "夜间来电", WhatWorked: "及时会签", WhatToChange: "回拨号码提前确认"}
			}
			sid, err := w.e.crisis.Advance(ctx, p, id, in)
			w.must("Advance "+s.do, err)
			pending, pendingTo = sid, s.do
			if s.do == crisis.SafetyConfirmed {
				inc.safe = w.now()
			}
		}
	}
	return inc
}

// planCrises: incidents at the hotline's station and branches, a school,
// a district and another school, with police, safety, hand-overs,
// reviews and closings; and two referrals of incidents' children.
func (w *demoWorld) planCrises() {
	const st, br, qb = "Teacher Tao Hotline Station", "Xuanwu Branch", "Qinhuai Branch"
	w.at(w.day(5, 22, 0), func() {
		w.incident("hotline", br, []briefStep{{"hotline", crisis.RescueNeeded, ""}, {"hotline", crisis.PoliceRequested, ""},
			{"supervisor", "cosign", ""}, {"police", "police:" + crisis.PoliceAcknowledged, ""}, {"police", "police:" + crisis.OnScene, ""},
			{"police", "police:" + crisis.SafetyConfirmed, ""}, {"hotline", crisis.HandedOver, ""}, {"hotline", crisis.FollowUpPlanned, ""}})
		id := w.incidents[len(w.incidents)-1]
		w.at(w.day(6, 10, 0), func() {
			w.steps(id, []briefStep{{"hotline", crisis.Reviewed, ""}, {"hotline", "guardian", ""}, {"hotline", crisis.Closed, ""},
				{"supervisor", "cosign", ""}})
		})
	})
	w.at(w.day(9, 2, 0), func() {
		w.incident("supervisor", qb, []briefStep{{"supervisor", crisis.RescueNeeded, ""}, {"supervisor", crisis.PoliceRequested, ""},
			{"city.coord", "cosign", ""}, {"police", "police:" + crisis.PoliceAcknowledged, ""}})
	})
	w.at(w.day(11, 23, 0), func() {
		w.incident("supervisor", st, []briefStep{{"supervisor", crisis.Assessing, ""}, {"supervisor", crisis.SafetyPlanAgreed, ""},
			{"supervisor", crisis.FollowUpPlanned, ""}, {"supervisor", crisis.Reviewed, ""}, {"supervisor", "guardian", ""},
			{"supervisor", crisis.Closed, ""}, {"city.coord", "cosign", ""}})
	})
	w.at(w.day(13, 21, 0), func() {
		inc := w.incident("supervisor", st, []briefStep{{"supervisor", crisis.RescueNeeded, ""}, {"supervisor", crisis.SafetyConfirmed, ""}})
		w.at(w.day(14, 9, 0), func() { w.incidentReferral("supervisor", inc, st, true) })
	})
	w.at(w.day(14, 11, 30), func() {
		w.incident("counsellor", "Xuanwu Experimental Primary School", []briefStep{{"counsellor", crisis.Assessing, ""}})
	})
	w.at(w.day(16, 17, 0), func() {
		inc := w.incident("xuanwu.coord", "Xuanwu District", []briefStep{{"xuanwu.coord", crisis.RescueNeeded, ""},
			{"xuanwu.coord", crisis.PoliceRequested, ""}, {"city.coord", "cosign", ""}, {"police", "police:" + crisis.SafetyConfirmed, ""}})
		w.at(w.day(17, 10, 0), func() { w.incidentReferral("xuanwu.coord", inc, "Xuanwu District", false) })
	})
	w.at(w.day(18, 12, 0), func() { w.incident("city.coord", "Qinhuai Middle School", nil) })
	w.at(w.day(19, 1, 0), func() {
		w.incident("supervisor", qb, []briefStep{{"supervisor", crisis.RescueNeeded, ""}, {"supervisor", crisis.PoliceRequested, ""},
			{"supervisor", "withdraw", ""}, {"supervisor", crisis.SafetyConfirmed, ""}})
	})
}

// steps records further steps of an incident (see incident).
func (w *demoWorld) steps(inc *bIncident, steps []briefStep) {
	ctx := w.ctx
	var pending int64
	var pendingTo string
	for _, s := range steps {
		w.clk.Advance(time.Minute)
		p := w.who[s.by]
		switch s.do {
		case "cosign":
			w.must("Cosign "+pendingTo, w.e.crisis.Cosign(ctx, p, inc.id, pending, crisis.Signed, ""))
			if pendingTo == crisis.Closed {
				inc.closed = w.now()
			}
		case "guardian":
			w.must("RecordGuardian", w.e.crisis.RecordGuardian(ctx, p, inc.id, crisis.GuardianDecision{Notified: true}))
		default:
			in := crisis.StepInput{To: s.do}
			if s.do == crisis.Reviewed {
				in.Review = crisis.Review{WhatHappened: "夜间来电", WhatWorked: "及时会签", WhatToChange: "回拨号码提前确认"}
			}
			sid, err := w.e.crisis.Advance(ctx, p, inc.id, in)
			w.must("Advance "+s.do, err)
			pending, pendingTo = sid, s.do
		}
	}
}

// incidentReferral refers an incident's anonymous child: urgently to the
// hospital (emergency basis; seen the next day, feedback, not closed), or
// to an agency with consent (left sent).
func (w *demoWorld) incidentReferral(by string, inc *bIncident, from string, urgent bool) {
	n := referral.NewReferral{Source: referral.SourceIncident, SourceID: inc.id, FromUnit: w.ids[from], Reason: "危机后需专科评估",
		Child: referral.Identity{Gender: "female", Age: 15}}
	if urgent {
		n.ToUnit, n.Urgency = w.ids["City Brain Hospital"], referral.Urgent
	} else {
		n.ToUnit, n.Urgency = w.ids["Civil Affairs Bureau"], referral.Routine
		n.Consent = referral.Consent{Given: true, By: "self", At: w.now(), How: "verbal", Version: "v1"}
	}
	id, err := w.e.refer.Send(w.ctx, w.who[by], n)
	w.must("Send (incident)", err)
	r := &bReferral{id: id, from: w.ids[from], sent: w.now()}
	w.referrals = append(w.referrals, r)
	if !urgent {
		return
	}
	liaison, t0 := w.who["hospital"], w.now()
	seen := t0.Add(26 * time.Hour)
	w.at(t0.Add(time.Hour), func() { w.must("Accept", w.e.refer.Accept(w.ctx, liaison, id)) })
	w.at(t0.Add(2*time.Hour), func() { w.must("SetAppointment", w.e.refer.SetAppointment(w.ctx, liaison, id, seen)) })
	w.at(seen.Add(30*time.Minute), func() {
		w.must("MarkSeen", w.e.refer.MarkSeen(w.ctx, liaison, id, seen))
		r.seen = seen
	})
	w.at(seen.Add(50*time.Hour), func() {
		w.must("GiveFeedback", w.e.refer.GiveFeedback(w.ctx, liaison, id, referral.FeedbackInput{Recommendations: "门诊随访"}))
	})
}

// planTraining: a city course with three sessions (the last attended by
// nobody) and a Xuanwu course with one; trainees are the demo's staff.
func (w *demoWorld) planTraining() {
	ctx, city, xw := w.ctx, w.who["city.coord"], w.who["xuanwu.coord"]
	unitOf := map[string]int64{}
	for _, a := range demoAccounts {
		unitOf[a.username] = w.ids[a.unit]
	}
	type sess struct {
		day      int
		hours    float64
		assigned []string
		present  []string
	}
	courses := []struct {
		by    access.Principal
		unit  string
		hours float64
		kind  string
		sess  []sess
	}{
		{city, demoRootEn, 3, "crisis", []sess{
			{8, 0, []string{"counsellor", "headteacher", "leader", "community", "hotline", "supervisor"}, []string{"counsellor", "headteacher", "hotline"}},
			{12, 0, []string{"counsellor", "xuanwu.coord"}, []string{"counsellor", "xuanwu.coord"}},
			{20, 0, []string{"leader"}, nil},
		}},
		{xw, "Xuanwu District", 2, "general", []sess{
			{15, 2.5, []string{"headteacher", "community", "leader"}, []string{"headteacher", "community"}},
		}},
	}
	w.clk.Advance(30 * time.Minute)
	for _, c := range courses {
		course, err := w.e.training.CreateCourse(ctx, c.by, training.NewCourse{UnitID: w.ids[c.unit], Title: "心理危机识别与干预（生成）",
			Kind: c.kind, Hours: c.hours})
		w.must("CreateCourse", err)
		for _, s := range c.sess {
			starts := w.day(s.day, 14, 0)
			hours := c.hours
			if s.hours > 0 {
				hours = s.hours
			}
			id, err := w.e.training.ScheduleSession(ctx, c.by, training.NewSession{CourseID: course, StartsAt: starts,
				EndsAt: starts.Add(3 * time.Hour), Place: "报告厅", Capacity: 50, Hours: s.hours})
			w.must("ScheduleSession", err)
			tr := &bTraining{id: id, courseUnit: w.ids[c.unit], starts: starts, minutes: int64(hours * 60), present: map[int64]int64{}}
			w.trainings = append(w.trainings, tr)
			for _, u := range s.assigned {
				w.must("Assign", w.e.training.Assign(ctx, c.by, id, u))
			}
			w.at(starts.Add(time.Hour), func() {
				present := map[int64]bool{}
				for _, u := range s.present {
					present[w.who[u].UserID] = true
					tr.present[w.who[u].UserID] = unitOf[u]
				}
				w.must("SetAttendance", w.e.training.SetAttendance(ctx, c.by, id, present))
			})
		}
	}
}

// planOutreach: activities of several units and kinds, one whose
// attendance is entered after it was held.
func (w *demoWorld) planOutreach() {
	var meiyuanHall int64
	for _, v := range w.venues {
		if v.unit == w.ids["Meiyuan Community Station"] && v.kind == "civic_practice_centre" {
			meiyuanHall = v.id
		}
	}
	if meiyuanHall == 0 {
		w.t.Fatal("the demo's Meiyuan civic practice centre is missing")
	}
	acts := []struct {
		day              int
		by, unit, kind   string
		venue            int64
		attendance, more int64
	}{
		{1, "xuanwu.coord", "Xuanwu District", "awareness_event", 0, 800, 0},
		{3, "community", "Meiyuan Community Station", "parent_class", meiyuanHall, 45, 0},
		{6, "counsellor", "Xuanwu Experimental Primary School", "group_activity", 0, 30, 0},
		{9, "city.coord", "Qinhuai Middle School", "lecture", 0, 120, 0},
		{12, "city.coord", "City Growth-Guidance Centre", "media", 0, 0, 5000},
		{19, "city.coord", "Fuzimiao Community Station", "parent_class", 0, 60, 0},
		{23, "city.coord", "Gulou Senior High School", "touring_talk", 0, 200, 0},
		{26, "city.coord", "Teacher Tao Hotline Station", "lecture", 0, 25, 0},
	}
	for _, a := range acts {
		held := w.day(a.day, 9, 30)
		w.at(held.Add(8*time.Hour), func() {
			n := outreach.NewActivity{Unit: w.ids[a.unit], Kind: a.kind, Title: "心理健康宣传（生成）", StartsAt: held, VenueID: a.venue,
				Audiences: []string{"students", "parents"}, Attendance: a.attendance}
			if a.venue == 0 {
				n.Place = "礼堂"
			}
			id, err := w.e.outreach.CreateActivity(w.ctx, w.who[a.by], n)
			w.must("CreateActivity", err)
			act := &bActivity{id: id, unit: w.ids[a.unit], kind: a.kind, at: held, attendance: a.attendance}
			w.activities = append(w.activities, act)
			if a.more == 0 {
				return
			}
			w.at(held.AddDate(0, 0, 2), func() {
				n.Attendance = a.more
				w.must("UpdateActivity", w.e.outreach.UpdateActivity(w.ctx, w.who[a.by], id, n))
				act.attendance = a.more
			})
		})
	}
}
