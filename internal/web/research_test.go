package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

var extractLink = regexp.MustCompile(`href="/research/extracts/(\d+)/xlsx"`)

// TestResearcherOpensOnlyExtracts: the demo researcher sees the
// extracts addressed to them, downloads the demo extract (built by the
// job queue after start) as XLSX and CSV, and gets 403 or 404 on every
// other page of children's data and on the definer's page.
func TestResearcherOpensOnlyExtracts(t *testing.T) {
	srv := start(t)
	c := newClient(t, srv.URL)
	c.signInFully("researcher")

	var id string
	deadline := time.Now().Add(60 * time.Second)
	for {
		resp, body := c.get("/research/extracts")
		if resp.StatusCode != http.StatusOK {
			t.Fatalf("GET /research/extracts: %d", resp.StatusCode)
		}
		if m := extractLink.FindStringSubmatch(body); m != nil {
			id = m[1]
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the demo extract was not built within a minute:\n%.2000s", body)
		}
		time.Sleep(500 * time.Millisecond)
	}
	resp, body := c.get("/research/extracts/" + id + "/xlsx")
	if resp.StatusCode != http.StatusOK || !strings.HasPrefix(body, "PK") ||
		!strings.Contains(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("xlsx: %d %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), body[:min(len(body), 20)])
	}
	resp, body = c.get("/research/extracts/" + id + "/csv")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "kind,person,gender,birth,grade,school") {
		t.Errorf("csv: %d %.200q", resp.StatusCode, body)
	}
	for _, path := range []string{"/research/extracts/" + id + "/pdf", "/research/extracts/987654/xlsx"} {
		if resp, _ := c.get(path); resp.StatusCode != http.StatusNotFound {
			t.Errorf("GET %s: %d, want 404", path, resp.StatusCode)
		}
	}
	for _, path := range []string{"/students", "/students/1", "/alerts", "/contacts", "/research", "/campaigns", "/cases", "/work",
		"/referrals", "/crisis", "/sharing", "/sharing/disclosures", "/audit", "/users", "/orgs", "/meetings", "/emergency", "/hotline/queue"} {
		resp, _ := c.get(path)
		if resp.StatusCode != http.StatusForbidden && resp.StatusCode != http.StatusNotFound {
			t.Errorf("researcher GET %s: %d, want 403 or 404", path, resp.StatusCode)
		}
	}
	if resp, _ := c.post("/research", url.Values{"unit": {"1"}}, "Origin", srv.URL); resp.StatusCode != http.StatusForbidden {
		t.Errorf("researcher POST /research: %d, want 403", resp.StatusCode)
	}
	_, home := c.get("/")
	if strings.Contains(home, `href="/students"`) || !strings.Contains(home, `href="/research/extracts"`) {
		t.Error("the researcher's navigation offers more than the extracts")
	}

	// The district coordinator defines: a bad form comes back with its
	// errors and values; a coordinator cannot download.
	co := newClient(t, srv.URL)
	co.signInFully("xuanwu.coord")
	resp, body = co.get("/research")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="research-form"`) {
		t.Fatalf("coordinator GET /research: %d", resp.StatusCode)
	}
	resp, body = co.post("/research", url.Values{"kinds": {"screening"}, "k": {"1"}, "purpose": {"研究目的甲"}}, "Origin", srv.URL)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, text(t, "zh-CN", "research.err_k")) ||
		!strings.Contains(body, text(t, "zh-CN", "research.err_fields")) || !strings.Contains(body, "研究目的甲") {
		t.Errorf("bad definition: %d", resp.StatusCode)
	}
	if resp, _ := co.get("/research/extracts/" + id + "/xlsx"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("coordinator downloads: %d, want 403", resp.StatusCode)
	}
}
