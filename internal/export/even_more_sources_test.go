package export_test

import (
	"context"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/care"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/export"
	"github.com/careloop/careloop/internal/hotline"
	"github.com/careloop/careloop/internal/hotline/letter"
	"github.com/careloop/careloop/internal/hotline/phone"
	"github.com/careloop/careloop/internal/i18n"
	"github.com/careloop/careloop/internal/jobs"
	"github.com/careloop/careloop/internal/notify"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/outreach"
	"github.com/careloop/careloop/internal/people"
	"github.com/careloop/careloop/internal/referral"
	"github.com/careloop/careloop/internal/screening"
	"github.com/careloop/careloop/internal/screening/instrument"
	"github.com/careloop/careloop/internal/seal"
	"github.com/careloop/careloop/internal/sharing"
	"github.com/careloop/careloop/internal/student"
	"github.com/careloop/careloop/internal/testutil"
	"github.com/careloop/careloop/internal/training"
)

// evenEnv is moreEnv with the services of the tables exported here.
type evenEnv struct {
	*moreEnv
	org     *org.Service
	ppl     *people.Service
	letters *letter.Service
	care    *care.Service
	refer   *referral.Service
	screen  *screening.Service
	phone   *phone.Service
	admin   access.Principal
}

func newEvenEnv(t *testing.T) *evenEnv {
	t.Helper()
	m := newMoreEnv(t)
	d, log, keys := m.svc.DB, m.svc.Audit, m.svc.Seal.(*seal.Keyring)
	lp, err := keys.Derive("letters")
	if err != nil {
		t.Fatal(err)
	}
	e := &evenEnv{moreEnv: m,
		org:     &org.Service{DB: d, Audit: log, Now: m.clk.Now},
		ppl:     &people.Service{DB: d, Audit: log, Seal: keys, Now: m.clk.Now},
		letters: &letter.Service{DB: d, Audit: log, Seal: keys, Pepper: lp, Now: m.clk.Now},
		care:    &care.Service{DB: d, Audit: log, Seal: keys, Jobs: m.svc.Jobs, Now: m.clk.Now},
		admin:   access.Principal{UserID: -1, Memberships: []access.Membership{{OrgID: m.city.ID, OrgPath: m.city.Path, Role: access.SysAdmin}}}}
	m.svc.Sources["letters"] = export.Letters{S: e.letters}
	m.svc.Sources["disclosures"] = export.Disclosures{S: m.share}
	m.svc.Sources["work"] = export.Work{S: e.care}
	e.refer = &referral.Service{DB: d, Audit: log, Seal: keys, Jobs: m.svc.Jobs, Notify: &notify.Service{Now: m.clk.Now}, Care: e.care, Sharing: m.share,
		Now: m.clk.Now}
	m.svc.Sources["loop"] = export.LoopMetrics{S: e.care}
	cat, err := instrument.Library()
	if err != nil {
		t.Fatal(err)
	}
	e.screen = &screening.Service{DB: d, Audit: log, Seal: keys, Catalog: cat, Now: m.clk.Now}
	m.svc.Sources["campaigns"] = export.Campaigns{S: e.screen}
	m.svc.Sources["campaign_summary"] = export.CampaignSummary{S: e.screen}
	m.svc.Sources["referral_metrics"] = export.ReferralMetrics{S: e.refer}
	m.svc.Sources["hospital"] = export.Hospital{S: e.refer}
	m.svc.Sources["reviews"] = export.Reviews{S: e.care}
	m.svc.Sources["venue_ranking"] = export.VenueRanking{S: m.out}
	m.svc.Sources["attendance"] = export.Attendance{S: m.train}
	hp, err := keys.Derive("contact identifiers")
	if err != nil {
		t.Fatal(err)
	}
	e.phone = &phone.Service{DB: d, Audit: log, Seal: keys, Jobs: m.svc.Jobs, Now: m.clk.Now,
		Hotline: &hotline.Service{DB: d, Audit: log, Seal: keys, Pepper: hp, Now: m.clk.Now}}
	m.svc.Sources["calls"] = export.Calls{S: e.phone}
	m.svc.Sources["audit"] = export.AuditTrail{DB: d, Log: log}
	jobs.Handle(m.svc.Jobs, &referral.DueWorker{S: e.refer})
	jobs.Handle(m.svc.Jobs, &care.FollowUpWorker{S: e.care})
	return e
}

func (e *evenEnv) audits(action string) int64 {
	e.t.Helper()
	return testutil.Num(e.t, e.svc.DB, `SELECT COUNT(*) FROM audit_log WHERE action = ?`, action)
}

// The letter box list exports exactly what FindLetters gives the caller,
// open or closed, for their station only, and the export is audited.
func TestLetterExport(t *testing.T) {
	e := newEvenEnv(t)
	sx := testutil.Unit(t, e.ctx, e.org, e.admin, org.HotlineStation, "东城热线站", e.city)
	sy := testutil.Unit(t, e.ctx, e.org, e.admin, org.HotlineStation, "西城热线站", e.city)
	cx := testutil.Staff(t, e.ctx, e.ppl, "even-hot-x", access.HotlineCounsellor, sx)
	cy := testutil.Staff(t, e.ctx, e.ppl, "even-hot-y", access.HotlineCounsellor, sy)
	for _, w := range []struct {
		station *org.Unit
		n       int
	}{{sx, 3}, {sy, 1}} {
		for i := range w.n {
			if _, err := e.letters.Write(e.ctx, letter.NewLetter{StationID: w.station.ID, AgeBand: "13_15", Text: "我最近很烦恼 " + strconv.Itoa(i)}); err != nil {
				t.Fatal(err)
			}
			e.clk.Advance(time.Minute)
		}
	}
	for _, c := range []struct {
		p           access.Principal
		mine, other string
		n           int
	}{{cx, "东城", "西城", 3}, {cy, "西城", "东城", 1}} {
		list, err := e.letters.FindLetters(e.ctx, c.p, letter.Filter{})
		if err != nil {
			t.Fatal(err)
		}
		var want [][]string
		for _, l := range list {
			want = append(want, []string{"#" + strconv.FormatInt(l.ID, 10), l.Station("zh-CN"), l.ReceivedAt.In(cst).Format("2006-01-02 15:04"),
				l.DueAt.In(cst).Format("2006-01-02 15:04"), "否", "否", "待回信", "", "网上信箱"})
		}
		before := e.audits("letter.list")
		got := e.export(c.p, "letters", nil)
		header(t, "letters", export.Letters{}, got[0], "编号|收信站点|收到|回信期限|已超期|含风险表述|状态|负责人|来源",
			"No.|Station|Received|Reply by|Overdue|Risk expression|State|Assigned to|Source")
		same(t, "letters "+c.mine, got[1:], want)
		if len(got) != c.n+1 || holds(got, c.other) {
			t.Errorf("letters of %s: %v, want %d of its own only", c.mine, got, c.n)
		}
		if n := e.audits("letter.list") - before; n != 1 {
			t.Errorf("the letters export of %s wrote %d letter.list audit entries, want 1", c.mine, n)
		}
	}
	if got := e.export(cx, "letters", url.Values{"closed": {"1"}}); len(got) != 1 {
		t.Errorf("closed letters of X: %v, want none", got)
	}
	e.refused(e.headX1, "letters")
}

var cst = time.FixedZone("CST", 8*3600)

// The disclosure log exports exactly what UnitDisclosures gives the
// caller, from their units only.
func TestDisclosureExport(t *testing.T) {
	e := newEvenEnv(t)
	police := testutil.Unit(t, e.ctx, e.org, e.admin, org.District, "市公安局", e.city)
	for _, d := range []struct {
		p    access.Principal
		from *org.Unit
		what []string
	}{
		{e.coordX, e.x1, []string{"identity", "risk"}},
		{e.coordX, e.x2, []string{"risk"}},
		{e.coordY, e.y1, []string{"identity"}},
	} {
		err := e.svc.DB.Tx(e.ctx, func(ctx context.Context, tx *db.Tx) error {
			return e.share.Record(ctx, tx, d.p, sharing.Disclosure{FromUnit: d.from.ID, ToUnit: police.ID, What: d.what, Purpose: "crisis",
				Basis: "law", RefType: "incident", RefID: 7})
		})
		if err != nil {
			t.Fatal(err)
		}
		e.clk.Advance(time.Hour)
	}
	for _, c := range []struct {
		p           access.Principal
		mine, other string
		from        []string
	}{{e.coordX, "东城", "西城", []string{"东城二中", "东城一中"}}, {e.coordY, "西城", "东城", []string{"西城一中"}}} {
		list, err := e.share.UnitDisclosures(e.ctx, c.p)
		if err != nil {
			t.Fatal(err)
		}
		var want [][]string
		for _, d := range list {
			var what []string
			for _, w := range d.What {
				what = append(what, i18n.T("zh-CN", "sharing.data."+w))
			}
			want = append(want, []string{d.At.In(cst).Format("2006-01-02 15:04"), "匿名来电者", "", d.From.Display("zh-CN"), d.To.Display("zh-CN"),
				strings.Join(what, "、"), "危机干预", "法定职责", d.ActorName})
		}
		before := e.audits("disclosure.list")
		got := e.export(c.p, "disclosures", nil)
		header(t, "disclosures", export.Disclosures{}, got[0], "时间|学生|学籍号|提供方|接收方|数据|目的|依据|经办人",
			"When|Student|Student number|From|To|Data|Purpose|Basis|Sent by")
		same(t, "disclosures "+c.mine, got[1:], want)
		if from := column(got[1:], 3); !slices.Equal(from, c.from) {
			t.Errorf("disclosures of %s are from %v, want %v", c.mine, from, c.from)
		}
		if holds(got, c.other) {
			t.Errorf("the disclosures of %s hold one of %s: %v", c.mine, c.other, got)
		}
		if n := e.audits("disclosure.list") - before; n != 1 {
			t.Errorf("the disclosures export of %s wrote %d audit entries, want 1", c.mine, n)
		}
	}
	e.refused(e.headX1, "disclosures")
}

// The work list exports exactly the caller's own items, every page of
// them, and nobody else's.
func TestWorkExport(t *testing.T) {
	e := newEvenEnv(t)
	stu := &student.Service{DB: e.svc.DB, Audit: e.svc.Audit, Seal: e.svc.Seal}
	ids := map[string]int64{}
	for _, s := range []struct {
		p          access.Principal
		school, no string
		name       string
	}{{e.coordX, "东城一中", "EV-X1", "东城学生甲"}, {e.coordY, "西城一中", "EV-Y1", "西城学生乙"}} {
		rows := []student.RosterRow{{Line: 2, StudentNo: s.no, Name: s.name, Gender: "女", BirthDate: "2011-09-01", School: s.school, Grade: "7",
			ClassName: "1班", Guardians: []student.Guardian{{Name: "家长", Relation: "母亲", Phone: "13800000000"}}}}
		if rep, err := stu.Import(e.ctx, s.p, rows, false, nil); err != nil || !rep.OK() {
			t.Fatalf("Import: %+v %v", rep, err)
		}
		ids[s.no] = testutil.Num(t, e.svc.DB, `SELECT id FROM students WHERE student_no = ?`, s.no)
	}
	cx := testutil.Staff(t, e.ctx, e.ppl, "even-couns-x", access.SchoolCounsellor, e.x1)
	cy := testutil.Staff(t, e.ctx, e.ppl, "even-couns-y", access.SchoolCounsellor, e.y1)
	now := e.clk.Now()
	task := func(student int64, owner access.Principal, due time.Time) {
		t.Helper()
		err := e.svc.DB.Tx(e.ctx, func(ctx context.Context, tx *db.Tx) error {
			_, err := tx.Exec(ctx, `INSERT INTO tasks (student_id, kind, owner_id, due_at, done_at, created_at) VALUES (?, 'keep', ?, ?, 0, ?)`,
				student, owner.UserID, db.Micro(due), db.Micro(now))
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	// More than a page of 200 for X, so the export pages.
	for i := range 205 {
		task(ids["EV-X1"], cx, now.Add(time.Duration(i-2)*time.Hour))
	}
	task(ids["EV-Y1"], cy, now.Add(time.Hour))
	for _, c := range []struct {
		p           access.Principal
		mine, other string
		n           int
	}{{cx, "东城学生甲", "西城学生乙", 205}, {cy, "西城学生乙", "东城学生甲", 1}} {
		var want [][]string
		var cur care.Cursor
		for {
			list, next, err := e.care.WorkList(e.ctx, c.p, cur, 200)
			if err != nil {
				t.Fatal(err)
			}
			for _, it := range list {
				over := "否"
				if it.Overdue {
					over = "是"
				}
				want = append(want, []string{"研判任务", it.StudentName, "", it.Due.In(cst).Format("2006-01-02 15:04"), over})
			}
			if next == (care.Cursor{}) {
				break
			}
			cur = next
		}
		got := e.export(c.p, "work", nil)
		header(t, "work", export.Work{}, got[0], "类别|学生|预警等级|下一时限|已超时", "Kind|Student|Level|Next deadline|Overdue")
		same(t, "work "+c.mine, got[1:], want)
		if len(got) != c.n+1 || holds(got, c.other) {
			t.Errorf("work of %s: %d rows, want %d of their own only", c.mine, len(got)-1, c.n)
		}
	}
	if got := e.export(e.coordX, "work", nil); len(got) != 1 {
		t.Errorf("a coordinator with no work exports %d rows", len(got)-1)
	}
	e.refused(e.headX1, "work")
}

// hours is a duration as the sheet shows it: hours with one decimal.
func hours(d time.Duration) string {
	return strconv.FormatFloat(math.Round(d.Hours()*10)/10, 'f', -1, 64)
}

// The loop's figures export exactly what LoopMetrics gives the caller for
// their unit; another district's coordinator gets no figures of it.
func TestLoopMetricsExport(t *testing.T) {
	e := newEvenEnv(t)
	f := url.Values{"from": {"2026-02-01"}, "to": {"2026-03-01"}}
	from := time.Date(2026, 2, 1, 0, 0, 0, 0, cst)
	for _, c := range []struct {
		p    access.Principal
		unit *org.Unit
	}{{e.coordX, e.x}, {e.coordY, e.y}} {
		f.Set("unit", strconv.FormatInt(c.unit.ID, 10))
		m, err := e.care.LoopMetrics(e.ctx, c.p, c.unit.ID, from, from.AddDate(0, 1, 0))
		if err != nil {
			t.Fatal(err)
		}
		want := [][]string{{"预警数", strconv.Itoa(m.Alerts), "", ""}}
		for _, lv := range []string{"红色", "橙色", "黄色"} {
			key := map[string]string{"红色": "red", "橙色": "orange", "黄色": "yellow"}[lv]
			want = append(want, []string{"预警数 · " + lv, strconv.Itoa(m.AlertsByLevel[key]), "", ""})
		}
		for _, iv := range []struct {
			name string
			v    care.Interval
		}{{"筛查 → 预警", m.SignalToAlert}, {"预警 → 确认", m.AlertToAck}, {"预警 → 首次联系", m.AlertToContact}, {"预警 → 一生一策方案", m.AlertToPlan}} {
			if iv.v.Count == 0 {
				want = append(want, []string{iv.name, "0", "", ""})
			} else {
				want = append(want, []string{iv.name, strconv.Itoa(iv.v.Count), hours(iv.v.Median), hours(iv.v.Worst)})
			}
		}
		for _, n := range []struct {
			name string
			v    int
		}{{"确认超时的预警", m.AckPastDeadline}, {"首次联系超时的预警", m.ContactPastDeadline}, {"超时的预警（合计）", m.AlertsPastDeadline},
			{"到期跟踪辅导", m.FollowUpsDue}, {"逾期跟踪辅导", m.FollowUpsOverdue}, {"失去跟踪的学生", m.StudentsLostToFollowUp}} {
			want = append(want, []string{n.name, strconv.Itoa(n.v), "", ""})
		}
		for _, s := range []struct {
			name string
			v    care.SessionFigures
		}{{"个别辅导", m.IndividualSessions}, {"团体辅导", m.GroupSessions}} {
			want = append(want, []string{s.name + "：场次", strconv.Itoa(s.v.Sessions), "", ""}, []string{s.name + "：人次", strconv.Itoa(s.v.PersonTimes), "", ""},
				[]string{s.name + "：人数", strconv.Itoa(s.v.People), "", ""})
		}
		got := e.export(c.p, "loop", f)
		header(t, "loop", export.LoopMetrics{}, got[0], "指标|数量|中位数（小时）|最长（小时）", "Figure|Count|Median (hours)|Longest (hours)")
		// excelize drops trailing empty cells; pad to the header's width.
		for i := range got {
			for len(got[i]) < 4 {
				got[i] = append(got[i], "")
			}
		}
		same(t, "loop "+c.unit.Name, got[1:], want)
	}
	// Y's coordinator asks for X's figures: the build fails, no file.
	f.Set("unit", strconv.FormatInt(e.x.ID, 10))
	if !e.failed(e.coordY, "loop", f) {
		t.Error("a coordinator of Y exports the loop figures of X")
	}
	e.refused(e.headX1, "loop")
}

// The referral figures export exactly what Metrics gives the caller for
// their unit; another district's coordinator gets none of them.
func TestReferralMetricsExport(t *testing.T) {
	e := newEvenEnv(t)
	f := url.Values{"from": {"2026-01-01"}, "to": {"2026-03-01"}}
	from := time.Date(2026, 1, 1, 0, 0, 0, 0, cst)
	to := time.Date(2026, 3, 2, 0, 0, 0, 0, cst)
	for _, c := range []struct {
		p    access.Principal
		unit *org.Unit
	}{{e.coordX, e.x}, {e.coordY, e.y}} {
		f.Set("unit", strconv.FormatInt(c.unit.ID, 10))
		m, err := e.refer.Metrics(e.ctx, c.p, c.unit.ID, from, to)
		if err != nil {
			t.Fatal(err)
		}
		row := func(name string, r referral.MetricsRow) []string {
			med, mean := "", ""
			if r.ToFirstVisit.Count > 0 {
				med, mean = hours(r.ToFirstVisit.Median), hours(r.ToFirstVisit.Mean)
			}
			return []string{name, strconv.Itoa(r.Sent), strconv.Itoa(r.Urgent), strconv.Itoa(r.Accepted), strconv.Itoa(r.Declined), strconv.Itoa(r.Seen),
				med, mean, strconv.Itoa(r.Closed), strconv.Itoa(r.ClosedWithFeedback), strconv.Itoa(r.Overdue)}
		}
		var want [][]string
		for _, r := range m.Rows {
			want = append(want, row(r.ToLabel("zh-CN"), r))
		}
		want = append(want, row("合计", m.Total))
		got := e.export(c.p, "referral_metrics", f)
		header(t, "referral_metrics", export.ReferralMetrics{}, got[0],
			"接收单位|转介数|紧急（绿色通道）|已接收|已拒收|已就诊|至首诊中位时长（小时）|至首诊平均时长（小时）|已结案|有反馈结案数|已逾期",
			"Receiving unit|Sent|Urgent (fast track)|Accepted|Declined|Seen|To first visit, median (hours)|To first visit, mean (hours)|Closed|Closed with feedback|Overdue")
		same(t, "referral_metrics "+c.unit.Name, got[1:], want)
	}
	f.Set("unit", strconv.FormatInt(e.x.ID, 10))
	if !e.failed(e.coordY, "referral_metrics", f) {
		t.Error("a coordinator of Y exports the referral figures of X")
	}
	e.refused(e.headX1, "referral_metrics")
}

// seed imports students into a school as coordinator p and returns their
// ids by number.
func (e *evenEnv) seed(p access.Principal, school string, nos ...string) map[string]int64 {
	e.t.Helper()
	stu := &student.Service{DB: e.svc.DB, Audit: e.svc.Audit, Seal: e.svc.Seal}
	var rows []student.RosterRow
	for i, no := range nos {
		rows = append(rows, student.RosterRow{Line: i + 2, StudentNo: no, Name: "学生" + no, Gender: "女", BirthDate: "2011-09-01", School: school,
			Grade: "8", ClassName: "1班", Guardians: []student.Guardian{{Name: "家长", Relation: "母亲", Phone: "13800000000"}}})
	}
	if rep, err := stu.Import(e.ctx, p, rows, false, nil); err != nil || !rep.OK() {
		e.t.Fatalf("Import: %+v %v", rep, err)
	}
	ids := map[string]int64{}
	for _, no := range nos {
		ids[no] = testutil.Num(e.t, e.svc.DB, `SELECT id FROM students WHERE student_no = ?`, no)
	}
	return ids
}

// campaign creates a campaign of a district over one school, as p.
func (e *evenEnv) campaign(p access.Principal, owner, school *org.Unit, name string) int64 {
	e.t.Helper()
	now := e.clk.Now()
	id, err := e.screen.CreateCampaign(e.ctx, p, screening.NewCampaign{OrgUnitID: owner.ID, Name: name, Instruments: []string{"phq-a", "gad-7"},
		StartsAt: now.Add(-time.Hour), EndsAt: now.Add(7 * 24 * time.Hour), ConsentRule: screening.ConsentNone, ConsentText: "v1",
		Targets: []screening.Target{{SchoolID: school.ID}}})
	if err != nil {
		e.t.Fatalf("CreateCampaign: %v", err)
	}
	return id
}

// The campaign list exports exactly what FindCampaigns gives the caller.
func TestCampaignListExport(t *testing.T) {
	e := newEvenEnv(t)
	e.campaign(e.coordX, e.x, e.x1, "东城春季筛查")
	e.clk.Advance(time.Hour)
	e.campaign(e.coordX, e.x, e.x2, "东城秋季筛查")
	e.campaign(e.coordY, e.y, e.y1, "西城春季筛查")
	titles := map[string]string{}
	for _, inst := range e.screen.Instruments() {
		titles[inst.ID] = inst.Title.Get("zh-CN")
	}
	for _, c := range []struct {
		p           access.Principal
		mine, other string
		names       []string
	}{{e.coordX, "东城", "西城", []string{"东城秋季筛查", "东城春季筛查"}}, {e.coordY, "西城", "东城", []string{"西城春季筛查"}}} {
		list, err := e.screen.FindCampaigns(e.ctx, c.p)
		if err != nil {
			t.Fatal(err)
		}
		var want [][]string
		for _, k := range list {
			var ins []string
			for _, id := range k.Instruments {
				ins = append(ins, titles[id])
			}
			want = append(want, []string{k.Name, k.OrgName, k.StartsAt.In(cst).Format("2006-01-02 15:04"), k.EndsAt.In(cst).Format("2006-01-02 15:04"),
				strings.Join(ins, ", ")})
		}
		got := e.export(c.p, "campaigns", nil)
		header(t, "campaigns", export.Campaigns{}, got[0], "名称|组织单位|开始时间|结束时间|量表组合", "Name|Organised by|Opens|Closes|Instruments")
		same(t, "campaigns "+c.mine, got[1:], want)
		if names := column(got[1:], 0); !slices.Equal(names, c.names) {
			t.Errorf("campaigns of %s: %v, want %v", c.mine, names, c.names)
		}
		if holds(got, c.other) {
			t.Errorf("the campaigns of %s hold one of %s: %v", c.mine, c.other, got)
		}
	}
	e.refused(e.headX1, "campaigns")
}

// A campaign's summary exports exactly what TierSummary gives the caller,
// small counts hidden for a viewer without record.read; another
// district's coordinator gets no row of it.
func TestCampaignSummaryExport(t *testing.T) {
	e := newEvenEnv(t)
	var nos []string
	for i := range 9 {
		nos = append(nos, "EVS-"+strconv.Itoa(i))
	}
	ids := e.seed(e.coordX, "东城一中", nos...)
	cid := e.campaign(e.coordX, e.x, e.x1, "东城春季筛查")
	for i, no := range nos {
		tier := "green"
		if i >= 6 {
			tier = "yellow"
		}
		if _, err := e.svc.DB.Exec(e.ctx, `INSERT INTO student_tiers (student_id, tier, critical, campaign_id, at) VALUES (?, ?, 0, ?, ?)`,
			ids[no], tier, cid, db.Micro(e.clk.Now())); err != nil {
			t.Fatal(err)
		}
	}
	leader := testutil.Staff(t, e.ctx, e.ppl, "even-leader-x1", access.SchoolLeader, e.x1)
	f := url.Values{"campaign": {strconv.FormatInt(cid, 10)}}
	for _, c := range []struct {
		name   string
		p      access.Principal
		hidden bool
	}{{"coordinator", e.coordX, false}, {"school leader", leader, true}} {
		list, err := e.screen.TierSummary(e.ctx, c.p, cid)
		if err != nil {
			t.Fatal(err)
		}
		n := func(v int) string {
			if v < 0 {
				return "<5"
			}
			return strconv.Itoa(v)
		}
		var want [][]string
		for _, s := range list {
			row := []string{s.SchoolName}
			for _, v := range s.Counts {
				row = append(row, n(v))
			}
			want = append(want, append(row, n(s.Screened)))
		}
		got := e.export(c.p, "campaign_summary", f)
		header(t, "campaign_summary", export.CampaignSummary{}, got[0], "学校|绿|黄|橙|红|已筛查", "School|Green|Yellow|Orange|Red|Screened")
		same(t, "campaign_summary "+c.name, got[1:], want)
		if len(got) != 2 || holds(got, "<5") != c.hidden {
			t.Errorf("campaign_summary for the %s: %v (small counts hidden: %v)", c.name, got, c.hidden)
		}
	}
	if !e.failed(e.coordY, "campaign_summary", f) {
		t.Error("a coordinator of Y exports the summary of X's campaign")
	}
	e.refused(e.headX1, "campaign_summary")
}

// A hospital's inbox exports exactly what FindIncoming gives its liaison,
// every page, and none of another hospital's referrals.
func TestHospitalExport(t *testing.T) {
	e := newEvenEnv(t)
	h1 := testutil.Unit(t, e.ctx, e.org, e.admin, org.Hospital, "市脑科医院", e.city)
	h2 := testutil.Unit(t, e.ctx, e.org, e.admin, org.Hospital, "市儿童医院", e.city)
	l1 := testutil.Staff(t, e.ctx, e.ppl, "even-liaison-1", access.HospitalLiaison, h1)
	l2 := testutil.Staff(t, e.ctx, e.ppl, "even-liaison-2", access.HospitalLiaison, h2)
	cx := testutil.Staff(t, e.ctx, e.ppl, "even-hc-x", access.SchoolCounsellor, e.x1)
	cy := testutil.Staff(t, e.ctx, e.ppl, "even-hc-y", access.SchoolCounsellor, e.y1)
	xs := e.seed(e.coordX, "东城一中", "EVH-X1", "EVH-X2")
	ys := e.seed(e.coordY, "西城一中", "EVH-Y1")
	send := func(p access.Principal, studentID int64, to *org.Unit, urgency string) {
		t.Helper()
		caseID, err := e.care.OpenCase(e.ctx, p, studentID, 0)
		if err != nil {
			t.Fatalf("OpenCase: %v", err)
		}
		if _, err := e.refer.Send(e.ctx, p, referral.NewReferral{Source: referral.SourceCase, SourceID: caseID, ToUnit: to.ID, Urgency: urgency,
			Reason: "持续情绪低落，需专业评估", Consent: referral.Consent{Given: true, By: "mother", At: e.clk.Now().Add(-time.Hour), How: "written", Version: "v1"}}); err != nil {
			t.Fatalf("Send: %v", err)
		}
		e.clk.Advance(time.Minute)
	}
	send(cx, xs["EVH-X1"], h1, referral.Routine)
	send(cx, xs["EVH-X2"], h1, referral.Urgent)
	send(cy, ys["EVH-Y1"], h2, referral.Routine)
	for _, c := range []struct {
		p           access.Principal
		mine, other string
		children    []string
	}{{l1, "市脑科医院", "学生EVH-Y1", []string{"学生EVH-X2", "学生EVH-X1"}}, {l2, "市儿童医院", "学生EVH-X", []string{"学生EVH-Y1"}}} {
		list, err := e.refer.FindIncoming(e.ctx, c.p, referral.Filter{Open: true, Limit: 200})
		if err != nil {
			t.Fatal(err)
		}
		var want [][]string
		for _, r := range list {
			step, due := "", ""
			if r.DueStep != "" {
				step, due = i18n.T("zh-CN", "referral.step."+r.DueStep), r.DueAt.In(cst).Format("2006-01-02 15:04")
			}
			over := "否"
			if r.Overdue {
				over = "是"
			}
			want = append(want, []string{"#" + strconv.FormatInt(r.ID, 10), r.Child.Name, strconv.Itoa(r.Child.Age), r.FromLabel("zh-CN"),
				i18n.T("zh-CN", "referral.urgency."+r.Urgency), i18n.T("zh-CN", "referral.state."+r.State), r.SentAt.In(cst).Format("2006-01-02 15:04"),
				step, due, over})
		}
		before := e.audits("referral.incoming")
		got := e.export(c.p, "hospital", nil)
		header(t, "hospital", export.Hospital{}, got[0], "编号|儿童|年龄|转出单位|紧急程度|状态|转出时间|待办环节|环节时限|已逾期",
			"No.|Child|Age|Referring unit|Urgency|State|Sent|Awaiting|Step due|Overdue")
		same(t, "hospital "+c.mine, got[1:], want)
		if children := column(got[1:], 1); !slices.Equal(children, c.children) {
			t.Errorf("the inbox of %s lists %v, want %v", c.mine, children, c.children)
		}
		if holds(got, c.other) {
			t.Errorf("the inbox of %s holds %s: %v", c.mine, c.other, got)
		}
		if n := e.audits("referral.incoming") - before; n != 1 {
			t.Errorf("the inbox export of %s wrote %d referral.incoming audit entries, want 1", c.mine, n)
		}
	}
	e.refused(cx, "hospital")
}

// Risk reviews export exactly what FindReviews gives the caller for their
// unit; another district's coordinator gets none of them.
func TestReviewExport(t *testing.T) {
	e := newEvenEnv(t)
	for _, r := range []struct {
		p     access.Principal
		unit  *org.Unit
		kind  string
		hours int
	}{{e.coordX, e.x, "regular", 5}, {e.coordX, e.x, "case_review", 3}, {e.coordY, e.y, "regular", 4}} {
		if _, err := e.care.HoldReview(e.ctx, r.p, care.Review{OrgUnitID: r.unit.ID, Kind: r.kind, HeldAt: e.clk.Now().Add(-time.Duration(r.hours) * time.Hour),
			Attendees: []int64{r.p.UserID}, Minutes: "研判纪要"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		p     access.Principal
		unit  *org.Unit
		kinds []string
	}{{e.coordX, e.x, []string{"个案复盘", "定期研判"}}, {e.coordY, e.y, []string{"定期研判"}}} {
		list, err := e.care.FindReviews(e.ctx, c.p, c.unit.ID)
		if err != nil {
			t.Fatal(err)
		}
		var want [][]string
		for _, r := range list {
			want = append(want, []string{r.HeldAt.In(cst).Format("2006-01-02 15:04"), i18n.T("zh-CN", "review.kind_"+r.Kind), strconv.Itoa(len(r.Attendees)), strconv.Itoa(r.DecisionCount)})
		}
		f := url.Values{"unit": {strconv.FormatInt(c.unit.ID, 10)}}
		got := e.export(c.p, "reviews", f)
		header(t, "reviews", export.Reviews{}, got[0], "研判时间|类型|参会人员|决定", "Held|Kind|Attendees|Decisions")
		same(t, "reviews "+c.unit.Name, got[1:], want)
		if kinds := column(got[1:], 1); !slices.Equal(kinds, c.kinds) {
			t.Errorf("reviews of %s: %v, want %v", c.unit.Name, kinds, c.kinds)
		}
		if holds(got, "研判纪要") {
			t.Errorf("the reviews export of %s holds the sealed minutes", c.unit.Name)
		}
	}
	if !e.failed(e.coordY, "reviews", url.Values{"unit": {strconv.FormatInt(e.x.ID, 10)}}) {
		t.Error("a coordinator of Y exports the reviews of X")
	}
	e.refused(e.headX1, "reviews")
}

// A venue rating's ranking exports exactly what Ranking gives the caller;
// another district's coordinator gets none of it.
func TestVenueRankingExport(t *testing.T) {
	e := newEvenEnv(t)
	venue := func(p access.Principal, unit *org.Unit, name string) int64 {
		t.Helper()
		id, err := e.out.CreateVenue(e.ctx, p, outreach.NewVenue{Unit: unit.ID, Kind: "counselling_room", Name: name, Address: "江海路1号", Active: true})
		if err != nil {
			t.Fatal(err)
		}
		return id
	}
	v1 := venue(e.coordX, e.x1, "东城一中心理辅导室")
	venue(e.coordX, e.x2, "东城二中心理辅导室")
	venue(e.coordY, e.y1, "西城一中心理辅导室")
	id, err := e.out.DefineRating(e.ctx, e.coordX, outreach.NewRating{Unit: e.x.ID, Year: 2026, Kind: "counselling_room",
		Criteria: []outreach.Criterion{{NameZh: "设施", NameEn: "Facilities", Weight: 2, Max: 10}, {NameZh: "开放", NameEn: "Opening", Weight: 1, Max: 5}}})
	if err != nil {
		t.Fatal(err)
	}
	r, err := e.out.Ranking(e.ctx, e.coordX, id)
	if err != nil {
		t.Fatal(err)
	}
	if err := e.out.Score(e.ctx, e.coordX, id, v1, map[int64]int64{r.Criteria[0].ID: 8}); err != nil {
		t.Fatal(err)
	}
	if r, err = e.out.Ranking(e.ctx, e.coordX, id); err != nil {
		t.Fatal(err)
	}
	var want [][]string
	for _, row := range r.Rows {
		var scores []string
		for i, c := range r.Criteria {
			v := "—"
			if row.Scores[i] >= 0 {
				v = strconv.FormatInt(row.Scores[i], 10)
			}
			scores = append(scores, c.NameZh+" "+v)
		}
		want = append(want, []string{strconv.Itoa(row.Rank), row.Venue.Name, row.Venue.Unit.Display("zh-CN"), strings.Join(scores, "; "),
			strconv.FormatInt(row.Total, 10), strconv.FormatFloat(math.Round(row.Percent*10)/10, 'f', -1, 64)})
	}
	f := url.Values{"rating": {strconv.FormatInt(id, 10)}}
	got := e.export(e.coordX, "venue_ranking", f)
	header(t, "venue_ranking", export.VenueRanking{}, got[0], "名次|名称|所属单位|各项得分|总分|得分率（%）", "Rank|Name|Unit|Scores|Total|Share of maximum (%)")
	same(t, "venue_ranking", got[1:], want)
	if names := column(got[1:], 1); !slices.Equal(names, []string{"东城一中心理辅导室", "东城二中心理辅导室"}) || got[1][3] != "设施 8; 开放 —" {
		t.Errorf("the ranking of X: %v", got)
	}
	if holds(got, "西城") {
		t.Errorf("the ranking of X holds a venue of Y: %v", got)
	}
	if !e.failed(e.coordY, "venue_ranking", f) {
		t.Error("a coordinator of Y exports the ranking of X")
	}
	e.refused(e.headX1, "venue_ranking")
}

// A session's attendance list exports exactly what FindSession gives its
// manager; another district's coordinator gets none of it.
func TestAttendanceExport(t *testing.T) {
	e := newEvenEnv(t)
	start := e.clk.Now().Add(24 * time.Hour)
	course, err := e.train.CreateCourse(e.ctx, e.coordX, training.NewCourse{UnitID: e.x.ID, Title: "东城危机干预培训", Kind: "crisis", Hours: 1.5})
	if err != nil {
		t.Fatal(err)
	}
	sess, err := e.train.ScheduleSession(e.ctx, e.coordX, training.NewSession{CourseID: course, StartsAt: start, EndsAt: start.Add(2 * time.Hour),
		Place: "会议室", Capacity: 50})
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []access.Principal{e.headX1, e.headX2} {
		if err := e.train.Assign(e.ctx, e.coordX, sess, p.Username); err != nil {
			t.Fatal(err)
		}
	}
	e.clk.Set(start.Add(time.Minute))
	if err := e.train.SetAttendance(e.ctx, e.coordX, sess, map[int64]bool{e.headX1.UserID: true, e.headX2.UserID: false}); err != nil {
		t.Fatal(err)
	}
	s, err := e.train.FindSession(e.ctx, e.coordX, sess)
	if err != nil {
		t.Fatal(err)
	}
	var want [][]string
	for _, en := range s.Enrolments {
		row := []string{en.Name, en.Username, en.Unit.Display("zh-CN"), i18n.T("zh-CN", "training.how."+en.How)}
		if en.Attended {
			row = append(row, "是", i18n.T("zh-CN", "training.by."+en.AttendedHow), en.AttendedAt.In(cst).Format("2006-01-02 15:04"), hrs(en.Minutes))
		} else {
			row = append(row, "否", "", "", "")
		}
		want = append(want, row)
	}
	f := url.Values{"session": {strconv.FormatInt(sess, 10)}}
	before := e.audits("training.session_read")
	got := e.export(e.coordX, "attendance", f)
	if n := e.audits("training.session_read") - before; n != 1 {
		t.Errorf("the attendance export wrote %d training.session_read audit entries, want 1", n)
	}
	header(t, "attendance", export.Attendance{}, got[0], "人员|用户名|单位|方式|出席|签到方式|签到时间|学时",
		"Person|Username|Unit|How|Present|Checked in by|Checked in at|Hours")
	for i := range got {
		for len(got[i]) < 8 {
			got[i] = append(got[i], "")
		}
	}
	same(t, "attendance", got[1:], want)
	if users := column(got[1:], 1); len(users) != 2 || !slices.Contains(users, e.headX1.Username) || !slices.Contains(users, e.headX2.Username) {
		t.Errorf("the attendance of X's session lists %v", users)
	}
	if !e.failed(e.coordY, "attendance", f) {
		t.Error("a coordinator of Y exports the attendance of X's session")
	}
	e.refused(e.headX1, "attendance")
}

// The phone page's calls export exactly what FindCalls gives the caller,
// for their station only.
func TestCallExport(t *testing.T) {
	e := newEvenEnv(t)
	sx := testutil.Unit(t, e.ctx, e.org, e.admin, org.HotlineStation, "东城热线站", e.city)
	sy := testutil.Unit(t, e.ctx, e.org, e.admin, org.HotlineStation, "西城热线站", e.city)
	cx := testutil.Staff(t, e.ctx, e.ppl, "even-call-x", access.HotlineCounsellor, sx)
	cy := testutil.Staff(t, e.ctx, e.ppl, "even-call-y", access.HotlineCounsellor, sy)
	for i, c := range []struct {
		station *org.Unit
		gw      string
		n       int
	}{{sx, "even-gw-x", 2}, {sy, "even-gw-y", 1}} {
		gw := testutil.Staff(t, e.ctx, e.ppl, c.gw, access.TelephonyGateway, c.station)
		for j := range c.n {
			ref := "call-" + strconv.Itoa(i) + "-" + strconv.Itoa(j)
			at := e.clk.Now()
			if _, err := e.phone.Report(e.ctx, gw, phone.Event{Event: "offered", CallRef: ref, StationID: c.station.ID, At: at, Caller: "1380000000" + strconv.Itoa(j)}); err != nil {
				t.Fatalf("offered: %v", err)
			}
			if _, err := e.phone.Report(e.ctx, gw, phone.Event{Event: "ended", CallRef: ref, At: at.Add(40 * time.Second), Reason: "caller_hangup"}); err != nil {
				t.Fatalf("ended: %v", err)
			}
			e.clk.Advance(time.Minute)
		}
	}
	for _, c := range []struct {
		p           access.Principal
		mine, other string
		n           int
	}{{cx, "东城", "西城", 2}, {cy, "西城", "东城", 1}} {
		list, err := e.phone.FindCalls(e.ctx, c.p, "")
		if err != nil {
			t.Fatal(err)
		}
		var want [][]string
		for _, k := range list {
			reason := ""
			if k.EndReason != "" {
				reason = i18n.T("zh-CN", "phone.reason."+k.EndReason)
			}
			want = append(want, []string{k.OfferedAt.In(cst).Format("2006-01-02 15:04"), k.Station, i18n.T("zh-CN", "phone.state."+k.State), reason,
				strconv.Itoa(int(k.Wait().Seconds())), strconv.Itoa(int(k.Talk().Seconds())), strconv.Itoa(k.Transfers)})
		}
		got := e.export(c.p, "calls", nil)
		header(t, "calls", export.Calls{}, got[0], "来电时间|站点|状态|结束原因|等待（秒）|通话时长（秒）|转接|接待记录",
			"Offered|Station|State|End reason|Wait (s)|Talk time (s)|Transfers|Contact")
		same(t, "calls "+c.mine, got[1:], want)
		if len(got) != c.n+1 || holds(got, c.other) || !slices.Contains(column(got[1:], 4), "40") {
			t.Errorf("calls of %s: %v, want %d of its own, 40 s waited", c.mine, got, c.n)
		}
		if holds(got, "13800000") {
			t.Errorf("the calls export of %s holds a caller's number", c.mine)
		}
		// The page of older calls exports the same page.
		older := e.export(c.p, "calls", url.Values{"before": {list[0].Cursor()}})
		same(t, "older calls "+c.mine, older[1:], want[1:])
	}
	e.refused(e.headX1, "calls")
}

// The auditor's page of the trail exports exactly what FindEntries gives
// them for the same page; the export's own read, request and download are
// in the trail; nobody without audit.read gets it.
func TestAuditTrailExport(t *testing.T) {
	e := newEvenEnv(t)
	auditor := testutil.Staff(t, e.ctx, e.ppl, "even-auditor", access.Auditor, e.city)
	before := testutil.Num(t, e.svc.DB, `SELECT MAX(seq) FROM audit_log`) + 1
	m, _ := auditor.Grant(access.AuditRead)
	list, err := audit.FindEntries(e.ctx, e.svc.DB, e.svc.Audit, audit.Entry{ActorUserID: auditor.UserID, ActorRole: m.Role, ActorOrgID: m.OrgID},
		audit.Filter{Before: before, Limit: 100})
	if err != nil || len(list) < 10 {
		t.Fatalf("FindEntries: %d entries, %v", len(list), err)
	}
	rowsOf := func(list []audit.Entry) [][]string {
		var want [][]string
		for _, en := range list {
			actor, role := "系统", ""
			if en.ActorUserID != 0 {
				actor = "#" + strconv.FormatInt(en.ActorUserID, 10)
			}
			if en.ActorRole != "" {
				role = i18n.T("zh-CN", "role."+en.ActorRole)
			}
			want = append(want, []string{strconv.FormatInt(en.Seq, 10), en.At.In(cst).Format("2006-01-02 15:04"), actor, role, en.Action,
				en.ObjectType + " " + en.ObjectID, en.Outcome, en.Detail})
		}
		return want
	}
	padded := func(got [][]string) [][]string {
		for i := range got {
			for len(got[i]) < 8 {
				got[i] = append(got[i], "")
			}
		}
		return got
	}
	reads := e.audits("audit.read")
	got := padded(e.export(auditor, "audit", url.Values{"before": {strconv.FormatInt(before, 10)}}))
	header(t, "audit", export.AuditTrail{}, got[0], "序号|时间|操作人|角色|操作|对象|结果|说明", "Seq|When|Actor|Role|Action|Object|Outcome|Detail")
	same(t, "audit", got[1:], rowsOf(list))
	if n := e.audits("audit.read") - reads; n != 1 {
		t.Errorf("the audit export wrote %d audit.read entries, want 1", n)
	}
	for _, action := range []string{"export.request", "export.download"} {
		if n := testutil.Num(t, e.svc.DB, `SELECT COUNT(*) FROM audit_log WHERE action = ? AND actor_user_id = ?`, action, auditor.UserID); n != 1 {
			t.Errorf("%d %s entries by the auditor, want 1", n, action)
		}
	}
	// A search exports what the page finds for it.
	search := url.Values{"object_type": {"org_unit"}, "before": {strconv.FormatInt(before, 10)}}
	filter, err := audit.ParseFilter(search, cst)
	if err != nil {
		t.Fatal(err)
	}
	filter.Limit = 100
	found, err := audit.FindEntries(e.ctx, e.svc.DB, e.svc.Audit, audit.Entry{ActorUserID: auditor.UserID, ActorRole: m.Role, ActorOrgID: m.OrgID}, filter)
	if err != nil || len(found) == 0 || len(found) == len(list) {
		t.Fatalf("FindEntries(object org_unit): %d entries of %d, %v", len(found), len(list), err)
	}
	same(t, "audit search", padded(e.export(auditor, "audit", search))[1:], rowsOf(found))
	if !e.failed(auditor, "audit", url.Values{"from": {"2025-02-30"}}) {
		t.Error("an audit export with an impossible date did not fail")
	}
	for _, p := range []access.Principal{e.coordX, e.headX1} {
		e.refused(p, "audit")
	}
}
