package research_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"math/rand/v2"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/jobs"
	"github.com/careloop/careloop/internal/notify"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/people"
	"github.com/careloop/careloop/internal/research"
	"github.com/careloop/careloop/internal/sharing"
	"github.com/careloop/careloop/internal/testutil"
)

// monday is the tests' clock: Monday 2 March 2026, 09:00 UTC.
var monday = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)

// env is a city with districts A (schools A1, A2) and B (school B1), a
// hotline station, a hospital; a coordinator of A, a coordinator of the
// city, a researcher at the city and staff who own the loop's records.
type env struct {
	t    *testing.T
	ctx  context.Context
	d    *db.DB
	clk  *testutil.Clock
	svc  *research.Service
	org  *org.Service
	ppl  *people.Service
	q    *jobs.Queue
	keys interface {
		Open([]byte, string) ([]byte, error)
	}
	admin access.Principal

	city, distA, a1, a2, distB, b1, station, hospital *org.Unit
	coordA, coordCity, researcher, staff              access.Principal
	campaign                                          int64

	// what the scan test looks for
	names, numbers, phones, notes []string
	rng                           *rand.Rand
	seq                           int
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	d := testutil.DB(t)
	if err := jobs.Migrate(ctx, d); err != nil {
		t.Fatal(err)
	}
	clk := testutil.NewClock(monday)
	log, err := audit.New("sha256", clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	keys := testutil.Keyring(t)
	q, err := jobs.New(d, jobs.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	sh := &sharing.Service{DB: d, Audit: log, Seal: keys, Now: clk.Now}
	e := &env{t: t, ctx: ctx, d: d, clk: clk, q: q, keys: keys, rng: rand.New(rand.NewPCG(7, 11)),
		svc: &research.Service{DB: d, Audit: log, Seal: keys, Jobs: q, Notify: &notify.Service{Now: clk.Now}, Sharing: sh, Now: clk.Now},
		org: &org.Service{DB: d, Audit: log, Now: clk.Now},
		ppl: &people.Service{DB: d, Audit: log, Seal: keys, Now: clk.Now}}
	jobs.Handle(q, &research.BuildWorker{S: e.svc}) // as the app does; the queue is not started
	if e.city, err = e.org.CreateRoot(ctx, "江海市", "Jianghai"); err != nil {
		t.Fatal(err)
	}
	e.admin = access.Principal{UserID: 900001, Memberships: []access.Membership{{OrgID: e.city.ID, OrgPath: e.city.Path, Role: access.SysAdmin}}}
	e.distA = testutil.Unit(t, ctx, e.org, e.admin, org.District, "东城区", e.city)
	e.a1 = testutil.Unit(t, ctx, e.org, e.admin, org.School, "东城第一中学", e.distA)
	e.a2 = testutil.Unit(t, ctx, e.org, e.admin, org.School, "东城实验小学", e.distA)
	e.distB = testutil.Unit(t, ctx, e.org, e.admin, org.District, "西城区", e.city)
	e.b1 = testutil.Unit(t, ctx, e.org, e.admin, org.School, "西城高级中学", e.distB)
	e.station = testutil.Unit(t, ctx, e.org, e.admin, org.HotlineStation, "陶老师工作站", e.city)
	e.hospital = testutil.Unit(t, ctx, e.org, e.admin, org.Hospital, "脑科医院", e.city)
	e.coordA = testutil.Staff(t, ctx, e.ppl, "coord-a", access.Coordinator, e.distA)
	e.coordCity = testutil.Staff(t, ctx, e.ppl, "coord-city", access.Coordinator, e.city)
	e.researcher = testutil.Staff(t, ctx, e.ppl, "researcher", access.Researcher, e.city)
	e.staff = testutil.Staff(t, ctx, e.ppl, "counsellor", access.SchoolCounsellor, e.a1)
	e.campaign = e.insert(`INSERT INTO campaigns (org_unit_id, name, instruments, starts_at, ends_at, consent_rule, created_by, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, e.city.ID, "春季筛查", "phq-a", e.micro(-60), e.micro(30), "none", e.staff.UserID, e.micro(-60))
	t.Cleanup(func() {
		if _, problem, err := audit.Verify(ctx, d); err != nil || problem != nil {
			t.Errorf("audit chain: %v %v", problem, err)
		}
	})
	return e
}

func (e *env) micro(days int) int64 { return db.Micro(monday.AddDate(0, 0, days)) }

func (e *env) insert(q string, args ...any) int64 {
	e.t.Helper()
	var id int64
	err := e.d.Tx(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		id, err = tx.InsertID(ctx, q, args...)
		return err
	})
	if err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return id
}

func (e *env) exec(q string, args ...any) {
	e.t.Helper()
	if err := e.d.Tx(e.ctx, func(ctx context.Context, tx *db.Tx) error { _, err := tx.Exec(ctx, q, args...); return err }); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
}

var (
	surnames = []string{"王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭", "何", "高", "林", "罗"}
	given    = []string{"梓涵", "一诺", "欣怡", "浩宇", "子轩", "雨桐", "思远", "沐阳", "若曦", "佳怡", "俊杰", "语嫣", "天佑", "诗琪", "明哲", "紫萱"}
	gendersQ = []string{"female", "male"}
	notesQ   = []string{"孩子说晚上总是睡不着，想到", "家里父母经常吵架，他很害怕回家", "同学欺负她，在厕所里哭了很久",
		"提到想从楼上跳下去，已通知家长", "考试失利后情绪低落，不愿说话"}
)

// student files a student with a realistic name, student number and
// guardian phone at school, and remembers them for the scan.
func (e *env) student(school *org.Unit, grade int, gender string) int64 {
	e.t.Helper()
	e.seq++
	name := surnames[e.rng.IntN(len(surnames))] + given[e.rng.IntN(len(given))] + string(rune(0x4e00+e.seq)) // distinct names
	no := fmt.Sprintf("G32010220%02d%06d", grade, 100000+e.seq)
	phone := fmt.Sprintf("139%08d", 10000000+e.seq*7919)
	birth := fmt.Sprintf("%d-%02d-%02d", 2026-6-grade-e.rng.IntN(2), 1+e.rng.IntN(12), 1+e.rng.IntN(28))
	id := e.insert(`INSERT INTO students (student_no, name, name_initials, gender, birth_date, school_id, grade, class_name, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, no, name, "x", gender, birth, school.ID, grade, fmt.Sprintf("%d班", 1+e.seq%3), e.micro(-100), e.micro(-100))
	guardian := surnames[e.rng.IntN(len(surnames))] + "秀" + string(rune(0x4e00+e.seq))
	e.insert(`INSERT INTO guardians (student_id, position, name, relation, phone) VALUES (?, 1, ?, 'mother', ?)`, id, guardian, phone)
	note := notesQ[e.seq%len(notesQ)] + "（" + name + "）"
	e.insert(`INSERT INTO risk_factors (student_id, kind, note, recorded_by, recorded_at) VALUES (?, 'family_conflict', ?, ?, ?)`,
		id, []byte(note), e.staff.UserID, e.micro(-50))
	e.names = append(e.names, name, guardian)
	e.numbers = append(e.numbers, no)
	e.phones = append(e.phones, phone)
	e.notes = append(e.notes, note)
	return id
}

// note returns a free-text note about student id's record for a plain
// text column, remembered for the scan.
func (e *env) note(what string) string {
	n := notesQ[e.rng.IntN(len(notesQ))] + fmt.Sprint(e.rng.IntN(1000)) + "（" + what + "）"
	e.notes = append(e.notes, n)
	return n
}

// loop gives student id one record of every kind of the closed loop,
// with free text (and names and numbers) in every text column the tables
// have, plain or sealed, dated days after monday.
func (e *env) loop(id int64, school *org.Unit, days int) {
	e.t.Helper()
	at := e.micro(days)
	e.insert(`INSERT INTO responses (campaign_id, student_id, instrument_id, instrument_version, answers, total, band, tier, flags,
		elapsed_ms, submitted_at, idempotency_key, attempt) VALUES (?, ?, 'phq-a', '1', ?, ?, 'moderate', 'orange', 'fast', 360000, ?, ?, 1)`,
		e.campaign, id, []byte(e.note("answers")), 5+e.rng.IntN(20), at, fmt.Sprint("k", id))
	e.exec(`INSERT INTO student_tiers (student_id, tier, critical, campaign_id, at) VALUES (?, 'orange', 0, ?, ?)`, id, e.campaign, at)
	alert := e.insert(`INSERT INTO alerts (student_id, school_id, level, state, owner_user_id, owner_org_id, signal_at, raised_at, ack_due_at,
		contact_due_at, acknowledged_at, first_contact_at, closed_at, decision, decision_note) VALUES (?, ?, 'orange', 'closed', ?, ?, ?, ?, ?, ?, ?, ?, ?, 'case', ?)`,
		id, school.ID, e.staff.UserID, school.ID, at, at, at+3600e6, at+7200e6, at+600e6, at+3000e6, at+86400e6, []byte(e.note("decision")))
	e.insert(`INSERT INTO alert_signals (alert_id, at, source, level, reason) VALUES (?, ?, 'screening', 'orange', ?)`, alert, at, e.note("reason"))
	cs := e.insert(`INSERT INTO cases (student_id, state, owner_user_id, opened_at, opened_by, closed_at, close_reason, close_note)
		VALUES (?, 'closed', ?, ?, ?, ?, 'improved', ?)`, id, e.staff.UserID, at+86400e6, e.staff.UserID, at+30*86400e6, []byte(e.note("close")))
	e.insert(`INSERT INTO support_plans (case_id, version, body, frequency, next_review_at, author_id, created_at) VALUES (?, 1, ?, 'weekly', ?, ?, ?)`,
		cs, []byte(e.note("plan")), at+14*86400e6, e.staff.UserID, at+86400e6)
	e.insert(`INSERT INTO follow_ups (case_id, student_id, owner_id, kind, due_at, done_at, notes, created_at) VALUES (?, ?, ?, 'family', ?, ?, ?, ?)`,
		cs, id, e.staff.UserID, at+7*86400e6, at+8*86400e6, []byte(e.note("follow-up")), at+86400e6)
	sess := e.insert(`INSERT INTO counselling_sessions (kind, counsellor_id, org_unit_id, case_id, held_at, minutes, topic, notes, created_at)
		VALUES ('individual', ?, ?, ?, ?, 45, ?, ?, ?)`, e.staff.UserID, school.ID, cs, at+2*86400e6, e.note("topic"), []byte(e.note("session")), at)
	e.exec(`INSERT INTO session_attendance (session_id, student_id) VALUES (?, ?)`, sess, id)
	e.insert(`INSERT INTO contacts (station_id, channel, state, counsellor_id, author_id, started_at, ended_at, caller_type, age_band, gender,
		categories, risk, risk_level, summary, actions, student_id, updated_at, finalised_at) VALUES (?, 'phone', 'final', ?, ?, ?, ?, 'child_self', '13-15',
		'female', 'family.conflict', 'ideation=yes', 'medium', ?, 'listened', ?, ?, ?)`, e.station.ID, e.staff.UserID, e.staff.UserID, at+3*86400e6,
		at+3*86400e6+1800e6, []byte(e.note("summary")), id, at, at)
	inc := e.insert(`INSERT INTO incidents (unit_id, student_id, source, state, handler_id, opened_by, opened_at, location, description, callback,
		risk, risk_level, police_ref, closed_at, updated_at) VALUES (?, ?, 'alert', 'closed', ?, ?, ?, ?, ?, ?, 'ideation=yes', 'high', ?, ?, ?)`,
		school.ID, id, e.staff.UserID, e.staff.UserID, at+4*86400e6, []byte(e.note("location")), []byte(e.note("description")),
		[]byte(e.phones[len(e.phones)-1]), e.note("police-ref"), at+5*86400e6, at)
	e.insert(`INSERT INTO incident_steps (incident_id, seq, at, actor_id, actor_role, kind, state, detail, note) VALUES (?, 1, ?, ?, 'coordinator', 'open', 'opened', '', ?)`,
		inc, at+4*86400e6, e.staff.UserID, []byte(e.note("step")))
	e.insert(`INSERT INTO incident_steps (incident_id, seq, at, actor_id, actor_role, kind, state, detail, note) VALUES (?, 2, ?, ?, 'coordinator', 'close', 'closed', '', ?)`,
		inc, at+5*86400e6, e.staff.UserID, []byte(e.note("step")))
	e.insert(`INSERT INTO referrals (source_type, source_id, case_id, student_id, from_unit, to_unit, sender_id, urgency, state, identity, reason,
		shares, basis, under14, sent_at, accepted_at, seen_at, closed_at, decline_reason, close_reason) VALUES ('case', ?, ?, ?, ?, ?, ?, 'routine', 'closed', ?, ?,
		'identity reason', 'consent', 0, ?, ?, ?, ?, ?, ?)`, cs, cs, id, school.ID, e.hospital.ID, e.staff.UserID, []byte(e.note("identity")),
		[]byte(e.note("referral")), at+86400e6, at+2*86400e6, at+9*86400e6, at+20*86400e6, e.note("decline"), e.note("close-reason"))
}

// everything asks for every kind with every field.
func everything() ([]string, []string) {
	var fs []string
	for _, k := range research.Kinds {
		for _, f := range research.Fields[k] {
			fs = append(fs, k+"."+f)
		}
	}
	return research.Kinds, fs
}

// define defines an extract over unit by p for the researcher and builds
// it at once (the job's work, without the queue).
func (e *env) define(p access.Principal, unit *org.Unit, k int, kinds, fields []string) int64 {
	e.t.Helper()
	id, err := e.svc.Define(e.ctx, p, research.NewExtract{UnitID: unit.ID, Kinds: kinds, Fields: fields, From: monday.AddDate(0, -2, 0),
		To: monday.AddDate(0, 2, 0), K: k, ResearcherID: e.researcher.UserID, Basis: "agreement", Purpose: "青少年抑郁筛查结局研究"})
	if err != nil {
		e.t.Fatalf("Define: %v", err)
	}
	if err := e.svc.Build(e.ctx, id); err != nil {
		e.t.Fatalf("Build: %v", err)
	}
	return id
}

// cells downloads extract id as the researcher in both formats and
// returns every cell: sheet name → rows (the CSV as sheet "csv").
func (e *env) cells(id int64) map[string][][]string {
	e.t.Helper()
	out := map[string][][]string{}
	x, err := e.svc.Download(e.ctx, e.researcher, id, "xlsx")
	if err != nil {
		e.t.Fatalf("Download xlsx: %v", err)
	}
	if _, err := zip.NewReader(bytes.NewReader(x.Body), int64(len(x.Body))); err != nil {
		e.t.Fatalf("the xlsx is no zip: %v", err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(x.Body))
	if err != nil {
		e.t.Fatalf("open xlsx: %v", err)
	}
	defer f.Close()
	for _, sh := range f.GetSheetList() {
		rows, err := f.GetRows(sh)
		if err != nil {
			e.t.Fatal(err)
		}
		out[sh] = rows
	}
	c, err := e.svc.Download(e.ctx, e.researcher, id, "csv")
	if err != nil {
		e.t.Fatalf("Download csv: %v", err)
	}
	rows, err := csv.NewReader(strings.NewReader(strings.TrimPrefix(string(c.Body), "\ufeff"))).ReadAll()
	if err != nil {
		e.t.Fatalf("read csv: %v", err)
	}
	out["csv"] = rows
	return out
}
