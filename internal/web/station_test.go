package web_test

import (
	"bytes"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// optionID finds the value of the <option> whose text is name.
func optionID(t *testing.T, body, name string) string {
	t.Helper()
	m := regexp.MustCompile(`<option value="(\d+)"[^>]*>` + regexp.QuoteMeta(name) + `<`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no option %q in %.400s", name, body)
	}
	return m[1]
}

// noInlineStyle fails when a page uses inline script or style, which the CSP blocks.
func noInlineStyle(t *testing.T, path, body string) {
	t.Helper()
	if regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`).MatchString(body) ||
		regexp.MustCompile(`\s(?:on[a-z]+|style)=`).MatchString(body) || strings.Contains(body, "<style") {
		t.Errorf("%s has inline script or style", path)
	}
}

// TestStationPages drives the station part as its users would: a
// counsellor finishes a high-risk contact; the supervisor finds it among
// the debriefs due and in a sample, reviews and debriefs it; the
// counsellor reads the review; the statistics and their export count it.
func TestStationPages(t *testing.T) {
	inst := start(t)
	counsellor := newClient(t, inst.URL)
	counsellor.signInFully("hotline")
	sup := newClient(t, inst.URL)
	sup.signInFully("supervisor")

	resp, body := counsellor.get("/station")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="no-call-backs"`) || !strings.Contains(body, `id="nobody-on-duty"`) {
		t.Fatalf("GET /station as counsellor: %d %.500s", resp.StatusCode, body)
	}
	noInlineStyle(t, "/station", body)
	if strings.Contains(body, `id="link-supervision"`) || strings.Contains(body, `id="link-stats"`) {
		t.Error("a counsellor is offered supervision or statistics")
	}
	_, body = sup.get("/station")
	main := optionID(t, body, "陶老师工作站")
	branch := optionID(t, body, "玄武分站")
	// The demo supervisor is on duty at the station around the clock.
	// A supervisor answers contacts too, so the station has no gap at all;
	// the counsellor's branch has nobody on duty and gaps of both kinds.
	if _, body = sup.get("/station?station=" + main); !strings.Contains(body, "郑督导") || strings.Contains(body, `id="nobody-on-duty"`) ||
		strings.Contains(body, `class="gap"`) {
		t.Errorf("the station's roster: %.300s", body)
	}
	if _, body = sup.get("/station?station=" + branch); !strings.Contains(body, `data-role="counsellor"`) || !strings.Contains(body, `data-role="supervisor"`) {
		t.Errorf("the branch's roster shows no gaps")
	}

	// The counsellor finishes a contact at high risk.
	resp, _ = counsellor.post("/contacts", url.Values{"station": {branch}, "channel": {"phone"}})
	if resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("start contact: %d", resp.StatusCode)
	}
	contact := strings.TrimPrefix(resp.Header.Get("Location"), "/contacts/")
	resp, body = counsellor.post("/contacts/"+contact+"/finalise", url.Values{"version": {"1"}, "caller_type": {"child_self"}, "age_band": {"13_15"},
		"categories": {"school.bullying", "family.siblings"}, "summary": {"在学校被欺负，想过不想活"},
		"risk_thoughts": {"active"}, "risk_plan": {"specific"}, "risk_means": {"none"}, "risk_timeframe": {"none"}, "risk_attempts": {"none"}})
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("finalise: %d %.300s", resp.StatusCode, body)
	}

	_, body = sup.get("/station/supervision?station=" + main)
	noInlineStyle(t, "/station/supervision", body)
	if !strings.Contains(body, `class="due" data-contact="`+contact+`"`) {
		t.Fatalf("the high-risk contact is not among the debriefs due: %.600s", body)
	}
	today := time.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01-02")
	resp, body = sup.post("/station/supervision/sample", url.Values{"station": {main}, "from": {today}, "to": {today}, "n": {"5"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `class="sampled" data-contact="`+contact+`"`) {
		t.Fatalf("sample: %d, contact %s not drawn: %.600s", resp.StatusCode, contact, body)
	}
	resp, body = sup.post("/station/supervision/sample", url.Values{"station": {main}, "from": {today}, "to": {today}, "n": {"0"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, text(t, "zh-CN", "station.bad_sample")) {
		t.Errorf("a sample of 0: %d", resp.StatusCode)
	}

	resp, body = sup.get("/station/reviews/" + contact)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "在学校被欺负") || !strings.Contains(body, `name="score_rapport"`) ||
		!strings.Contains(body, text(t, "zh-CN", "station.debrief_needed")) {
		t.Fatalf("review page: %d %.500s", resp.StatusCode, body)
	}
	noInlineStyle(t, "/station/reviews/{id}", body)
	scores := url.Values{"station": {main}, "score_rapport": {"4"}, "score_risk_assessment": {"5"}, "score_safety_planning": {"2"},
		"score_information_accuracy": {"4"}, "score_record_quality": {"3"}}
	bad := url.Values{"station": {main}, "score_rapport": {"9"}, "comment": {"留着的意见"}}
	if resp, body = sup.post("/station/reviews/"+contact, bad); resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "留着的意见") {
		t.Errorf("a bad review: %d, or the comment typed is lost", resp.StatusCode)
	}
	scores.Set("comment", "安全计划需要更具体")
	if resp, body = sup.post("/station/reviews/"+contact, scores); resp.StatusCode != http.StatusOK ||
		!strings.Contains(body, text(t, "zh-CN", "station.review_saved")) || !strings.Contains(body, "安全计划需要更具体") {
		t.Fatalf("save review: %d %.400s", resp.StatusCode, body)
	}
	if resp, body = sup.post("/station/reviews/"+contact, scores); resp.StatusCode != http.StatusConflict ||
		!strings.Contains(body, text(t, "zh-CN", "station.already_reviewed")) {
		t.Errorf("a second review: %d", resp.StatusCode)
	}
	if resp, body = sup.post("/station/debriefs/"+contact, url.Values{"station": {main}, "note": {"复盘了风险评估"}}); resp.StatusCode != http.StatusOK ||
		strings.Contains(body, `class="due" data-contact="`+contact+`"`) {
		t.Errorf("debrief: %d, or still due", resp.StatusCode)
	}

	resp, body = counsellor.get("/station/my-reviews")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "安全计划需要更具体") || !strings.Contains(body, "复盘了风险评估") ||
		!strings.Contains(body, "<strong>18</strong>") {
		t.Errorf("my reviews: %d %.600s", resp.StatusCode, body)
	}
	noInlineStyle(t, "/station/my-reviews", body)
	if resp, _ := counsellor.get("/station/reviews/" + contact); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a counsellor opens the review page: %d", resp.StatusCode)
	}

	resp, body = sup.get("/station/stats?station=" + main)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `<dd id="stat-contacts">1</dd>`) || !strings.Contains(body, "<meter") {
		t.Fatalf("statistics: %d %.600s", resp.StatusCode, body)
	}
	noInlineStyle(t, "/station/stats", body)
	resp, body = sup.get("/station/stats.xlsx?station=" + main + "&from=" + today + "&to=" + today)
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/vnd.openxmlformats") {
		t.Fatalf("export: %d %s", resp.StatusCode, resp.Header.Get("Content-Type"))
	}
	f, err := excelize.OpenReader(bytes.NewReader([]byte(body)))
	if err != nil {
		t.Fatalf("the export does not open: %v", err)
	}
	defer f.Close()
	if v, _ := f.GetCellValue(text(t, "zh-CN", "station.stats.summary"), "B4"); v != "1" {
		t.Errorf("exported person-times %q, want 1", v)
	}
	rows, _ := f.GetRows(text(t, "zh-CN", "station.dim.category"))
	found := 0
	for _, r := range rows {
		if len(r) == 2 && r[1] == "1" && (r[0] == "学校与教育" || r[0] == "家庭关系") {
			found++
		}
	}
	if found != 2 {
		t.Errorf("exported categories: %v", rows)
	}
	if resp, _ := counsellor.get("/station/stats?station=" + main); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a counsellor reads statistics: %d", resp.StatusCode)
	}
}
