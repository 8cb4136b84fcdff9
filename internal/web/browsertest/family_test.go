package browsertest

import (
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"github.com/careloop/careloop/internal/apptest"
	"github.com/careloop/careloop/internal/i18n"
)

// The parent portal on a phone. The one-time code is read from the
// server's stdout: in demo mode (no --sms-url) the console SMS sender
// prints every message there, phone masked ("SMS to 139****1234 (demo,
// not sent): ..."), never in the JSON log. That is the test hook.

// familyPhoneRe finds the demo guardian the demo loader prints.
var familyPhoneRe = regexp.MustCompile(`sign in with the phone (1\d{10}) \(guardian of ([^,]+),`)

// familyCode waits for a code sent to phone after the stdout offset from.
func familyCode(t *testing.T, srv *apptest.Instance, phone string, from int) string {
	t.Helper()
	re := regexp.MustCompile(`SMS to ` + regexp.QuoteMeta(phone[:3]+"****"+phone[7:]) + ` \(demo, not sent\): \D*(\d{6})`)
	deadline := time.Now().Add(10 * time.Second)
	for time.Now().Before(deadline) {
		out := srv.Stdout()
		if from <= len(out) {
			if m := re.FindAllStringSubmatch(out[from:], -1); len(m) > 0 {
				return m[len(m)-1][1]
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("no code for %s on the server's stdout", phone)
	return ""
}

// TestFamilyPortal: a guardian signs in on a phone with a one-time code,
// withdraws screening consent (and a coordinator sees the child excluded
// from the open campaign), and books a consultation that the counsellor
// sees on /calendar and confirms; the guardian sees it confirmed.
func TestFamilyPortal(t *testing.T) {
	srv := startDemo(t)
	m := familyPhoneRe.FindStringSubmatch(srv.Stdout())
	if m == nil {
		t.Fatalf("the demo printed no guardian phone:\n%s", srv.Stdout())
	}
	phone, child := m[1], m[2]
	zh := "zh-CN"

	// A coordinator opens a campaign over the child's class (6/1班 of the
	// primary school, no consent needed: only a refusal or withdrawal
	// excludes).
	coord := signInCoordinator(t, srv.URL)
	primarySlip(t, coord)
	const campaignName = "六年级1班心理筛查（浏览器测试）"

	// The guardian, on a phone: phone number, then the code.
	p := newPhone(t, srv.URL)
	if st := p.open("/family"); st != 200 {
		t.Fatalf("/family: status %d", st)
	}
	p.fill("#phone", phone)
	before := len(srv.Stdout())
	if st := p.click("#send-code"); st != 200 {
		t.Fatalf("send code: status %d:\n%s", st, p.text("main"))
	}
	wantFlash(t, p, zh, "family.code_sent", phone[:3]+"****"+phone[7:])
	p.fill("#code", "000000")
	if st := p.click("#verify-code"); st != 401 {
		t.Errorf("a wrong code: status %d, want 401", st)
	}
	if got, want := p.text("#form-error"), i18n.T(zh, "family.code_wrong"); got != want {
		t.Errorf("wrong code: error %q, want %q", got, want)
	}
	code := familyCode(t, srv, phone, before)
	if code == "000000" {
		t.Skip("the demo code happened to be 000000")
	}
	p.fill("#code", code)
	if st := p.click("#verify-code"); st != 200 {
		t.Fatalf("sign in: status %d:\n%s", st, p.text("main"))
	}
	p.wantPath("/family/home")
	if strings.Contains(srv.Stdout(), phone+" (demo") {
		t.Error("the console sender printed the phone unmasked")
	}
	p.screenshot("family-home-phone")
	if st := p.click(`#family-children a.child-link`); st != 200 {
		t.Fatalf("child page: status %d", st)
	}
	if got := p.text("#child-name"); got != child {
		t.Fatalf("child page shows %q, want %q", got, child)
	}
	// Consent: give, then withdraw.
	var cid string
	p.eval(`[...document.querySelectorAll(".consent")].find(d => d.querySelector(".campaign-name").innerText.trim() === `+
		jsString(campaignName)+`)?.id ?? ""`, &cid)
	if cid == "" {
		t.Fatalf("the child page lists no campaign %q:\n%s", campaignName, p.text("#consents"))
	}
	if st := p.click("#" + cid + " .give-consent"); st != 200 {
		t.Fatalf("give consent: status %d:\n%s", st, p.text("main"))
	}
	wantFlash(t, p, zh, "family.consent_saved_given")
	if st := p.click("#" + cid + " .withdraw-consent"); st != 200 {
		t.Fatalf("withdraw consent: status %d:\n%s", st, p.text("main"))
	}
	wantFlash(t, p, zh, "family.consent_saved_withdrawn")
	if got, want := p.text("#"+cid+" .consent-state"), i18n.T(zh, "family.decision_withdrawn"); got != want {
		t.Errorf("consent state %q, want %q", got, want)
	}
	p.screenshot("family-consent-phone")

	// The coordinator sees the child excluded from the open campaign.
	openCampaign(t, coord, campaignName)
	excluded := coord.text("#excluded")
	if !strings.Contains(excluded, child) || !strings.Contains(excluded, i18n.T(zh, "exclusion.consent_withdrawn")) {
		t.Errorf("the campaign's exclusion list does not show %s withdrawn:\n%s", child, excluded)
	}

	// The guardian books the first free slot with a topic.
	if st := p.click("#book-link"); st != 200 {
		t.Fatalf("book page: status %d", st)
	}
	if p.count(`#book-form input[name=slot]`) == 0 {
		t.Fatalf("no free slots:\n%s", p.text("main"))
	}
	slotText := p.text(`#book-form label.slot`)
	p.do(chromedp.Click(chromedp.CSS(`#book-form input[name=slot]`), chromedp.NodeVisible))
	topic := "孩子最近不太愿意上学"
	p.setValue("#topic", topic)
	if st := p.click("#book-slot"); st != 200 {
		t.Fatalf("book: status %d:\n%s", st, p.text("main"))
	}
	wantFlash(t, p, zh, "family.booked")
	if got := p.text("#family-bookings .booking-state"); got != i18n.T(zh, "calendar.state_requested") {
		t.Errorf("booking state %q", got)
	}
	p.screenshot("family-booked-phone")

	// The counsellor sees the booking on /calendar (next week) and confirms.
	c := newBrowser(t, srv.URL, 1280, 900)
	c.signInEnrolled("counsellor")
	week := time.Now().In(chinaTime)
	days := (8 - int(week.Weekday())) % 7
	if days == 0 {
		days = 7
	}
	if st := c.open("/calendar?week=" + week.AddDate(0, 0, days).Format("2006-01-02")); st != 200 {
		t.Fatalf("/calendar: status %d", st)
	}
	if got := c.text(".booking .booking-child"); got != child {
		t.Fatalf("the counsellor's calendar shows booking of %q, want %q:\n%s", got, child, c.text("#calendar-days"))
	}
	if got := c.text(".booking .booking-topic"); got != topic {
		t.Errorf("topic %q, want %q", got, topic)
	}
	c.screenshot("family-calendar-counsellor")
	if st := c.click(".booking .confirm-booking"); st != 200 {
		t.Fatalf("confirm: status %d:\n%s", st, c.text("main"))
	}
	wantFlash(t, c, zh, "calendar.booking_confirmed")
	if st := p.open("/family/bookings"); st != 200 {
		t.Fatalf("/family/bookings: status %d", st)
	}
	if got := p.text("#family-bookings .booking-state"); got != i18n.T(zh, "calendar.state_confirmed") {
		t.Errorf("after the counsellor's confirmation the guardian sees %q (slot %q)", got, slotText)
	}
	// Sign out: the portal pages send the guardian back to the sign-in.
	if st := p.click("#family-logout"); st != 200 {
		t.Fatalf("sign out: status %d", st)
	}
	p.open("/family/home")
	p.wantPath("/family")
}
