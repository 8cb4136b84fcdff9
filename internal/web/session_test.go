package web_test

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/web"
	"github.com/pquerna/otp/totp"
)

// sessionSetCookie returns the Set-Cookie of the session cookie in resp.
func sessionSetCookie(t *testing.T, resp *http.Response) *http.Cookie {
	t.Helper()
	for _, c := range resp.Cookies() {
		if c.Name == web.SessionCookie {
			return c
		}
	}
	t.Fatalf("%d response sets no %s cookie", resp.StatusCode, web.SessionCookie)
	return nil
}

func TestSignInWithoutSecondFactor(t *testing.T) {
	inst := start(t)
	c := newClient(t, inst.URL)

	resp := c.signIn("researcher", demoPassword)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Fatalf("sign in: %d Location %q, want 303 to /", resp.StatusCode, resp.Header.Get("Location"))
	}
	ck := sessionSetCookie(t, resp)
	if !ck.HttpOnly || ck.SameSite != http.SameSiteLaxMode || ck.Path != "/" || ck.Value == "" {
		t.Errorf("session cookie %q: HttpOnly=%v SameSite=%v Path=%q", ck.Name, ck.HttpOnly, ck.SameSite, ck.Path)
	}
	if ck.Secure {
		t.Error("Secure cookie without --secure-cookies: the demo on plain http could not sign in")
	}
	first := ck.Value
	resp, body := c.get("/")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "徐研究 (Researcher)") {
		t.Fatalf("GET / after sign-in: %d", resp.StatusCode)
	}
	if resp, _ := c.get("/login"); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/" {
		t.Errorf("GET /login while signed in: %d %q, want 303 to /", resp.StatusCode, resp.Header.Get("Location"))
	}

	// Each sign-in issues a new token (no session fixation).
	resp = c.signIn("researcher", demoPassword)
	second := sessionSetCookie(t, resp).Value
	if second == first || second == "" {
		t.Errorf("session token did not change on a new sign-in")
	}

	// After sign-out the old cookie no longer works.
	resp, _ = c.post("/logout", nil)
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
		t.Errorf("logout: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if ck := sessionSetCookie(t, resp); ck.Value != "" || ck.MaxAge >= 0 {
		t.Errorf("logout did not clear the cookie: %+v", ck)
	}
	replay := newClient(t, inst.URL)
	resp, _ = replay.get("/", "Cookie", web.SessionCookie+"="+second)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login") {
		t.Errorf("signed-out token still works: GET / is %d", resp.StatusCode)
	}
	resp, _ = replay.do("POST", "/account/password", nil, "Cookie", web.SessionCookie+"="+second)
	if resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("signed-out token on POST: %d, want 401", resp.StatusCode)
	}
}

func TestSignInRedirectStaysOnSite(t *testing.T) {
	inst := start(t)
	for _, tc := range []struct{ next, want string }{
		{"/account", "/account"},
		{"//evil.example/x", "/"},
		{`/\evil.example`, "/"},
		{"https://evil.example/", "/"},
		{"", "/"},
	} {
		c := newClient(t, inst.URL)
		resp, _ := c.post("/login", url.Values{"username": {"researcher"}, "password": {demoPassword}, "next": {tc.next}})
		if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != tc.want {
			t.Errorf("next=%q: %d Location %q, want %q", tc.next, resp.StatusCode, resp.Header.Get("Location"), tc.want)
		}
	}
	c := newClient(t, inst.URL)
	resp, body := c.post("/login", url.Values{"username": {"auditor"}, "password": {"wrong-password-1A"}})
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, text(t, "zh-CN", "signin.bad_credentials")) {
		t.Errorf("wrong password: %d", resp.StatusCode)
	}
	if strings.Contains(body, "wrong-password-1A") {
		t.Error("the sign-in form echoes the password")
	}
}

func TestSecondFactorIsRequiredBeforeAnyPage(t *testing.T) {
	inst := start(t)
	c := newClient(t, inst.URL)
	resp := c.signIn("counsellor", demoPassword)
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login/enrol") {
		t.Fatalf("counsellor sign-in: %d Location %q, want 303 to /login/enrol", resp.StatusCode, resp.Header.Get("Location"))
	}
	pending := sessionSetCookie(t, resp).Value
	for _, p := range []string{"/", "/account", "/orgs", "/orgs/1"} {
		if resp, _ := c.get(p); resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(resp.Header.Get("Location"), "/login?") {
			t.Errorf("GET %s before the second factor: %d %q, want 303 to /login", p, resp.StatusCode, resp.Header.Get("Location"))
		}
	}
	if resp, _ := c.post("/account/password", url.Values{"old_password": {demoPassword}}); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("POST before the second factor: %d, want 401", resp.StatusCode)
	}
	if resp, _ := c.get("/login/second-factor"); resp.StatusCode != http.StatusOK {
		t.Errorf("second-factor form: %d", resp.StatusCode)
	}

	resp, body := c.get("/login/enrol")
	m := totpSecret.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("enrol form: %d, no secret", resp.StatusCode)
	}
	code, _ := totp.GenerateCode(m[1], time.Now())
	wrong := fmt.Sprintf("%06d", (atoi(code)+500000)%1000000)
	resp, body = c.post("/login/enrol", url.Values{"code": {wrong}})
	if resp.StatusCode != http.StatusUnauthorized || !strings.Contains(body, text(t, "zh-CN", "totp.bad_code")) {
		t.Errorf("wrong code: %d, want 401 with totp.bad_code", resp.StatusCode)
	}
	if resp, _ := c.get("/"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("GET / after a wrong code: %d, want 303", resp.StatusCode)
	}
	resp, _ = c.post("/login/enrol", url.Values{"code": {code}, "next": {"/account/password"}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/account/password" {
		t.Fatalf("right code: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	if full := sessionSetCookie(t, resp).Value; full == pending || full == "" {
		t.Error("the session token did not rotate after the second factor")
	}
	if resp, body := c.get("/"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "刘老师") {
		t.Errorf("GET / after the second factor: %d", resp.StatusCode)
	}
	old := newClient(t, inst.URL)
	if resp, _ := old.get("/", "Cookie", web.SessionCookie+"="+pending); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("the first-stage token still opens pages: %d", resp.StatusCode)
	}
}

func atoi(s string) int {
	n := 0
	for _, r := range s {
		n = n*10 + int(r-'0')
	}
	return n
}

func TestSignInRateLimit(t *testing.T) {
	inst := start(t)
	c := newClient(t, inst.URL)
	// Distinct unknown usernames, so that only the per-address limit (a
	// burst of 10) applies, not the per-username one or the lockout.
	for i := 1; i <= 10; i++ {
		resp, _ := c.post("/login", url.Values{"username": {fmt.Sprintf("nobody%d", i)}, "password": {"Wrong-Password-99"}})
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("attempt %d: %d, want 401", i, resp.StatusCode)
		}
	}
	resp, body := c.post("/login", url.Values{"username": {"researcher"}, "password": {demoPassword}})
	if resp.StatusCode != http.StatusTooManyRequests || !strings.Contains(body, text(t, "zh-CN", "signin.too_many")) {
		t.Fatalf("11th attempt: %d, want 429 with signin.too_many", resp.StatusCode)
	}
	if c.session() != "" {
		t.Error("a rate-limited sign-in with the right password set a session")
	}
}
