package browsertest

import (
	"net/url"
	"strings"
	"testing"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/i18n"
)

// unitLink returns the href (/orgs/ID) of the link named name in the list
// sel of the current page, or "".
func unitLink(b *browser, sel, name string) string {
	var href string
	b.eval(`(() => { for (const a of document.querySelectorAll(`+jsString(sel+" a")+`))
		if (a.textContent.trim() === `+jsString(name)+`) return a.getAttribute("href");
		return ""; })()`, &href)
	return href
}

// findUnit searches the network page for name and returns the unit's path.
func findUnit(t *testing.T, b *browser, name string) string {
	t.Helper()
	if st := b.open("/orgs?q=" + url.QueryEscape(name)); st != 200 {
		t.Fatalf("search %s: status %d", name, st)
	}
	href := unitLink(b, "#org-results", name)
	if !strings.HasPrefix(href, "/orgs/") {
		t.Fatalf("search %s: no link to the unit in #org-results:\n%s", name, b.text("#org-results"))
	}
	return href
}

func TestHeadTeacherCannotOpenAnotherSchool(t *testing.T) {
	srv := startDemo(t)

	// The system administrator sees the whole network: read the ids there.
	admin := newBrowser(t, srv.URL, 1280, 900)
	admin.signInEnrolled("admin")
	other := findUnit(t, admin, "秦淮中学")
	own := findUnit(t, admin, "玄武实验小学")
	if other == own {
		t.Fatalf("both schools have the path %s", own)
	}
	if st := admin.open(other); st != 200 {
		t.Fatalf("admin opens %s: status %d", other, st)
	}
	if got := admin.text("#unit-name"); got != "秦淮中学" {
		t.Errorf("admin: #unit-name = %q, want 秦淮中学", got)
	}
	if !admin.present("#rename-unit") {
		t.Error("admin: the school page has no rename form")
	}
	admin.screenshot("org-school-admin")

	// The head teacher, in another browser.
	b := newBrowser(t, srv.URL, 1280, 900)
	b.signInEnrolled("headteacher")
	wantNav(t, b, []string{"home", "network", "account"}, []string{"users", "roles", "audit"})
	if got := unitLink(b, "ul.units", "玄武实验小学"); got != own {
		t.Errorf("head teacher's home lists own school at %q, want %q", got, own)
	}

	if st := b.open(own); st != 200 {
		t.Errorf("head teacher opens own school %s: status %d", own, st)
	}
	if got := b.text("#unit-name"); got != "玄武实验小学" {
		t.Errorf("own school: #unit-name = %q, want 玄武实验小学", got)
	}
	if b.present("#rename-unit") || b.present("#add-unit") {
		t.Error("head teacher sees the forms that manage the unit")
	}

	notFound := i18n.T(zh, "error.not_found")
	for _, path := range []string{other, "/orgs/987654321"} {
		st := b.open(path)
		if st != 404 {
			t.Errorf("head teacher opens %s: status %d, want 404", path, st)
		}
		if !b.present("#error-page") || b.present("#unit-name") {
			t.Errorf("head teacher opens %s: want the error page, got:\n%s", path, b.text("main"))
			continue
		}
		if got := b.text("#error-page h1"); got != "404" {
			t.Errorf("%s: error page h1 = %q, want 404", path, got)
		}
		if got := b.text("#form-error"); got != notFound {
			t.Errorf("%s: error message %q, want %q", path, got, notFound)
		}
		if body := b.text("body"); strings.Contains(body, "秦淮") {
			t.Errorf("%s: the error page names the other school:\n%s", path, body)
		}
	}

	// Search does not find it either.
	b.open("/orgs?q=" + url.QueryEscape("秦淮中学"))
	if href := unitLink(b, "#org-results", "秦淮中学"); href != "" {
		t.Errorf("head teacher's search finds the other school at %s", href)
	}
}

func TestRolesPageAsSecurityAdmin(t *testing.T) {
	srv := startDemo(t)
	b := newBrowser(t, srv.URL, 1280, 900)
	b.signInEnrolled("security")
	wantNav(t, b, []string{"home", "network", "users", "roles", "account"}, []string{"audit"})

	if st := b.click("#nav-roles"); st != 200 {
		t.Fatalf("roles page: status %d", st)
	}
	b.wantPath("/roles")
	if got := b.attr("#nav-roles", "aria-current"); got != "page" {
		t.Errorf("#nav-roles aria-current = %q, want \"page\"", got)
	}
	var rows int
	b.eval(`document.querySelectorAll("#role-matrix tbody tr").length`, &rows)
	if rows != len(access.Roles) {
		t.Errorf("role matrix has %d rows, want %d", rows, len(access.Roles))
	}
	matrix := b.text("#role-matrix")
	for _, name := range access.RoleNames() {
		if want := i18n.T(zh, "role."+name); !strings.Contains(matrix, want) {
			t.Errorf("role matrix lacks the role %q (%s)", want, name)
		}
	}
	b.screenshot("roles-security")

	// A role without the permission gets 403 on the same page.
	c := newBrowser(t, srv.URL, 1280, 900)
	c.signInEnrolled("counsellor")
	if st := c.open("/roles"); st != 403 {
		t.Errorf("counsellor opens /roles: status %d, want 403", st)
	}
	if got, want := c.text("#form-error"), i18n.T(zh, "error.forbidden"); got != want {
		t.Errorf("counsellor on /roles: message %q, want %q", got, want)
	}
}
