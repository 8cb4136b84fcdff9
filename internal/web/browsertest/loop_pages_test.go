package browsertest

import (
	"regexp"
	"strings"
	"testing"

	"github.com/careloop/careloop/internal/i18n"
)

// hanRe matches Chinese characters.
var hanRe = regexp.MustCompile(`\p{Han}`)

// loopPages are the pages of the loop every handler of alerts opens, with
// the i18n key of their heading.
var loopPages = []struct{ path, title string }{
	{"/reviews", "review.list"},
	{"/counselling", "counselling.title"},
	{"/loop", "loop.title"},
	{"/notifications", "notify.inbox"},
	{"/alerts?overdue=1", "alert.list"},
	{"/alerts", "alert.list"},
	{"/work", "nav.work"},
}

// bodyFits fails when the page body is wider than the window (the page
// scrolls sideways on a phone), naming what sticks out.
func bodyFits(t *testing.T, b *browser) {
	t.Helper()
	var w struct{ Body, DocW, Inner int }
	b.eval(`({Body: document.body.scrollWidth, DocW: document.documentElement.scrollWidth, Inner: window.innerWidth})`, &w)
	if w.Body <= w.Inner+1 && w.DocW <= w.Inner+1 {
		return
	}
	var wide []string
	b.eval(`[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > window.innerWidth + 1)
		.slice(0, 8).map(e => e.tagName.toLowerCase() + (e.id ? "#" + e.id : "") +
		(e.className ? "." + String(e.className).trim().replace(/ +/g, ".") : "") + " right=" + Math.round(e.getBoundingClientRect().right))`, &wide)
	t.Errorf("%s (%s) is wider than the %dpx window: body.scrollWidth %d, document scrollWidth %d; past the edge: %v",
		b.path(), b.attr("html", "lang"), w.Inner, w.Body, w.DocW, wide)
}

// controlsFit fails when a form control on the page is narrower than a
// finger (44 px): a squeezed select shows only its arrow, not its choice.
func controlsFit(t *testing.T, who string, b *browser) {
	t.Helper()
	var thin []string
	b.eval(`[...document.querySelectorAll("select, textarea, button, input:not([type=checkbox]):not([type=radio]):not([type=hidden])")]
		.filter(e => e.checkVisibility() && e.getBoundingClientRect().width < 44)
		.map(e => (e.closest("[id]")?.id ?? "") + " " + e.tagName.toLowerCase() + "[name=" + (e.name ?? "") + "] " +
		Math.round(e.getBoundingClientRect().width) + "px")`, &thin)
	if len(thin) > 0 {
		t.Errorf("%s: %s (%s): %d form controls too narrow to read or tap on a phone, e.g. %q", who, b.path(), b.attr("html", "lang"),
			len(thin), thin[:min(3, len(thin))])
	}
}

// visitLoopPages opens every loop page in the current language and checks
// that it renders: status 200, its heading, no raw keys or unfilled
// arguments, no sideways scrolling; in English, no Chinese outside names.
func visitLoopPages(t *testing.T, b *browser, who, lang string) {
	t.Helper()
	for _, p := range loopPages {
		st := b.open(p.path)
		if st != 200 || b.present("#error-page") {
			t.Errorf("%s, %s: GET %s: status %d, page:\n%s", who, lang, p.path, st, b.text("main"))
			continue
		}
		if got := b.attr("html", "lang"); got != lang {
			t.Errorf("%s: %s is in %q, want %q", who, p.path, got, lang)
		}
		if got, want := b.text("main h1"), i18n.T(lang, p.title); got != want {
			t.Errorf("%s, %s: %s heading %q, want %q", who, lang, p.path, got, want)
		}
		noPlaceholders(t, b)
		bodyFits(t, b)
		controlsFit(t, who, b)
		if lang == "en" {
			// Names of people and pupils are data, not interface (schools
			// have English names: checked below).
			if han := hanOutside(b, "#lang-switch, .who, .roles li a, td:nth-child(2), #alert-table td:nth-child(3), "+
				"#alert-table td:nth-child(5), #agenda li, #decision-table td:first-child, label.check, select"); han != "" {
				t.Errorf("%s: English %s still shows Chinese text: %q", who, p.path, han)
			}
			for _, school := range b.texts("#alert-table tr.alert-row td:nth-child(3)") {
				if hanRe.MatchString(school) {
					t.Errorf("%s: English %s names the school %q in Chinese (schools have English names)", who, p.path, school)
					break
				}
			}
		}
		if strings.HasPrefix(p.path, "/loop") {
			// Every alert was raised in the last minute: none is past a deadline yet.
			if got, want := b.text("#loop-past-deadline"), i18n.T(lang, "loop.past_deadline", 0, 0, 0); got != want {
				t.Errorf("%s, %s: /loop says %q, want %q (no deadline has passed yet)", who, lang, got, want)
			}
		}
		if lang == zh && who == "counsellor" {
			b.screenshot("phone" + strings.NewReplacer("/", "-", "?", "-", "=", "-").Replace(p.path))
		}
	}
}

// TestLoopPagesOnPhone opens the pages of the loop on a phone, as the
// district coordinator and as the school counsellor, in Chinese and then
// in English, with an open red alert of the counsellor's school in them.
func TestLoopPagesOnPhone(t *testing.T) {
	srv := startLoopDemo(t)
	for _, who := range []string{"counsellor", "xuanwu.coord"} {
		b := newPhone(t, srv.URL)
		b.signInEnrolled(who)
		if who == "counsellor" {
			// A concern about a pupil of the school fills the lists.
			if st := b.open("/concerns/new"); st != 200 {
				t.Fatalf("/concerns/new: status %d", st)
			}
			b.fill("#student_no", "G32010100001")
			b.checkLabelled("signs", i18n.T(zh, "concern.sign.self_harm"))
			if st := b.click("#file-concern"); st != 200 {
				t.Fatalf("counsellor files a concern: status %d:\n%s", st, b.text("main"))
			}
			wantFlash(t, b, zh, "concern.filed")
			// A risk review of the agenda, every student on it left at
			// "keep": the past reviews list says how many decisions it took.
			b.open("/reviews")
			rows := b.count("#decision-table tbody tr")
			if rows < 1 {
				t.Errorf("the review agenda has no student after a concern:\n%s", b.text("main"))
			}
			if st := b.click("#hold-review"); st != 200 {
				t.Fatalf("counsellor holds a review: status %d:\n%s", st, b.text("main"))
			}
			wantFlash(t, b, zh, "review.held")
			if got, want := b.text("#review-list li"), i18n.T(zh, "review.n_decisions", rows); !strings.HasSuffix(got, want) {
				t.Errorf("the past reviews list reads %q, want it to end in %q", got, want)
			}
		}
		visitLoopPages(t, b, who, zh)
		b.open("/alerts")
		if n := b.count("#alert-table tr.alert-row[data-level=red]"); n < 1 {
			t.Errorf("%s: /alerts lists no red alert:\n%s", who, b.text("#alert-table"))
		}

		if st := b.click("#lang-switch"); st != 200 {
			t.Fatalf("%s: switch to English: status %d", who, st)
		}
		if got := b.attr("html", "lang"); got != "en" {
			t.Fatalf("%s: after the switch html lang = %q, want en", who, got)
		}
		visitLoopPages(t, b, who, "en")
	}
}
