package stats_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/people"
	"github.com/careloop/careloop/internal/stats"
	"github.com/careloop/careloop/internal/testutil"
)

// world is a generated network with raw records, and everything the test
// needs to count them again without SQL.
type world struct {
	t      *testing.T
	ctx    context.Context
	d      *db.DB
	svc    *stats.Service
	reg    *stats.Registry
	city   *org.Unit
	units  []*org.Unit
	parent map[int64]int64
	// facts: what each counted indicator should count, built as the rows
	// are written, in the indicators' own terms.
	facts map[string][]gen
}

// gen is one fact as the generator knows it.
type gen struct {
	unit, subject, amount int64
	at, until             time.Time
	grade                 int
	class                 string
}

type stu struct {
	id     int64
	school int64
	grade  int
	class  string
	active bool
	made   time.Time
}

func newWorld(t *testing.T) *world {
	t.Helper()
	ctx := context.Background()
	d := testutil.DB(t)
	log, err := audit.New("sha256", nil)
	if err != nil {
		t.Fatal(err)
	}
	reg, err := stats.Indicators()
	if err != nil {
		t.Fatal(err)
	}
	w := &world{t: t, ctx: ctx, d: d, reg: reg, parent: map[int64]int64{}, facts: map[string][]gen{},
		svc: &stats.Service{DB: d, Audit: log}}
	o := &org.Service{DB: d, Audit: log}
	if w.city, err = o.CreateRoot(ctx, "江海市", "Jianghai"); err != nil {
		t.Fatal(err)
	}
	w.units = append(w.units, w.city)
	return w
}

func (w *world) exec(q string, args ...any) int64 {
	w.t.Helper()
	var id int64
	err := w.d.Tx(w.ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		id, err = tx.InsertID(ctx, q, args...)
		return err
	})
	if err != nil {
		w.t.Fatalf("%s: %v", q, err)
	}
	return id
}

// run writes a row of a table without an id column.
func (w *world) run(q string, args ...any) {
	w.t.Helper()
	err := w.d.Tx(w.ctx, func(ctx context.Context, tx *db.Tx) error {
		_, err := tx.Exec(ctx, q, args...)
		return err
	})
	if err != nil {
		w.t.Fatalf("%s: %v", q, err)
	}
}

func (w *world) add(ind string, g gen) { w.facts[ind] = append(w.facts[ind], g) }

// generate builds two districts with schools, a community station and a
// hotline station, and three months of random activity.
func (w *world) generate(seed uint64, start time.Time) {
	t := w.t
	r := rand.New(rand.NewPCG(seed, 7))
	admin := access.Principal{UserID: -1, Memberships: []access.Membership{{OrgID: w.city.ID, OrgPath: w.city.Path, Role: access.SysAdmin}}}
	o := &org.Service{DB: w.d, Audit: w.svc.Audit}
	mk := func(kind org.Kind, name string, parent *org.Unit) *org.Unit {
		u, err := o.CreateUnit(w.ctx, admin, org.NewUnit{Kind: kind, Name: name, ParentID: parent.ID})
		if err != nil {
			t.Fatalf("CreateUnit %s: %v %v", name, err, apperr.FieldsOf(err))
		}
		w.units = append(w.units, u)
		w.parent[u.ID] = parent.ID
		return u
	}
	var schools []*org.Unit
	for i := range 2 {
		dist := mk(org.District, fmt.Sprintf("区%d", i), w.city)
		for j := range 3 {
			schools = append(schools, mk(org.School, fmt.Sprintf("区%d学校%d", i, j), dist))
		}
		mk(org.CommunityStation, fmt.Sprintf("区%d社区站", i), dist)
	}
	station := mk(org.HotlineStation, "热线站", w.city)
	branch := mk(org.HotlineStation, "分站", station)
	hospital := mk(org.Hospital, "医院", w.city)
	p := &people.Service{DB: w.d, Audit: w.svc.Audit, Seal: testutil.Keyring(t)}
	user, _, err := p.Bootstrap(w.ctx, people.NewUser{Username: "stats-generator", DisplayName: "Generator"}, "Generated-Password-2026", w.city.ID, access.Coordinator)
	if err != nil {
		t.Fatal(err)
	}
	for _, u := range w.units {
		if u.Kind == org.School {
			w.add("schools", gen{unit: u.ID, subject: u.ID, amount: 1})
		}
		if u.Kind == org.CommunityStation {
			w.add("community_stations", gen{unit: u.ID, subject: u.ID, amount: 1})
		}
	}
	when := func() time.Time { return start.Add(time.Duration(r.Int64N(int64(92 * 24 * time.Hour)))) }
	mic := db.Micro
	campaign := w.exec(`INSERT INTO campaigns (org_unit_id, name, instruments, starts_at, ends_at, consent_rule, created_by, created_at)
		VALUES (?, 'gen', 'phq9', ?, ?, 'none', ?, ?)`, w.city.ID, mic(start), mic(start.AddDate(1, 0, 0)), user, mic(start))
	var kids []stu
	for n := range 120 {
		sc := schools[r.IntN(len(schools))]
		s := stu{school: sc.ID, grade: 4 + r.IntN(6), class: fmt.Sprintf("%d班", 1+r.IntN(2)), active: r.IntN(10) > 0, made: when()}
		status := "active"
		if !s.active {
			status = "archived"
		}
		s.id = w.exec(`INSERT INTO students (student_no, name, gender, birth_date, school_id, grade, class_name, status, created_at, updated_at)
			VALUES (?, ?, 'female', '2012-01-01', ?, ?, ?, ?, ?, ?)`, fmt.Sprintf("GEN%04d", n), fmt.Sprintf("生%d", n), s.school, s.grade, s.class, status, mic(s.made), mic(s.made))
		kids = append(kids, s)
		sf := func(at, until time.Time, amount int64) gen {
			return gen{unit: s.school, subject: s.id, amount: amount, at: at, until: until, grade: s.grade, class: s.class}
		}
		if s.active {
			w.add("students_enrolled", sf(s.made, time.Time{}, 1))
			if r.IntN(3) > 0 {
				tier := []string{"green", "yellow", "orange", "red"}[r.IntN(4)]
				at := when()
				w.run(`INSERT INTO student_tiers (student_id, tier, campaign_id, at) VALUES (?, ?, ?, ?)`, s.id, tier, campaign, mic(at))
				w.add("tier_"+tier, sf(at, time.Time{}, 1))
			}
		}
		for k := range r.IntN(3) {
			at := when()
			w.exec(`INSERT INTO responses (campaign_id, student_id, instrument_id, instrument_version, answers, total, elapsed_ms, submitted_at, idempotency_key, attempt)
				VALUES (?, ?, 'phq9', '1', ?, 3, 60000, ?, ?, ?)`, campaign, s.id, []byte{1}, mic(at), fmt.Sprintf("k%d-%d", s.id, k), k+1)
			w.add("screening_responses", sf(at, time.Time{}, 1))
			w.add("students_screened", sf(at, time.Time{}, 1))
		}
		if r.IntN(4) == 0 {
			raised := when()
			level := []string{"red", "orange", "yellow"}[r.IntN(3)]
			due := raised.Add(time.Duration(1+r.IntN(48)) * time.Hour)
			var ack time.Time
			if r.IntN(4) > 0 {
				ack = raised.Add(time.Duration(r.IntN(72*60)) * time.Minute)
			}
			w.exec(`INSERT INTO alerts (student_id, school_id, level, owner_user_id, owner_org_id, signal_at, raised_at, ack_due_at, contact_due_at, acknowledged_at, closed_at)
				VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0)`, s.id, s.school, level, user, s.school, mic(raised), mic(raised), mic(due), mic(due), mic(ack))
			w.add("alerts_raised", sf(raised, time.Time{}, 1))
			if level == "red" {
				w.add("alerts_red", sf(raised, time.Time{}, 1))
			}
			if !ack.IsZero() {
				w.add("alerts_acknowledged", sf(raised, time.Time{}, 1))
				w.add("alert_ack_minutes", sf(raised, time.Time{}, int64(ack.Sub(raised)/time.Minute)))
				if !ack.After(due) {
					w.add("alerts_in_time", sf(raised, time.Time{}, 1))
				}
			}
		}
		if r.IntN(5) == 0 {
			opened := when()
			var closed time.Time
			state := "open"
			if r.IntN(2) == 0 {
				closed, state = opened.Add(time.Duration(1+r.IntN(40*24))*time.Hour), "closed"
			}
			c := w.exec(`INSERT INTO cases (student_id, state, owner_user_id, opened_at, opened_by, closed_at) VALUES (?, ?, ?, ?, ?, ?)`,
				s.id, state, user, mic(opened), user, mic(closed))
			w.add("cases_open", sf(opened, closed, 1))
			w.add("cases_opened", sf(opened, time.Time{}, 1))
			for v := 1; v <= r.IntN(3); v++ {
				at := opened.Add(time.Duration(v) * time.Hour)
				w.exec(`INSERT INTO support_plans (case_id, version, body, frequency, next_review_at, author_id, created_at) VALUES (?, ?, ?, 'weekly', ?, ?, ?)`,
					c, v, []byte{1}, mic(at), user, mic(at))
				if v == 1 {
					w.add("plans_written", sf(at, time.Time{}, 1))
				}
			}
			for range r.IntN(4) {
				due := when()
				var done time.Time
				if r.IntN(2) == 0 {
					done = due.Add(time.Hour)
					w.add("follow_ups_done", sf(done, time.Time{}, 1))
				}
				w.exec(`INSERT INTO follow_ups (case_id, student_id, owner_id, kind, due_at, done_at, created_at) VALUES (?, ?, ?, 'student', ?, ?, ?)`,
					c, s.id, user, mic(due), mic(done), mic(due))
			}
		}
	}
	// Counselling sessions at schools, each with one to four students of it.
	for range 40 {
		sc := schools[r.IntN(len(schools))]
		kind := []string{"individual", "group"}[r.IntN(2)]
		at := when()
		sess := w.exec(`INSERT INTO counselling_sessions (kind, counsellor_id, org_unit_id, held_at, minutes, created_at) VALUES (?, ?, ?, ?, 45, ?)`,
			kind, user, sc.ID, mic(at), mic(at))
		seen := map[int64]bool{}
		for range 1 + r.IntN(4) {
			s := kids[r.IntN(len(kids))]
			if seen[s.id] {
				continue
			}
			seen[s.id] = true
			w.run(`INSERT INTO session_attendance (session_id, student_id) VALUES (?, ?)`, sess, s.id)
			g := gen{unit: sc.ID, subject: s.id, amount: 1, at: at, grade: s.grade, class: s.class}
			w.add("counselling_"+kind, g)
			w.add("counselling_people", g)
		}
	}
	// Hotline contacts, calls, incidents and referrals.
	channels := []string{"phone", "face_to_face", "wechat", "weibo", "letter", "outreach", "web_chat"}
	for range 150 {
		st := []*org.Unit{station, branch}[r.IntN(2)]
		ch := channels[r.IntN(len(channels))]
		state := []string{"draft", "final", "final", "final"}[r.IntN(4)]
		risk := []string{"", "low", "moderate", "high", "imminent"}[r.IntN(5)]
		at := when()
		id := w.exec(`INSERT INTO contacts (station_id, channel, state, counsellor_id, author_id, started_at, risk_level, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			st.ID, ch, state, user, user, mic(at), risk, mic(at))
		if state != "final" {
			continue
		}
		g := gen{unit: st.ID, subject: id, amount: 1, at: at}
		w.add("hotline_contacts", g)
		switch ch {
		case "phone":
			w.add("hotline_phone", g)
		case "face_to_face":
			w.add("hotline_face_to_face", g)
		case "wechat", "weibo", "web_chat":
			w.add("hotline_online", g)
		case "letter":
			w.add("hotline_letters", g)
		}
		if risk == "high" || risk == "imminent" {
			w.add("hotline_high_risk", g)
		}
	}
	for n := range 60 {
		st := []*org.Unit{station, branch}[r.IntN(2)]
		at := when()
		var answered time.Time
		if r.IntN(5) > 0 {
			answered = at.Add(20 * time.Second)
		}
		id := w.exec(`INSERT INTO phone_calls (call_ref, station_id, offered_at, answered_at, updated_at) VALUES (?, ?, ?, ?, ?)`,
			fmt.Sprintf("call-%d", n), st.ID, mic(at), mic(answered), mic(at))
		w.add("calls_offered", gen{unit: st.ID, subject: id, amount: 1, at: at})
		if !answered.IsZero() {
			w.add("calls_answered", gen{unit: st.ID, subject: id, amount: 1, at: at})
		}
	}
	for range 25 {
		u := []*org.Unit{station, branch, schools[r.IntN(len(schools))]}[r.IntN(3)]
		opened := when()
		var police int64
		var safe, closed time.Time
		if r.IntN(2) == 0 {
			police = hospital.ID // any unit id stands for the police unit here
		}
		if r.IntN(3) > 0 {
			safe = opened.Add(time.Hour)
		}
		if r.IntN(3) == 0 {
			closed = opened.Add(time.Duration(1+r.IntN(30*24)) * time.Hour)
		}
		id := w.exec(`INSERT INTO incidents (unit_id, source, state, handler_id, opened_by, opened_at, police_unit_id, safety_at, closed_at, updated_at)
			VALUES (?, 'duty', 'opened', ?, ?, ?, ?, ?, ?, ?)`, u.ID, user, user, mic(opened), police, mic(safe), mic(closed), mic(opened))
		g := gen{unit: u.ID, subject: id, amount: 1, at: opened}
		w.add("crises_opened", g)
		if police != 0 {
			w.add("crises_police", g)
		}
		if !safe.IsZero() {
			w.add("crises_safe", g)
		}
		if !closed.IsZero() {
			w.add("crises_closed", gen{unit: u.ID, subject: id, amount: 1, at: closed})
		}
	}
	for range 30 {
		from := []*org.Unit{station, schools[r.IntN(len(schools))]}[r.IntN(2)]
		sent := when()
		var seen, feedback, closed time.Time
		state := "sent"
		if r.IntN(3) > 0 {
			seen, state = sent.Add(time.Duration(r.IntN(20*24))*time.Hour), "seen"
			if r.IntN(2) == 0 {
				feedback, state = seen.Add(24*time.Hour), "feedback_received"
			}
		}
		if r.IntN(2) == 0 {
			closed = sent.Add(time.Duration(r.IntN(60*24)) * time.Hour)
			state = []string{"closed", "declined"}[r.IntN(2)]
		}
		id := w.exec(`INSERT INTO referrals (source_type, source_id, from_unit, to_unit, sender_id, urgency, state, identity, reason, shares, basis, under14,
			sent_at, seen_at, feedback_at, closed_at) VALUES ('incident', 0, ?, ?, ?, 'routine', ?, ?, ?, '', 'consent', 0, ?, ?, ?, ?)`,
			from.ID, hospital.ID, user, state, []byte{1}, []byte{1}, mic(sent), mic(seen), mic(feedback), mic(closed))
		g := gen{unit: from.ID, subject: id, amount: 1, at: sent}
		w.add("referrals_sent", g)
		if !seen.IsZero() {
			w.add("referrals_seen", g)
			w.add("referral_visit_days", gen{unit: from.ID, subject: id, amount: int64(seen.Sub(sent) / (24 * time.Hour)), at: sent})
		}
		if !closed.IsZero() {
			w.add("referrals_closed", gen{unit: from.ID, subject: id, amount: 1, at: closed})
			if state == "closed" && !feedback.IsZero() {
				w.add("referrals_closed_feedback", gen{unit: from.ID, subject: id, amount: 1, at: closed})
			}
		}
	}
	w.around(r, when, user, schools, station)
}

// around generates the work around the loop: the registry and its
// certifications, training, outreach activities and venues.
func (w *world) around(r *rand.Rand, when func() time.Time, user int64, schools []*org.Unit, station *org.Unit) {
	mic := db.Micro
	units := append(append([]*org.Unit{}, schools...), station)
	for n := range 24 {
		u := units[r.IntN(len(units))]
		kind := []string{"psych_teacher_full", "psych_teacher_part", "hotline_counsellor", "volunteer"}[r.IntN(4)]
		active := r.IntN(8) > 0
		made := when()
		pid := w.exec(`INSERT INTO workforce_people (org_unit_id, name, kind, tier, active, created_by, created_at, updated_at) VALUES (?, ?, ?, 'none', ?, ?, ?, ?)`,
			u.ID, fmt.Sprintf("咨询师%d", n), kind, db.Bool(active), user, mic(made), mic(made))
		if active && kind == "psych_teacher_full" {
			w.add("psych_teachers_full", gen{unit: u.ID, subject: pid, amount: 1, at: made})
		}
		for range r.IntN(3) {
			level := []string{"senior", "intermediate"}[r.IntN(2)]
			issued := when().AddDate(0, -r.IntN(6), 0)
			expires := issued.Add(time.Duration(30+r.IntN(300)) * 24 * time.Hour)
			until := expires
			var ended time.Time
			if r.IntN(5) == 0 {
				ended = issued.Add(time.Duration(r.IntN(40)) * 24 * time.Hour)
				if ended.Before(expires) {
					until = ended
				}
			}
			w.exec(`INSERT INTO workforce_certs (person_id, level, body, issued_on, expires_on, ended_at, created_by, created_at) VALUES (?, ?, '省心理学会', ?, ?, ?, ?, ?)`,
				pid, level, mic(issued), mic(expires), mic(ended), user, mic(issued))
			if active {
				g := gen{unit: u.ID, subject: pid, amount: 1, at: issued, until: until}
				w.add("counsellors_certified", g)
				w.add("counsellors_"+level, g)
			}
		}
	}
	p := &people.Service{DB: w.d, Audit: w.svc.Audit, Seal: testutil.Keyring(w.t)}
	var trainees []int64
	for n := range 5 {
		id, _, err := p.Bootstrap(w.ctx, people.NewUser{Username: fmt.Sprintf("trainee-%d", n), DisplayName: "学员"}, "Generated-Password-2026", w.city.ID, access.HeadTeacher)
		if err != nil {
			w.t.Fatal(err)
		}
		trainees = append(trainees, id)
	}
	for range 6 {
		course := w.exec(`INSERT INTO training_courses (org_unit_id, title, kind, minutes, created_by, created_at) VALUES (?, '危机干预培训', 'crisis', 120, ?, ?)`,
			units[r.IntN(len(units))].ID, user, mic(when()))
		courseUnit := testNum(w, `SELECT org_unit_id FROM training_courses WHERE id = ?`, course)
		for range 1 + r.IntN(3) {
			starts := when()
			var cancelled time.Time
			if r.IntN(6) == 0 {
				cancelled = starts.Add(-time.Hour)
			}
			sess := w.exec(`INSERT INTO training_sessions (course_id, starts_at, ends_at, capacity, minutes, cancelled_at, created_by, created_at) VALUES (?, ?, ?, 30, 120, ?, ?, ?)`,
				course, mic(starts), mic(starts.Add(2*time.Hour)), mic(cancelled), user, mic(starts))
			held := false
			for _, tr := range trainees {
				if r.IntN(2) == 0 {
					continue
				}
				unit := units[r.IntN(len(units))].ID
				attended := r.IntN(3) > 0
				minutes := 0
				if attended {
					minutes = 60 + 30*r.IntN(3)
				}
				w.run(`INSERT INTO training_enrolments (session_id, user_id, org_unit_id, how, enrolled_by, enrolled_at, attended, minutes) VALUES (?, ?, ?, 'self', ?, ?, ?, ?)`,
					sess, tr, unit, tr, mic(starts), db.Bool(attended), minutes)
				if attended && cancelled.IsZero() {
					held = true
					g := gen{unit: unit, subject: tr, amount: 1, at: starts}
					w.add("training_person_times", g)
					w.add("training_people", g)
					g.amount = int64(minutes)
					w.add("training_minutes", g)
				}
			}
			if held {
				w.add("training_sessions", gen{unit: courseUnit, subject: sess, amount: 1, at: starts})
			}
		}
	}
	for range 30 {
		u := units[r.IntN(len(units))]
		kind := []string{"awareness_event", "lecture", "touring_talk", "parent_class", "group_activity", "media"}[r.IntN(6)]
		at := when()
		attendance := int64(r.IntN(200))
		id := w.exec(`INSERT INTO outreach_activities (org_unit_id, kind, title, starts_at, audiences, attendance, created_by, created_at, updated_at)
			VALUES (?, ?, '心理健康讲座', ?, 'parents', ?, ?, ?, ?)`, u.ID, kind, mic(at), attendance, user, mic(at), mic(at))
		w.add("activities", gen{unit: u.ID, subject: id, amount: 1, at: at})
		w.add("activity_person_times", gen{unit: u.ID, subject: id, amount: attendance, at: at})
		if kind == "parent_class" {
			w.add("parent_classes", gen{unit: u.ID, subject: id, amount: 1, at: at})
		}
	}
	for range 16 {
		u := units[r.IntN(len(units))]
		kind := []string{"counselling_room", "youth_care_room", "guidance_centre"}[r.IntN(3)]
		active := r.IntN(6) > 0
		made := when()
		id := w.exec(`INSERT INTO venues (org_unit_id, kind, name, active, created_by, created_at, updated_at) VALUES (?, ?, '心理辅导室', ?, ?, ?, ?)`,
			u.ID, kind, db.Bool(active), user, mic(made), mic(made))
		if active && kind != "guidance_centre" {
			w.add(map[string]string{"counselling_room": "counselling_rooms", "youth_care_room": "youth_care_rooms"}[kind], gen{unit: u.ID, subject: id, amount: 1, at: made})
		}
	}
}

func testNum(w *world, q string, args ...any) int64 {
	return testutil.Num(w.t, w.d, q, args...)
}

// ancestors lists u and the units above it, by parent links.
func (w *world) ancestors(u int64) []int64 {
	out := []int64{u}
	for p, ok := w.parent[u]; ok; p, ok = w.parent[p] {
		out = append(out, p)
	}
	return out
}

// expect counts an indicator for a unit (its subtree) or a school's part
// and a period, from the generator's facts.
func (w *world) expect(in stats.Indicator, unit int64, part string, p stats.Period) int64 {
	var sum int64
	people := map[int64]bool{}
	for _, f := range w.facts[in.ID] {
		if in.Kind == "flow" && (f.at.Before(p.Start) || !f.at.Before(p.End)) {
			continue
		}
		if in.Kind == "stock" && (!f.at.Before(p.End) || (!f.until.IsZero() && f.until.Before(p.End))) {
			continue
		}
		in := false
		if part == "" {
			for _, a := range w.ancestors(f.unit) {
				in = in || a == unit
			}
		} else {
			g := fmt.Sprintf("g%d", f.grade)
			in = f.unit == unit && f.grade > 0 && (part == g || part == g+"/"+f.class)
		}
		if !in {
			continue
		}
		sum += f.amount
		people[f.subject] = true
	}
	if in.Agg == "people" {
		return int64(len(people))
	}
	return sum
}

// The rollups equal, for every counted indicator, unit, school part and
// period (months, quarters, the year), what the generator wrote; and each
// indicator counts something in the generated world, so none is checked
// only at zero.
func TestRollupsReconcile(t *testing.T) {
	w := newWorld(t)
	start := time.Date(2026, 4, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	w.generate(42, start)
	periods := []stats.Period{stats.Month(2026, 4), stats.Month(2026, 5), stats.Month(2026, 6), stats.Month(2026, 7),
		stats.Quarter(2026, 2), stats.Quarter(2026, 3), stats.Year(2026)}
	if err := w.svc.Refresh(w.ctx, w.reg, periods...); err != nil {
		t.Fatal(err)
	}
	got := map[string]int64{}
	err := w.d.Read(w.ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT period, unit_id, indicator, part, value FROM stat_rollups`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var period, ind, part string
			var unit, v int64
			if err := rows.Scan(&period, &unit, &ind, &part, &v); err != nil {
				return err
			}
			got[fmt.Sprintf("%s %d %s %s", period, unit, ind, part)] = v
		}
		return rows.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	parts := map[int64][]string{}
	seenPart := map[string]bool{}
	for _, facts := range w.facts {
		for _, f := range facts {
			g := fmt.Sprintf("g%d", f.grade)
			if k := fmt.Sprint(f.unit, g, f.class); f.grade > 0 && !seenPart[k] {
				seenPart[k] = true
				parts[f.unit] = append(parts[f.unit], g+"/"+f.class)
				if !seenPart[fmt.Sprint(f.unit, g)] {
					seenPart[fmt.Sprint(f.unit, g)] = true
					parts[f.unit] = append(parts[f.unit], g)
				}
			}
		}
	}
	checked, nonzero := 0, map[string]bool{}
	for _, in := range w.reg.Counted() {
		if len(w.facts[in.ID]) == 0 {
			t.Errorf("the generator made no facts of %s", in.ID)
		}
		for _, p := range periods {
			for _, u := range w.units {
				for _, part := range append([]string{""}, parts[u.ID]...) {
					want := w.expect(in, u.ID, part, p)
					if g := got[fmt.Sprintf("%s %d %s %s", p, u.ID, in.ID, part)]; g != want {
						t.Errorf("%s %s unit %s part %q: rollup %d, want %d", in.ID, p, u.Name, part, g, want)
					}
					if want != 0 {
						nonzero[in.ID] = true
					}
					checked++
				}
			}
		}
		if !nonzero[in.ID] {
			t.Errorf("%s is zero everywhere: the check proves nothing", in.ID)
		}
	}
	t.Logf("%d cells checked across %d indicators", checked, len(w.reg.Counted()))
}

// userID is the generator's account.
func (w *world) userID(t *testing.T) int64 {
	return numOf(t, w, `SELECT id FROM users WHERE username = 'stats-generator'`)
}
