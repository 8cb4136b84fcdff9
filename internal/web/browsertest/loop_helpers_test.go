package browsertest

import (
	"os"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/careloop/careloop/internal/apptest"
	"github.com/careloop/careloop/internal/i18n"
)

// Helpers for the closed-loop tests: alerts, cases, concerns and rules.

// allHours are school hours that never end, so that the school counsellor
// owns every new alert of their school whenever the test runs (by default
// the hotline supervisor on duty owns alerts outside Mon–Fri 07:30–17:30).
const allHours = "mon-sun 00:00-24:00"

// primarySchool is the demo school of the counsellor, the head teacher and
// the school leader.
const primarySchool = "玄武实验小学"

// counsellorName is the display name of the demo user counsellor.
const counsellorName = "刘老师 (School counsellor)"

// chinaTime is the zone of the service's dates.
var chinaTime = time.FixedZone("CST", 8*3600)

// startLoopDemo is startDemo with school hours around the clock.
func startLoopDemo(t *testing.T) *apptest.Instance {
	t.Helper()
	if os.Getenv("CARELOOP_BROWSER") != "1" {
		t.Skip("browser test: set CARELOOP_BROWSER=1 to run it (needs Chromium at " + chromiumPath() + ")")
	}
	return apptest.Start(t, "--demo", "--school-hours", allHours)
}

// dayFromNow is the date n days from today, China time, as YYYY-MM-DD.
func dayFromNow(n int) string {
	return time.Now().In(chinaTime).AddDate(0, 0, n).Format("2006-01-02")
}

// primarySlip has the coordinator b open a PHQ-A campaign for grade 6,
// class 1 of the primary school (the demo campaign is at a middle school,
// outside the counsellor's reach; grade 6 pupils are 11 or older, the
// PHQ-A's youngest age), prints its slips and returns the first code and
// the name of its pupil.
func primarySlip(t *testing.T, b *browser) (code, name string) {
	t.Helper()
	if st := b.open("/campaigns"); st != 200 {
		t.Fatalf("/campaigns: status %d", st)
	}
	b.setValue("#cname", "六年级1班心理筛查（浏览器测试）")
	b.selectLabel("#owner", "玄武区")
	b.setValue("#ends", dayFromNow(7))
	b.do(chromedp.Click(chromedp.CSS(`#campaign-form input[name=instruments][value="phq-a"]`), chromedp.NodeVisible))
	b.do(chromedp.SetValue(chromedp.CSS("#consent_rule"), "none"))
	b.checkLabelled("schools", primarySchool)
	b.fill("#cgrade", "6")
	b.setValue("#cclass", "1班")
	if st := b.click("#campaign-form button[type=submit]"); st != 200 {
		t.Fatalf("create the campaign: status %d:\n%s", st, b.text("main"))
	}
	if st := b.click(`a[href*="/slips?school="]`); st != 200 {
		t.Fatalf("slips: status %d:\n%s", st, b.text("main"))
	}
	codes, names := b.texts(".slip-code"), b.texts(".slip strong")
	if len(codes) == 0 || len(names) != len(codes) || !slipCodeRe.MatchString(codes[0]) {
		t.Fatalf("slips of %s 6/1班: codes %q, names %q", primarySchool, codes, names)
	}
	return codes[0], names[0]
}

// answerCritical opens code on a phone and answers every question (PHQ-A
// item 9 above 0, see pickAnswer), then submits.
func answerCritical(t *testing.T, base, code string) {
	t.Helper()
	p := newPhone(t, base)
	if st := p.open("/s?code=" + code); st != 200 {
		t.Fatalf("/s?code=: status %d", st)
	}
	if st := p.click("#start"); st != 200 {
		t.Fatalf("start: status %d:\n%s", st, p.text("main"))
	}
	item9 := false
	for i := 0; i < 20 && strings.HasPrefix(p.path(), "/s/q"); i++ {
		_, has9 := p.answerPage()["a:phq-a:9"]
		item9 = item9 || has9
		if st := p.click("#next"); st != 200 {
			t.Fatalf("next from %s: status %d", p.path(), st)
		}
	}
	if !item9 {
		t.Error("no page asked PHQ-A item 9")
	}
	p.wantPath("/s/review")
	if st := p.click("#submit"); st != 200 {
		t.Fatalf("submit: status %d", st)
	}
	p.wantPath("/s/thanks")
}

// placeholderRe is a message argument left unfilled: {0}, {1}...
var placeholderRe = regexp.MustCompile(`\{\d+\}`)

// noPlaceholders fails when the page shows a message with an unfilled
// argument ("{0}"): a key rendered without its values.
func noPlaceholders(t *testing.T, b *browser) {
	t.Helper()
	var lines []string
	for _, l := range strings.Split(b.text("body"), "\n") {
		if placeholderRe.MatchString(l) {
			lines = append(lines, strings.TrimSpace(l))
		}
	}
	if len(lines) > 0 {
		t.Errorf("%s shows messages with unfilled arguments: %q", b.path(), lines)
	}
}

// wantFlash fails unless the page's success message is the text of key.
func wantFlash(t *testing.T, b *browser, lang, key string, args ...any) {
	t.Helper()
	noPlaceholders(t, b)
	if got, want := b.text(".flash"), i18n.T(lang, key, args...); got != want {
		t.Errorf("%s: flash %q, want %q; error %q, field errors %q", b.path(), got, want,
			b.text("#form-error"), b.texts(".field-error"))
	}
}

// rowLink returns the href of the link reading text in the rows matching
// rows ("" when none).
func rowLink(b *browser, rows, text string) string {
	var href string
	b.eval(`[...document.querySelectorAll(`+jsString(rows)+`)].map(tr => [...tr.querySelectorAll("a")]
		.find(a => a.innerText.trim() === `+jsString(text)+`)).find(a => a)?.getAttribute("href") ?? ""`, &href)
	return href
}

// unread returns the unread count shown in the header (0 when none).
func unread(b *browser) int {
	var n int
	b.eval(`+(document.querySelector("#unread-count")?.innerText ?? 0) || 0`, &n)
	return n
}
