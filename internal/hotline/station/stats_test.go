package station_test

import (
	"bytes"
	"fmt"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/hotline"
	"github.com/careloop/careloop/internal/hotline/station"
	"github.com/careloop/careloop/internal/org"
	"github.com/xuri/excelize/v2"
)

// queued is a call or conversation as the statistics test writes it.
type queued struct {
	unit      *org.Unit
	channel   string // phone, web_chat, wechat
	state     string
	offered   time.Time
	answered  time.Time // zero if never
	abandoned bool
}

// expected are the figures computed from the fixtures alone.
type expected struct {
	contacts, persons, unprofiled int
	tables                        map[string]map[string]int
	offered, answered, abandoned  map[string]int // by channel, "" for all
	waitSum, worst                map[string]time.Duration
}

// statsFixture writes a deterministic pseudo-random set of contacts, calls
// and conversations around the period 2026-02-01..2026-02-28 (CST) at the
// station, its branches and another station, and computes what the
// statistics of the station must say, without the service's code.
func statsFixture(e *env) expected {
	rnd := rand.New(rand.NewPCG(7, 2026))
	c := e.user(access.HotlineCounsellor, e.station)
	oc := e.user(access.HotlineCounsellor, e.other)
	d2 := e.unit(org.District, "西城区", e.city)
	units := []*org.Unit{e.station, e.b1, e.b2, e.other}
	districts := []int64{0, e.district.ID, d2.ID}
	cats := []string{"", "family.siblings", "family.other school.exams", "suicide_self_harm", "peers.friendship family.parent_child",
		"school.bullying school.exams", "mental_health.anxiety", "legacy_code"}
	ages := append([]string{""}, hotline.AgeBands...)
	first, last := "2026-02-01", "2026-02-28"
	// Around the period's edges in CST, and anywhere in it.
	edges := []time.Time{at(2026, 1, 31, 23, 59), at(2026, 2, 1, 0, 0), at(2026, 2, 28, 23, 59), at(2026, 3, 1, 0, 0)}
	when := func() time.Time {
		if rnd.IntN(5) == 0 {
			return edges[rnd.IntN(len(edges))]
		}
		return at(2026, 1, 30, 0, 0).Add(time.Duration(rnd.IntN(32*24*60)) * time.Minute)
	}
	inside := func(u *org.Unit, t time.Time) bool {
		day := t.In(cst).Format("2006-01-02")
		return u != e.other && day >= first && day <= last
	}
	x := expected{tables: map[string]map[string]int{}, offered: map[string]int{}, answered: map[string]int{}, abandoned: map[string]int{},
		waitSum: map[string]time.Duration{}, worst: map[string]time.Duration{}}
	for _, d := range station.Dims {
		x.tables[d] = map[string]int{}
	}
	persons := map[int64]bool{}
	for i := range 90 {
		k := contact{station: units[rnd.IntN(len(units))], counsellor: c, channel: hotline.Channels[rnd.IntN(len(hotline.Channels))],
			ageBand: ages[rnd.IntN(len(ages))], district: districts[rnd.IntN(len(districts))], categories: cats[rnd.IntN(len(cats))],
			profile: int64(rnd.IntN(8)), started: when()}
		if rnd.IntN(6) == 0 {
			k.state = "draft"
		}
		if i < len(edges) { // the first ones exactly at the edges, finished, at the station
			k.station, k.state, k.started = e.station, "", edges[i]
		}
		if k.station == e.other {
			k.counsellor = oc
		}
		e.contact(k)
		if !inside(k.station, k.started) || k.state == "draft" {
			continue
		}
		x.contacts++
		if k.profile > 0 {
			persons[k.profile] = true
		} else {
			x.unprofiled++
		}
		x.tables[station.DimChannel][k.channel]++
		x.tables[station.DimAgeBand][k.ageBand]++
		dk := ""
		if k.district != 0 {
			dk = strconv.FormatInt(k.district, 10)
		}
		x.tables[station.DimDistrict][dk]++
		x.tables[station.DimHour][fmt.Sprintf("%02d", k.started.In(cst).Hour())]++
		tops := map[string]bool{}
		for _, code := range strings.Fields(k.categories) {
			tops[strings.Split(code, ".")[0]] = true
		}
		if len(tops) == 0 {
			x.tables[station.DimCategory][""]++
		}
		for top := range tops {
			x.tables[station.DimCategory][top]++
		}
	}
	x.persons = len(persons)

	var zero time.Time
	chans := []string{"phone", "web_chat", "wechat"}
	for i := range 70 {
		q := queued{unit: units[rnd.IntN(len(units))], channel: chans[rnd.IntN(len(chans))], offered: when()}
		if i < 2*len(edges) {
			q.unit, q.offered = e.b2, edges[i%len(edges)]
		}
		switch rnd.IntN(4) {
		case 0:
			q.state, q.abandoned = "abandoned", true
		case 1:
			q.state = "waiting"
		default:
			q.state = "ended"
			q.answered = q.offered.Add(time.Duration(rnd.IntN(600)) * time.Second)
		}
		if q.channel == "phone" {
			if q.state == "waiting" {
				q.state = "offered"
			}
			e.call(q.unit, q.state, q.offered, q.answered, zero, zero)
		} else {
			e.chat(q.unit, q.channel, q.state, q.offered, q.answered, zero, zero)
		}
		if !inside(q.unit, q.offered) {
			continue
		}
		for _, ch := range []string{q.channel, ""} {
			x.offered[ch]++
			if q.abandoned {
				x.abandoned[ch]++
			}
			if !q.answered.IsZero() {
				w := q.answered.Sub(q.offered)
				x.answered[ch]++
				x.waitSum[ch] += w
				x.worst[ch] = max(x.worst[ch], w)
			}
		}
	}
	return x
}

func TestStatisticsReconcileWithTheRows(t *testing.T) {
	e := newEnv(t)
	x := statsFixture(e)
	sup := e.user(access.HotlineSupervisor, e.station)
	per, err := station.Days("2026-02-01", "2026-02-28")
	if err != nil {
		t.Fatal(err)
	}
	st, err := e.svc.Stats(e.ctx, sup, e.station.ID, per)
	if err != nil {
		t.Fatal(err)
	}
	if x.contacts < 20 || x.offered[""] < 20 || x.abandoned[""] == 0 || x.persons == 0 {
		t.Fatalf("the fixture is too thin to prove anything: %+v", x)
	}
	// One more count, by SQL this time, of the person-times.
	if n := e.num(`SELECT COUNT(*) FROM contacts WHERE state = 'final' AND station_id IN (?, ?, ?) AND started_at >= ? AND started_at < ?`,
		e.station.ID, e.b1.ID, e.b2.ID, at(2026, 2, 1, 0, 0).UnixMicro(), at(2026, 3, 1, 0, 0).UnixMicro()); int(n) != x.contacts {
		t.Fatalf("the fixture's own count %d disagrees with SQL %d", x.contacts, n)
	}
	if st.Contacts != x.contacts || st.Persons != x.persons || st.Unprofiled != x.unprofiled {
		t.Errorf("contacts %d persons %d unprofiled %d, want %d %d %d", st.Contacts, st.Persons, st.Unprofiled, x.contacts, x.persons, x.unprofiled)
	}
	for _, dim := range station.Dims {
		got := map[string]int{}
		most := 0
		for _, r := range st.Table(dim).Rows {
			if r.N != 0 {
				got[r.Key] = r.N
			}
			most = max(most, r.N)
		}
		if fmt.Sprint(got) != fmt.Sprint(x.tables[dim]) {
			t.Errorf("%s:\n got %v\nwant %v", dim, got, x.tables[dim])
		}
		if st.Table(dim).Max != most {
			t.Errorf("%s: max %d, want %d", dim, st.Table(dim).Max, most)
		}
	}
	if n := len(st.Table(station.DimHour).Rows); n != 24 {
		t.Errorf("%d hour rows, want 24", n)
	}
	for _, r := range st.Table(station.DimDistrict).Rows {
		if r.Key == strconv.FormatInt(e.district.ID, 10) && r.ZH != "东城区" {
			t.Errorf("district label %q", r.ZH)
		}
	}
	for _, q := range append(append([]station.Queue{}, st.Queues...), st.Queue) {
		ch := q.Channel
		if q.Offered != x.offered[ch] || q.Answered != x.answered[ch] || q.Abandoned != x.abandoned[ch] {
			t.Errorf("queue %q: offered %d answered %d abandoned %d, want %d %d %d", ch, q.Offered, q.Answered, q.Abandoned,
				x.offered[ch], x.answered[ch], x.abandoned[ch])
		}
		if want := float64(x.answered[ch]) / float64(x.offered[ch]); math.Abs(q.AnswerRate-want) > 1e-9 {
			t.Errorf("queue %q: answer rate %v, want %v", ch, q.AnswerRate, want)
		}
		if want := float64(x.abandoned[ch]) / float64(x.offered[ch]); math.Abs(q.AbandonRate-want) > 1e-9 {
			t.Errorf("queue %q: abandonment %v, want %v", ch, q.AbandonRate, want)
		}
		if want := x.avg(ch); q.AvgWait != want || q.WorstWait != x.worst[ch] {
			t.Errorf("queue %q: waits %v / %v, want %v / %v", ch, q.AvgWait, q.WorstWait, want, x.worst[ch])
		}
	}

	// The export has the same figures, and is audited.
	ex, err := e.svc.ExportStats(e.ctx, sup, e.station.ID, per)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := station.WriteXLSX(&buf, ex, "zh-CN", func(k string) string { return k }); err != nil {
		t.Fatal(err)
	}
	checkWorkbook(t, buf.Bytes(), st, x)
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'station.stats.export' AND actor_user_id = ?`, sup.UserID); n != 1 {
		t.Errorf("%d export audit entries, want 1", n)
	}

	// A branch's figures are its own only; another station sees nothing here.
	b1, err := e.svc.Stats(e.ctx, sup, e.b1.ID, per)
	if err != nil || b1.Contacts >= st.Contacts || b1.Contacts != int(e.num(`SELECT COUNT(*) FROM contacts WHERE state = 'final' AND station_id = ?
		AND started_at >= ? AND started_at < ?`, e.b1.ID, at(2026, 2, 1, 0, 0).UnixMicro(), at(2026, 3, 1, 0, 0).UnixMicro())) {
		t.Errorf("branch figures: %+v %v", b1, err)
	}
	_, err = e.svc.Stats(e.ctx, e.user(access.HotlineSupervisor, e.other), e.station.ID, per)
	wantCode(t, "another station's supervisor", err, apperr.ENotFound)
	_, err = e.svc.Stats(e.ctx, e.user(access.HotlineCounsellor, e.station), e.station.ID, per)
	wantCode(t, "a counsellor", err, apperr.ENotFound)
	os, err := e.svc.Stats(e.ctx, e.user(access.HotlineSupervisor, e.other), e.other.ID, per)
	if err != nil || os.Contacts == 0 || os.Contacts+st.Contacts > int(e.num(`SELECT COUNT(*) FROM contacts WHERE state = 'final'`)) {
		t.Errorf("the other station's own figures: %v %v", os, err)
	}
}

// avg is the mean wait of the answered ones of a channel (0 if none).
func (x expected) avg(ch string) time.Duration {
	if x.answered[ch] == 0 {
		return 0
	}
	return x.waitSum[ch] / time.Duration(x.answered[ch])
}

// checkWorkbook opens the export and compares every figure with the
// fixture's expectations.
func checkWorkbook(t *testing.T, data []byte, st *station.Stats, x expected) {
	t.Helper()
	f, err := excelize.OpenReader(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("the export does not open: %v", err)
	}
	defer f.Close()
	rows, err := f.GetRows("station.stats.summary")
	if err != nil {
		t.Fatal(err)
	}
	cell := func(r, c int) string {
		if r < len(rows) && c < len(rows[r]) {
			return rows[r][c]
		}
		return ""
	}
	for i, want := range []int{x.contacts, x.persons, x.unprofiled} {
		if got := cell(3+i, 1); got != strconv.Itoa(want) {
			t.Errorf("summary row %d (%s): %q, want %d", 4+i, cell(3+i, 0), got, want)
		}
	}
	if cell(1, 1) != "2026-02-01" || cell(2, 1) != "2026-02-28" {
		t.Errorf("period in the export: %q..%q", cell(1, 1), cell(2, 1))
	}
	for i, ch := range []string{"phone", "web_chat", "wechat", ""} {
		r := 8 + i
		rate := math.Round(float64(x.answered[ch])/float64(x.offered[ch])*1000) / 10
		avg := math.Round(x.avg(ch).Seconds())
		want := []string{strconv.Itoa(x.offered[ch]), strconv.Itoa(x.answered[ch]), strconv.Itoa(x.abandoned[ch]),
			strconv.FormatFloat(rate, 'f', -1, 64), "", strconv.FormatFloat(avg, 'f', -1, 64), strconv.FormatFloat(math.Round(x.worst[ch].Seconds()), 'f', -1, 64)}
		for j, w := range want {
			if w != "" && cell(r, j+1) != w {
				t.Errorf("queue %q column %d: %q, want %q", ch, j+1, cell(r, j+1), w)
			}
		}
	}
	for _, tb := range st.Tables {
		rows, err := f.GetRows("station.dim." + tb.Dim)
		if err != nil {
			t.Fatal(err)
		}
		if len(rows) != len(tb.Rows)+1 {
			t.Errorf("sheet %s has %d rows, want %d", tb.Dim, len(rows), len(tb.Rows)+1)
			continue
		}
		for i, r := range tb.Rows {
			label := station.Label(tb.Dim, r, "zh-CN", func(k string) string { return k })
			if rows[i+1][0] != label || rows[i+1][1] != strconv.Itoa(x.tables[tb.Dim][r.Key]) {
				t.Errorf("sheet %s row %d: %v, want %s %d", tb.Dim, i+1, rows[i+1], label, x.tables[tb.Dim][r.Key])
			}
		}
	}
}

// TestExactFiguresOnlyForThoseWhoMayOpenContacts: a coordinator at the
// city (report.read, no hotline role) is refused the station's exact
// figures (two date ranges would give a day's small count by difference;
// the protected dashboard is theirs); the supervisor reads them.
func TestExactFiguresOnlyForThoseWhoMayOpenContacts(t *testing.T) {
	e := newEnv(t)
	c := e.user(access.HotlineCounsellor, e.station)
	day := at(2026, 2, 10, 9, 0)
	for i, ch := range []string{"phone", "phone", "wechat"} {
		e.contact(contact{station: e.station, counsellor: c, channel: ch, started: day.Add(time.Duration(i) * time.Minute), profile: int64(1 + i%3)})
	}
	per, _ := station.Days("2026-02-10", "2026-02-10")
	if _, err := e.svc.Stats(e.ctx, e.user(access.Coordinator, e.city), e.station.ID, per); apperr.CodeOf(err) != apperr.EForbidden {
		t.Errorf("a coordinator without a hotline role reads exact station figures: %v", err)
	}
	full, err := e.svc.Stats(e.ctx, e.user(access.HotlineSupervisor, e.station), e.station.ID, per)
	if err != nil {
		t.Fatal(err)
	}
	if full.Contacts != 3 {
		t.Errorf("the supervisor reads %d contacts, want 3", full.Contacts)
	}
}
