package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"

	"github.com/careloop/careloop/internal/apptest"
)

// Helpers for the screening tests: the student's questionnaire on a phone,
// and the network switched off.

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
