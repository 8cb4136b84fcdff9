package browsertest

import (
	"fmt"
	"regexp"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/careloop/careloop/internal/i18n"
)

// preview presses the preview button (htmx swaps #rule-preview in place,
// no page loads) and waits until the preview shows sel.
func preview(t *testing.T, b *browser, sel string) {
	t.Helper()
	b.do(chromedp.Evaluate[chromedp.Void](`document.querySelector("#rule-preview").innerHTML = ""`))
	b.do(chromedp.Click(chromedp.CSS("#preview-rule"), chromedp.NodeVisible))
	b.waitVisible("#rule-preview "+sel, 15*time.Second)
	if got := b.path(); got != "/rules" {
		t.Errorf("the preview loaded a page (%s) instead of updating the form", got)
	}
	b.noRawKeys()
}

// TestCoordinatorEditsRule: a district coordinator writes a warning rule;
// a misspelt name is explained in plain words, a correct rule previews over
// recent screenings and is saved as version 1. A head teacher may not open
// the rules.
func TestCoordinatorEditsRule(t *testing.T) {
	srv := startLoopDemo(t)
	b := signInCoordinator(t, srv.URL)
	if st := b.click("#nav-rules"); st != 200 {
		t.Fatalf("/rules: status %d:\n%s", st, b.text("main"))
	}
	b.wantPath("/rules")
	rulesBefore := b.count("#rule-table tbody tr")
	if rulesBefore < 2 {
		t.Errorf("/rules lists %d rules, want the shipped defaults", rulesBefore)
	}
	if !b.present("#rule-form") {
		t.Fatalf("the coordinator is offered no #rule-form:\n%s", b.text("main"))
	}

	const name = "bt-low-mood"
	b.selectLabel("#unit", "玄武区")
	b.fill("#rname", name)
	b.do(chromedp.SetValue(chromedp.CSS("#level"), "orange"))
	b.setValue("#title_zh", "抑郁症状轻度以上（浏览器测试）")
	b.fill("#title_en", "Mild or worse depressive symptoms (browser test)")
	b.setValue("#expression", `scroes['phq-a'] > 3`)

	// A misspelt name: the preview says so, naming it.
	unknown := regexp.MustCompile(`^不认识的名称“scroes”（第 \d+ 列）。可用的有：.*scores`)
	preview(t, b, ".field-error")
	if got := b.text("#rule-preview .field-error"); !unknown.MatchString(got) {
		t.Errorf("preview of a misspelt rule says %q, want the unknown name 'scroes' in plain words", got)
	}
	// Saving it is refused with the same words, and the form keeps the draft.
	if st := b.click("#save-rule"); st != 422 {
		t.Errorf("save a misspelt rule: status %d, want 422", st)
	}
	noPlaceholders(t, b)
	if got := b.text("#rule-problem"); !unknown.MatchString(got) {
		t.Errorf("save of a misspelt rule: #rule-problem %q, want the unknown name 'scroes' in plain words; page:\n%s", got, b.text("main"))
	}
	var kept []string
	b.eval(`["#rname", "#expression", "#title_en", "#level"].map(s => document.querySelector(s)?.value ?? "")`, &kept)
	if kept[0] != name || kept[1] != `scroes['phq-a'] > 3` || kept[3] != "orange" {
		t.Errorf("after the refusal the form holds name, expression, title, level %q", kept)
	}
	b.screenshot("rule-error")

	// The corrected rule previews over the latest screenings, then saves.
	b.setValue("#expression", `scores['phq-a'] > 3`)
	preview(t, b, "h3")
	head := b.text("#rule-preview h3")
	m := regexp.MustCompile(`^将对 (\d+) 名学生发出预警（共判断 (\d+) 名学生的最近一次筛查）$`).FindStringSubmatch(head)
	if m == nil {
		t.Fatalf("preview of a correct rule: %q, want %q", head, i18n.T(zh, "rule.preview_result", "N", "M"))
	}
	if flagged := b.count("#rule-preview li"); fmt.Sprint(flagged) != m[1] || m[2] == "0" {
		t.Errorf("preview %q lists %d students; want as many as it counts, out of the demo's screenings", head, flagged)
	}
	if b.present("#rule-preview .field-error") {
		t.Errorf("preview of a correct rule shows an error: %s", b.text("#rule-preview .field-error"))
	}
	if st := b.click("#save-rule"); st != 200 {
		t.Fatalf("save the rule: status %d:\n%s", st, b.text("main"))
	}
	wantFlash(t, b, zh, "rule.saved", name)
	var row []string
	b.eval(`(() => { const a = [...document.querySelectorAll("#rule-table a")].find(a => a.innerText.trim() === `+jsString(name)+`);
		const tr = a?.closest("tr"); return tr ? [a.getAttribute("href"), ...[...tr.children].map(td => td.innerText.trim())] : []; })()`, &row)
	if len(row) != 6 || row[1] != "玄武区" || row[4] != `scores['phq-a'] > 3` || row[5] != "v1" {
		t.Fatalf("rule table row of %s: %q, want unit 玄武区, the expression and v1:\n%s", name, row, b.text("#rule-table"))
	}
	if got := b.count("#rule-table tbody tr"); got != rulesBefore+1 {
		t.Errorf("/rules lists %d rules after saving, want %d", got, rulesBefore+1)
	}
	if st := b.click(fmt.Sprintf(`#rule-table a[href=%q]`, row[0])); st != 200 {
		t.Fatalf("rule history %s: status %d", row[0], st)
	}
	if got := b.texts("#rule-versions li strong"); len(got) != 1 || got[0] != "v1" {
		t.Errorf("rule history lists versions %q, want [v1]", got)
	}

	// A head teacher may not open the rules.
	h := newBrowser(t, srv.URL, 1280, 900)
	h.signInEnrolled("headteacher")
	wantNav(t, h, nil, []string{"rules"})
	if st := h.open("/rules"); st != 403 {
		t.Errorf("head teacher GET /rules: status %d, want 403", st)
	}
	if got, msg, want := h.text("#error-page h1"), h.text("#form-error"), i18n.T(zh, "error.forbidden"); got != "403" || msg != want {
		t.Errorf("head teacher on /rules sees %q, %q; want 403, %q", got, msg, want)
	}
}
