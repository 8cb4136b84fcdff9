package browsertest

import (
	"testing"

	"github.com/chromedp/chromedp"

	"github.com/careloop/careloop/internal/app"
)

const phoneWidth, phoneHeight = 390, 844

// noSideScroll fails when the page is wider than the phone's screen, and
// names the widest elements that stick out.
func noSideScroll(t *testing.T, b *browser) {
	t.Helper()
	var width int
	b.eval(`document.documentElement.scrollWidth`, &width)
	if width <= phoneWidth {
		return
	}
	var wide []string
	b.eval(`[...document.querySelectorAll("body *")].filter(e => e.getBoundingClientRect().right > `+
		`document.documentElement.clientWidth + 0.5).slice(0, 8).map(e => e.tagName.toLowerCase() + `+
		`(e.id ? "#" + e.id : "") + (e.className ? "." + String(e.className).replace(/ /g, ".") : "") + `+
		`" right=" + Math.round(e.getBoundingClientRect().right))`, &wide)
	t.Errorf("%s scrolls sideways on a %dpx phone: scrollWidth %d; elements past the edge: %v",
		b.path(), phoneWidth, width, wide)
}

func TestPhoneLayout(t *testing.T) {
	srv := startDemo(t)
	b := newBrowser(t, srv.URL, phoneWidth, phoneHeight)
	b.do(chromedp.EmulateViewport(phoneWidth, phoneHeight, chromedp.EmulatePortrait, chromedp.EmulateMobile,
		chromedp.EmulateTouch, chromedp.EmulateScale(2)))

	b.open("/login")
	var inner int
	b.eval(`window.innerWidth`, &inner)
	if inner != phoneWidth {
		t.Fatalf("window.innerWidth = %d, want the emulated %d", inner, phoneWidth)
	}
	noSideScroll(t, b)
	b.screenshot("login-phone")

	b.signIn("researcher", app.DemoPassword)
	b.wantPath("/")
	if !b.visible("label.nav-button") {
		t.Error("phone: the menu button (label.nav-button) is not visible")
	}
	if b.visible("#menu") {
		t.Error("phone: #menu is visible before the menu button is pressed")
	}
	if b.visible("#nav-home") {
		t.Error("phone: #nav-home is visible before the menu button is pressed")
	}
	noSideScroll(t, b)
	b.screenshot("home-phone")

	b.do(chromedp.Click(chromedp.CSS("label.nav-button"), chromedp.NodeVisible))
	if !b.visible("#menu") || !b.visible("#nav-home") || !b.visible("#nav-account") {
		t.Fatal("phone: the menu does not open when the menu button is pressed")
	}
	var checked bool
	b.eval(`document.querySelector("#nav-toggle").checked`, &checked)
	if !checked {
		t.Error("phone: the menu is open but #nav-toggle is not checked")
	}
	noSideScroll(t, b)
	b.screenshot("home-phone-menu")

	// Pressing the button again closes the menu; a third press opens it.
	b.do(chromedp.Click(chromedp.CSS("label.nav-button"), chromedp.NodeVisible))
	if b.visible("#menu") {
		t.Error("phone: the menu does not close when the menu button is pressed again")
	}
	b.do(chromedp.Click(chromedp.CSS("label.nav-button"), chromedp.NodeVisible))

	// The menu's links work, and the menu is closed on the next page.
	if st := b.click("#nav-account"); st != 200 {
		t.Fatalf("phone: following #nav-account gives status %d:\n%s", st, b.text("body"))
	}
	b.wantPath("/account")
	if b.visible("#menu") {
		t.Error("phone: the menu stays open after following one of its links")
	}
	noSideScroll(t, b)
}

// TestDesktopShowsNavigation checks the other side of the breakpoint: on a
// wide window the menu is shown and the menu button is not.
func TestDesktopShowsNavigation(t *testing.T) {
	srv := startDemo(t)
	b := newBrowser(t, srv.URL, 1280, 900)
	b.signIn("researcher", app.DemoPassword)
	b.wantPath("/")
	if b.visible("label.nav-button") {
		t.Error("desktop: the menu button is visible")
	}
	if !b.visible("#nav-home") || !b.visible("#nav-account") {
		t.Error("desktop: the navigation is hidden")
	}
	wantNav(t, b, []string{"home", "account"}, []string{"network", "users", "roles", "audit"})
}
