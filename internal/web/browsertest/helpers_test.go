// Package browsertest drives the real careloop server with headless
// Chromium (chromedp). The tests run only when CARELOOP_BROWSER=1, so that
// `go test ./...` stays fast; CI sets it.
package browsertest

import (
	"context"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/pquerna/otp/totp"

	"github.com/careloop/careloop/internal/app"
	"github.com/careloop/careloop/internal/apptest"
)

// chromiumPath is the browser the tests drive (CARELOOP_CHROMIUM overrides).
func chromiumPath() string {
	if p := os.Getenv("CARELOOP_CHROMIUM"); p != "" {
		return p
	}
	return "/usr/bin/chromium"
}

// screenshotDir receives the screenshots (gitignored).
const screenshotDir = "testdata/screenshots"

// stepTimeout bounds one browser step (a navigation, a click, a read).
const stepTimeout = 30 * time.Second

// startDemo skips unless CARELOOP_BROWSER=1, then starts a server with the
// demo network on a fresh database.
func startDemo(t *testing.T) *apptest.Instance {
	t.Helper()
	if os.Getenv("CARELOOP_BROWSER") != "1" {
		t.Skip("browser test: set CARELOOP_BROWSER=1 to run it (needs Chromium at " + chromiumPath() + ")")
	}
	return apptest.Start(t, "--demo")
}

// browser is one Chromium tab (with its own profile) on one server.
type browser struct {
	t    *testing.T
	ctx  context.Context
	base string

	mu       sync.Mutex
	jsErrors []string
}

// newBrowser starts a headless Chromium with a fresh profile and a window of
// width x height. Its language is zh-CN, like the browsers of the service's
// users, so the sign-in pages come in Chinese unless a test switches.
func newBrowser(t *testing.T, base string, width, height int) *browser {
	t.Helper()
	opts := []chromedp.ExecAllocatorOption{
		chromedp.ExecPath(chromiumPath()),
		chromedp.Headless,
		chromedp.NoFirstRun,
		chromedp.NoDefaultBrowserCheck,
		chromedp.Flag("no-sandbox", true),
		chromedp.Flag("disable-gpu", true),
		chromedp.Flag("disable-background-networking", true),
		chromedp.Flag("disable-component-update", true),
		chromedp.Flag("disable-sync", true),
		chromedp.Flag("disable-quic", true),
		chromedp.Flag("disable-dev-shm-usage", true),
		chromedp.Flag("disable-extensions", true),
		chromedp.Flag("disable-features", "Translate"),
		chromedp.Flag("password-store", "basic"),
		chromedp.Flag("lang", "zh-CN"),
		chromedp.Flag("accept-lang", "zh-CN,zh"),
		chromedp.WindowSize(width, height),
		chromedp.UserDataDir(t.TempDir()),
	}
	actx, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	b := &browser{t: t, base: base}
	ctx, cancel := chromedp.NewContext(actx, chromedp.WithListener(b.onEvent))
	t.Cleanup(func() {
		cancel()
		cancelAlloc()
	})
	if err := chromedp.Do(ctx); err != nil {
		t.Fatalf("start chromium (%s): %v", chromiumPath(), err)
	}
	b.ctx = ctx
	// Script errors on any page fail the test: the pages must work.
	t.Cleanup(func() {
		b.mu.Lock()
		defer b.mu.Unlock()
		for _, e := range b.jsErrors {
			t.Errorf("javascript error in the page: %s", e)
		}
	})
	return b
}

func (b *browser) onEvent(ev any) {
	var msg string
	switch e := ev.(type) {
	case *runtime.EventExceptionThrown:
		msg = e.ExceptionDetails.Text
		if e.ExceptionDetails.Exception != nil {
			msg += " " + e.ExceptionDetails.Exception.Description
		}
	case *runtime.EventConsoleAPICalled:
		if e.Type != runtime.ConsoleAPICalledTypeError {
			return
		}
		var parts []string
		for _, a := range e.Args {
			parts = append(parts, string(a.Value)+a.Description)
		}
		msg = "console.error: " + strings.Join(parts, " ")
	default:
		return
	}
	b.mu.Lock()
	b.jsErrors = append(b.jsErrors, msg)
	b.mu.Unlock()
}

// do runs steps, failing the test on error.
func (b *browser) do(steps ...chromedp.Action[chromedp.Void]) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		b.t.Fatalf("browser step failed at %s: %v", b.path(), err)
	}
}

// open navigates to path (on the server) and returns the HTTP status of the
// page finally shown.
func (b *browser) open(path string) int64 {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.Run(ctx, chromedp.NavigateResponse(b.base+path))
	if err != nil {
		b.t.Fatalf("open %s: %v", path, err)
	}
	b.noRawKeys()
	return resp.Status
}

// click clicks sel, waits for the page it loads and returns its status.
func (b *browser) click(sel string) int64 {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
	if err != nil {
		b.t.Fatalf("click %s on %s: %v", sel, b.path(), err)
	}
	b.noRawKeys()
	return resp.Status
}

// fill types value into the (emptied) field sel.
func (b *browser) fill(sel, value string) {
	b.t.Helper()
	b.do(chromedp.Clear(chromedp.CSS(sel)), chromedp.SendKeys(chromedp.CSS(sel), value))
}

// path returns the path and query of the current page.
func (b *browser) path() string {
	ctx, cancel := context.WithTimeout(b.ctx, 5*time.Second)
	defer cancel()
	href, err := chromedp.Run(ctx, chromedp.Location())
	if err != nil {
		return "(unknown location: " + err.Error() + ")"
	}
	u, err := url.Parse(href)
	if err != nil {
		return href
	}
	return u.RequestURI()
}

// signIn submits the sign-in form and returns the status of the next page.
func (b *browser) signIn(username, password string) int64 {
	b.t.Helper()
	if !strings.HasPrefix(b.path(), "/login") || !b.present("#login-form") {
		b.open("/login")
	}
	b.fill("#username", username)
	b.fill("#password", password)
	return b.click("#signin")
}

// enrol completes the second-factor enrolment page with a fresh code.
func (b *browser) enrol() {
	b.t.Helper()
	b.wantPath("/login/enrol")
	secret := b.text("#totp-secret")
	if secret == "" {
		b.t.Fatal("enrol page shows no #totp-secret")
	}
	b.fill("#code", code(b.t, secret, time.Now()))
	b.click("#verify")
}

// signInEnrolled signs a demo user in whose role needs a second factor,
// enrols it and checks that the home page follows.
func (b *browser) signInEnrolled(username string) {
	b.t.Helper()
	b.signIn(username, app.DemoPassword)
	b.enrol()
	b.wantPath("/")
}

// code returns the TOTP code of secret at t.
func code(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatalf("totp code: %v", err)
	}
	return c
}

// screenshot saves a full-page PNG as testdata/screenshots/name.png.
func (b *browser) screenshot(name string) {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	png, err := chromedp.Run(ctx, chromedp.FullScreenshot(100))
	if err != nil {
		b.t.Fatalf("screenshot %s: %v", name, err)
	}
	if err := os.MkdirAll(screenshotDir, 0o755); err != nil {
		b.t.Fatal(err)
	}
	p := filepath.Join(screenshotDir, name+".png")
	if err := os.WriteFile(p, png, 0o644); err != nil {
		b.t.Fatal(err)
	}
	b.t.Logf("screenshot: %s", p)
}
