package browsertest

import (
	"context"
	"encoding/json"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/careloop/careloop/internal/app"
)

// fetched is what the page's own fetch of a download returned.
type fetched struct {
	Status      int    `json:"status"`
	Type        string `json:"type"`
	Disposition string `json:"disposition"`
	Size        int    `json:"size"`
	Magic       string `json:"magic"` // the first two bytes as text
	Head        string `json:"head"`  // the first line, for a CSV
}

// fetchIn fetches path from the current page (with its cookies) and reads
// the response's bytes.
func (b *browser) fetchIn(path string) fetched {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](`fetch(`+jsString(path)+`).then(async r => {
		const buf = new Uint8Array(await r.arrayBuffer());
		const text = new TextDecoder().decode(buf.slice(0, 200));
		return {status: r.status, type: r.headers.get("Content-Type") || "", disposition: r.headers.get("Content-Disposition") || "",
			size: buf.length, magic: String.fromCharCode(buf[0] || 0, buf[1] || 0), head: text.replace(/^\ufeff/, "").split("\n")[0]};
	})`, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("fetch %s: %v", path, err)
	}
	var f fetched
	if err := json.Unmarshal(raw, &f); err != nil {
		b.t.Fatalf("fetch %s: %v", path, err)
	}
	return f
}

// TestResearchExtractDownloadOnly: the city coordinator defines an
// extract for the demo researcher and watches it build; the researcher
// signs in, sees only the extracts in the navigation, downloads the
// extract (its bytes arrive, XLSX and CSV) and is refused on the
// students, alerts and research pages.
func TestResearchExtractDownloadOnly(t *testing.T) {
	srv := startDemo(t)

	co := newBrowser(t, srv.URL, 1280, 900)
	co.signInEnrolled("city.coord")
	if st := co.open("/research"); st != 200 {
		t.Fatalf("city.coord GET /research: %d", st)
	}
	// A first try without a field: the form comes back with the error.
	co.do(chromedp.Click(chromedp.CSS("#kind-screening"), chromedp.NodeVisible))
	co.fill("#purpose", "青少年筛查结局研究")
	if st := co.click("#define-extract"); st != 422 {
		t.Fatalf("a kind without fields: status %d, want 422", st)
	}
	if co.attr("#purpose", "value") != "青少年筛查结局研究" || !co.present(".field-error") {
		t.Error("the refused form lost its values or shows no error")
	}
	co.do(chromedp.Click(chromedp.CSS(`input[name="fields"][value="screening.score"]`), chromedp.NodeVisible),
		chromedp.Click(chromedp.CSS(`input[name="fields"][value="screening.tier"]`), chromedp.NodeVisible))
	if st := co.click("#define-extract"); st != 200 {
		t.Fatalf("define: status %d", st)
	}
	id := co.attr("#research-list tr.extract", "data-id")
	if id == "" {
		t.Fatalf("no extract listed:\n%s", co.text("#builds"))
	}
	deadline := time.Now().Add(60 * time.Second)
	for co.attr(`#research-list tr.extract[data-id="`+id+`"]`, "data-state") != "ready" {
		if time.Now().After(deadline) {
			t.Fatalf("extract %s not built within a minute: %s", id, co.text("#builds"))
		}
		time.Sleep(500 * time.Millisecond) // the list refreshes itself every 2 seconds
	}
	co.screenshot("research-definer")

	r := newBrowser(t, srv.URL, 390, 844) // a phone
	r.signIn("researcher", app.DemoPassword)
	r.wantPath("/")
	wantNav(t, r, []string{"research-extracts"}, []string{"research", "students", "alerts", "contacts", "campaigns", "network", "users", "audit"})
	if st := r.open("/research/extracts"); st != 200 {
		t.Fatalf("researcher GET /research/extracts: %d", st)
	}
	href := r.attr("#xlsx-"+id, "href")
	if href == "" {
		t.Fatalf("extract %s is not offered:\n%s", id, r.text("#extract-list"))
	}
	r.screenshot("research-researcher")
	x := r.fetchIn(href)
	if x.Status != 200 || x.Magic != "PK" || x.Size < 1000 || x.Type != "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet" {
		t.Errorf("xlsx download: %+v", x)
	}
	c := r.fetchIn(r.attr("#csv-"+id, "href"))
	if c.Status != 200 || c.Head != "kind,person,gender,birth,grade,school,screening.score,screening.tier" {
		t.Errorf("csv download: %+v", c)
	}
	t.Logf("extract %s: xlsx %d bytes, csv %d bytes", id, x.Size, c.Size)
	for _, path := range []string{"/students", "/alerts", "/research", "/contacts", "/sharing/disclosures"} {
		if st := r.open(path); st != 403 && st != 404 {
			t.Errorf("researcher opens %s: status %d, want 403 or 404", path, st)
		}
	}
	if f := r.fetchIn("/research/extracts/987654/xlsx"); f.Status != 404 {
		t.Errorf("an extract not addressed to the researcher: %d", f.Status)
	}
}
