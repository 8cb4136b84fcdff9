package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// workforceID finds the registry id of the person named in a list page.
func workforceID(t *testing.T, body, name string) string {
	t.Helper()
	m := regexp.MustCompile(`<a href="/workforce/people/(\d+)">` + regexp.QuoteMeta(name) + `<`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no %s in\n%.3000s", name, body)
	}
	return m[1]
}

// coverageRow returns the figures of a district's row of the coverage table.
func coverageRow(t *testing.T, body, district string) []string {
	t.Helper()
	re := regexp.MustCompile(`<td>` + regexp.QuoteMeta(district) + `</td><td class="schools">(\d+)</td><td class="full">(\d+)</td><td class="part-only">(\d+)</td>\s*<td class="none">(?:<a [^>]*>)?(\d+)`)
	m := re.FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no row for %s in\n%.4000s", district, body)
	}
	return m[1:]
}

// The workforce pages in the demo: who reaches which page (403 for a
// missing permission, 404 for a record out of scope), the coverage table
// with the demo's gaps, one's own record, and forms with bad input kept.
func TestWorkforcePages(t *testing.T) {
	inst := start(t)
	coord := newClient(t, inst.URL)
	coord.signInFully("xuanwu.coord")

	resp, body := coord.get("/workforce")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /workforce: %d", resp.StatusCode)
	}
	liu := workforceID(t, body, "刘老师")
	if strings.Contains(body, "马老师") || strings.Contains(body, "吴咨询") {
		t.Error("district Xuanwu's coordinator lists people of other units")
	}
	if resp, body := coord.get("/workforce/people/" + liu); resp.StatusCode != http.StatusOK || !strings.Contains(body, "江苏省教育厅") ||
		!strings.Contains(body, `id="cert-add"`) {
		t.Errorf("the coordinator opens 刘老师's record: %d", resp.StatusCode)
	}

	// A form with bad input: 422, the input kept, the problems named.
	form := url.Values{"name": {""}, "unit": {"999999"}, "kind": {"psych_teacher_full"}, "tier": {"core"}, "username": {"nobody-here"},
		"qualifications": {"心理学学士\n教师资格"}}
	resp, body = coord.post("/workforce/people", form)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "nobody-here") || !strings.Contains(body, "教师资格") ||
		!strings.Contains(body, text(t, "zh-CN", "workforce.name_required")) || !strings.Contains(body, text(t, "zh-CN", "workforce.bad_account")) ||
		!strings.Contains(body, text(t, "zh-CN", "workforce.bad_unit")) {
		t.Errorf("bad entry: %d\n%.3000s", resp.StatusCode, body)
	}
	resp, body = coord.post("/workforce/people/"+liu+"/certs", url.Values{"level": {"senior"}, "body": {"省心理学会"}, "issued": {"2026-05-01"},
		"expires": {"2025-01-01"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "省心理学会") || !strings.Contains(body, "2025-01-01") ||
		!strings.Contains(body, text(t, "zh-CN", "workforce.bad_period")) {
		t.Errorf("bad certification: %d", resp.StatusCode)
	}
	resp, body = coord.post("/workforce/settings", url.Values{"unit": {sharingFind(t, mustGet(t, coord, "/workforce/settings"), `name="unit" value="(\d+)"`)},
		"bar_lapsed": {"1"}, "warn_days": {"999"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `value="999"`) || !strings.Contains(body, text(t, "zh-CN", "workforce.bad_warn_days")) {
		t.Errorf("bad warning window: %d", resp.StatusCode)
	}
	// A good entry goes to its record.
	resp, _ = coord.post("/workforce/people", url.Values{"name": {"新志愿者"}, "unit": {sharingFind(t, mustGet(t, coord, "/workforce"), `<option value="(\d+)"[^>]*>玄武区</option>`)},
		"kind": {"volunteer"}, "tier": {"volunteer"}})
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/workforce/people/") {
		t.Errorf("add a volunteer: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}

	// Coverage: Xuanwu has the primary school covered and No. 1 Middle
	// School not; the city's coordinator sees Qinhuai's part-time teacher and Gulou's gap.
	resp, body = coord.get("/workforce/coverage")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /workforce/coverage: %d", resp.StatusCode)
	}
	if got := coverageRow(t, body, "玄武区"); strings.Join(got, " ") != "2 1 0 1" {
		t.Errorf("Xuanwu's row: %v, want 2 schools, 1 full, 0 part-only, 1 none", got)
	}
	if strings.Contains(body, "鼓楼区") {
		t.Error("Xuanwu's coordinator sees Gulou's coverage")
	}
	if _, body := coord.get("/workforce/coverage/gaps"); !strings.Contains(body, "玄武第一中学") || strings.Contains(body, "玄武实验小学") {
		t.Error("the gaps do not list exactly Xuanwu No. 1 Middle School")
	}
	_, body = coord.get("/workforce/coverage")
	if !strings.Contains(body, `id="coverage-chart"`) || !strings.Contains(body, "50.0%") || !strings.Contains(body, "not-met") {
		t.Error("Xuanwu's coverage has no chart, or not 50.0% and not met")
	}
	// The city's coordinator (at the root too) sees every district's
	// figures: Qinhuai covered by a part-time teacher, Gulou not at all.
	city := newClient(t, inst.URL)
	city.signInFully("city.coord")
	_, body = city.get("/workforce/coverage")
	for district, want := range map[string]string{"玄武区": "2 1 0 1", "秦淮区": "1 0 1 0", "鼓楼区": "1 0 0 1"} {
		if got := coverageRow(t, body, district); strings.Join(got, " ") != want {
			t.Errorf("city's row of %s: %v, want %s", district, got, want)
		}
	}
	if !regexp.MustCompile(`id="coverage-total"><th>[^<]+</th><td class="schools">4</td><td class="full">1</td><td class="part-only">1</td>`).MatchString(body) {
		t.Error("the city's total is not 4 schools, 1 full, 1 part-only")
	}
	if _, body := city.get("/workforce/coverage/gaps"); !strings.Contains(body, "鼓楼高级中学") || !strings.Contains(body, "玄武第一中学") ||
		strings.Count(body, `class="gap"`) != 2 {
		t.Error("the city's gaps are not Gulou Senior High and Xuanwu No. 1 Middle School")
	}

	// The hotline supervisor keeps the station's registry: the volunteer's
	// certification expires within the window.
	sup := newClient(t, inst.URL)
	sup.signInFully("supervisor")
	_, body = sup.get("/workforce?mark=expiring")
	wu := workforceID(t, body, "吴咨询")
	if !strings.Contains(body, "mark-expiring") || strings.Contains(body, "刘老师") {
		t.Error("the supervisor's expiring list is wrong")
	}
	if resp, _ := coord.get("/workforce/people/" + wu); resp.StatusCode != http.StatusNotFound {
		t.Errorf("Xuanwu's coordinator opens the station's volunteer: %d", resp.StatusCode)
	}

	// The counsellor: no registry, own record (with training), coverage
	// of the school; the head teacher: an own page without an entry, no
	// coverage.
	c := newClient(t, inst.URL)
	c.signInFully("counsellor")
	for path, want := range map[string]int{"/workforce": 403, "/workforce/settings": 403, "/workforce/people/" + wu: 403,
		"/workforce/people/" + liu: 403, "/workforce/mine": 200, "/workforce/coverage": 200} {
		if resp, _ := c.get(path); resp.StatusCode != want {
			t.Errorf("counsellor GET %s: %d, want %d", path, resp.StatusCode, want)
		}
	}
	_, body = c.get("/workforce/mine")
	for _, want := range []string{"刘老师", "江苏省教育厅", `id="training-hours"`, `id="training-sessions"`, `id="training-eligible"`} {
		if !strings.Contains(body, want) {
			t.Errorf("own record lacks %s", want)
		}
	}
	if strings.Contains(body, `id="cert-add"`) || strings.Contains(body, `id="workforce-edit"`) {
		t.Error("the person may change their own record")
	}
	if resp, _ := c.post("/workforce/people/"+liu+"/certs", url.Values{"level": {"senior"}, "body": {"x"}, "issued": {"2026-01-01"},
		"expires": {"2030-01-01"}}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("the counsellor certifies themself: %d", resp.StatusCode)
	}
	h := newClient(t, inst.URL)
	h.signInFully("headteacher")
	if resp, body := h.get("/workforce/mine"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="workforce-no-entry"`) {
		t.Errorf("head teacher's own page: %d", resp.StatusCode)
	}
	if resp, _ := h.get("/workforce/coverage"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("head teacher reads coverage: %d", resp.StatusCode)
	}
	if resp, _ := h.get("/workforce/people/" + liu); resp.StatusCode != http.StatusForbidden {
		t.Errorf("head teacher opens the counsellor's record: %d", resp.StatusCode)
	}
}

func mustGet(t *testing.T, c *client, path string) string {
	t.Helper()
	resp, body := c.get(path)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %d", path, resp.StatusCode)
	}
	return body
}
