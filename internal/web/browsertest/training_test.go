package browsertest

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/app"
)

// trainingHours reads the first number of sel's text (e.g. "4.0" or "4 学时").
func trainingHours(t *testing.T, b *browser, sel string) float64 {
	t.Helper()
	s := regexp.MustCompile(`[0-9]+(\.[0-9]+)?`).FindString(b.text(sel))
	f, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("%s on %s shows no hours: %q", sel, b.path(), b.text(sel))
	}
	return f
}

// TestTrainingQRCheckin: the district coordinator schedules a session of
// Xuanwu's certification course starting now and shows its check-in QR
// code; the school counsellor, on a phone, opens the link of the code,
// confirms with one button and is marked present; the coordinator's
// session page shows the attendance, and the counsellor's hours appear on
// her registry record and on her own training page.
func TestTrainingQRCheckin(t *testing.T) {
	inst := startDemo(t)
	coord := newBrowser(t, inst.URL, 1280, 900)
	coord.signInEnrolled("xuanwu.coord")

	// The counsellor's registry record, before.
	coord.open("/workforce")
	var record string
	coord.eval(`(() => { const a = [...document.querySelectorAll('a[href^="/workforce/people/"]')].find(a => a.textContent.includes("刘老师"));
		return a ? a.getAttribute("href") : ""; })()`, &record)
	if record == "" {
		t.Fatalf("the registry lists no record of 刘老师:\n%s", coord.text("main"))
	}
	if st := coord.open(record); st != 200 {
		t.Fatalf("%s: status %d", record, st)
	}
	before := trainingHours(t, coord, "#training-hours")

	// Schedule a session of the certification course, starting ten minutes ago.
	coord.open("/training")
	var course string
	coord.eval(`(() => { const a = [...document.querySelectorAll('#courses a')].find(a => a.textContent.includes("中级"));
		return a ? a.getAttribute("href") : ""; })()`, &course)
	if course == "" {
		t.Fatalf("no certification course listed:\n%s", coord.text("main"))
	}
	coord.open(course)
	cst := time.FixedZone("CST", 8*3600)
	now := time.Now().In(cst)
	coord.setValue("#starts_at", now.Add(-10*time.Minute).Format("2006-01-02T15:04"))
	coord.setValue("#ends_at", now.Add(2*time.Hour).Format("2006-01-02T15:04"))
	coord.setValue("#place", "玄武区未成年人成长指导中心 302")
	coord.fill("#trainers", "周指导")
	coord.fill("#capacity", "30")
	if st := coord.click("#schedule-session"); st != 200 {
		t.Fatalf("schedule: status %d:\n%s", st, coord.text("main"))
	}
	session := coord.path()
	if !strings.HasPrefix(session, "/training/sessions/") {
		t.Fatalf("after scheduling the page is %s:\n%s", session, coord.text("main"))
	}
	if st := coord.click("#make-code"); st != 200 {
		t.Fatalf("check-in code: status %d", st)
	}
	if !coord.visible("#checkin-qr") {
		t.Fatal("no QR code shown")
	}
	link := coord.attr("#checkin-url", "href")
	if !strings.HasPrefix(link, inst.URL+"/training/checkin/") || coord.text("#checkin-url") != link {
		t.Fatalf("check-in link %q (text %q)", link, coord.text("#checkin-url"))
	}
	coord.screenshot("training-session-qr")

	// The counsellor on a phone: the link leads through sign-in to the check-in page.
	phone := newPhone(t, inst.URL)
	phone.open(strings.TrimPrefix(link, inst.URL))
	phone.signIn("counsellor", app.DemoPassword)
	phone.enrol()
	if p := phone.path(); !strings.HasPrefix(p, "/training/checkin/") {
		phone.open(strings.TrimPrefix(link, inst.URL))
	}
	if !phone.visible("#confirm-checkin") {
		t.Fatalf("the check-in page offers no button:\n%s", phone.text("main"))
	}
	var width int
	phone.eval(`document.documentElement.scrollWidth`, &width)
	if width > phoneWidth {
		t.Errorf("the check-in page is %dpx wide on a %dpx phone", width, phoneWidth)
	}
	if st := phone.click("#confirm-checkin"); st != 200 {
		t.Fatalf("check in: status %d:\n%s", st, phone.text("main"))
	}
	if !phone.visible("#checked-in") {
		t.Fatalf("not checked in:\n%s", phone.text("main"))
	}
	phone.screenshot("training-checkin-phone")

	// The coordinator's session page shows her present, by QR code.
	coord.open(session)
	if got := coord.attr(`#attendance tr[data-user="counsellor"]`, "data-attended"); got != "true" {
		t.Fatalf("the session page shows the counsellor attended=%q:\n%s", got, coord.text("#attendance"))
	}
	if n := coord.text("#attended-count"); n != "1" {
		t.Fatalf("attended count %q", n)
	}

	// Her hours: on her registry record and on her own training page.
	coord.open(record)
	if after := trainingHours(t, coord, "#training-hours"); after != before+4 {
		t.Fatalf("registry record hours: %v before, %v after; want +4", before, after)
	}
	phone.open("/training/mine")
	if h := trainingHours(t, phone, "#my-hours"); h != 4 {
		t.Fatalf("my training shows %v hours, want 4", h)
	}
}
