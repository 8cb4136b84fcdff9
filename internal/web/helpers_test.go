package web_test

import (
	"bytes"
	"html/template"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/apptest"
	"github.com/careloop/careloop/internal/i18n"
	"github.com/careloop/careloop/internal/web"
	"github.com/pquerna/otp/totp"
)

// demoPassword is app.DemoPassword (not imported, so that this package's
// tests do not depend on package app beyond apptest).
const demoPassword = "Careloop-Demo-2026"

func start(t *testing.T) *apptest.Instance {
	t.Helper()
	// The key file goes to an existing folder: on PostgreSQL, serve cannot
	// create it in a data folder that does not exist yet (a bug pinned by
	// internal/app's TestFirstStartCreatesDataFolder), which would
	// otherwise stop every test here from reaching its subject.
	return apptest.Start(t, "--demo", "--seal-key-file", filepath.Join(t.TempDir(), "seal.keys"))
}

// client is a browser-like client: a cookie jar, and redirects are not
// followed, so that every 303 can be checked.
type client struct {
	*http.Client
	t    *testing.T
	base string
}

func newClient(t *testing.T, base string) *client {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &client{Client: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}, t: t, base: base}
}

// do sends a request with headers (pairs of name, value) and returns the
// response with its body read.
func (c *client) do(method, path string, body io.Reader, headers ...string) (*http.Response, string) {
	c.t.Helper()
	req, err := http.NewRequest(method, c.base+path, body)
	if err != nil {
		c.t.Fatal(err)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := c.Do(req)
	if err != nil {
		c.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		c.t.Fatal(err)
	}
	return resp, string(b)
}

func (c *client) get(path string, headers ...string) (*http.Response, string) {
	c.t.Helper()
	return c.do("GET", path, nil, headers...)
}

func (c *client) post(path string, form url.Values, headers ...string) (*http.Response, string) {
	c.t.Helper()
	return c.do("POST", path, strings.NewReader(form.Encode()),
		append([]string{"Content-Type", "application/x-www-form-urlencoded"}, headers...)...)
}

// session returns the session cookie the jar holds for the server, or "".
func (c *client) session() string {
	u, _ := url.Parse(c.base)
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == web.SessionCookie {
			return ck.Value
		}
	}
	return ""
}

func (c *client) signIn(username, password string) *http.Response {
	c.t.Helper()
	resp, _ := c.post("/login", url.Values{"username": {username}, "password": {password}})
	return resp
}

var totpSecret = regexp.MustCompile(`id="totp-secret"[^>]*>([A-Z2-7=]+)<`)

// enrol completes a pending TOTP enrolment and returns the redirect.
func (c *client) enrol() *http.Response {
	c.t.Helper()
	resp, body := c.get("/login/enrol")
	m := totpSecret.FindStringSubmatch(body)
	if resp.StatusCode != http.StatusOK || m == nil {
		c.t.Fatalf("GET /login/enrol: %d, no secret in %.300s", resp.StatusCode, body)
	}
	code, err := totp.GenerateCode(m[1], time.Now())
	if err != nil {
		c.t.Fatal(err)
	}
	resp, body = c.post("/login/enrol", url.Values{"code": {code}})
	if resp.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("POST /login/enrol: %d %.300s", resp.StatusCode, body)
	}
	return resp
}

// signInFully signs in a demo user, enrolling a second factor if needed.
func (c *client) signInFully(username string) {
	c.t.Helper()
	resp := c.signIn(username, demoPassword)
	if resp.StatusCode != http.StatusSeeOther {
		c.t.Fatalf("sign in %s: %d", username, resp.StatusCode)
	}
	if strings.HasPrefix(resp.Header.Get("Location"), "/login/enrol") {
		c.enrol()
	}
	if r, _ := c.get("/"); r.StatusCode != http.StatusOK {
		c.t.Fatalf("%s is not fully signed in: GET / is %d", username, r.StatusCode)
	}
}

// text is the catalog text of key as html/template writes it into a page.
func text(t *testing.T, locale, key string) string {
	t.Helper()
	s := i18n.T(locale, key)
	if s == key {
		t.Fatalf("no catalog text for %q", key)
	}
	var b bytes.Buffer
	if err := template.Must(template.New("").Parse("{{.}}")).Execute(&b, s); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// pathOf turns a route pattern such as "POST /orgs/{id}/rename" into its
// method and a concrete path, with every parameter set to 1.
func pathOf(pattern string) (method, path string) {
	method, path, _ = strings.Cut(pattern, " ")
	path = strings.ReplaceAll(path, "{$}", "")
	return method, regexp.MustCompile(`\{[a-z]+\}`).ReplaceAllString(path, "1")
}
