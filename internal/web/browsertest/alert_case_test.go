package browsertest

import (
	"fmt"
	"strings"
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/careloop/careloop/internal/i18n"
)

// workRow is one row of the work list.
type workRow struct {
	Kind    string `json:"kind"`
	Student string `json:"student"`
	Tier    string `json:"tier"` // class of the level's .tier badge
	Href    string `json:"href"`
}

func workRows(b *browser) []workRow {
	var rows []workRow
	b.eval(`[...document.querySelectorAll("#work-list tr.work-item")].map(tr => ({kind: tr.dataset.kind,
		student: tr.children[1]?.innerText.trim() ?? "", tier: tr.querySelector(".tier")?.className ?? "",
		href: tr.querySelector("a")?.getAttribute("href") ?? ""}))`, &rows)
	return rows
}

// TestRedAlertBecomesCase follows a critical answer through the loop: the
// pupil answers on a phone, the school counsellor finds the red alert on
// the work list and in the notifications, acknowledges it, opens a case,
// writes the support plan, plans and records a follow-up, and the alert
// ends closed with the decision "case".
func TestRedAlertBecomesCase(t *testing.T) {
	srv := startLoopDemo(t)
	coord := signInCoordinator(t, srv.URL)
	slip, student := primarySlip(t, coord)
	answerCritical(t, srv.URL, slip)

	b := newBrowser(t, srv.URL, 1280, 900)
	b.signInEnrolled("counsellor")
	if n := unread(b); n < 1 {
		t.Errorf("the counsellor's header shows %d unread notifications, want at least 1 (the red alert)", n)
	}

	// The work list: one red alert for the pupil.
	if st := b.open("/work"); st != 200 {
		t.Fatalf("/work: status %d", st)
	}
	var alertHref string
	for _, r := range workRows(b) {
		if r.Kind == "alert" && r.Student == student {
			if alertHref != "" {
				t.Errorf("/work lists two alerts for %s", student)
			}
			alertHref = r.Href
			if !strings.Contains(r.Tier, "tier-red") {
				t.Errorf("/work: the alert of %s has level class %q, want tier-red", student, r.Tier)
			}
		}
	}
	if !strings.HasPrefix(alertHref, "/alerts/") {
		t.Fatalf("/work has no alert row for %s: %+v\n%s", student, workRows(b), b.text("main"))
	}
	b.screenshot("work-red-alert")

	// The notification leads to the same alert.
	if st := b.open("/notifications"); st != 200 {
		t.Fatalf("/notifications: status %d", st)
	}
	sel := fmt.Sprintf(`#notification-list li.unread a[href=%s]`, jsString(alertHref))
	if !b.present(sel) || !b.present(`#notification-list li.unread .tier-red`) {
		t.Errorf("/notifications has no unread red entry leading to %s:\n%s", alertHref, b.text("#notification-list"))
	}

	// The alert: red, open, owned by the counsellor.
	b.open("/work")
	if st := b.click(fmt.Sprintf(`#work-list a[href=%s]`, jsString(alertHref))); st != 200 {
		t.Fatalf("open %s: status %d", alertHref, st)
	}
	b.wantPath(alertHref)
	if got := b.attr("#alert-level", "class"); !strings.Contains(got, "tier-red") {
		t.Errorf("#alert-level class %q, want tier-red", got)
	}
	if got, want := b.text("#alert-state"), i18n.T(zh, "alert.state_open"); got != want {
		t.Errorf("#alert-state = %q, want %q", got, want)
	}
	if got := b.text("#alert-owner"); !strings.HasPrefix(got, counsellorName) {
		t.Errorf("#alert-owner = %q, want the school counsellor %q (school hours are %s)", got, counsellorName, allHours)
	}
	if got := b.text("#alert-title"); !strings.Contains(got, student) {
		t.Errorf("#alert-title = %q, want the pupil %s", got, student)
	}

	// Acknowledge.
	if st := b.click("#acknowledge"); st != 200 {
		t.Fatalf("acknowledge: status %d:\n%s", st, b.text("main"))
	}
	wantFlash(t, b, zh, "alert.acknowledged")
	if got, want := b.text("#alert-state"), i18n.T(zh, "alert.state_acknowledged"); got != want {
		t.Errorf("after acknowledging: #alert-state = %q, want %q", got, want)
	}
	if b.present("#acknowledge") {
		t.Error("after acknowledging, #acknowledge is still offered")
	}

	// Open a case: the case page follows.
	if st := b.click("#open-case"); st != 200 {
		t.Fatalf("open a case: status %d:\n%s", st, b.text("main"))
	}
	casePath := b.path()
	casePath, _, _ = strings.Cut(casePath, "?")
	if !strings.HasPrefix(casePath, "/cases/") {
		t.Fatalf("after opening a case the page is %s:\n%s", b.path(), b.text("main"))
	}
	wantFlash(t, b, zh, "case.opened")
	if got := b.text("#case-title"); !strings.Contains(got, student) {
		t.Errorf("#case-title = %q, want the pupil %s", got, student)
	}
	if !b.present("#no-plan") {
		t.Errorf("a new case shows a plan:\n%s", b.text("#plan"))
	}

	// The support plan, version 1.
	concern := "课堂上情绪低落，问卷第9题提示有自伤念头。"
	b.setValue("#concern", concern)
	b.setValue("#goals", "两周内完成风险评估，建立每周一次的心理辅导。")
	b.do(chromedp.Click(chromedp.CSS(`#plan-form input[name=measures][value="counselling"]`), chromedp.NodeVisible))
	b.do(chromedp.SetValue(chromedp.CSS("#frequency"), "weekly"))
	b.setValue("#next_review", dayFromNow(14))
	if st := b.click("#save-plan"); st != 200 {
		t.Fatalf("save the plan: status %d:\n%s", st, b.text("main"))
	}
	wantFlash(t, b, zh, "case.plan_saved")
	if got, want := b.text("#plan p strong"), i18n.T(zh, "case.plan_version", 1); got != want {
		t.Errorf("plan version shown %q, want %q", got, want)
	}
	if got := b.text("#plan-concern"); got != concern {
		t.Errorf("#plan-concern = %q, want %q", got, concern)
	}
	if got, want := b.text("#plan .facts"), i18n.T(zh, "case.measure.counselling"); !strings.Contains(got, want) ||
		!strings.Contains(got, i18n.T(zh, "case.frequency.weekly")) {
		t.Errorf("plan facts lack the measure %q or the frequency:\n%s", want, got)
	}

	// Plan a follow-up, then record it.
	b.do(chromedp.SetValue(chromedp.CSS(`#follow-up-form select[name=kind]`), "family"))
	b.setValue(`#follow-up-form input[name=due]`, dayFromNow(7))
	if st := b.click("#follow-up-form button[type=submit]"); st != 200 {
		t.Fatalf("plan a follow-up: status %d:\n%s", st, b.text("main"))
	}
	wantFlash(t, b, zh, "case.follow_up_planned")
	notes := `#follow-ups form.stack textarea[name=notes]`
	if b.count(notes) != 1 {
		t.Fatalf("after planning, %d follow-ups to record, want 1:\n%s", b.count(notes), b.text("#follow-ups"))
	}
	b.setValue(notes, "已与家长电话沟通，家长同意配合每周辅导。")
	if st := b.click("#follow-ups form.stack button[type=submit]"); st != 200 {
		t.Fatalf("record the follow-up: status %d:\n%s", st, b.text("main"))
	}
	wantFlash(t, b, zh, "case.follow_up_recorded")
	if got := b.text("#follow-ups"); !strings.Contains(got, i18n.T(zh, "case.done")) || !strings.Contains(got, "家长同意") {
		t.Errorf("the recorded follow-up is not shown as done with its notes:\n%s", got)
	}
	b.screenshot("case-with-plan")

	// The alert is closed with the decision "case" and links to the case.
	b.open(alertHref)
	want := i18n.T(zh, "alert.state_closed") + " · " + i18n.T(zh, "alert.decision_case")
	if got := b.text("#alert-state"); got != want {
		t.Errorf("after opening the case, #alert-state = %q, want %q", got, want)
	}
	if b.present("#alert-actions") {
		t.Error("the closed alert still offers #alert-actions")
	}
	if !b.present(fmt.Sprintf(`a[href=%s]`, jsString(casePath))) {
		t.Errorf("the closed alert does not link to %s", casePath)
	}

	// The work list: no open alert for the pupil, the case among "my cases".
	b.open("/work")
	for _, r := range workRows(b) {
		if r.Kind == "alert" && r.Student == student {
			t.Errorf("/work still lists the closed alert of %s", student)
		}
	}
	if rowLink(b, "#my-cases li", student) != casePath {
		t.Errorf("/work: #my-cases does not lead to %s:\n%s", casePath, b.text("#my-cases"))
	}
}
