package browsertest

import (
	"testing"

	"github.com/careloop/careloop/internal/app"
	"github.com/careloop/careloop/internal/i18n"
)

// hanOutside returns the Chinese text of the page outside the elements
// matching except (names that are data, and the language switch itself).
func hanOutside(b *browser, except string) string {
	var s string
	b.eval(`(() => { const c = document.body.cloneNode(true);
		c.querySelectorAll(`+jsString(except)+`).forEach(e => e.remove());
		document.body.appendChild(c); c.hidden = false;
		const text = c.innerText; c.remove();
		return (text.match(/[\p{Script=Han}\u3000-\u303f\uff00-\uffef]+/gu) || []).join(" "); })()`, &s)
	return s
}

func TestLanguageSwitch(t *testing.T) {
	srv := startDemo(t)
	b := newBrowser(t, srv.URL, 1280, 900)

	b.open("/login")
	if got := b.attr("html", "lang"); got != zh {
		t.Errorf("login page: html lang=%q, want %q", got, zh)
	}
	if got, want := b.text("h1"), i18n.T(zh, "signin.title"); got != want {
		t.Errorf("login page h1 = %q, want %q", got, want)
	}
	if got := b.text("#lang-switch"); got != "English" {
		t.Errorf("#lang-switch = %q, want \"English\"", got)
	}
	b.screenshot("login-zh")

	// To English, on the sign-in page.
	if st := b.click("#lang-switch"); st != 200 {
		t.Errorf("after the language switch: status %d", st)
	}
	b.wantPath("/login")
	if got := b.attr("html", "lang"); got != "en" {
		t.Errorf("after the switch: html lang=%q, want \"en\"", got)
	}
	if got := b.text("h1"); got != "Sign in" {
		t.Errorf("after the switch: h1 = %q, want \"Sign in\"", got)
	}
	if got := b.text("label[for=username]"); got != "Username" {
		t.Errorf("username label = %q, want \"Username\"", got)
	}
	if got := b.text("#lang-switch"); got != "中文" {
		t.Errorf("#lang-switch = %q, want \"中文\"", got)
	}
	if han := hanOutside(b, "#lang-switch"); han != "" {
		t.Errorf("English sign-in page still shows Chinese text: %q", han)
	}
	b.screenshot("login-en")

	// Signing in keeps the language chosen on the sign-in page.
	b.signIn("researcher", app.DemoPassword)
	b.wantPath("/")
	if got := b.attr("html", "lang"); got != "en" {
		t.Errorf("after signing in: html lang=%q, want \"en\" (chosen on the sign-in page); nav-home reads %q",
			got, b.text("#nav-home"))
		// Go on with the rest of the test in English.
		if b.text("#lang-switch") == "English" {
			b.click("#lang-switch")
		}
	}
	if got := b.text("#nav-home"); got != "Home" {
		t.Errorf("English home: #nav-home = %q, want \"Home\"", got)
	}
	if han := hanOutside(b, "#lang-switch, .who, h1"); han != "" {
		t.Errorf("English home page still shows Chinese text: %q", han)
	}

	// Back to Chinese, signed in.
	b.click("#lang-switch")
	b.wantPath("/")
	if got := b.attr("html", "lang"); got != zh {
		t.Errorf("after switching back: html lang=%q, want %q", got, zh)
	}
	if got := b.text("#nav-home"); got != "首页" {
		t.Errorf("after switching back: #nav-home = %q, want \"首页\"", got)
	}
	if got := b.text("#lang-switch"); got != "English" {
		t.Errorf("after switching back: #lang-switch = %q, want \"English\"", got)
	}

	// The choice is stored on the account: it survives a new page load.
	b.open("/account")
	if got := b.attr("html", "lang"); got != zh {
		t.Errorf("/account after switching back: html lang=%q, want %q", got, zh)
	}
}
