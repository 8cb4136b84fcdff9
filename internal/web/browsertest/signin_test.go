package browsertest

import (
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/app"
	"github.com/careloop/careloop/internal/i18n"
)

const zh = "zh-CN"

// wantNav checks which navigation entries the page shows.
func wantNav(t *testing.T, b *browser, present, absent []string) {
	t.Helper()
	for _, id := range present {
		if !b.present("#nav-" + id) {
			t.Errorf("nav: #nav-%s missing on %s", id, b.path())
		}
	}
	for _, id := range absent {
		if b.present("#nav-" + id) {
			t.Errorf("nav: #nav-%s shown on %s, but the role may not use it", id, b.path())
		}
	}
}

func TestSignInWithSecondFactor(t *testing.T) {
	srv := startDemo(t)
	b := newBrowser(t, srv.URL, 1280, 900)

	if st := b.open("/login"); st != 200 {
		t.Fatalf("GET /login: status %d", st)
	}
	if got := b.attr("html", "lang"); got != zh {
		t.Errorf("login page: html lang=%q, want %q (the default language)", got, zh)
	}
	if got, want := b.text("h1"), i18n.T(zh, "signin.title"); got != want {
		t.Errorf("login page h1 = %q, want %q", got, want)
	}

	if st := b.signIn("counsellor", app.DemoPassword); st != 200 {
		t.Errorf("enrol page: status %d, want 200", st)
	}
	b.wantPath("/login/enrol")
	if got, want := b.text("h1"), i18n.T(zh, "totp.enrol_title"); got != want {
		t.Errorf("enrol page h1 = %q, want %q", got, want)
	}
	secret := b.text("#totp-secret")
	if len(secret) < 16 || strings.Trim(secret, "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567=") != "" {
		t.Errorf("#totp-secret = %q, want a base32 secret", secret)
	}
	var qrLoaded bool
	b.eval(`(() => { const i = document.querySelector("img.qr"); return !!i && i.complete && i.naturalWidth > 0; })()`, &qrLoaded)
	if !qrLoaded {
		t.Errorf("enrol page: the QR code image did not load (src %.40q)", b.attr("img.qr", "src"))
	}
	if b.present("#nav-home") {
		t.Error("enrol page shows the navigation before the second factor is set up")
	}
	b.screenshot("enrol")

	b.fill("#code", code(t, secret, time.Now()))
	if st := b.click("#verify"); st != 200 {
		t.Errorf("after enrolment: status %d, want 200", st)
	}
	b.wantPath("/")
	if got := b.text("h1"); !strings.Contains(got, "刘老师") {
		t.Errorf("home h1 = %q, want the welcome with the display name", got)
	}
	if got, want := b.text("#my-roles"), i18n.T(zh, "role.school_counsellor"); !strings.Contains(got, want) || !strings.Contains(got, "玄武实验小学") {
		t.Errorf("#my-roles = %q, want %q at 玄武实验小学", got, want)
	}
	wantNav(t, b, []string{"home", "network", "account"}, []string{"users", "audit", "roles"})
	if got, want := b.text("#nav-home"), i18n.T(zh, "nav.home"); got != want {
		t.Errorf("#nav-home = %q, want %q", got, want)
	}
	if got := b.attr("#nav-home", "aria-current"); got != "page" {
		t.Errorf("#nav-home aria-current = %q on the home page, want \"page\"", got)
	}
	b.screenshot("home-counsellor")

	// Signed in: the sign-in page sends the user home.
	b.open("/login")
	b.wantPath("/")
}

// wrongCode returns a six-digit code that the server will not accept now.
func wrongCode(t *testing.T, secret string) string {
	now := time.Now()
	valid := map[string]bool{}
	for _, d := range []time.Duration{-60, -30, 0, 30, 60} {
		valid[code(t, secret, now.Add(d*time.Second))] = true
	}
	for _, c := range []string{"000000", "111111", "222222", "333333", "444444", "555555"} {
		if !valid[c] {
			return c
		}
	}
	t.Fatal("no wrong code found")
	return ""
}

func TestWrongSecondFactorIsRefused(t *testing.T) {
	srv := startDemo(t)
	b := newBrowser(t, srv.URL, 1280, 900)

	b.signIn("xuanwu.coord", app.DemoPassword)
	b.wantPath("/login/enrol")
	secret := b.text("#totp-secret")

	b.fill("#code", wrongCode(t, secret))
	if st := b.click("#verify"); st != 401 {
		t.Errorf("wrong code: status %d, want 401", st)
	}
	b.wantPath("/login/enrol")
	if !b.visible("#form-error") {
		t.Fatal("wrong code: no #form-error shown")
	}
	if got, want := b.text("#form-error"), i18n.T(zh, "totp.bad_code"); got != want {
		t.Errorf("#form-error = %q, want %q", got, want)
	}
	if got := b.text("#totp-secret"); got != secret {
		t.Errorf("after a wrong code the secret changed from %q to %q", secret, got)
	}
	if got := b.attr("#code", "value"); got != "" {
		t.Errorf("the wrong code is kept in the field: %q", got)
	}

	// Not signed in: the home page sends the browser to the sign-in page.
	b.open("/")
	b.wantPath("/login")
	if !b.present("#login-form") || b.present("#nav-home") {
		t.Errorf("GET / after a wrong code shows a signed-in page:\n%s", b.text("body"))
	}

	// The enrolment is still pending and the right code completes it.
	b.open("/login/enrol")
	b.wantPath("/login/enrol")
	if got := b.text("#totp-secret"); got != secret {
		t.Errorf("enrol page shows a new secret %q, want the pending %q", got, secret)
	}
	b.fill("#code", code(t, secret, time.Now()))
	b.click("#verify")
	b.wantPath("/")
	if got := b.text("h1"); !strings.Contains(got, "周指导") {
		t.Errorf("home h1 = %q, want the coordinator's name", got)
	}
	wantNav(t, b, []string{"home", "network", "users", "account"}, []string{"audit", "roles"})
}

func TestBadPasswordMessage(t *testing.T) {
	srv := startDemo(t)
	b := newBrowser(t, srv.URL, 1280, 900)
	want := i18n.T(zh, "signin.bad_credentials")

	for _, tc := range []struct{ name, username, password string }{
		{"wrong password", "counsellor", "Not-The-Password-1"},
		{"unknown user", "nobody.here", "Not-The-Password-1"},
		{"unknown user, demo password", "ghost.user", app.DemoPassword},
	} {
		b.open("/login")
		if st := b.signIn(tc.username, tc.password); st != 401 {
			t.Errorf("%s: status %d, want 401", tc.name, st)
		}
		b.wantPath("/login")
		if !b.visible("#form-error") {
			t.Fatalf("%s: no #form-error; page:\n%s", tc.name, b.text("body"))
		}
		if got := b.text("#form-error"); got != want {
			t.Errorf("%s: #form-error = %q, want %q", tc.name, got, want)
		}
		if got := b.attr("html", "lang"); got != zh {
			t.Errorf("%s: html lang = %q, want %q", tc.name, got, zh)
		}
		var user, pass string
		b.eval(`document.querySelector("#username").value`, &user)
		b.eval(`document.querySelector("#password").value`, &pass)
		if user != tc.username || pass != "" {
			t.Errorf("%s: form after failure has username %q, password %q; want the username kept, the password empty",
				tc.name, user, pass)
		}
	}
}
