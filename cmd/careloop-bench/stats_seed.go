package main

import (
	"context"
	"fmt"
	"strconv"
	"time"

	"github.com/careloop/careloop/internal/db"
)

// The city of the dashboard benchmark: two calendar years of records
// (2025 and 2026) read by the indicators of internal/stats. Every choice
// below is a pure function of a row's index (mix), so the same sizes give
// the same city.

// cst is China Standard Time, the zone of the periods.
var cst = time.FixedZone("CST", 8*3600)

var (
	cityStart = time.Date(2025, 1, 1, 0, 0, 0, 0, cst)
	// cityClock is the benchmark's "now": the last month of the two years.
	cityClock = time.Date(2026, 12, 15, 12, 0, 0, 0, cst)
	// screenings are the four city-wide screening windows (28 days each).
	screenings = []time.Time{time.Date(2025, 3, 3, 8, 0, 0, 0, cst), time.Date(2025, 10, 8, 8, 0, 0, 0, cst),
		time.Date(2026, 3, 2, 8, 0, 0, 0, cst), time.Date(2026, 10, 9, 8, 0, 0, 0, cst)}
	// intakes: when students' records were created (most before the two years).
	intakes = []time.Time{time.Date(2024, 9, 1, 8, 0, 0, 0, cst), time.Date(2025, 9, 1, 8, 0, 0, 0, cst), time.Date(2026, 9, 1, 8, 0, 0, 0, cst)}
)

const (
	usHour = int64(time.Hour / time.Microsecond)
	usDay  = 24 * usHour
)

type unitRef struct {
	id   int64
	path string
}

// schoolRef is a school and its grades: primary 1-6, junior 7-9 or senior 10-12.
type schoolRef struct {
	unitRef
	grade0, grades int
}

// place is the grade and class of the school's j-th student (classes of
// about 42).
func (s schoolRef) place(j int) (int, string) {
	per := 1000 / s.grades
	classes := max(1, (per+41)/42)
	return s.grade0 + j%s.grades, strconv.Itoa((j/s.grades)%classes+1) + "班"
}

type tableRows struct {
	Table string `json:"table"`
	Rows  int    `json:"rows"`
}

type city struct {
	students                       int
	root                           unitRef
	districts, stations, stations2 []unitRef // districts; hotline station and branches; community stations
	schools                        []schoolRef
	hospitals                      []int64
	police, user                   int64
	studentBase                    int64
	counts                         []tableRows
}

func (c *city) school(i int) schoolRef { return c.schools[min(i/1000, len(c.schools)-1)] }

// mix is a 64-bit hash of an index and a salt (splitmix64's finaliser).
func mix(i int, salt uint64) uint64 {
	x := uint64(i)*0x9E3779B97F4A7C15 ^ (salt*0xD1B54A32D192ED03 + 0x632BE59BD9B4E019)
	x ^= x >> 30
	x *= 0xBF58476D1CE4E5B9
	x ^= x >> 27
	x *= 0x94D049BB133111EB
	return x ^ x>>31
}

func pct(i int, salt uint64) int { return int(mix(i, salt) % 100) }

// spread is a time in the two years, before the clock.
func spread(i int, salt uint64) int64 {
	a, b := db.Micro(cityStart), db.Micro(cityClock)
	return a + int64(mix(i, salt)%uint64(b-a))
}

func (c *city) count(table string, n int) { c.counts = append(c.counts, tableRows{table, n}) }

// seedCity makes 12 districts, a school per 1,000 students (a third each
// primary, junior and senior), five community stations per district, a
// hotline station with a branch per district, hospitals and a police unit,
// and two years of records in every table the indicators read.
func seedCity(ctx context.Context, d *db.DB, students int) (*city, error) {
	us := db.Micro(cityStart)
	c := &city{students: students}
	nSchools := max(1, students/1000)
	err := d.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		mk := func(kind, name string, parent *unitRef, depth int) (unitRef, error) {
			var id int64
			var err error
			if parent == nil {
				id, err = tx.InsertID(ctx, `INSERT INTO org_units (kind, name, created_at, updated_at) VALUES (?, ?, ?, ?)`, kind, name, us, us)
			} else {
				id, err = tx.InsertID(ctx, `INSERT INTO org_units (kind, name, parent_id, depth, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?)`,
					kind, name, parent.id, depth, us, us)
			}
			if err != nil {
				return unitRef{}, err
			}
			path := "/" + strconv.FormatInt(id, 10) + "/"
			if parent != nil {
				path = parent.path + strconv.FormatInt(id, 10) + "/"
			}
			_, err = tx.Exec(ctx, `UPDATE org_units SET path = ? WHERE id = ?`, path, id)
			return unitRef{id, path}, err
		}
		var err error
		if c.root, err = mk("city", "City", nil, 0); err != nil {
			return err
		}
		for i := range 12 {
			u, err := mk("district", "District "+strconv.Itoa(i), &c.root, 1)
			if err != nil {
				return err
			}
			c.districts = append(c.districts, u)
			for j := range 5 {
				s, err := mk("community_station", fmt.Sprintf("Station %d-%d", i, j), &u, 2)
				if err != nil {
					return err
				}
				c.stations2 = append(c.stations2, s)
			}
		}
		for k := range nSchools {
			u, err := mk("school", "School "+strconv.Itoa(k), &c.districts[k%12], 2)
			if err != nil {
				return err
			}
			s := schoolRef{unitRef: u, grade0: []int{1, 7, 10}[k%3], grades: []int{6, 3, 3}[k%3]}
			c.schools = append(c.schools, s)
		}
		hq, err := mk("hotline_station", "Hotline", &c.root, 1)
		if err != nil {
			return err
		}
		c.stations = append(c.stations, hq)
		for i := range 12 {
			b, err := mk("hotline_station", "Hotline branch "+strconv.Itoa(i), &hq, 2)
			if err != nil {
				return err
			}
			c.stations = append(c.stations, b)
		}
		for i := range 5 {
			h, err := mk("hospital", "Hospital "+strconv.Itoa(i), &c.root, 1)
			if err != nil {
				return err
			}
			c.hospitals = append(c.hospitals, h.id)
		}
		p, err := mk("police", "Police", &c.root, 1)
		if err != nil {
			return err
		}
		c.police = p.id
		c.user, err = tx.InsertID(ctx, `INSERT INTO users (username, display_name, password_hash, password_changed_at, created_at) VALUES ('bench', 'Bench', 'x', ?, ?)`, us, us)
		if err != nil {
			return err
		}
		for i := range 4 {
			_, err := tx.Exec(ctx, `INSERT INTO campaigns (org_unit_id, name, instruments, starts_at, ends_at, consent_rule, created_by, created_at) VALUES (?, ?, 'phq_a', ?, ?, 'none', ?, ?)`,
				c.root.id, "Screening "+strconv.Itoa(i), db.Micro(screenings[i]), db.Micro(screenings[i])+28*usDay, c.user, us)
			if err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	c.count("org_units", 1+12+60+nSchools+13+5+1)
	if err := c.seedStudents(ctx, d); err != nil {
		return nil, err
	}
	if err := c.seedCare(ctx, d); err != nil {
		return nil, err
	}
	if err := c.seedHotline(ctx, d); err != nil {
		return nil, err
	}
	_, err = d.Exec(ctx, `ANALYZE`)
	return c, err
}

// created is when student i's record was created: 85% before the two
// years, the rest at the September intakes.
func created(i int) int64 {
	switch p := pct(i, 1); {
	case p < 85:
		return db.Micro(intakes[0])
	case p < 93:
		return db.Micro(intakes[1])
	}
	return db.Micro(intakes[2])
}

func (c *city) seedStudents(ctx context.Context, d *db.DB) error {
	n := c.students
	err := insertRows(ctx, d, "students", []string{"student_no", "name", "name_initials", "gender", "birth_date", "school_id", "grade",
		"class_name", "status", "created_at", "updated_at"}, n, func(i int) []any {
		s := c.school(i)
		g, cl := s.place(i % 1000)
		status := "active"
		if pct(i, 2) < 2 {
			status = "graduated"
		}
		at := created(i)
		return []any{fmt.Sprintf("C%09d", i+1), "学生" + strconv.Itoa(i+1), "xs", []string{"female", "male"}[i%2], "2012-05-01", s.id, g, cl, status, at, at}
	})
	if err != nil {
		return err
	}
	c.count("students", n)
	if err := d.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT MIN(id) FROM students`).Scan(&c.studentBase)
	}); err != nil {
		return err
	}
	var campaign0 int64
	if err := d.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT MIN(id) FROM campaigns`).Scan(&campaign0)
	}); err != nil {
		return err
	}
	// Responses: 90% of the students enrolled at each screening answer it,
	// one questionnaire (PHQ-A) each.
	type resp struct {
		student int32
		screen  int8
	}
	var rs []resp
	last := make([]int64, n)
	tiers := []string{"green", "yellow", "orange", "red"}
	tierOf := func(i int) string {
		switch p := pct(i, 3); {
		case p < 2:
			return tiers[3]
		case p < 8:
			return tiers[2]
		case p < 20:
			return tiers[1]
		}
		return tiers[0]
	}
	submitted := func(i, s int) int64 {
		return db.Micro(screenings[s]) + int64(mix(i, uint64(10+s))%uint64(28*usDay))
	}
	for s := range screenings {
		for i := range n {
			if created(i) < db.Micro(screenings[s]) && pct(i, uint64(20+s)) < 90 {
				rs = append(rs, resp{int32(i), int8(s)})
				last[i] = submitted(i, s)
			}
		}
	}
	err = insertRows(ctx, d, "responses", []string{"campaign_id", "student_id", "instrument_id", "instrument_version", "answers", "total", "tier",
		"elapsed_ms", "submitted_at", "idempotency_key"}, len(rs), func(k int) []any {
		i, s := int(rs[k].student), int(rs[k].screen)
		return []any{campaign0 + int64(s), c.studentBase + int64(i), "phq_a", "1", []byte{0}, int(mix(i, 30) % 27), tierOf(i), 90000,
			submitted(i, s), "k" + strconv.Itoa(s)}
	})
	if err != nil {
		return err
	}
	c.count("responses", len(rs))
	var screened []int32
	for i, at := range last {
		if at > 0 {
			screened = append(screened, int32(i))
		}
	}
	err = insertRows(ctx, d, "student_tiers", []string{"student_id", "tier", "campaign_id", "at"}, len(screened), func(k int) []any {
		i := int(screened[k])
		return []any{c.studentBase + int64(i), tierOf(i), campaign0, last[i]}
	})
	c.count("student_tiers", len(screened))
	return err
}

// alertStudent is the student of alert (and case) i: distinct for every i
// below students/25, so at most one alert and one case is open per student.
func (c *city) alertStudent(i int) int { return (i*25 + 7) % c.students }

func (c *city) seedCare(ctx context.Context, d *db.DB) error {
	n := c.students
	end := db.Micro(cityClock)
	nAlerts := n * 4 / 100
	levels := []string{"red", "orange", "orange", "yellow", "yellow"}
	err := insertRows(ctx, d, "alerts", []string{"student_id", "school_id", "level", "state", "owner_user_id", "owner_org_id", "signal_at",
		"raised_at", "ack_due_at", "contact_due_at", "acknowledged_at", "closed_at"}, nAlerts, func(i int) []any {
		st := c.alertStudent(i)
		raised := spread(i, 40)
		acked, closed, state := int64(0), int64(0), "open"
		if pct(i, 41) < 95 {
			acked = min(end, raised+int64(5+mix(i, 42)%175)*60_000_000)
			state = "acknowledged"
		}
		if raised < end-14*usDay && pct(i, 43) < 90 {
			closed, state = raised+int64(1+mix(i, 44)%10)*usDay, "closed"
		}
		return []any{c.studentBase + int64(st), c.school(st).id, levels[mix(i, 45)%5], state, c.user, c.school(st).id, raised, raised,
			raised + usHour, raised + 48*usHour, acked, closed}
	})
	if err != nil {
		return err
	}
	c.count("alerts", nAlerts)
	nCases := n * 15 / 1000
	opened := func(i int) int64 { return spread(i, 50) }
	err = insertRows(ctx, d, "cases", []string{"student_id", "state", "owner_user_id", "opened_at", "opened_by", "closed_at"}, nCases, func(i int) []any {
		o, closed, state := opened(i), int64(0), "open"
		if c2 := o + int64(30+mix(i, 51)%150)*usDay; c2 < end && pct(i, 52) < 60 {
			closed, state = c2, "closed"
		}
		return []any{c.studentBase + int64(c.alertStudent(i)), state, c.user, o, c.user, closed}
	})
	if err != nil {
		return err
	}
	c.count("cases", nCases)
	var case0 int64
	if err := d.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT MIN(id) FROM cases`).Scan(&case0)
	}); err != nil {
		return err
	}
	nV2 := nCases * 3 / 10
	err = insertRows(ctx, d, "support_plans", []string{"case_id", "version", "body", "frequency", "next_review_at", "author_id", "created_at"},
		nCases+nV2, func(k int) []any {
			i, v, at := k, 1, opened(k)+3*usDay
			if k >= nCases {
				i, v = k-nCases, 2
				at = opened(i) + 60*usDay
			}
			return []any{case0 + int64(i), v, []byte{0}, "weekly", at + 30*usDay, c.user, min(at, end)}
		})
	if err != nil {
		return err
	}
	c.count("support_plans", nCases+nV2)
	err = insertRows(ctx, d, "follow_ups", []string{"case_id", "student_id", "owner_id", "kind", "due_at", "done_at", "created_at"}, 4*nCases, func(k int) []any {
		i := k / 4
		due := opened(i) + int64(k%4+1)*14*usDay
		done := int64(0)
		if t := due + int64(mix(k, 60)%(2*uint64(usDay))); t < end && pct(k, 61) < 90 {
			done = t
		}
		return []any{case0 + int64(i), c.studentBase + int64(c.alertStudent(i)), c.user, []string{"student", "family", "teacher"}[k%3], due, done, opened(i)}
	})
	if err != nil {
		return err
	}
	c.count("follow_ups", 4*nCases)
	// Counselling: four individual sessions per case at the student's
	// school, and group sessions of eight students at schools.
	nInd, nGroup := 4*nCases, n*6/1000
	held := func(k int) int64 {
		if k < nInd {
			if t := opened(k/4) + int64(k%4+1)*10*usDay; t < end {
				return t
			}
		}
		return spread(k, 70)
	}
	groupSchool := func(g int) schoolRef { return c.schools[g%len(c.schools)] }
	err = insertRows(ctx, d, "counselling_sessions", []string{"kind", "counsellor_id", "org_unit_id", "held_at", "minutes", "created_at"},
		nInd+nGroup, func(k int) []any {
			if k < nInd {
				return []any{"individual", c.user, c.school(c.alertStudent(k / 4)).id, held(k), 50, held(k)}
			}
			return []any{"group", c.user, groupSchool(k - nInd).id, held(k), 90, held(k)}
		})
	if err != nil {
		return err
	}
	c.count("counselling_sessions", nInd+nGroup)
	var session0 int64
	if err := d.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT MIN(id) FROM counselling_sessions`).Scan(&session0)
	}); err != nil {
		return err
	}
	err = insertRows(ctx, d, "session_attendance", []string{"session_id", "student_id"}, nInd+8*nGroup, func(k int) []any {
		if k < nInd {
			return []any{session0 + int64(k), c.studentBase + int64(c.alertStudent(k/4))}
		}
		g, m := (k-nInd)/8, (k-nInd)%8
		first := (g%len(c.schools))*1000 + (g/len(c.schools)*8+m)%min(1000, c.students)
		return []any{session0 + int64(nInd+g), c.studentBase + int64(min(first, c.students-1))}
	})
	if err != nil {
		return err
	}
	c.count("session_attendance", nInd+8*nGroup)
	// Referrals from schools to hospitals, from the cases.
	nRef := n / 100
	err = insertRows(ctx, d, "referrals", []string{"source_type", "source_id", "case_id", "student_id", "from_unit", "to_unit", "sender_id",
		"urgency", "state", "identity", "reason", "shares", "basis", "under14", "sent_at", "seen_at", "feedback_at", "closed_at"}, nRef, func(k int) []any {
		i := k % nCases
		st := c.alertStudent(i)
		sent := spread(k, 80)
		seen, fb, closed, state := int64(0), int64(0), int64(0), "sent"
		if t := sent + int64(3+mix(k, 81)%28)*usDay; t < end && pct(k, 82) < 75 {
			seen, state = t, "seen"
			if t2 := t + 14*usDay; t2 < end && pct(k, 83) < 70 {
				fb, state = t2, "feedback_received"
				if t3 := t2 + 14*usDay; t3 < end && pct(k, 84) < 80 {
					closed, state = t3, "closed"
				}
			}
		} else if t := sent + 5*usDay; t < end && pct(k, 85) < 10 {
			closed, state = t, "declined"
		}
		return []any{"case", case0 + int64(i), case0 + int64(i), c.studentBase + int64(st), c.school(st).id, c.hospitals[k%len(c.hospitals)], c.user,
			[]string{"routine", "routine", "urgent"}[k%3], state, []byte{0}, []byte{0}, "identity reason", "consent", 0, sent, seen, fb, closed}
	})
	if err != nil {
		return err
	}
	c.count("referrals", nRef)
	return nil
}

func (c *city) seedHotline(ctx context.Context, d *db.DB) error {
	n := c.students
	end := db.Micro(cityClock)
	nContacts := n * 15 / 100
	channel := func(k int) string {
		switch p := pct(k, 90); {
		case p < 60:
			return "phone"
		case p < 75:
			return "wechat"
		case p < 80:
			return "weibo"
		case p < 90:
			return "web_chat"
		case p < 95:
			return "face_to_face"
		case p < 98:
			return "letter"
		}
		return "outreach"
	}
	risk := func(k int) string {
		switch p := pct(k, 91); {
		case p < 80:
			return ""
		case p < 90:
			return "low"
		case p < 96:
			return "medium"
		case p < 99:
			return "high"
		}
		return "imminent"
	}
	err := insertRows(ctx, d, "contacts", []string{"station_id", "channel", "state", "counsellor_id", "author_id", "started_at", "ended_at",
		"caller_type", "risk_level", "updated_at", "finalised_at"}, nContacts, func(k int) []any {
		at := spread(k, 92)
		state, fin := "final", min(end, at+30*60_000_000)
		if pct(k, 93) < 3 {
			state, fin = "draft", 0
		}
		return []any{c.stations[mix(k, 94)%uint64(len(c.stations))].id, channel(k), state, c.user, c.user, at, at + 20*60_000_000,
			"child_self", risk(k), at, fin}
	})
	if err != nil {
		return err
	}
	c.count("contacts", nContacts)
	nCalls := n * 20 / 100
	err = insertRows(ctx, d, "phone_calls", []string{"call_ref", "station_id", "state", "offered_at", "answered_at", "ended_at", "updated_at"}, nCalls, func(k int) []any {
		at := spread(k, 95)
		ans, state := int64(0), "abandoned"
		if pct(k, 96) < 85 {
			ans, state = at+int64(mix(k, 97)%60)*1_000_000, "ended"
		}
		return []any{"c" + strconv.Itoa(k), c.stations[mix(k, 98)%uint64(len(c.stations))].id, state, at, ans, at + 20*60_000_000, at}
	})
	if err != nil {
		return err
	}
	c.count("phone_calls", nCalls)
	nInc := n * 3 / 1000
	err = insertRows(ctx, d, "incidents", []string{"unit_id", "source", "state", "handler_id", "opened_by", "opened_at", "risk_level",
		"police_unit_id", "safety_at", "closed_at", "updated_at"}, nInc, func(k int) []any {
		at := spread(k, 100)
		unit := c.schools[mix(k, 101)%uint64(len(c.schools))].id
		if pct(k, 102) < 40 {
			unit = c.stations[k%len(c.stations)].id
		}
		police, safe, closed, state := int64(0), int64(0), int64(0), "open"
		if pct(k, 103) < 10 {
			police = c.police
		}
		if pct(k, 104) < 90 {
			safe = min(end, at+2*usHour)
		}
		if t := at + int64(3+mix(k, 105)%20)*usDay; t < end && pct(k, 106) < 85 {
			closed, state = t, "closed"
		}
		return []any{unit, "duty", state, c.user, c.user, at, "high", police, safe, closed, at}
	})
	if err != nil {
		return err
	}
	c.count("incidents", nInc)
	return nil
}
