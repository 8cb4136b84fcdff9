package export_test

import (
	"bytes"
	"context"
	"math"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/export"
	"github.com/careloop/careloop/internal/jobs"
	"github.com/careloop/careloop/internal/notify"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/outreach"
	"github.com/careloop/careloop/internal/people"
	"github.com/careloop/careloop/internal/sharing"
	"github.com/careloop/careloop/internal/testutil"
	"github.com/careloop/careloop/internal/training"
	"github.com/careloop/careloop/internal/workforce"
)

// moreEnv is a city with two districts, X (schools X1, X2) and Y (school
// Y1), a coordinator in each, a head teacher in each school, and the
// services of the tables exported here.
type moreEnv struct {
	t                      *testing.T
	ctx                    context.Context
	clk                    *testutil.Clock
	svc                    *export.Service
	train                  *training.Service
	work                   *workforce.Service
	out                    *outreach.Service
	share                  *sharing.Service
	city, x, x1, x2, y, y1 *org.Unit
	coordX, coordY         access.Principal
	headX1, headX2, headY1 access.Principal
}

func newMoreEnv(t *testing.T) *moreEnv {
	t.Helper()
	ctx := context.Background()
	d := testutil.DB(t)
	if err := jobs.Migrate(ctx, d); err != nil {
		t.Fatal(err)
	}
	clk := testutil.NewClock(time.Date(2026, 3, 2, 1, 0, 0, 0, time.UTC))
	log, err := audit.New("sha256", clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	keys := testutil.Keyring(t)
	q, err := jobs.New(d, jobs.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	e := &moreEnv{t: t, ctx: ctx, clk: clk,
		train: &training.Service{DB: d, Audit: log, Seal: keys, Now: clk.Now},
		work:  &workforce.Service{DB: d, Audit: log, Seal: keys, Jobs: q, Notify: &notify.Service{Now: clk.Now}, Now: clk.Now},
		out:   &outreach.Service{DB: d, Audit: log, Seal: keys, Now: clk.Now},
		share: &sharing.Service{DB: d, Audit: log, Seal: keys, Jobs: q, Notify: &notify.Service{Now: clk.Now}, Now: clk.Now}}
	e.svc = &export.Service{DB: d, Audit: log, Seal: keys, Jobs: q, Now: clk.Now, Sources: map[string]export.Source{
		"training": export.Training{S: e.train}, "training_missing": export.TrainingMissing{S: e.train},
		"coverage": export.Coverage{S: e.work}, "coverage_gaps": export.CoverageGaps{S: e.work},
		"venues": export.Venues{S: e.out}, "meetings": export.Meetings{S: e.share}}}
	jobs.Handle(q, &export.BuildWorker{S: e.svc})
	o := &org.Service{DB: d, Audit: log, Now: clk.Now}
	ppl := &people.Service{DB: d, Audit: log, Seal: keys, Now: clk.Now}
	if e.city, err = o.CreateRoot(ctx, "江海市", "Jianghai"); err != nil {
		t.Fatal(err)
	}
	admin := access.Principal{UserID: -1, Memberships: []access.Membership{{OrgID: e.city.ID, OrgPath: e.city.Path, Role: access.SysAdmin}}}
	e.x = testutil.Unit(t, ctx, o, admin, org.District, "东城区", e.city)
	e.y = testutil.Unit(t, ctx, o, admin, org.District, "西城区", e.city)
	e.x1 = testutil.Unit(t, ctx, o, admin, org.School, "东城一中", e.x)
	e.x2 = testutil.Unit(t, ctx, o, admin, org.School, "东城二中", e.x)
	e.y1 = testutil.Unit(t, ctx, o, admin, org.School, "西城一中", e.y)
	e.coordX = testutil.Staff(t, ctx, ppl, "more-coord-x", access.Coordinator, e.x)
	e.coordY = testutil.Staff(t, ctx, ppl, "more-coord-y", access.Coordinator, e.y)
	e.headX1 = testutil.Staff(t, ctx, ppl, "more-head-x1", access.HeadTeacher, e.x1)
	e.headX2 = testutil.Staff(t, ctx, ppl, "more-head-x2", access.HeadTeacher, e.x2)
	e.headY1 = testutil.Staff(t, ctx, ppl, "more-head-y1", access.HeadTeacher, e.y1)
	return e
}

// export requests an export of kind as p, builds it and returns its rows
// (header first), or fails the test.
func (e *moreEnv) export(p access.Principal, kind string, f url.Values) [][]string {
	e.t.Helper()
	id, err := e.svc.Request(e.ctx, p, kind, "zh-CN", f)
	if err != nil {
		e.t.Fatalf("Request %s: %v", kind, err)
	}
	if err := e.svc.Build(e.ctx, id); err != nil {
		e.t.Fatalf("Build %s: %v", kind, err)
	}
	_, file, err := e.svc.Download(e.ctx, p, id)
	if err != nil {
		e.t.Fatalf("Download %s: %v", kind, err)
	}
	x, err := excelize.OpenReader(bytes.NewReader(file))
	if err != nil {
		e.t.Fatalf("%s is not an XLSX: %v", kind, err)
	}
	defer x.Close()
	rows, err := x.GetRows(x.GetSheetName(0))
	if err != nil || len(rows) == 0 {
		e.t.Fatalf("%s: %d rows, %v", kind, len(rows), err)
	}
	return rows
}

// failed requests and builds an export as p and says whether it failed.
func (e *moreEnv) failed(p access.Principal, kind string, f url.Values) bool {
	e.t.Helper()
	id, err := e.svc.Request(e.ctx, p, kind, "zh-CN", f)
	if err != nil {
		e.t.Fatalf("Request %s: %v", kind, err)
	}
	if err := e.svc.Build(e.ctx, id); err != nil {
		e.t.Fatalf("Build %s: %v", kind, err)
	}
	x, err := e.svc.Find(e.ctx, p, id)
	if err != nil {
		e.t.Fatal(err)
	}
	return x.State == "failed"
}

// same fails unless got (the rows after the header) equals want.
func same(t *testing.T, what string, got, want [][]string) {
	t.Helper()
	if len(got) != len(want) {
		t.Errorf("%s: %d rows, the list shows %d\n got %v\nwant %v", what, len(got), len(want), got, want)
		return
	}
	for i := range want {
		if !slices.Equal(got[i], want[i]) {
			t.Errorf("%s row %d: %v, the list shows %v", what, i+1, got[i], want[i])
		}
	}
}

// column is column i of rows.
func column(rows [][]string, i int) []string {
	var out []string
	for _, r := range rows {
		if i < len(r) {
			out = append(out, r[i])
		} else {
			out = append(out, "")
		}
	}
	return out
}

// holds reports whether any cell of rows contains s.
func holds(rows [][]string, s string) bool {
	for _, r := range rows {
		for _, c := range r {
			if strings.Contains(c, s) {
				return true
			}
		}
	}
	return false
}

// header fails unless the built header and the English one are as given.
func header(t *testing.T, kind string, src export.Source, got []string, zh, en string) {
	t.Helper()
	if g := strings.Join(got, "|"); g != zh {
		t.Errorf("%s header %q, want %q", kind, g, zh)
	}
	if g := strings.Join(src.Header("en"), "|"); g != en {
		t.Errorf("%s English header %q, want %q", kind, g, en)
	}
}

// refused fails unless p (lacking the kind's permission) is refused.
func (e *moreEnv) refused(p access.Principal, kind string) {
	e.t.Helper()
	if _, err := e.svc.Request(e.ctx, p, kind, "zh-CN", nil); apperr.CodeOf(err) != apperr.EForbidden {
		e.t.Errorf("a head teacher asks for %s: %v", kind, err)
	}
}

func num(n int64) string { return strconv.FormatInt(n, 10) }

func hrs(minutes int64) string {
	return strconv.FormatFloat(math.Round(float64(minutes)/6)/10, 'f', -1, 64)
}

// The training report and its list of who lacks a required training
// export exactly what Report gives the caller, for their district only.
func TestTrainingExports(t *testing.T) {
	e := newMoreEnv(t)
	start := e.clk.Now().Add(24 * time.Hour)
	type plan struct {
		coord   access.Principal
		unit    *org.Unit
		title   string
		present []access.Principal
		absent  []access.Principal
	}
	for _, pl := range []plan{
		{e.coordX, e.x, "东城危机干预培训", []access.Principal{e.headX1}, []access.Principal{e.headX2}},
		{e.coordY, e.y, "西城危机干预培训", []access.Principal{e.headY1}, nil},
	} {
		course, err := e.train.CreateCourse(e.ctx, pl.coord, training.NewCourse{UnitID: pl.unit.ID, Title: pl.title, Kind: "crisis", Hours: 1.5,
			RequiredFor: []string{access.HeadTeacher}})
		if err != nil {
			t.Fatal(err)
		}
		sess, err := e.train.ScheduleSession(e.ctx, pl.coord, training.NewSession{CourseID: course, StartsAt: start, EndsAt: start.Add(2 * time.Hour),
			Place: "会议室", Capacity: 50})
		if err != nil {
			t.Fatal(err)
		}
		attended := map[int64]bool{}
		for _, p := range pl.present {
			if err := e.train.Assign(e.ctx, pl.coord, sess, p.Username); err != nil {
				t.Fatal(err)
			}
			attended[p.UserID] = true
		}
		for _, p := range pl.absent {
			if err := e.train.Assign(e.ctx, pl.coord, sess, p.Username); err != nil {
				t.Fatal(err)
			}
			attended[p.UserID] = false
		}
		if e.clk.Now().Before(start) {
			e.clk.Set(start.Add(time.Minute))
		}
		if err := e.train.SetAttendance(e.ctx, pl.coord, sess, attended); err != nil {
			t.Fatal(err)
		}
	}
	f := url.Values{"from": {"2026-03-01"}, "to": {"2026-03-31"}}
	from := time.Date(2026, 3, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	to := from.AddDate(0, 1, 0)
	for _, c := range []struct {
		coord       access.Principal
		unit        *org.Unit
		mine, other string
		sessions    int64
		missing     []string
	}{
		{e.coordX, e.x, "东城", "西城", 1, []string{e.headX2.Username}},
		{e.coordY, e.y, "西城", "东城", 1, nil},
	} {
		f.Set("unit", strconv.FormatInt(c.unit.ID, 10))
		rep, err := e.train.Report(e.ctx, c.coord, c.unit.ID, from, to)
		if err != nil {
			t.Fatal(err)
		}
		var want [][]string
		for _, r := range rep.Rows {
			name := r.Unit.Display("zh-CN")
			if r.Own {
				name += " (本级)"
			}
			want = append(want, []string{name, num(r.Sessions), num(r.PersonTimes), num(r.People), hrs(r.Minutes)})
		}
		want = append(want, []string{"合计", num(rep.Total.Sessions), num(rep.Total.PersonTimes), num(rep.Total.People), hrs(rep.Total.Minutes)})
		got := e.export(c.coord, "training", f)
		header(t, "training", export.Training{}, got[0], "单位|举办场次|人次|人数|学时", "Unit|Sessions held|Person-times|People|Hours")
		same(t, "training "+c.mine, got[1:], want)
		// Figures counted here: one session held, one head teacher there, 1.5 hours.
		if total := got[len(got)-1]; len(total) != 5 || total[1] != num(c.sessions) || total[2] != "1" || total[3] != "1" || total[4] != "1.5" {
			t.Errorf("training %s total %v, want 1 session, 1 person-time, 1 person, 1.5 hours", c.mine, total)
		}
		if holds(got, c.other) {
			t.Errorf("the training report of %s holds a unit of %s: %v", c.mine, c.other, got)
		}

		var wantMissing [][]string
		for _, m := range rep.Missing {
			wantMissing = append(wantMissing, []string{m.Name, m.Username, m.Unit.Display("zh-CN"), "班主任", m.CourseTitle("zh-CN")})
		}
		got = e.export(c.coord, "training_missing", f)
		header(t, "training_missing", export.TrainingMissing{}, got[0], "人员|用户名|单位|角色|培训课程", "Person|Username|Unit|Role|Course")
		same(t, "training_missing "+c.mine, got[1:], wantMissing)
		if users := column(got[1:], 1); !slices.Equal(users, c.missing) {
			t.Errorf("training_missing %s lists %v, want %v", c.mine, users, c.missing)
		}
		if holds(got, c.other) {
			t.Errorf("the missing list of %s holds someone of %s: %v", c.mine, c.other, got)
		}
	}
	if n := testutil.Num(t, e.svc.DB, `SELECT COUNT(*) FROM audit_log WHERE action = 'training.report'`); n != 6 {
		t.Errorf("%d training.report audit entries, want 6 (2 reads here, 4 exports)", n)
	}
	// The other district's report is not built for them.
	f.Set("unit", strconv.FormatInt(e.x.ID, 10))
	if !e.failed(e.coordY, "training", f) || !e.failed(e.coordY, "training_missing", f) {
		t.Error("a coordinator of Y exports the training report of X")
	}
	e.refused(e.headX1, "training")
	e.refused(e.headX1, "training_missing")
}

// Coverage and its list of schools without a psychology teacher export
// exactly what Coverage and Uncovered give the caller.
func TestCoverageExports(t *testing.T) {
	e := newMoreEnv(t)
	for _, p := range []struct {
		coord  access.Principal
		school *org.Unit
		kind   string
	}{{e.coordX, e.x1, workforce.KindTeacherFull}, {e.coordY, e.y1, workforce.KindTeacherPart}} {
		if _, err := e.work.AddPerson(e.ctx, p.coord, workforce.Entry{UnitID: p.school.ID, Name: "心理教师", Kind: p.kind, Tier: "core"}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		coord       access.Principal
		mine, other string
		gaps        []string
	}{
		{e.coordX, "东城", "西城", []string{"东城二中"}},
		{e.coordY, "西城", "东城", nil},
	} {
		cov, err := e.work.Coverage(e.ctx, c.coord)
		if err != nil {
			t.Fatal(err)
		}
		met := func(d workforce.DistrictCoverage) string {
			if d.Met() {
				return "已达标"
			}
			return "未达标"
		}
		var want [][]string
		for _, d := range cov.Districts {
			want = append(want, []string{d.District.Display("zh-CN"), strconv.Itoa(d.Schools), strconv.Itoa(d.Full), strconv.Itoa(d.PartOnly),
				strconv.Itoa(d.None), d.Share(), met(d)})
		}
		tt := cov.Total
		want = append(want, []string{"合计", strconv.Itoa(tt.Schools), strconv.Itoa(tt.Full), strconv.Itoa(tt.PartOnly), strconv.Itoa(tt.None), tt.Share(), met(tt)})
		got := e.export(c.coord, "coverage", nil)
		header(t, "coverage", export.Coverage{}, got[0], "区|学校数|有专职教师|仅有兼职教师|未配备|配备率|目标",
			"District|Schools|Full-time teacher|Part-time only|None|Share covered|Target")
		same(t, "coverage "+c.mine, got[1:], want)
		if len(got) != 3 || got[1][0] != c.mine+"区" {
			t.Errorf("coverage of %s: %v, want its district and the total", c.mine, got)
		}
		if holds(got, c.other) {
			t.Errorf("the coverage of %s holds %s: %v", c.mine, c.other, got)
		}

		list, err := e.work.Uncovered(e.ctx, c.coord, 0)
		if err != nil {
			t.Fatal(err)
		}
		var wantGaps [][]string
		for _, sc := range list {
			wantGaps = append(wantGaps, []string{sc.Unit.Display("zh-CN"), sc.District.Display("zh-CN")})
		}
		got = e.export(c.coord, "coverage_gaps", nil)
		header(t, "coverage_gaps", export.CoverageGaps{}, got[0], "学校|区", "School|District")
		same(t, "coverage_gaps "+c.mine, got[1:], wantGaps)
		if names := column(got[1:], 0); !slices.Equal(names, c.gaps) {
			t.Errorf("coverage_gaps of %s lists %v, want %v", c.mine, names, c.gaps)
		}
	}
	// A district filter narrows the list the way the page's does.
	if got := e.export(e.coordX, "coverage_gaps", url.Values{"district": {strconv.FormatInt(e.y.ID, 10)}}); len(got) != 1 {
		t.Errorf("a coordinator of X lists the gaps of Y: %v", got)
	}
	if n := testutil.Num(t, e.svc.DB, `SELECT COUNT(*) FROM audit_log WHERE action IN ('workforce.coverage', 'workforce.uncovered')`); n != 9 {
		t.Errorf("%d coverage audit entries, want 9 (4 reads here, 5 exports)", n)
	}
	e.refused(e.headX1, "coverage")
	e.refused(e.headX1, "coverage_gaps")
}

// Venues export exactly what Venues gives the caller, with its kind filter.
func TestVenueExport(t *testing.T) {
	e := newMoreEnv(t)
	for _, v := range []struct {
		coord      access.Principal
		unit       *org.Unit
		kind, name string
		active     bool
	}{
		{e.coordX, e.x1, "counselling_room", "东城一中心理辅导室", true},
		{e.coordX, e.x, "guidance_centre", "东城区未成年人心理辅导中心", false},
		{e.coordY, e.y1, "counselling_room", "西城一中心理辅导室", true},
	} {
		if _, err := e.out.CreateVenue(e.ctx, v.coord, outreach.NewVenue{Unit: v.unit.ID, Kind: v.kind, Name: v.name, Address: "江海路1号",
			Facilities: "沙盘\n宣泄室", OpeningHours: "周一至周五 9:00-17:00", Active: v.active}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		coord       access.Principal
		kind        string
		mine, other string
		names       []string
	}{
		{e.coordX, "", "东城", "西城", []string{"东城区未成年人心理辅导中心", "东城一中心理辅导室"}},
		{e.coordX, "counselling_room", "东城", "西城", []string{"东城一中心理辅导室"}},
		{e.coordY, "", "西城", "东城", []string{"西城一中心理辅导室"}},
	} {
		list, err := e.out.Venues(e.ctx, c.coord, outreach.VenueFilter{Kind: c.kind})
		if err != nil {
			t.Fatal(err)
		}
		var want [][]string
		for _, v := range list {
			active := "否"
			if v.Active {
				active = "是"
			}
			want = append(want, []string{v.Name, map[string]string{"counselling_room": "学校心理辅导室", "guidance_centre": "成长指导中心"}[v.Kind],
				v.Unit.Display("zh-CN"), v.Address, v.OpeningHours, strings.Join(v.Facilities, "、"), active})
		}
		got := e.export(c.coord, "venues", url.Values{"venue_kind": {c.kind}})
		header(t, "venues", export.Venues{}, got[0], "名称|类型|所属单位|地址|开放时间|设施|启用",
			"Name|Kind|Unit|Address|Opening hours|Facilities|Active")
		same(t, "venues "+c.mine+" "+c.kind, got[1:], want)
		if names := column(got[1:], 0); !slices.Equal(names, c.names) {
			t.Errorf("venues of %s (%q) lists %v, want %v", c.mine, c.kind, names, c.names)
		}
		if holds(got, c.other) {
			t.Errorf("the venues of %s hold one of %s: %v", c.mine, c.other, got)
		}
	}
	e.refused(e.headX1, "venues")
}

// Joint meetings export exactly what Meetings gives the caller.
func TestMeetingExport(t *testing.T) {
	e := newMoreEnv(t)
	for i, m := range []struct {
		coord access.Principal
		unit  *org.Unit
		title string
	}{
		{e.coordX, e.x, "东城区联席会议一"},
		{e.coordX, e.x, "东城区联席会议二"},
		{e.coordY, e.y, "西城区联席会议"},
	} {
		held := time.Date(2026, 2, 10+i, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
		if _, err := e.share.CreateMeeting(e.ctx, m.coord, sharing.NewMeeting{ConveningUnit: m.unit.ID, Title: m.title, HeldAt: held,
			Members: []int64{m.unit.ID}}); err != nil {
			t.Fatal(err)
		}
	}
	for _, c := range []struct {
		coord       access.Principal
		mine, other string
		titles      []string
	}{
		{e.coordX, "东城", "西城", []string{"东城区联席会议二", "东城区联席会议一"}},
		{e.coordY, "西城", "东城", []string{"西城区联席会议"}},
	} {
		list, err := e.share.Meetings(e.ctx, c.coord)
		if err != nil {
			t.Fatal(err)
		}
		var want [][]string
		for _, m := range list {
			want = append(want, []string{m.HeldAt.In(time.FixedZone("CST", 8*3600)).Format("2006-01-02"), m.Title, m.Convening.Display("zh-CN")})
		}
		got := e.export(c.coord, "meetings", nil)
		header(t, "meetings", export.Meetings{}, got[0], "日期|会议名称|召集单位", "Date|Title|Convened by")
		same(t, "meetings "+c.mine, got[1:], want)
		if titles := column(got[1:], 1); !slices.Equal(titles, c.titles) {
			t.Errorf("meetings of %s lists %v, want %v", c.mine, titles, c.titles)
		}
		if holds(got, c.other) {
			t.Errorf("the meetings of %s hold one of %s: %v", c.mine, c.other, got)
		}
	}
	if got := e.export(e.coordX, "meetings", nil); got[1][0] != "2026-02-11" {
		t.Errorf("the latest meeting of X is dated %q, want 2026-02-11", got[1][0])
	}
	e.refused(e.headX1, "meetings")
}
