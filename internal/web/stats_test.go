package web_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"
	"time"
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
