package browsertest

import (
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// settleAutosave waits until the contact form has no autosave pending or
// in flight: the version stays the same for two readings a second apart.
func settleAutosave(t *testing.T, b *browser) string {
	t.Helper()
	last := ""
	for i := 0; i < 20; i++ {
		var state string
		b.eval(`document.querySelector("#version").value + (document.querySelector("#contact-form").classList.contains("htmx-request") ? "*" : "")`, &state)
		if state == last && !strings.HasSuffix(state, "*") {
			return state
		}
		last = state
		time.Sleep(time.Second)
	}
	t.Fatalf("autosave did not settle; status %q", b.text("#save-state"))
	return ""
}

// TestHotlineContact: a counsellor on a phone records a call. The summary
// is saved as it is typed and survives a reload; the finalised contact
// pops up when the same number calls again, written another way.
func TestHotlineContact(t *testing.T) {
	srv := startDemo(t)
	b := newBrowser(t, srv.URL, phoneWidth, phoneHeight)
	b.do(chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulatePortrait, chromedp.EmulateMobile,
		chromedp.EmulateTouch, chromedp.EmulateScale(2)))
	b.signInEnrolled("hotline")

	if st := b.open("/contacts"); st != 200 {
		t.Fatalf("GET /contacts: status %d:\n%s", st, b.text("body"))
	}
	noSideScroll(t, b)
	b.do(chromedp.SetValue(chromedp.CSS("#channel"), "phone"), chromedp.SetValue(chromedp.CSS("#kind"), "phone"))
	b.fill("#identifier", "138 0013 8000")
	if st := b.click("#start"); st != 200 {
		t.Fatalf("start contact: status %d:\n%s", st, b.text("main"))
	}
	first := b.path()
	if !strings.HasPrefix(first, "/contacts/") || b.present("#screen-pop") {
		t.Fatalf("a new number should open the contact page without a screen-pop; at %s:\n%s", first, b.text("main"))
	}
	noSideScroll(t, b)

	// The summary is saved from the first keystroke.
	const said = "Caller is 14, worried about exams and being left out at school."
	b.do(chromedp.SendKeys(chromedp.CSS("#summary"), said))
	b.waitVisible(`#save-state[data-state="saved"]`, 10*time.Second)
	settleAutosave(t, b)
	if v := b.attr("#version", "value"); v == "1" || v == "" {
		t.Errorf("the version was not written back after the autosave: %q", v)
	}
	b.screenshot("contact-autosaved-phone")

	// A crash: the page is opened again and the text is there.
	b.open(first)
	var got string
	b.eval(`document.querySelector("#summary").value`, &got)
	if got != said {
		t.Fatalf("after a reload the summary is %q, want %q", got, said)
	}

	// The rest of the form, then finalise.
	b.do(chromedp.SetValue(chromedp.CSS("#caller_type"), "child_self"), chromedp.SetValue(chromedp.CSS("#age_band"), "13_15"),
		chromedp.SetValue(chromedp.CSS("#gender"), "female"))
	b.do(chromedp.Click(chromedp.CSS("#cat-school"), chromedp.NodeVisible))
	b.do(chromedp.Click(chromedp.CSS(`input[name=categories][value="school.exams"]`), chromedp.NodeVisible))
	for _, id := range []string{"#risk-thoughts-passive", "#risk-plan-none", "#risk-means-none", "#risk-timeframe-none", "#risk-attempts-none"} {
		b.do(chromedp.Click(chromedp.CSS(id), chromedp.NodeVisible))
	}
	b.do(chromedp.Click(chromedp.CSS(`input[name=actions][value=listened]`), chromedp.NodeVisible))
	settleAutosave(t, b)
	if st := b.click("#finalise"); st != 200 {
		t.Fatalf("finalise: status %d:\n%s", st, b.text("main"))
	}
	if lv := b.attr("#risk-level", "data-level"); lv != "low" {
		t.Errorf("risk level %q, want low; page:\n%s", lv, b.text("main"))
	}
	if s := b.text("#contact-state"); s != "已完成" {
		t.Errorf("state %q after finalising, want 已完成; page:\n%s", s, b.text("main"))
	}
	noSideScroll(t, b)
	b.screenshot("contact-final-phone")

	// The same number calls again, with the country code: the screen-pop
	// shows the first contact.
	b.open("/contacts")
	b.do(chromedp.SetValue(chromedp.CSS("#channel"), "phone"), chromedp.SetValue(chromedp.CSS("#kind"), "phone"))
	b.fill("#identifier", "+86 138-0013-8000")
	if st := b.click("#start"); st != 200 {
		t.Fatalf("second contact: status %d:\n%s", st, b.text("main"))
	}
	id := strings.TrimPrefix(first, "/contacts/")
	if !b.present(`#screen-pop #pop-earlier li[data-contact="` + id + `"]`) {
		t.Fatalf("the screen-pop does not list contact %s:\n%s", id, b.text("main"))
	}
	if !strings.Contains(b.text("#screen-pop"), "考试") {
		t.Errorf("the screen-pop does not show the first contact's category:\n%s", b.text("#screen-pop"))
	}
	noSideScroll(t, b)
	b.screenshot("contact-screen-pop-phone")
}
