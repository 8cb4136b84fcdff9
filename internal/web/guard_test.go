package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/web"
)

// Every route is deliberately one of three kinds. A new route must be added
// to one of these lists or hold a permission; otherwise the test fails, so
// that no page becomes public or merely signed-in by accident.
var (
	publicRoutes = map[string]bool{
		"GET /static/": true, "GET /login": true, "POST /login": true,
		"GET /login/second-factor": true, "POST /login/second-factor": true,
		"GET /login/enrol": true, "POST /login/enrol": true,
		"POST /logout": true, "POST /language": true, "/": true,
		// A student's questionnaire: no account; the code or the student
		// number and birth date open a short-lived respondent session.
		"GET /s": true, "POST /s": true, "GET /c/{id}": true, "POST /c/{id}": true,
		"GET /s/q": true, "POST /s/q": true, "GET /s/review": true, "POST /s/submit": true, "GET /s/thanks": true,
		"POST /s/answers": true,
		// The children's web chat: anonymous; the chat cookie's token is the
		// only key to a conversation.
		"GET /chat": true, "POST /chat": true, "POST /chat/leave": true, "GET /chat/socket": true,
		// The PBX has no session: its bearer API token (hotline.telephony) is
		// checked in the handler.
		"POST /phone/events": true, "POST /phone/calls/{call}/recordings": true,
		// WeChat's servers push to the official account; every push is signed
		// and checked (internal/hotline/wechat).
		"GET /wechat/callback": true, "POST /wechat/callback": true,
		// The letter box: no account; a reading code opens the writer's
		// letter (wrong codes limited per address).
		"GET /letter": true, "POST /letter": true, "GET /letter/read": true, "POST /letter/read": true,
		// E-mail intake: a bearer API token with hotline.contact, checked in
		// the handler (no session).
		"POST /letters/inbound": true,
		// The parent portal: guardians have no staff account; the phone and
		// a one-time SMS code open a guardian session (its own cookie),
		// checked by every handler but the sign-in steps (internal/web/family.go).
		"GET /family": true, "POST /family/code": true, "POST /family/signin": true, // sign-in steps
		"POST /family/logout": true,                                    // ends the guardian's own session
		"GET /family/home":    true, "GET /family/children/{id}": true, // own children only (guardian session)
		"POST /family/children/{id}/consent": true,                                             // own child's consent (guardian session)
		"GET /family/children/{id}/concern":  true, "POST /family/children/{id}/concern": true, // own child (guardian session)
		"GET /family/children/{id}/book": true, "POST /family/children/{id}/book": true, // own child (guardian session)
		"GET /family/bookings": true, "POST /family/bookings/{id}/cancel": true, // own bookings (guardian session)
		"GET /family/articles": true, "GET /family/articles/{id}": true, // guidance reaching own children's schools (guardian session)
	}
	signedInRoutes = map[string]bool{
		"GET /{$}": true, "GET /account": true, "GET /notifications": true, "POST /notifications/read": true, // a user's own notifications only
		"GET /account/password": true, "POST /account/password": true,
		"POST /exports": true, "GET /exports": true, "GET /exports/{id}": true, "GET /exports/{id}/download": true, // one's own exports; the kind's permission is checked and the build reads as the caller
		"GET /workforce/mine": true,                                             // one's own registry record, or "no entry"
		"GET /training/mine":  true, "POST /training/sessions/{id}/enrol": true, // own training; the service offers only courses of units at or above the caller's
		"GET /training/checkin/{token}": true, "POST /training/checkin/{token}": true, // the QR code at the door: a valid, hashed token within its time window
	}
)

func TestRouteTableGuards(t *testing.T) {
	inst := start(t)
	if len(web.Routes) < 20 {
		t.Fatalf("web.Routes has %d entries; was the handler built?", len(web.Routes))
	}
	known := map[access.Permission]bool{}
	for _, p := range access.AllPermissions() {
		known[p] = true
	}
	seen := map[string]bool{}
	for _, rt := range web.Routes {
		if seen[rt.Pattern] {
			t.Errorf("%s registered twice", rt.Pattern)
		}
		seen[rt.Pattern] = true
		switch {
		case rt.Public:
			if !publicRoutes[rt.Pattern] {
				t.Errorf("%s is public but not in the reviewed list of public routes", rt.Pattern)
			}
			if rt.Permission != "" {
				t.Errorf("%s is public and names permission %s", rt.Pattern, rt.Permission)
			}
		case rt.Permission == "":
			if !signedInRoutes[rt.Pattern] {
				t.Errorf("%s needs only a session and no permission, and is not in the reviewed list", rt.Pattern)
			}
		case !known[rt.Permission]:
			t.Errorf("%s needs %q, which no role holds", rt.Pattern, rt.Permission)
		}
	}
	for p := range publicRoutes {
		if !seen[p] {
			t.Errorf("reviewed public route %s is no longer registered", p)
		}
	}

	anon := newClient(t, inst.URL)
	researcher := newClient(t, inst.URL)
	researcher.signInFully("researcher")
	for _, rt := range web.Routes {
		if rt.Public {
			continue
		}
		method, path := pathOf(rt.Pattern)
		t.Run(rt.Pattern, func(t *testing.T) {
			anon.t, researcher.t = t, t
			resp, body := anon.do(method, path, strings.NewReader("x=1"), "Content-Type", "application/x-www-form-urlencoded")
			switch method {
			case "GET":
				loc := resp.Header.Get("Location")
				if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/login?next=") {
					t.Errorf("anonymous GET: %d Location %q, want 303 to /login?next=...", resp.StatusCode, loc)
				}
				if next, _ := url.QueryUnescape(strings.TrimPrefix(loc, "/login?next=")); next != path {
					t.Errorf("anonymous GET: next=%q, want %q", next, path)
				}
			default:
				if resp.StatusCode != http.StatusUnauthorized {
					t.Errorf("anonymous %s: %d, want 401", method, resp.StatusCode)
				}
				if !strings.Contains(body, text(t, "zh-CN", "signin.expired")) {
					t.Errorf("anonymous %s: no translated signin.expired in %.200s", method, body)
				}
			}
			for _, c := range resp.Cookies() {
				if c.Name == web.SessionCookie && c.Value != "" {
					t.Errorf("anonymous request was given a session")
				}
			}
			// A signed-in user without the permission is refused with 403;
			// the researcher role holds none of the guarded permissions.
			if rt.Permission != "" && !access.Has(access.Researcher, rt.Permission) {
				resp, body := researcher.do(method, path, strings.NewReader("x=1"), "Content-Type", "application/x-www-form-urlencoded")
				if resp.StatusCode != http.StatusForbidden || !strings.Contains(body, text(t, "zh-CN", "error.forbidden")) {
					t.Errorf("researcher without %s: %d, want 403 with error.forbidden", rt.Permission, resp.StatusCode)
				}
			}
			// Any signed-in user opens a signed-in page; one that names an
			// object (an export, a check-in code) may answer that the
			// researcher has none such (404), never 401, 403 or 500.
			if rt.Permission == "" && method == "GET" {
				resp, _ := researcher.get(path)
				if resp.StatusCode != http.StatusOK && (resp.StatusCode != http.StatusNotFound || !strings.Contains(rt.Pattern, "{")) {
					t.Errorf("signed-in researcher: %d, want 200 (or 404 for an object of another)", resp.StatusCode)
				}
			}
		})
	}
}

// TestAnonymousPostsChangeNothing sends every guarded POST without a
// session, with a body that would change something, then checks as the
// system administrator that nothing changed.
func TestAnonymousPostsChangeNothing(t *testing.T) {
	inst := start(t)
	anon := newClient(t, inst.URL)
	form := url.Values{
		"name": {"HACKED"}, "name_en": {"HACKED"}, "kind": {"district"}, "code": {"HACKED"}, "parent": {"2"},
		"active": {"0"}, "username": {"intruder"}, "display_name": {"Intruder"}, "locale": {"en"},
		"role": {"sysadmin"}, "org": {"1"}, "permissions": {"org.manage"}, "days": {"30"},
		"old_password": {demoPassword}, "new_password": {"Hacked-Password-2026"}, "confirm_password": {"Hacked-Password-2026"},
	}
	posts := 0
	for _, rt := range web.Routes {
		method, path := pathOf(rt.Pattern)
		if rt.Public || method != "POST" {
			continue
		}
		posts++
		if resp, _ := anon.post(path, form); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("anonymous POST %s: %d, want 401", path, resp.StatusCode)
		}
	}
	if posts < 10 {
		t.Fatalf("only %d guarded POST routes", posts)
	}

	admin := newClient(t, inst.URL) // user 1: still signs in with the demo password
	admin.signInFully("admin")
	// The htmx partial holds only the search results, not the echoed query.
	if resp, body := admin.get("/orgs?q=HACKED", "HX-Request", "true"); resp.StatusCode != http.StatusOK ||
		strings.Contains(body, "HACKED") || !strings.Contains(body, text(t, "zh-CN", "common.none")) {
		t.Errorf("a unit was created or renamed by an anonymous request: %d %.300s", resp.StatusCode, body)
	}
	if resp, body := admin.get("/users?q=intruder"); resp.StatusCode != http.StatusOK || strings.Contains(body, `">intruder</a>`) {
		t.Errorf("an account was created by an anonymous request: %d", resp.StatusCode)
	}
	if _, body := admin.get("/users?q=researcher"); !strings.Contains(body, `">researcher</a>`) {
		t.Error("the account search shows no known account; the check above proves nothing")
	}
	resp, body := admin.get("/orgs/1")
	if resp.StatusCode != http.StatusOK || strings.Contains(body, "HACKED") || !strings.Contains(body, "南京市（演示）") {
		t.Errorf("unit 1 changed: %d %.300s", resp.StatusCode, body)
	}
	if resp := newClient(t, inst.URL).signIn("researcher", demoPassword); resp.Header.Get("Location") != "/" {
		t.Errorf("researcher no longer signs in with the demo password: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
}
