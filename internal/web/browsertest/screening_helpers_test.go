package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/careloop/careloop/internal/apptest"
	"github.com/careloop/careloop/internal/i18n"
)

// Helpers for the screening tests: the student's questionnaire on a phone,
// the coordinator's campaign pages, and the network switched off.

// slipCodeRe is the shape of a printed access code (no 0/O, 1/I/L).
var slipCodeRe = regexp.MustCompile(`^[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}$`)

// demoCampaignName is the campaign that --demo opens at 玄武第一中学.
const demoCampaignName = "2026 秋季学生心理健康筛查（演示）"

// demoCode returns the access code and student name that the demo prints
// ("... type the code XXXX-XXXX-XXXX (NAME).").
func demoCode(t *testing.T, srv *apptest.Instance) (code, name string) {
	t.Helper()
	m := regexp.MustCompile(`type the code (\S+) \(([^)]+)\)`).FindStringSubmatch(srv.Stdout())
	if m == nil {
		t.Fatalf("the demo printed no access code:\n%s", srv.Stdout())
	}
	if !slipCodeRe.MatchString(m[1]) {
		t.Errorf("demo code %q is not XXXX-XXXX-XXXX", m[1])
	}
	return m[1], m[2]
}

// newTab opens another tab in b's browser (same profile, same cookies) with
// the phone's viewport. Closing it (the returned func) is like a child
// closing the tab.
func (b *browser) newTab() (*browser, func()) {
	b.t.Helper()
	ctx, cancel := chromedp.NewContext(b.ctx, chromedp.WithListener(b.onEvent))
	if err := chromedp.Do(ctx); err != nil {
		cancel()
		b.t.Fatalf("open a tab: %v", err)
	}
	tab := &browser{t: b.t, ctx: ctx, base: b.base}
	tab.phone()
	return tab, cancel
}

// phone makes the tab a 390x844 touch phone.
func (b *browser) phone() {
	b.t.Helper()
	b.do(chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulatePortrait, chromedp.EmulateMobile,
		chromedp.EmulateTouch, chromedp.EmulateScale(2)))
}

// newPhone starts a fresh browser whose first tab is a phone.
func newPhone(t *testing.T, base string) *browser {
	b := newBrowser(t, base, phoneWidth, phoneHeight)
	b.phone()
	return b
}

// setOffline cuts (or restores) the tab's network, as when a phone loses
// its signal: every request fails and navigator.onLine follows.
func (b *browser) setOffline(off bool) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	cond := []*network.Conditions{{Offline: off, DownloadThroughput: -1, UploadThroughput: -1}}
	if !off {
		cond = []*network.Conditions{}
	}
	if _, err := chromedp.Call(ctx, network.EmulateNetworkConditionsByRule,
		network.EmulateNetworkConditionsByRuleParams{MatchedNetworkConditions: cond}); err != nil {
		b.t.Fatalf("emulate offline=%v: %v", off, err)
	}
	if _, err := chromedp.Call(ctx, network.OverrideNetworkState,
		network.OverrideNetworkStateParams{Offline: off, DownloadThroughput: -1, UploadThroughput: -1}); err != nil {
		b.t.Fatalf("override network state offline=%v: %v", off, err)
	}
}

// waitVisible waits up to d for sel to be shown.
func (b *browser) waitVisible(sel string, d time.Duration) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, d)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.WaitVisible(chromedp.CSS(sel))); err != nil {
		b.t.Fatalf("%s did not appear within %s on %s: %v; page:\n%s", sel, d, b.path(), err, b.text("main"))
	}
}

// evalAsync evaluates an expression that gives a promise and decodes what
// the promise resolves to into out.
func (b *browser) evalAsync(expr string, out any) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	raw, err := chromedp.Run(ctx, chromedp.Evaluate[[]byte](expr, chromedp.EvalAwaitPromise))
	if err != nil {
		b.t.Fatalf("evaluate %s: %v", expr, err)
	}
	if err := json.Unmarshal(raw, out); err != nil {
		b.t.Fatalf("evaluate %s: decode %s: %v", expr, raw, err)
	}
}

// count returns how many elements match sel.
func (b *browser) count(sel string) int {
	b.t.Helper()
	var n int
	b.eval(fmt.Sprintf(`document.querySelectorAll(%s).length`, jsString(sel)), &n)
	return n
}

// texts returns the trimmed text of every element matching sel.
func (b *browser) texts(sel string) []string {
	b.t.Helper()
	var out []string
	b.eval(fmt.Sprintf(`[...document.querySelectorAll(%s)].map(e => e.innerText.trim())`, jsString(sel)), &out)
	return out
}

// setValue sets a field's value as if typed (for dates and Chinese text).
func (b *browser) setValue(sel, v string) {
	b.t.Helper()
	b.do(chromedp.SetValue(chromedp.CSS(sel), v))
}

// selectLabel picks the option of the select sel whose text is label.
func (b *browser) selectLabel(sel, label string) {
	b.t.Helper()
	var v string
	b.eval(`(() => { const s = document.querySelector(`+jsString(sel)+`); if (!s) return "";
		for (const o of s.options) if (o.textContent.trim() === `+jsString(label)+`) { s.value = o.value; return o.value; }
		return ""; })()`, &v)
	if v == "" {
		b.t.Fatalf("%s has no option %q; options: %v", sel, label, b.texts(sel+" option"))
	}
}

// checkLabelled ticks the checkbox named name whose label reads label.
func (b *browser) checkLabelled(name, label string) {
	b.t.Helper()
	var v string
	b.eval(`(() => { for (const i of document.querySelectorAll('input[type=checkbox][name=`+name+`]'))
		if (i.closest("label").textContent.trim().startsWith(`+jsString(label)+`)) return i.value; return ""; })()`, &v)
	if v == "" {
		b.t.Fatalf("no %s checkbox labelled %q", name, label)
	}
	b.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`input[name=%s][value=%s]`, name, jsString(v))), chromedp.NodeVisible))
}

// question is one question of the current questionnaire page.
type question struct {
	ID     string `json:"id"`   // fieldset id: item-<item id>
	Name   string `json:"name"` // radio group: a:<instrument>:<item>
	Legend string `json:"legend"`
	Values []int  `json:"values"`
}

func (b *browser) questions() []question {
	b.t.Helper()
	var qs []question
	b.eval(`[...document.querySelectorAll("#q-form fieldset.item")].map(f => ({id: f.id,
		name: f.querySelector("input[type=radio]")?.name ?? "", legend: f.querySelector("legend")?.innerText.trim() ?? "",
		values: [...f.querySelectorAll("input[type=radio]")].map(i => +i.value)}))`, &qs)
	return qs
}

// checkedAnswers returns the radio groups checked on the page: name → value.
func (b *browser) checkedAnswers() map[string]int {
	b.t.Helper()
	var raw string
	b.eval(`JSON.stringify(Object.fromEntries([...document.querySelectorAll("#q-form input[type=radio]:checked")].map(i => [i.name, +i.value])))`, &raw)
	out := map[string]int{}
	if err := json.Unmarshal([]byte(raw), &out); err != nil {
		b.t.Fatal(err)
	}
	return out
}

// pickAnswer is the answer the tests give: "several days" to every symptom,
// PHQ-A item 9 (thoughts of self-harm) above 0, "no" to the yes/no items.
func pickAnswer(name string) int {
	switch name {
	case "a:phq-a:9":
		return 2
	case "a:phq-a:past_year", "a:phq-a:thoughts_month", "a:phq-a:attempt_ever":
		return 0
	}
	return 1
}

// answerPage clicks one option in each question of the page and returns
// the answers given (radio group → value).
func (b *browser) answerPage() map[string]int {
	b.t.Helper()
	qs := b.questions()
	if len(qs) == 0 {
		b.t.Fatalf("%s shows no questions:\n%s", b.path(), b.text("main"))
	}
	given := map[string]int{}
	for _, q := range qs {
		if q.Legend == "" {
			b.t.Errorf("%s: question %s has no legend (screen readers read nothing)", b.path(), q.ID)
		}
		v := pickAnswer(q.Name)
		found := false
		for _, o := range q.Values {
			found = found || o == v
		}
		if !found {
			b.t.Fatalf("%s: %s (%s) has no option %d: %v", b.path(), q.ID, q.Name, v, q.Values)
		}
		b.do(chromedp.Click(chromedp.CSS(fmt.Sprintf(`#%s input[value="%d"]`, q.ID, v)), chromedp.NodeVisible))
		given[q.Name] = v
	}
	if got := b.checkedAnswers(); len(got) != len(given) {
		b.t.Errorf("%s: clicked %v, checked %v", b.path(), given, got)
	}
	return given
}

// pageIndex reads "第 N 页，共 M 页" / "Page N of M" as (N, M).
func (b *browser) pageIndex() (int, int) {
	b.t.Helper()
	var n, m int
	nums := regexp.MustCompile(`\d+`).FindAllString(b.text("#page-count"), -1)
	if len(nums) != 2 {
		b.t.Fatalf("%s: #page-count = %q", b.path(), b.text("#page-count"))
	}
	fmt.Sscan(nums[0], &n)
	fmt.Sscan(nums[1], &m)
	return n, m
}

// bigTargets fails when an answer option is smaller than a finger (44 px,
// the usual minimum touch target) or its text smaller than 16 px.
func bigTargets(t *testing.T, b *browser) {
	t.Helper()
	var small []string
	b.eval(`[...document.querySelectorAll("label.option")].filter(l => { const r = l.getBoundingClientRect();
		return r.height < 44 || parseFloat(getComputedStyle(l).fontSize) < 16; }).map(l => l.innerText.trim() + " " +
		Math.round(l.getBoundingClientRect().height) + "px/" + getComputedStyle(l).fontSize)`, &small)
	if len(small) > 0 {
		t.Errorf("%s: answer options too small for a phone: %v", b.path(), small)
	}
}

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
