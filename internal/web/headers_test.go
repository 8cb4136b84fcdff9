package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

func TestCrossOriginPostIsRefused(t *testing.T) {
	inst := start(t)
	good := url.Values{"username": {"researcher"}, "password": {demoPassword}}
	for _, tc := range []struct {
		name    string
		headers []string
		status  int
		key     string // i18n key whose text the page shows
		locale  string
	}{
		{"sec-fetch-site cross-site", []string{"Sec-Fetch-Site", "cross-site"}, 403, "error.cross_origin", "zh-CN"},
		{"foreign origin", []string{"Origin", "http://evil.example"}, 403, "error.cross_origin", "zh-CN"},
		{"foreign origin in English", []string{"Origin", "http://evil.example", "Accept-Language", "en"}, 403, "error.cross_origin", "en"},
		{"same-site is not same-origin", []string{"Sec-Fetch-Site", "same-site"}, 403, "error.cross_origin", "zh-CN"},
		{"same origin", []string{"Sec-Fetch-Site", "same-origin", "Origin", inst.URL}, 303, "", ""},
		{"no browser headers", nil, 303, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, inst.URL)
			resp, body := c.post("/login", good, tc.headers...)
			if resp.StatusCode != tc.status {
				t.Fatalf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.key != "" {
				if !strings.Contains(body, text(t, tc.locale, tc.key)) || !strings.Contains(body, `lang="`+tc.locale+`"`) {
					t.Errorf("page lacks the %s text of %s: %.400s", tc.locale, tc.key, body)
				}
				if c.session() != "" {
					t.Error("a refused cross-origin sign-in still set a session")
				}
			}
		})
	}
}

func TestSecureHeadersOnEveryResponse(t *testing.T) {
	inst := start(t)
	c := newClient(t, inst.URL)
	for _, tc := range []struct {
		method, path string
		headers      []string
		status       int
	}{
		{"GET", "/login", nil, 200},
		{"GET", "/", nil, 303},
		{"GET", "/no/such/page", nil, 404},
		{"GET", "/static/app.css", nil, 200},
		{"GET", "/healthz", nil, 200},
		{"GET", "/readyz", nil, 200},
		{"GET", "/metrics", nil, 200},
		{"GET", "/api/v1/openapi.json", nil, 200},
		{"GET", "/api/v1/me", nil, 401},
		{"GET", "/api/v1/nothing", nil, 404},
		{"POST", "/login", []string{"Origin", "http://evil.example"}, 403},
		{"POST", "/orgs/1/rename", nil, 401},
	} {
		resp, body := c.do(tc.method, tc.path, nil, tc.headers...)
		name := tc.method + " " + tc.path
		if resp.StatusCode != tc.status {
			t.Errorf("%s: status %d, want %d", name, resp.StatusCode, tc.status)
		}
		h := resp.Header
		csp := h.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") || strings.Contains(csp, "unsafe-eval") {
			t.Errorf("%s: CSP %q", name, csp)
		}
		if h.Get("X-Frame-Options") != "DENY" || h.Get("X-Content-Type-Options") != "nosniff" {
			t.Errorf("%s: X-Frame-Options %q, X-Content-Type-Options %q", name, h.Get("X-Frame-Options"), h.Get("X-Content-Type-Options"))
		}
		if h.Get("Strict-Transport-Security") != "" {
			t.Errorf("%s: HSTS sent without --secure-cookies", name)
		}
		if h.Get("X-Request-Id") == "" {
			t.Errorf("%s: no X-Request-Id", name)
		}
		// The CSP forbids inline script and style, so pages must not use them.
		if strings.Contains(h.Get("Content-Type"), "text/html") {
			if regexp.MustCompile(`<script(?:\s[^>]*)?>\s*[^<\s]`).MatchString(body) ||
				regexp.MustCompile(`\s(?:on[a-z]+|style)=`).MatchString(body) || strings.Contains(body, "<style") {
				t.Errorf("%s: page has inline script or style the CSP would block", name)
			}
		}
	}
}

func TestErrorPagesAreTranslated(t *testing.T) {
	inst := start(t)
	for _, tc := range []struct {
		name    string
		headers []string
		cookie  string // language cookie value
		locale  string
	}{
		{"default is Chinese", nil, "", "zh-CN"},
		{"Accept-Language en", []string{"Accept-Language", "en"}, "", "en"},
		{"Accept-Language en-GB with weights", []string{"Accept-Language", "en-GB,en;q=0.9,zh;q=0.5"}, "", "en"},
		{"unsupported language falls back", []string{"Accept-Language", "fr"}, "", "zh-CN"},
		{"language cookie beats the header", []string{"Accept-Language", "zh-CN"}, "en", "en"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := newClient(t, inst.URL)
			if tc.cookie != "" {
				resp, _ := c.post("/language", url.Values{"lang": {tc.cookie}, "back": {"/login"}})
				if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/login" {
					t.Fatalf("POST /language: %d %s", resp.StatusCode, resp.Header.Get("Location"))
				}
			}
			resp, body := c.get("/no/such/page", tc.headers...)
			if resp.StatusCode != http.StatusNotFound {
				t.Fatalf("status %d, want 404", resp.StatusCode)
			}
			for _, key := range []string{"error.not_found", "error.title", "error.back_home"} {
				if !strings.Contains(body, text(t, tc.locale, key)) {
					t.Errorf("404 page lacks the %s text of %s", tc.locale, key)
				}
			}
			other := map[string]string{"en": "zh-CN", "zh-CN": "en"}[tc.locale]
			if strings.Contains(body, text(t, other, "error.not_found")) {
				t.Errorf("404 page also has the %s text", other)
			}
			if !strings.Contains(body, `<html lang="`+tc.locale+`">`) {
				t.Errorf("html lang is not %s", tc.locale)
			}
		})
	}
	c := newClient(t, inst.URL)
	if resp, body := c.post("/language", url.Values{"lang": {"fr"}}); resp.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, text(t, "zh-CN", "user.locale_unknown")) {
		t.Errorf("unsupported language choice: %d", resp.StatusCode)
	}
	if resp, _ := c.post("/language", url.Values{"lang": {"en"}, "back": {"//evil.example/x"}}); resp.Header.Get("Location") != "/" {
		t.Errorf("language switch redirects off-site: %q", resp.Header.Get("Location"))
	}
}

func TestStaticFiles(t *testing.T) {
	inst := start(t)
	c := newClient(t, inst.URL)
	_, login := c.get("/login")
	refs := regexp.MustCompile(`(?:href|src)="(/static/[^"?]+)\?v=([0-9a-f]+)"`).FindAllStringSubmatch(login, -1)
	if len(refs) < 2 {
		t.Fatalf("login page links %d fingerprinted static files, want the stylesheet and htmx", len(refs))
	}
	types := map[string]string{".css": "text/css", ".js": "javascript"}
	for _, ref := range refs {
		path, v := ref[1], ref[2]
		resp, body := c.get(path + "?v=" + v)
		if resp.StatusCode != http.StatusOK || len(body) == 0 {
			t.Errorf("%s: %d, %d bytes", path, resp.StatusCode, len(body))
		}
		if cc := resp.Header.Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.Contains(cc, "max-age=31536000") {
			t.Errorf("%s?v=%s: Cache-Control %q, want a year, immutable", path, v, cc)
		}
		for ext, ct := range types {
			if strings.HasSuffix(path, ext) && !strings.Contains(resp.Header.Get("Content-Type"), ct) {
				t.Errorf("%s: Content-Type %q", path, resp.Header.Get("Content-Type"))
			}
		}
		for _, q := range []string{"", "?v=000000000000"} {
			resp, _ := c.get(path + q)
			if resp.StatusCode != http.StatusOK || strings.Contains(resp.Header.Get("Cache-Control"), "immutable") {
				t.Errorf("%s%s: %d, Cache-Control %q; only the current fingerprint may be cached for ever",
					path, q, resp.StatusCode, resp.Header.Get("Cache-Control"))
			}
		}
	}
	for _, p := range []string{"/static/nope.css", "/static/", "/static/vendor/", "/static/app.css.map"} {
		resp, body := c.get(p)
		if resp.StatusCode != http.StatusNotFound || !strings.Contains(body, text(t, "zh-CN", "error.not_found")) {
			t.Errorf("%s: %d, want the translated 404 page", p, resp.StatusCode)
		}
	}
}
