package browsertest

import (
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/careloop/careloop/internal/i18n"
)

// TestAuditorSearchesTheTrail: the demo's auditor, on a phone, searches the
// trail by object type and by action, pages to older entries with the
// search kept, and gets a field error for an impossible date; the page
// fits the phone in both languages.
func TestAuditorSearchesTheTrail(t *testing.T) {
	srv := startDemo(t)
	b := newPhone(t, srv.URL)
	b.signInEnrolled("auditor")
	if st := b.open("/audit"); st != 200 {
		t.Fatalf("GET /audit: status %d", st)
	}
	if n := b.count("#audit-table tbody tr"); n != 100 {
		t.Errorf("the demo's trail shows %d entries on the first page, want 100", n)
	}
	bodyFits(t, b)
	controlsFit(t, "auditor", b)

	b.fill("#audit-search input[name=object_type]", "org_unit")
	if st := b.click("#audit-search-button"); st != 200 {
		t.Fatalf("search by object type: status %d", st)
	}
	objects := b.texts("#audit-table tbody td:nth-child(6)")
	if len(objects) == 0 {
		t.Fatal("no entry about an org unit in the demo's trail")
	}
	for _, o := range objects {
		if !strings.HasPrefix(o, "org_unit ") {
			t.Errorf("search by object type org_unit shows an entry about %q", o)
		}
	}
	b.screenshot("phone-audit")
	rowsFit(t, b)
	if got := b.attr("#audit-search input[name=object_type]", "value"); got != "org_unit" {
		t.Errorf("the search form forgot the object type: %q", got)
	}
	if got := b.attr("#export-audit input[name=object_type]", "value"); got != "org_unit" {
		t.Errorf("the export would not carry the search: object_type %q", got)
	}

	// Some action of the demo's network has more than a page of entries;
	// its older page keeps the search.
	prefix := ""
	for _, p := range []string{"org.", "user.", "student.", "class.", "screening.", "campaign."} {
		b.open("/audit?action=" + url.QueryEscape(p))
		if b.present("#audit-older") {
			prefix = p
			break
		}
	}
	if prefix == "" {
		t.Fatal("no action of the demo's trail has more than one page of entries")
	}
	if href := b.attr("#audit-older", "href"); !strings.Contains(href, "action="+url.QueryEscape(prefix)) {
		t.Errorf("the older page's link %q forgets the search action=%s", href, prefix)
	}
	first := b.texts("#audit-table tbody td:first-child")
	if st := b.click("#audit-older"); st != 200 {
		t.Fatalf("older page: status %d", st)
	}
	for _, a := range b.texts("#audit-table tbody td:nth-child(5)") {
		if !strings.HasPrefix(a, prefix) {
			t.Errorf("the older page of action %s shows %q", prefix, a)
			break
		}
	}
	older := b.texts("#audit-table tbody td:first-child")
	if len(older) == 0 || len(first) == 0 || seqOf(t, older[0]) >= seqOf(t, first[len(first)-1]) {
		t.Errorf("the older page starts at entry %v after the first page ended at %v", older[:min(1, len(older))], first[len(first)-1:])
	}

	if st := b.open("/audit?from=2025-02-30"); st != 422 {
		t.Errorf("an impossible date: status %d, want 422", st)
	}
	if got, want := b.text(".field-error"), i18n.T(zh, "form.bad_date"); got != want {
		t.Errorf("an impossible date: field error %q, want %q", got, want)
	}
	if b.present("#export-audit") {
		t.Error("a search with a mistake offers an export")
	}
	noPlaceholders(t, b)

	b.open("/audit")
	if st := b.click("#lang-switch"); st != 200 {
		t.Fatalf("switch to English: status %d", st)
	}
	b.open("/audit?object_type=org_unit")
	if got, want := b.text("#audit-search-button"), i18n.T("en", "common.filter"); got != want {
		t.Errorf("English search button %q, want %q", got, want)
	}
	noPlaceholders(t, b)
	bodyFits(t, b)
	controlsFit(t, "auditor", b)
	rowsFit(t, b)
	b.screenshot("phone-audit-en")
}

func seqOf(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatalf("entry number %q: %v", s, err)
	}
	return n
}

// rowsFit fails when an entry of the trail takes more than 120 px of a
// phone's height (its codes broken after every letter).
func rowsFit(t *testing.T, b *browser) {
	t.Helper()
	var tallest float64
	b.eval(`Math.max(...[...document.querySelectorAll("#audit-table tbody tr")].map(r => r.getBoundingClientRect().height))`, &tallest)
	if tallest > 120 {
		t.Errorf("%s (%s): an entry of the trail is %.0f px tall on a phone, want at most 120", b.path(), b.attr("html", "lang"), tallest)
	}
}
