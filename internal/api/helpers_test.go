package api_test

import (
	"encoding/json"
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
	"github.com/pquerna/otp/totp"
)

const demoPassword = "Careloop-Demo-2026" // app.DemoPassword

// browser signs in through the web pages, as a person would, to create
// personal API tokens on /account/tokens.
type browser struct {
	c    *http.Client
	t    *testing.T
	base string
}

func newBrowser(t *testing.T, base string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

func (b *browser) send(method, path string, form url.Values) (*http.Response, string) {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequest(method, b.base+path, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	resp, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	out, _ := io.ReadAll(resp.Body)
	return resp, string(out)
}

var (
	totpSecret  = regexp.MustCompile(`id="totp-secret"[^>]*>([A-Z2-7=]+)<`)
	tokenSecret = regexp.MustCompile(`id="token-secret"[^>]*>(clt_[^<]+)<`)
)

// signIn signs in a demo user and enrols the second factor when asked.
func (b *browser) signIn(username string) *browser {
	b.t.Helper()
	resp, _ := b.send("POST", "/login", url.Values{"username": {username}, "password": {demoPassword}})
	if resp.StatusCode != http.StatusSeeOther {
		b.t.Fatalf("web sign-in of %s: %d, want 303", username, resp.StatusCode)
	}
	if strings.HasPrefix(resp.Header.Get("Location"), "/login/enrol") {
		_, page := b.send("GET", "/login/enrol", nil)
		m := totpSecret.FindStringSubmatch(page)
		if m == nil {
			b.t.Fatalf("no TOTP secret on the enrolment page of %s", username)
		}
		code, err := totp.GenerateCode(m[1], time.Now())
		if err != nil {
			b.t.Fatal(err)
		}
		if resp, _ := b.send("POST", "/login/enrol", url.Values{"code": {code}}); resp.StatusCode != http.StatusSeeOther {
			b.t.Fatalf("enrolment of %s: %d", username, resp.StatusCode)
		}
	}
	return b
}

// token creates a personal API token with perms and returns its secret.
func (b *browser) token(name string, perms ...string) string {
	b.t.Helper()
	resp, page := b.send("POST", "/account/tokens", url.Values{"name": {name}, "permissions": perms, "days": {"30"}})
	m := tokenSecret.FindStringSubmatch(page)
	if resp.StatusCode != http.StatusOK || m == nil {
		b.t.Fatalf("create token %s: %d, no secret", name, resp.StatusCode)
	}
	return m[1]
}

// revoke revokes the caller's token called name.
func (b *browser) revoke(name string) {
	b.t.Helper()
	_, page := b.send("GET", "/account/tokens", nil)
	m := regexp.MustCompile(`<td>` + regexp.QuoteMeta(name) + `</td>(?s:.*?)/account/tokens/(\d+)/revoke`).FindStringSubmatch(page)
	if m == nil {
		b.t.Fatalf("token %s not listed", name)
	}
	if resp, _ := b.send("POST", "/account/tokens/"+m[1]+"/revoke", url.Values{}); resp.StatusCode != http.StatusOK {
		b.t.Fatalf("revoke %s: %d", name, resp.StatusCode)
	}
}

// result is an API response.
type result struct {
	status int
	header http.Header
	body   string
}

func (r result) decode(t *testing.T, v any) {
	t.Helper()
	if err := json.Unmarshal([]byte(r.body), v); err != nil {
		t.Fatalf("decode %d %.200s: %v", r.status, r.body, err)
	}
}

// apiError is the error shape of every failing API response.
type apiError struct {
	Error struct {
		Code    string            `json:"code"`
		Key     string            `json:"key"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields"`
	} `json:"error"`
}

// call sends an API request with an optional token and raw body.
func call(t *testing.T, base, method, path, token, body string, headers ...string) result {
	t.Helper()
	var rd io.Reader
	if body != "" {
		rd = strings.NewReader(body)
	}
	req, err := http.NewRequest(method, base+path, rd)
	if err != nil {
		t.Fatal(err)
	}
	if body != "" {
		req.Header.Set("Content-Type", "application/json")
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return result{status: resp.StatusCode, header: resp.Header, body: string(b)}
}

// unit is the part of an OrgUnit the tests read.
type unit struct {
	ID       int64  `json:"id"`
	Kind     string `json:"kind"`
	Name     string `json:"name"`
	NameEn   string `json:"name_en"`
	ParentID int64  `json:"parent_id"`
}

func units(t *testing.T, base, token, query string) []unit {
	t.Helper()
	r := call(t, base, "GET", "/api/v1/orgs"+query, token, "")
	if r.status != http.StatusOK {
		t.Fatalf("GET /api/v1/orgs%s: %d %s", query, r.status, r.body)
	}
	var out []unit
	r.decode(t, &out)
	return out
}

func byNameEn(t *testing.T, us []unit, name string) unit {
	t.Helper()
	for _, u := range us {
		if u.NameEn == name {
			return u
		}
	}
	t.Fatalf("no unit %q", name)
	return unit{}
}

func start(t *testing.T) *apptest.Instance {
	t.Helper()
	// The key file goes to an existing folder: on PostgreSQL, serve cannot
	// create it in a data folder that does not exist yet (a bug pinned by
	// internal/app's TestFirstStartCreatesDataFolder), which would
	// otherwise stop every test here from reaching its subject.
	return apptest.Start(t, "--demo", "--seal-key-file", filepath.Join(t.TempDir(), "seal.keys"))
}
