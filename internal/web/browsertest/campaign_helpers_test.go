package browsertest

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/careloop/careloop/internal/i18n"
)

// Helpers for the coordinator's campaign pages and the student record.

// signInCoordinator opens a desktop browser signed in as the demo's district
// coordinator of 玄武区.
func signInCoordinator(t *testing.T, base string) *browser {
	b := newBrowser(t, base, 1280, 900)
	b.signInEnrolled("xuanwu.coord")
	return b
}

// openCampaign opens the campaign named name from /campaigns.
func openCampaign(t *testing.T, b *browser, name string) {
	t.Helper()
	if st := b.open("/campaigns"); st != 200 {
		t.Fatalf("/campaigns: status %d", st)
	}
	href := unitLink(b, "#campaign-table", name)
	if !strings.HasPrefix(href, "/campaigns/") {
		t.Fatalf("/campaigns lists no %q:\n%s", name, b.text("#campaign-table"))
	}
	if st := b.click(fmt.Sprintf(`#campaign-table a[href=%s]`, jsString(href))); st != 200 {
		t.Fatalf("campaign %s: status %d", href, st)
	}
	if got := b.text("#campaign-name"); got != name {
		t.Errorf("#campaign-name = %q, want %q", got, name)
	}
}

// progressTotals sums the invited, started and completed columns of
// #progress-table (columns 4, 7 and 8).
func progressTotals(b *browser) (invited, started, completed int) {
	var sums []int
	b.eval(`[4, 7, 8].map(c => [...document.querySelectorAll("#progress-table tbody tr")]
		.reduce((s, tr) => s + (+(tr.children[c-1]?.innerText ?? 0) || 0), 0))`, &sums)
	return sums[0], sums[1], sums[2]
}

// tierRows reads #tier-table as "school|grade|class|tier" → [students, critical].
func tierRows(b *browser) map[string][2]int {
	var rows [][]string
	b.eval(`[...document.querySelectorAll("#tier-table tbody tr")].filter(tr => tr.children.length === 6).map(tr =>
		[...tr.children].map((td, i) => i === 3 ? (td.querySelector(".tier")?.className.replace(/.*tier-/, "") ?? "") : td.innerText.trim()))`, &rows)
	out := map[string][2]int{}
	for _, r := range rows {
		var n, c int
		fmt.Sscan(r[4], &n)
		fmt.Sscan(r[5], &c)
		out[strings.Join(r[:4], "|")] = [2]int{n, c}
	}
	return out
}

// wantCritical checks, on the open campaign page, that the student is listed
// once, red with the critical flag, and counted in a red row of their class
// with one more critical answer than before; then follows the link to the
// record and checks the current tier, one response per instrument and one
// screening and one critical entry in the timeline.
func wantCritical(t *testing.T, b *browser, before map[string][2]int, school, student string, shots bool) {
	t.Helper()
	var entries [][2]string // inner HTML, "grade · class"
	b.eval(`[...document.querySelectorAll("#tier-students li")].filter(li => li.querySelector("a")?.innerText.trim() === `+
		jsString(student)+`).map(li => [li.innerHTML, li.querySelector(".muted")?.innerText.trim() ?? ""])`, &entries)
	if len(entries) != 1 {
		t.Fatalf("#tier-students lists %s %d times, want once:\n%s", student, len(entries), b.text("#tier-students"))
	}
	flag := i18n.T(zh, "campaign.critical_flag")
	if !strings.Contains(entries[0][0], `class="tag critical"`) || !strings.Contains(entries[0][0], flag) {
		t.Errorf("#tier-students: %s lacks the .tag.critical flag %q: %s", student, flag, entries[0][0])
	}
	if !strings.Contains(entries[0][0], "tier-red") {
		t.Errorf("#tier-students: %s is not in the red tier: %s", student, entries[0][0])
	}
	grade, class, _ := strings.Cut(entries[0][1], " · ")
	key := strings.Join([]string{school, grade, class, "red"}, "|")
	after := tierRows(b)
	if got, was := after[key], before[key]; got[0] != was[0]+1 || got[1] != was[1]+1 {
		t.Errorf("#tier-table row %s: students/critical %v, want %v (one more than before the submission):\n%s",
			key, got, [2]int{was[0] + 1, was[1] + 1}, b.text("#tier-table"))
	}
	if shots {
		b.screenshot("campaign-tiers")
	}

	var href string
	b.eval(`[...document.querySelectorAll("#tier-students li a")].find(a => a.innerText.trim() === `+jsString(student)+`)?.getAttribute("href") ?? ""`, &href)
	if st := b.click(fmt.Sprintf(`#tier-students a[href=%s]`, jsString(href))); st != 200 {
		t.Fatalf("student record %s: status %d", href, st)
	}
	b.wantPath(href)
	if got := b.text("#student-name"); !strings.HasPrefix(got, student) {
		t.Errorf("#student-name = %q, want %q", got, student)
	}
	if got := b.attr("#current-tier", "class"); !strings.Contains(got, "tier-red") || !b.present("#critical-flag") {
		t.Errorf("record: #current-tier class %q, #critical-flag present %v; want red and flagged", got, b.present("#critical-flag"))
	}
	if got := b.texts("#screening-table tbody td:nth-child(3)"); !slices.Equal(slices.Sorted(slices.Values(got)), []string{"gad-7", "phq-a"}) {
		t.Errorf("record: #screening-table lists instruments %q, want one gad-7 and one phq-a response", got)
	}
	// Bands and validity flags are shown in the page's language, not as codes.
	for _, sel := range []string{"#screening-table tbody td:nth-child(5)", "#screening-table tbody td:nth-child(7) .tag"} {
		for _, cell := range b.texts(sel) {
			if regexp.MustCompile(`^[a-z_ ]+$`).MatchString(cell) {
				t.Errorf("record (zh-CN): %s shows the untranslated code %q", sel, cell)
			}
		}
	}
	var drawn bool
	b.eval(`!!document.querySelector("#trend-chart svg")`, &drawn)
	if !drawn {
		t.Errorf("record: the trend chart was not drawn (data-series %q)", b.attr("#trend-chart", "data-series"))
	}
	timeline := b.texts("#timeline li")
	for kind, want := range map[string]int{"screened": 1, "screening_critical": 1} {
		label, n := i18n.T(zh, "event."+kind), 0
		for _, e := range timeline {
			if strings.HasSuffix(e, label) {
				n++
			}
		}
		if n != want {
			t.Errorf("#timeline has %d %q entries, want %d: %q", n, label, want, timeline)
		}
	}
	if shots {
		b.do(chromedp.Sleep(1500 * time.Millisecond)) // the chart's animation
		b.screenshot("student-record")
	}
}
