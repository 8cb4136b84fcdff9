package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// The dashboard: the demo's refresh job fills it after start; a city
// coordinator reads exact figures and drills down to a district and a
// school's grades; a school leader reads rounded ones; roles without
// report.read are refused; a bad period is not found.
func TestStatsDashboard(t *testing.T) {
	inst := start(t)
	city := newClient(t, inst.URL)
	city.signInFully("city.coord")
	var body string
	deadline := time.Now().Add(60 * time.Second)
	for {
		var resp *http.Response
		resp, body = city.get("/stats")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /stats: %d", resp.StatusCode)
		}
		if !strings.Contains(body, text(t, "zh-CN", "stats.not_yet")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the rollups were not computed within a minute of start")
		}
		time.Sleep(500 * time.Millisecond)
	}
	if strings.Contains(body, `id="stats-rounded"`) {
		t.Error("a city coordinator reads rounded figures")
	}
	// The demo's students are enrolled; the city reads them exactly.
	enrolled := regexp.MustCompile(`data-indicator="students_enrolled">(\d+)<`).FindStringSubmatch(body)
	if enrolled == nil || enrolled[1] == "0" {
		i := strings.Index(body, `id="group-screening"`)
		t.Fatalf("no students enrolled on the city's dashboard:\n%s", body[i:min(len(body), i+1500)])
	}
	district := regexp.MustCompile(`<a href="/stats\?unit=(\d+)&amp;period=[0-9-Q]+">玄武区</a>`).FindStringSubmatch(body)
	if district == nil {
		t.Fatal("the city's dashboard does not drill down to Xuanwu District")
	}
	_, body = city.get("/stats?unit=" + district[1])
	school := regexp.MustCompile(`<a href="/stats\?unit=(\d+)&amp;period=[0-9-Q]+">玄武实验小学</a>`).FindStringSubmatch(body)
	if school == nil {
		t.Fatal("the district's dashboard does not drill down to its school")
	}
	_, body = city.get("/stats?unit=" + school[1])
	if !strings.Contains(body, `data-part="g4"`) || !strings.Contains(body, `id="stats-up"`) {
		t.Error("the school's dashboard lacks its grades or the way up")
	}
	_, body = city.get("/stats?unit=" + school[1] + "&part=g4")
	if !strings.Contains(body, `data-part="g4/1班"`) {
		t.Error("grade 4's dashboard lacks its classes")
	}

	leader := newClient(t, inst.URL)
	leader.signInFully("leader")
	resp, body := leader.get("/stats")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="stats-rounded"`) {
		t.Errorf("a school leader: %d, rounded note shown %v", resp.StatusCode, strings.Contains(body, `id="stats-rounded"`))
	}
	for _, m := range regexp.MustCompile(`class="figure" data-indicator="(students_enrolled|tier_red|alerts_raised|cases_open)">([^<]+)<`).FindAllStringSubmatch(body, -1) {
		if v := m[2]; v != "&lt;5" && v != "0" && !strings.HasSuffix(v, "0") && !strings.HasSuffix(v, "5") {
			t.Errorf("a school leader reads %s = %s", m[1], v)
		}
	}
	if resp, _ := leader.get("/stats?unit=" + district[1]); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a school leader reads the district's dashboard: %d", resp.StatusCode)
	}
	if resp, _ := city.get("/stats?period=2026-13"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a bad period: %d", resp.StatusCode)
	}
	for _, who := range []string{"headteacher", "hotline", "police"} {
		c := newClient(t, inst.URL)
		c.signInFully(who)
		if resp, _ := c.get("/stats"); resp.StatusCode != http.StatusForbidden {
			t.Errorf("%s: GET /stats = %d, want 403", who, resp.StatusCode)
		}
	}
	if resp, body := city.get("/stats/indicators"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="ind-screening_coverage"`) {
		t.Errorf("the indicators' page: %d", resp.StatusCode)
	}
}

// A briefing: drafted from the rollups, the author edits the narrative
// (a bad placeholder is a 422 with the text kept), prints it and downloads
// it as Word; another unit's staff cannot open it.
func TestBriefingPages(t *testing.T) {
	inst := start(t)
	coord := newClient(t, inst.URL)
	coord.signInFully("xuanwu.coord")
	_, body := coord.get("/briefings")
	unit := regexp.MustCompile(`<option value="(\d+)"[^>]*>玄武区</option>`).FindStringSubmatch(body)
	if unit == nil {
		t.Fatalf("the briefing form offers no Xuanwu District:\n%s", body)
	}
	period := time.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01")
	resp, _ := coord.post("/briefings", url.Values{"unit": {unit[1]}, "period": {period}, "language": {"zh-CN"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("draft: %d", resp.StatusCode)
	}
	loc := resp.Header.Get("Location")
	resp, body = coord.get(loc)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="briefing-body"`) || !strings.Contains(body, `data-key="hotline"`) {
		t.Fatalf("the briefing page: %d", resp.StatusCode)
	}
	if strings.Contains(body, "{students_screened}</p>") || !strings.Contains(body, `<strong class="figure" data-indicator="students_screened">`) {
		t.Error("the narrative's placeholders are not rendered as figures")
	}
	sections := regexp.MustCompile(`<textarea name="section_text"`).FindAllString(body, -1)
	form := url.Values{"title": {"玄武区简报"}}
	for i := range sections {
		form.Add("section_title", "第"+strconv.Itoa(i)+"部分")
		form.Add("section_text", "")
	}
	form["section_text"][0] = "本月 {students_screened} 人，{bogus}"
	resp, body = coord.post(loc, form)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, text(t, "zh-CN", "stats.unknown_figure")) {
		t.Errorf("a bad placeholder: %d", resp.StatusCode)
	}
	form["section_text"][0] = "本月共筛查 {students_screened} 人。"
	if resp, _ = coord.post(loc, form); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("save: %d", resp.StatusCode)
	}
	_, body = coord.get(loc)
	if !strings.Contains(body, "玄武区简报") || !regexp.MustCompile(`本月共筛查 <a href="/students"><strong class="figure" data-indicator="students_screened">\d+</strong></a> 人。`).MatchString(body) {
		t.Error("the edited narrative is not shown with its figure linked to the records behind it")
	}
	if resp, body := coord.get(loc + "/print"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "本月共筛查") {
		t.Errorf("print: %d", resp.StatusCode)
	}
	resp, body = coord.get(loc + "/docx")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, "PK") || !strings.Contains(resp.Header.Get("Content-Type"), "wordprocessingml") {
		t.Errorf("docx: %d %q", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	other := newClient(t, inst.URL)
	other.signInFully("leader")
	if resp, _ := other.get(loc); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a school leader opens the district's briefing: %d", resp.StatusCode)
	}
	if resp, _ := other.post(loc, form); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a school leader edits the district's briefing: %d", resp.StatusCode)
	}
}

// An export: the dashboard's table and a student list are built in the
// background as their requester, downloaded once ready by them only;
// someone without record.read cannot ask for the student list.
func TestExports(t *testing.T) {
	inst := start(t)
	coord := newClient(t, inst.URL)
	coord.signInFully("xuanwu.coord")
	wait := func(c *client, loc string) string {
		t.Helper()
		deadline := time.Now().Add(60 * time.Second)
		for {
			_, body := c.get(loc)
			if strings.Contains(body, `data-state="ready"`) {
				return body
			}
			if strings.Contains(body, `data-state="failed"`) || time.Now().After(deadline) {
				t.Fatalf("export %s did not become ready:\n%s", loc, body)
			}
			time.Sleep(300 * time.Millisecond)
		}
	}
	resp, _ := coord.post("/exports", url.Values{"kind": {"students"}, "q": {"王"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("request: %d", resp.StatusCode)
	}
	loc := resp.Header.Get("Location")
	wait(coord, loc)
	resp, body := coord.get(loc + "/download")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, "PK") {
		t.Fatalf("download: %d", resp.StatusCode)
	}
	resp, _ = coord.post("/exports", url.Values{"kind": {"figures"}, "period": {time.Now().Format("2006-01")}})
	figures := resp.Header.Get("Location")
	wait(coord, figures)

	leader := newClient(t, inst.URL)
	leader.signInFully("leader")
	if resp, _ := leader.get(loc + "/download"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another user downloads the export: %d", resp.StatusCode)
	}
	if resp, _ := leader.get(loc); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another user sees the export: %d", resp.StatusCode)
	}
	if resp, _ := leader.post("/exports", url.Values{"kind": {"students"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a school leader asks for the student list: %d", resp.StatusCode)
	}
	if resp, _ := leader.post("/exports", url.Values{"kind": {"passwords"}}); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an unknown kind: %d", resp.StatusCode)
	}
	// The alert list exports every alert the page would list, all pages.
	_, page := coord.get("/alerts?all=1")
	resp, _ = coord.post("/exports", url.Values{"kind": {"alerts"}, "all": {"1"}})
	alerts := resp.Header.Get("Location")
	wait(coord, alerts)
	_, file := coord.get(alerts + "/download")
	x, err := excelize.OpenReader(strings.NewReader(file))
	if err != nil {
		t.Fatal(err)
	}
	rows, _ := x.GetRows(x.GetSheetName(0))
	if want := strings.Count(page, `class="alert-row"`); want == 0 || len(rows)-1 != want {
		t.Errorf("the alert export has %d rows, the page lists %d", len(rows)-1, want)
	}
	resp, _ = coord.post("/exports", url.Values{"kind": {"referrals"}, "all": {"1"}})
	wait(coord, resp.Header.Get("Location"))
	// The registry and the activities of the district, as on their pages.
	for kind, page := range map[string]string{"workforce": "/workforce", "activities": "/outreach"} {
		resp, _ = coord.post("/exports", url.Values{"kind": {kind}})
		loc := resp.Header.Get("Location")
		wait(coord, loc)
		_, file := coord.get(loc + "/download")
		x, err := excelize.OpenReader(strings.NewReader(file))
		if err != nil {
			t.Fatalf("%s: %v", kind, err)
		}
		rows, _ := x.GetRows(x.GetSheetName(0))
		if len(rows) < 2 {
			t.Errorf("the %s export (%s) holds %d rows", kind, page, len(rows))
		}
	}
	_, body = coord.get("/exports")
	if n := strings.Count(body, `class="export-row"`); n != 6 {
		t.Errorf("the coordinator lists %d exports, want 6", n)
	}
}
