package browsertest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/careloop/careloop/internal/i18n"
)

// classPupil is a pupil of the head teacher's class with the link to
// report a concern about them.
type classPupil struct {
	Name string `json:"name"`
	Href string `json:"href"`
}

// TestHeadTeacherReportsConcern: a head teacher reports what they saw in a
// pupil of their class, and the school counsellor finds the alert it raised.
func TestHeadTeacherReportsConcern(t *testing.T) {
	srv := startLoopDemo(t)
	b := newBrowser(t, srv.URL, 1280, 900)
	b.signInEnrolled("headteacher")
	wantNav(t, b, []string{"my-class"}, []string{"alerts", "work", "rules", "students"})

	if st := b.click("#nav-my-class"); st != 200 {
		t.Fatalf("/my-class: status %d", st)
	}
	b.wantPath("/my-class")
	var pupils []classPupil
	b.eval(`[...document.querySelectorAll("#class-list li")].map(li => ({name: li.firstChild?.textContent.trim() ?? "",
		href: li.querySelector("a.concern-link")?.getAttribute("href") ?? ""}))`, &pupils)
	if len(pupils) == 0 || pupils[0].Name == "" || !strings.HasPrefix(pupils[0].Href, "/concerns/new?student=") {
		t.Fatalf("/my-class offers no pupil with a report link: %+v\n%s", pupils, b.text("main"))
	}
	pupil := pupils[len(pupils)-1]
	if got, want := b.text(fmt.Sprintf(`a[href=%s]`, jsString(pupil.Href))), i18n.T(zh, "concern.report_link"); got != want {
		t.Errorf("report link reads %q, want %q", got, want)
	}

	if st := b.click(fmt.Sprintf(`#class-list a[href=%s]`, jsString(pupil.Href))); st != 200 {
		t.Fatalf("%s: status %d", pupil.Href, st)
	}
	b.wantPath("/concerns/new")
	if b.present("#student_no") {
		t.Error("the report form for a chosen pupil still asks for a student number")
	}
	// Submitting without a sign is refused with a message at the signs.
	if st := b.click("#file-concern"); st != 422 {
		t.Errorf("a report without signs: status %d, want 422", st)
	}
	if got, want := b.text("#concern-form .field-error"), i18n.T(zh, "concern.signs_required"); got != want {
		t.Errorf("a report without signs: field error %q, want %q", got, want)
	}
	b.checkLabelled("signs", i18n.T(zh, "concern.sign.low_mood"))
	b.checkLabelled("signs", i18n.T(zh, "concern.sign.withdrawal"))
	b.setValue("#since", dayFromNow(-10))
	b.setValue("#description", "近两周上课常趴在桌上，不愿与同学交流。")
	if st := b.click("#file-concern"); st != 200 {
		t.Fatalf("file the report: status %d:\n%s", st, b.text("main"))
	}
	wantFlash(t, b, zh, "concern.filed")
	if b.count(`#concern-form input[name=signs]:checked`) != 0 {
		t.Error("after filing, the form still has signs ticked")
	}
	b.screenshot("concern-filed")

	// The counsellor sees a new alert for the pupil, owned by them.
	c := newBrowser(t, srv.URL, 1280, 900)
	c.signInEnrolled("counsellor")
	if st := c.click("#nav-alerts"); st != 200 {
		t.Fatalf("/alerts: status %d", st)
	}
	href := rowLink(c, "#alert-table tr.alert-row", pupil.Name)
	if !strings.HasPrefix(href, "/alerts/") {
		t.Fatalf("/alerts lists no alert for %s:\n%s", pupil.Name, c.text("#alert-table"))
	}
	var row []string
	c.eval(`(() => { const tr = document.querySelector(`+jsString(fmt.Sprintf(`#alert-table a[href=%q]`, href))+`).closest("tr");
		return [tr.dataset.level, ...[...tr.children].map(td => td.innerText.trim())]; })()`, &row)
	if row[0] != "yellow" || row[4] != i18n.T(zh, "alert.state_open") || row[5] != counsellorName {
		t.Errorf("alert row of %s: level, state, owner = %q, %q, %q; want yellow (a concern), %q, %q",
			pupil.Name, row[0], row[4], row[5], i18n.T(zh, "alert.state_open"), counsellorName)
	}
	c.click(fmt.Sprintf(`#alert-table a[href=%q]`, href))
	if got, want := c.text("#alert-signals"), i18n.T(zh, "alert.source_concern"); !strings.Contains(got, want) ||
		!strings.Contains(got, "concern-reported") {
		t.Errorf("the alert's signals do not name the concern report (%q, rule concern-reported):\n%s", want, got)
	}
}
