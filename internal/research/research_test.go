package research_test

import (
	"context"
	"fmt"
	"math/rand/v2"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/research"
	"github.com/careloop/careloop/internal/testutil"
)

// population files n students across the three schools, grades fitting
// each school, and gives each the loop's records.
func (e *env) population(n int) {
	e.t.Helper()
	schools := []struct {
		u      *org.Unit
		lo, hi int
	}{{e.a1, 7, 9}, {e.a2, 1, 6}, {e.b1, 10, 12}}
	for i := range n {
		sc := schools[i%len(schools)]
		id := e.student(sc.u, sc.lo+e.rng.IntN(sc.hi-sc.lo+1), gendersQ[e.rng.IntN(2)])
		e.loop(id, sc.u, -30+e.rng.IntN(50))
	}
}

var (
	phoneRe = regexp.MustCompile(`1[3-9]\d{9}`)
	noRe    = regexp.MustCompile(`G\d{10,}`)
	hanRe   = regexp.MustCompile(`\p{Han}`)
)

// TestScanFindsNoIdentifiers builds extracts of every kind with every
// field, over a district and over the city, and scans every cell of the
// XLSX and the CSV for the names, student numbers, phone numbers and
// free-text notes the source holds (plain or sealed): none appears, and
// no cell outside the README and the school column holds any Chinese
// text at all.
func TestScanFindsNoIdentifiers(t *testing.T) {
	e := newEnv(t)
	e.population(90)
	kinds, fields := everything()
	ids := []int64{e.define(e.coordA, e.distA, 5, kinds, fields), e.define(e.coordCity, e.city, 5, kinds, fields),
		e.define(e.coordCity, e.city, 2, kinds, fields)}
	for _, k := range research.Kinds { // one extract per kind, too
		var fs []string
		for _, f := range research.Fields[k] {
			fs = append(fs, k+"."+f)
		}
		ids = append(ids, e.define(e.coordCity, e.city, 3, []string{k}, fs))
	}
	secrets := append(append(append(append([]string{}, e.names...), e.numbers...), e.phones...), e.notes...)
	for _, s := range e.notes { // a fragment of a note
		secrets = append(secrets, string([]rune(s)[:6]))
	}
	scanned, withRows := 0, 0
	for _, id := range ids {
		sheets := e.cells(id)
		if len(sheets["csv"]) < 2 {
			t.Errorf("extract %d: the csv holds no records", id)
		} else {
			withRows++
		}
		var all strings.Builder // every cell, separated so that no match spans two
		for name, rows := range sheets {
			for r, line := range rows {
				for c, v := range line {
					scanned++
					all.WriteString(v)
					all.WriteByte(0)
					if phoneRe.MatchString(v) || noRe.MatchString(v) {
						t.Errorf("extract %d sheet %s cell %d,%d looks like a phone or student number: %q", id, name, r, c, v)
					}
					school := (name == "csv" && c == 5) || (name != "csv" && c == 4)
					if name != "README" && !school && r > 0 && hanRe.MatchString(v) {
						t.Errorf("extract %d sheet %s cell %d,%d holds Chinese text: %q", id, name, r, c, v)
					}
				}
			}
		}
		text := all.String()
		for _, s := range secrets {
			if s != "" && strings.Contains(text, s) {
				t.Errorf("extract %d holds %q", id, s)
			}
		}
	}
	t.Logf("scanned %d cells of %d extracts (%d with records) for %d names, numbers, phones and notes: none found",
		scanned, len(ids), withRows, len(secrets))
}

// TestKAnonymity generalises random populations and checks that every
// combination of quasi-identifiers left covers at least k people, with
// at most 5% suppressed, for k = 5 (the default) and others.
func TestKAnonymity(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	schools := []struct{ school, district string }{{"一中", "东城区"}, {"二中", "东城区"}, {"实验小学", "东城区"}, {"三中", "西城区"},
		{"外国语学校", "西城区"}, {"高级中学", "南城区"}, {"乡村小学", "北城区"}}
	for _, tc := range []struct{ n, k int }{{500, 5}, {60, 5}, {2000, 5}, {300, 2}, {300, 10}, {40, 50}, {7, 5}} {
		var ppl []*research.Person
		for i := range tc.n {
			sc := schools[rng.IntN(len(schools))]
			g := 1 + rng.IntN(12)
			ppl = append(ppl, &research.Person{ID: int64(i + 1), Gender: []string{"female", "male", "other"}[rng.IntN(3)],
				BirthYear: 2026 - 6 - g - rng.IntN(2), Grade: g, School: sc.school, District: sc.district, City: "江海市"})
		}
		level, suppressed := research.Generalise(ppl, tc.k)
		groups := map[[4]string]int{}
		for _, p := range ppl {
			if !suppressed[p.ID] {
				groups[level.QI(p)]++
			}
		}
		for qi, n := range groups {
			if n < tc.k {
				t.Errorf("n=%d k=%d: group %v holds %d people", tc.n, tc.k, qi, n)
			}
		}
		if tc.n >= tc.k && float64(len(suppressed)) > research.MaxSuppressShare*float64(tc.n) {
			t.Errorf("n=%d k=%d: %d suppressed", tc.n, tc.k, len(suppressed))
		}
		if tc.n < tc.k && len(suppressed) != tc.n {
			t.Errorf("n=%d k=%d: %d suppressed, want everyone", tc.n, tc.k, len(suppressed))
		}
		t.Logf("n=%d k=%d: %s, %d groups, %d suppressed", tc.n, tc.k, level, len(groups), len(suppressed))
	}
}

// TestExtractKAnonymity checks the k of built extracts: in every sheet,
// every combination of the quasi-identifier columns covers at least k
// distinct people, and suppressed people are counted.
func TestExtractKAnonymity(t *testing.T) {
	e := newEnv(t)
	e.population(60)
	kinds, fields := everything()
	for _, k := range []int{research.DefaultK, 2, 12} {
		id := e.define(e.coordCity, e.city, k, kinds, fields)
		sheets := e.cells(id)
		for name, rows := range sheets {
			if name == "README" || name == "csv" {
				continue
			}
			people := map[string]map[string]bool{}
			for _, r := range rows[1:] {
				qi := strings.Join(r[1:5], "|")
				if people[qi] == nil {
					people[qi] = map[string]bool{}
				}
				people[qi][r[0]] = true
			}
			for qi, ps := range people {
				if len(ps) < k {
					t.Errorf("k=%d sheet %s: %s covers %d people", k, name, qi, len(ps))
				}
			}
		}
		var persons, suppressed int64
		persons = testutil.Num(t, e.d, `SELECT persons FROM research_extracts WHERE id = ?`, id)
		suppressed = testutil.Num(t, e.d, `SELECT suppressed FROM research_extracts WHERE id = ?`, id)
		if persons+suppressed != 60 {
			t.Errorf("k=%d: %d people + %d suppressed, want 60", k, persons, suppressed)
		}
		t.Logf("k=%d: %d people, %d suppressed", k, persons, suppressed)
	}
}

// TestPseudonymsAndDateShift: within an extract a person has one
// pseudonym and one date shift (not zero, at most 180 days); across
// extracts over the same people the pseudonyms differ.
func TestPseudonymsAndDateShift(t *testing.T) {
	e := newEnv(t)
	// Twelve girls of grade 8 born in 2012 at A1: one group, nobody
	// suppressed. Each has two screenings with scores unique to them.
	src := map[int64]time.Time{} // score → submitted at
	for i := range 12 {
		id := e.student(e.a1, 8, "female")
		e.exec(`UPDATE students SET birth_date = '2012-05-05' WHERE id = ?`, id)
		for j := range 2 {
			at := monday.AddDate(0, 0, -20+i+j*7).Add(time.Duration(i) * time.Hour)
			score := int64(100 + i*10 + j)
			e.insert(`INSERT INTO responses (campaign_id, student_id, instrument_id, instrument_version, answers, total, elapsed_ms, submitted_at,
				idempotency_key, attempt) VALUES (?, ?, 'phq-a', '1', ?, ?, 1000, ?, ?, ?)`, e.campaign, id, []byte("x"), score, at.UnixMicro(),
				fmt.Sprint("k", j), j+1)
			src[score] = at
		}
	}
	fields := []string{"screening.score", "screening.at"}
	cst := time.FixedZone("CST", 8*3600)
	// read returns, per pseudonym, each record's shown week less the real
	// date (a shift of at most 180 days, to the week).
	read := func(id int64) map[string][]time.Duration {
		shifts := map[string][]time.Duration{}
		rows := e.cells(id)["screening"]
		if len(rows) != 25 {
			t.Fatalf("extract %d: %d rows, want 24 and a header", id, len(rows))
		}
		for _, r := range rows[1:] {
			var score int64
			for _, c := range r[5] {
				score = score*10 + int64(c-'0')
			}
			got, err := time.ParseInLocation("2006-01-02", r[6], cst)
			if err != nil {
				t.Fatalf("a date %q is not a plain day: %v", r[6], err)
			}
			if got.Weekday() != time.Monday {
				t.Errorf("a date %s is not the Monday of its week", r[6])
			}
			shifts[r[0]] = append(shifts[r[0]], got.Sub(src[score].In(cst)))
		}
		return shifts
	}
	one := read(e.define(e.coordA, e.a1, 5, []string{"screening"}, fields))
	two := read(e.define(e.coordA, e.a1, 5, []string{"screening"}, fields))
	if len(one) != 12 || len(two) != 12 {
		t.Fatalf("pseudonyms: %d and %d, want 12 each (one per person)", len(one), len(two))
	}
	for p, d := range one {
		// The two screenings were a week apart at the same hour: one
		// constant shift puts them in weeks exactly a week apart.
		if len(d) != 2 || d[1]-d[0] != 0 {
			t.Errorf("%s: %v, want one constant shift for both records", p, d)
		}
		if d[0] > (180+7)*24*time.Hour || d[0] < -(180+7)*24*time.Hour {
			t.Errorf("%s: shift %v, want within 180 days (to the week)", p, d[0])
		}
		if _, ok := two[p]; ok {
			t.Errorf("pseudonym %s appears in two extracts", p)
		}
	}
	// The functions themselves over many people.
	k1, k2 := []byte("0123456789abcdef0123456789abcdef"), []byte("fedcba9876543210fedcba9876543210")
	k1copy := append([]byte{}, k1...)
	same, zero := 0, 0
	for id := int64(1); id <= 10000; id++ {
		d := research.ShiftDays(k1, id)
		if d != research.ShiftDays(k1copy, id) || research.Pseudonym(k1, "P", id) != research.Pseudonym(k1copy, "P", id) {
			t.Fatal("not stable")
		}
		if d == 0 || d > research.MaxShiftDays || d < -research.MaxShiftDays {
			zero++
		}
		if d == research.ShiftDays(k2, id) {
			same++
		}
		if research.Pseudonym(k1, "P", id) == research.Pseudonym(k2, "P", id) {
			t.Fatalf("id %d: the same pseudonym under two keys", id)
		}
	}
	if zero != 0 || same > 100 {
		t.Errorf("shifts: %d out of bounds, %d equal under two keys (of 10000)", zero, same)
	}
}

// TestDisclosureAndAudit: a built extract is one disclosure from the
// unit to the researcher's unit; definition, build and every download are
// audited; the files are sealed at rest.
func TestDisclosureAndAudit(t *testing.T) {
	e := newEnv(t)
	e.population(12)
	id := e.define(e.coordA, e.distA, 2, []string{"screening", "alert"}, []string{"screening.score", "alert.level"})
	if n := testutil.Num(t, e.d, `SELECT COUNT(*) FROM disclosures WHERE ref_type = 'research_extract' AND ref_id = ? AND student_id = 0
		AND from_unit = ? AND to_unit = ? AND purpose = 'research' AND basis = 'agreement' AND what = 'screening alert' AND actor_id = ?`,
		id, e.distA.ID, e.city.ID, e.coordA.UserID); n != 1 {
		t.Errorf("disclosures: %d, want 1", n)
	}
	if n := testutil.Num(t, e.d, `SELECT disclosure_id FROM research_extracts WHERE id = ?`, id); n == 0 {
		t.Error("the extract does not name its disclosure")
	}
	if err := e.svc.Build(e.ctx, id); err != nil { // again: nothing more
		t.Fatal(err)
	}
	if n := testutil.Num(t, e.d, `SELECT COUNT(*) FROM disclosures WHERE ref_id = ? AND ref_type = 'research_extract'`, id); n != 1 {
		t.Errorf("a second build recorded %d disclosures", n)
	}
	e.cells(id)
	e.cells(id)
	for action, want := range map[string]int64{"research.define": 1, "research.build": 1, "research.download": 4} {
		if n := testutil.Num(t, e.d, `SELECT COUNT(*) FROM audit_log WHERE action = ? AND object_id = ?`, action, itoa(id)); n != want {
			t.Errorf("audit %s: %d entries, want %d", action, n, want)
		}
	}
	if n := testutil.Num(t, e.d, `SELECT COUNT(*) FROM audit_log WHERE action = 'disclosure.record'`); n != 1 {
		t.Errorf("audit disclosure.record: %d entries, want 1", n)
	}
	if n := testutil.Num(t, e.d, `SELECT downloads FROM research_extracts WHERE id = ?`, id); n != 4 {
		t.Errorf("downloads: %d, want 4", n)
	}
	var raw []byte
	if err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT xlsx FROM research_extracts WHERE id = ?`, id).Scan(&raw)
	}); err != nil {
		t.Fatal(err)
	}
	if strings.HasPrefix(string(raw), "PK") {
		t.Error("the xlsx is stored unsealed")
	}
	if _, err := e.keys.Open(raw, "research_extracts:"+itoa(id+1)+":xlsx"); err == nil {
		t.Error("the sealed file opens under another extract's AAD")
	}
}

// TestDefineRefusesBadInput: every field has its error, and nothing is
// recorded.
func TestDefineRefusesBadInput(t *testing.T) {
	e := newEnv(t)
	_, err := e.svc.Define(e.ctx, e.coordA, research.NewExtract{UnitID: e.b1.ID, Kinds: []string{"screening", "gossip"},
		Fields: []string{"screening.name", "alert.level"}, K: 99, ResearcherID: e.staff.UserID, Basis: "consent", Purpose: "x"})
	want := map[string]string{"unit": "research.err_unit", "kinds": "research.err_kinds", "fields": "research.err_field",
		"from": "research.err_date", "to": "research.err_date", "k": "research.err_k", "researcher": "research.err_researcher",
		"basis": "research.err_basis", "purpose": "research.err_purpose"}
	got := apperr.FieldsOf(err)
	for f, key := range want {
		if got[f] != key {
			t.Errorf("field %s: %q, want %q", f, got[f], key)
		}
	}
	_, err = e.svc.Define(e.ctx, e.coordA, research.NewExtract{UnitID: e.a1.ID, Kinds: []string{"screening", "alert"},
		Fields: []string{"screening.score"}, From: monday, To: monday.AddDate(0, 0, -1), ResearcherID: e.researcher.UserID, Basis: "law", Purpose: "研究目的"})
	if f := apperr.FieldsOf(err); f["fields"] != "research.err_fields" || f["to"] != "research.err_period" || len(f) != 2 {
		t.Errorf("fields: %v", f)
	}
	if n := testutil.Num(t, e.d, `SELECT COUNT(*) FROM research_extracts`); n != 0 {
		t.Errorf("%d extracts recorded", n)
	}
}

// TestBuildFailsWhenTheDefinerLostTheRole: an extract whose definer no
// longer holds research.define over the unit is never built.
func TestBuildFailsWhenTheDefinerLostTheRole(t *testing.T) {
	e := newEnv(t)
	e.population(6)
	id, err := e.svc.Define(e.ctx, e.coordA, research.NewExtract{UnitID: e.distA.ID, Kinds: []string{"screening"}, Fields: []string{"screening.score"},
		From: monday.AddDate(0, -1, 0), To: monday.AddDate(0, 1, 0), ResearcherID: e.researcher.UserID, Basis: "law", Purpose: "研究目的"})
	if err != nil {
		t.Fatal(err)
	}
	e.exec(`DELETE FROM memberships WHERE user_id = ?`, e.coordA.UserID)
	if err := e.svc.Build(e.ctx, id); err != nil {
		t.Fatal(err)
	}
	if n := testutil.Num(t, e.d, `SELECT COUNT(*) FROM research_extracts WHERE id = ? AND state = 'failed' AND xlsx IS NULL`, id); n != 1 {
		t.Error("the extract was built for a definer without the role")
	}
	if n := testutil.Num(t, e.d, `SELECT COUNT(*) FROM disclosures`); n != 0 {
		t.Errorf("%d disclosures", n)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

// TestPendingExtractIsNotOffered: until it is built, an extract is
// neither listed for nor downloadable by its researcher; the build job is
// scheduled with the definition.
func TestPendingExtractIsNotOffered(t *testing.T) {
	e := newEnv(t)
	e.population(6)
	id, err := e.svc.Define(e.ctx, e.coordA, research.NewExtract{UnitID: e.distA.ID, Kinds: []string{"screening"}, Fields: []string{"screening.score"},
		From: monday.AddDate(0, -1, 0), To: monday.AddDate(0, 1, 0), ResearcherID: e.researcher.UserID, Basis: "law", Purpose: "研究目的"})
	if err != nil {
		t.Fatal(err)
	}
	if n := testutil.Num(t, e.d, `SELECT COUNT(*) FROM river_job WHERE kind = 'research.build'`); n != 1 {
		t.Errorf("build jobs: %d, want 1", n)
	}
	list, err := e.svc.Addressed(e.ctx, e.researcher)
	if err != nil || len(list) != 0 {
		t.Errorf("addressed before the build: %v %v", list, err)
	}
	if _, err := e.svc.Download(e.ctx, e.researcher, id, "xlsx"); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("download before the build: %v", err)
	}
	if err := e.svc.Build(e.ctx, id); err != nil {
		t.Fatal(err)
	}
	if list, err := e.svc.Addressed(e.ctx, e.researcher); err != nil || len(list) != 1 || list[0].State != "ready" || list[0].Progress != 100 {
		t.Errorf("addressed after the build: %+v %v", list, err)
	}
}
