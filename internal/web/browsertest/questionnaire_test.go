package browsertest

import (
	"maps"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/careloop/careloop/internal/i18n"
)

func TestStudentAnswersOnAPhoneAndResumes(t *testing.T) {
	srv := startDemo(t)
	slip, student := demoCode(t, srv)
	// What the coordinator's campaign page shows before the child answers.
	b := signInCoordinator(t, srv.URL)
	openCampaign(t, b, demoCampaignName)
	_, _, completedBefore := progressTotals(b)
	tiersBefore := tierRows(b)

	phone := newPhone(t, srv.URL)
	tab, closeTab := phone.newTab()

	// The slip's QR code opens the page with the code filled in.
	if st := tab.open("/s?code=" + slip); st != 200 {
		t.Fatalf("/s?code=: status %d", st)
	}
	if got := tab.attr("html", "lang"); got != zh {
		t.Errorf("code page lang = %q, want %q", got, zh)
	}
	var typed string
	tab.eval(`document.querySelector("#code").value`, &typed)
	if typed != slip {
		t.Errorf("#code = %q, want the slip's %q", typed, slip)
	}
	noSideScroll(t, tab)
	tab.screenshot("respondent-code-phone")
	if st := tab.click("#start"); st != 200 {
		t.Fatalf("start: status %d:\n%s", st, tab.text("main"))
	}
	tab.wantPath("/s/q")
	n, pages := tab.pageIndex()
	if n != 1 || pages < 3 {
		t.Fatalf("first page is %d of %d", n, pages)
	}
	if got, want := tab.text(".questionnaire > p.muted"), i18n.T(zh, "respondent.hello", string([]rune(student)[1:])); got != want {
		t.Errorf("greeting %q, want %q", got, want)
	}
	if tab.present("#back") {
		t.Error("the first page offers #back")
	}
	noSideScroll(t, tab)
	bigTargets(t, tab)
	tab.screenshot("questionnaire-phone-zh")

	first := tab.answerPage()
	if st := tab.click("#next"); st != 200 {
		t.Fatalf("next: status %d", st)
	}
	if n, _ := tab.pageIndex(); n != 2 {
		t.Fatalf("after #next the page is %d, want 2", n)
	}

	// The network drops: the answers of page 2 cannot be sent.
	tab.setOffline(true)
	tab.answerPage()
	if _, err := chromedp.RunResponse(tab.ctx, chromedp.Click(chromedp.CSS("#next"), chromedp.NodeVisible)); err == nil {
		t.Errorf("offline, #next still loaded a page: %s", tab.path())
	} else {
		t.Logf("offline #next: %v", err)
	}

	// Back online: reloading the questionnaire resumes at page 2 (the
	// first with unanswered questions), nothing of page 2 was saved.
	tab.setOffline(false)
	resume := func(b *browser, how string) {
		t.Helper()
		if st := b.open("/s/q"); st != 200 {
			t.Fatalf("%s: /s/q status %d:\n%s", how, st, b.text("main"))
		}
		if n, _ := b.pageIndex(); n != 2 {
			t.Errorf("%s: /s/q resumes at page %d, want 2", how, n)
		}
		if got := b.checkedAnswers(); len(got) != 0 {
			t.Errorf("%s: page 2 shows answers that were never sent: %v", how, got)
		}
	}
	resume(tab, "after the network came back")

	// The child closes the tab and opens the page again in a new one.
	closeTab()
	tab, _ = phone.newTab()
	resume(tab, "in a new tab")

	// Going back shows page 1 as answered before the network dropped.
	if st := tab.click("#back"); st != 200 {
		t.Fatalf("#back: status %d", st)
	}
	if n, _ := tab.pageIndex(); n != 1 {
		t.Errorf("#back leads to page %d, want 1", n)
	}
	if got := tab.checkedAnswers(); !maps.Equal(got, first) {
		t.Errorf("page 1 after resuming shows %v, want the answers given before %v", got, first)
	}
	tab.click("#next")

	// Answer everything, with PHQ-A item 9 above 0.
	item9 := false
	for i := 0; i < 3*pages && strings.HasPrefix(tab.path(), "/s/q"); i++ {
		given := tab.answerPage()
		_, has9 := given["a:phq-a:9"]
		item9 = item9 || has9
		if has9 && !tab.present("#item-9") {
			t.Error("PHQ-A item 9 is not in fieldset #item-9")
		}
		noSideScroll(t, tab)
		if st := tab.click("#next"); st != 200 {
			t.Fatalf("next from %s: status %d", tab.path(), st)
		}
	}
	if !item9 {
		t.Error("no page asked PHQ-A item 9")
	}
	tab.wantPath("/s/review")
	if tab.present("#missing") {
		t.Errorf("review says answers are missing: %s", tab.text("#missing"))
	}
	noSideScroll(t, tab)
	tab.screenshot("review-phone")

	// A double press: two submissions with the same key at the same time.
	var results []string
	tab.evalAsync(`(() => { const key = document.querySelector("#submit-form input[name=key]").value;
		const send = () => fetch("/s/submit", {method: "POST", body: new URLSearchParams({key})})
			.then(r => r.status + " " + new URL(r.url).pathname);
		return Promise.all([send(), send()]); })()`, &results)
	for _, r := range results {
		if r != "200 /s/thanks" {
			t.Errorf("double submission: a request ended with %q, want \"200 /s/thanks\" (all: %q)", r, results)
		}
	}
	if st := tab.click("#submit"); st != 200 {
		t.Fatalf("submit: status %d", st)
	}
	tab.wantPath("/s/thanks")
	if !tab.visible("#thanks") {
		t.Fatalf("no #thanks:\n%s", tab.text("main"))
	}
	if got := tab.text("#thanks .help-line"); !strings.Contains(got, "12356") {
		t.Errorf("thanks page help line %q lacks the hotline 12356", got)
	}
	if tab.present(".tier") || strings.Contains(tab.text("main"), "PHQ") {
		t.Errorf("the thanks page shows a result to the child:\n%s", tab.text("main"))
	}
	noSideScroll(t, tab)
	tab.screenshot("thanks-phone")

	// The browser's back button, and submit again: still thanks.
	tab.do(chromedp.NavigateBack())
	t.Logf("back button shows %s", tab.path())
	if tab.present("#submit") {
		tab.click("#submit")
	}
	tab.wantPath("/s/thanks")
	if !tab.present("#thanks") {
		t.Errorf("after back and submit again: no #thanks:\n%s", tab.text("main"))
	}
	// The used code does not open a new sitting.
	tab.open("/s?code=" + slip)
	if st := tab.click("#start"); st != 401 {
		t.Errorf("the used code opens again: status %d, path %s", st, tab.path())
	}

	// The coordinator sees one more screening, red and critical.
	openCampaign(t, b, demoCampaignName)
	// (The started column counts sittings in progress, so it is 0 again.)
	if _, started, completed := progressTotals(b); started != 0 || completed != completedBefore+1 {
		t.Errorf("progress started/completed = %d/%d, want 0/%d:\n%s", started, completed, completedBefore+1, b.text("#progress-table"))
	}
	wantCritical(t, b, tiersBefore, "玄武第一中学", student, false)
}
