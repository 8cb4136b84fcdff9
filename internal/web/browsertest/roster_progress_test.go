package browsertest

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// TestRosterImportShowsProgress imports a roster large enough that the
// real run takes a while, and checks that the page shows its progress and
// turns to "done" by itself (htmx polling), without a reload.
func TestRosterImportShowsProgress(t *testing.T) {
	srv := startDemo(t)
	b := signInCoordinator(t, srv.URL)

	const rows = 5000
	var sb strings.Builder
	sb.WriteString("学籍号,姓名,性别,出生日期,学校,年级,班级,监护人1姓名,监护人1关系,监护人1电话\n")
	surnames, given := []rune("赵钱孙李周吴郑王冯陈褚卫蒋沈韩杨"), []string{"一鸣", "子轩", "雨涵", "思琪", "浩然", "欣妍", "梓涵", "俊熙"}
	for i := 0; i < rows; i++ {
		s := string(surnames[i%len(surnames)])
		fmt.Fprintf(&sb, "PG%010d,%s%s,%s,2011-%02d-%02d,玄武第一中学,9,P%d班,%s家长,母亲,138%08d\n",
			i, s, given[(i/len(surnames))%len(given)], []string{"女", "男"}[i%2], 1+i%12, 1+i%28, 1+i/500, s, i)
	}
	file := filepath.Join(t.TempDir(), "big-roster.csv")
	if err := os.WriteFile(file, []byte(sb.String()), 0o644); err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	created, _, _, problems := uploadRoster(t, b, file)
	t.Logf("dry run of %d rows: %s", rows, time.Since(start).Round(time.Millisecond))
	if created != fmt.Sprint(rows) || problems != "0" {
		t.Fatalf("dry run: created %s, problems %s; want %d, 0:\n%s", created, problems, rows, b.text("main"))
	}

	start = time.Now()
	b.click("#import-run button")
	// Watch the page without reloading it: progress first, then done.
	sawProgress, reloaded := false, false
	b.eval(`window.__notReloaded = true`, new(bool))
	deadline := time.Now().Add(90 * time.Second)
	for !b.present("#import-done") && time.Now().Before(deadline) {
		// One look at the element: a separate look at its attribute could
		// see the next swap (done, no longer polling) and fail wrongly.
		var state string
		b.eval(`(() => { const s = document.querySelector("#import-status");
			if (!s || !s.querySelector("progress")) return "";
			return s.getAttribute("hx-trigger") ? "polling" : "stuck"; })()`, &state)
		if state != "" {
			sawProgress = true
			if state == "stuck" {
				t.Error("the import is running but #import-status does not poll (no hx-trigger)")
			}
		}
		if b.present("#import-status .error") {
			t.Fatalf("import failed: %s", b.text("#import-status"))
		}
		b.do(chromedp.Sleep(100 * time.Millisecond))
	}
	var flag bool
	b.eval(`window.__notReloaded === true`, &flag)
	reloaded = !flag
	t.Logf("real run of %d rows: %s (progress seen: %v)", rows, time.Since(start).Round(time.Millisecond), sawProgress)
	if !b.present("#import-done") {
		t.Fatalf("no #import-done after 90s:\n%s", b.text("#import-status"))
	}
	if reloaded {
		t.Error("the page was reloaded to show the result; the status should update in place")
	}
	if !sawProgress {
		t.Log("the import finished before its progress could be seen")
	}
	if got := b.text("#n-created"); got != fmt.Sprint(rows) {
		t.Errorf("after the import #n-created = %q, want %d", got, rows)
	}
}
