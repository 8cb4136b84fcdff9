package i18n_test

import (
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strings"
	"testing"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/i18n"
	"github.com/careloop/careloop/internal/org"
)

// missingIn returns the keys of want that have no non-blank value in every
// catalog, sorted, each with the locales that lack it.
func missingIn(want map[string][]string) []string {
	var out []string
	for key, where := range want {
		for _, l := range i18n.Locales {
			if strings.TrimSpace(i18n.Keys(l)[key]) == "" {
				out = append(out, key+" (missing in "+l+"; used at "+strings.Join(where, ", ")+")")
			}
		}
	}
	sort.Strings(out)
	return out
}

func TestCatalogsHaveTheSameKeysAndNoEmptyValues(t *testing.T) {
	if len(i18n.Locales) < 2 || i18n.Locales[0] != i18n.Default {
		t.Fatalf("Locales = %v, want the default %q first and at least one more", i18n.Locales, i18n.Default)
	}
	base := i18n.Keys(i18n.Default)
	if len(base) < 100 {
		t.Fatalf("default catalog has only %d keys; did it load?", len(base))
	}
	for _, l := range i18n.Locales {
		cat := i18n.Keys(l)
		for k, v := range cat {
			if strings.TrimSpace(v) == "" {
				t.Errorf("%s: key %q has an empty value", l, k)
			}
			if _, ok := base[k]; !ok {
				t.Errorf("%s: key %q is not in %s", l, k, i18n.Default)
			}
		}
		for k := range base {
			if _, ok := cat[k]; !ok {
				t.Errorf("%s: key %q of %s is missing", l, k, i18n.Default)
			}
		}
	}
}

// templateKey matches a literal key in `t .L "key"` and `t $.L "key"`.
var templateKey = regexp.MustCompile(`\bt \$?\.L "([^"]+)"`)

func TestEveryTemplateKeyExists(t *testing.T) {
	files, err := filepath.Glob("../web/templates/*.html")
	if err != nil || len(files) == 0 {
		t.Fatalf("no templates found: %v", err)
	}
	used := map[string][]string{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, m := range templateKey.FindAllStringSubmatch(string(b), -1) {
			used[m[1]] = append(used[m[1]], filepath.Base(f))
		}
	}
	if len(used) < 50 {
		t.Fatalf("found only %d literal keys in the templates; is the pattern still right?", len(used))
	}
	for _, m := range missingIn(used) {
		t.Errorf("template key %s", m)
	}
}

// TestDynamicKeysExist covers the keys templates build at run time:
// roleKey, permKey and kindKey in render.go, and org.html's
// (print "org.change_" .Change) for every change the org service records.
func TestDynamicKeysExist(t *testing.T) {
	want := map[string][]string{}
	for _, r := range access.RoleNames() {
		want["role."+r] = append(want["role."+r], "access.RoleNames")
	}
	for _, p := range access.AllPermissions() {
		want["perm."+string(p)] = append(want["perm."+string(p)], "access.AllPermissions")
	}
	for _, k := range org.Kinds {
		want["kind."+string(k)] = append(want["kind."+string(k)], "org.Kinds")
	}
	changes := 0
	for _, l := range scanLiterals(t, "../org", regexp.MustCompile(`^[a-z_]+$`)) {
		if l.sink == sinkChange {
			changes++
			k := "org.change_" + l.value
			want[k] = append(want[k], l.pos)
		}
	}
	if changes < 4 {
		t.Fatalf("found %d org history change literals; the scanner lost track of addHistory's change parameter", changes)
	}
	for _, m := range missingIn(want) {
		t.Errorf("dynamic key %s", m)
	}
}

// goKey is the shape of a message key written in Go code.
var goKey = regexp.MustCompile(`^(org|user|password|signin|totp|token|error|api|nav)\.[a-z_]+$`)

// TestEveryKeyInGoCodeExists checks the string literals of internal/**
// (tests excluded) that look like message keys. Services return such keys
// as apperr messages and field problems (apperr.New, apperr.Invalid, the
// maps passed to it, &apperr.Error{Message: ...}, functions returning a
// problem key); the web surface passes them as page titles, flashes and
// errors. The same dotted shape is used for two things that are not
// messages, and only those are exempt, each recognised by where the literal
// goes rather than by its text:
//   - audit action names ("org.create", "user.signin"): the Action field of
//     an audit.Entry literal, an argument in the position of a parameter
//     named "action" of a function of the same package (org's and people's
//     record and audited helpers), or a value assigned to a variable named
//     action;
//   - permission constants (const ... Permission = "org.read"), whose
//     labels are checked as perm.<p> by TestDynamicKeysExist.
//
// Everything else is treated as a message, so a new kind of use fails
// loudly instead of being skipped silently.
func TestEveryKeyInGoCodeExists(t *testing.T) {
	lits := scanLiterals(t, "..", goKey)
	want := map[string][]string{}
	seen := map[sink]map[string]bool{}
	for _, l := range lits {
		if seen[l.sink] == nil {
			seen[l.sink] = map[string]bool{}
		}
		seen[l.sink][l.value] = true
		if l.sink == sinkMessage {
			want[l.value] = append(want[l.value], l.pos)
		}
	}
	// The classifier must still recognise what it exempts, or this test
	// would be checking less than it claims.
	for _, a := range []string{"org.create", "org.rename", "user.signin", "user.create", "user.reactivate", "token.create"} {
		if !seen[sinkAction][a] {
			t.Errorf("audit action %q was not recognised as one; the classifier is out of date", a)
		}
	}
	for _, p := range []string{"org.read", "token.own"} {
		if !seen[sinkPermission][p] {
			t.Errorf("permission constant %q was not recognised as one", p)
		}
	}
	for _, m := range []string{"org.name_required", "signin.bad_credentials", "password.too_short", "error.duplicate", "token.invalid"} {
		if !seen[sinkMessage][m] {
			t.Errorf("message key %q was not found in the Go code", m)
		}
	}
	for v := range seen[sinkAction] {
		if seen[sinkMessage][v] {
			t.Logf("note: %q is used both as an audit action and as a message", v)
		}
	}
	for _, m := range missingIn(want) {
		t.Errorf("Go key %s", m)
	}
}

func TestMatch(t *testing.T) {
	for _, tc := range []struct{ header, want string }{
		{"en-US,en;q=0.9", "en"},
		{"en", "en"},
		{"zh-CN", "zh-CN"},
		{"zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"},
		{"zh", "zh-CN"},
		{"", "zh-CN"},
		{"fr", "zh-CN"},
		{"fr-FR,fr;q=0.9", "zh-CN"},
		{";;;not a header", "zh-CN"},
	} {
		if got := i18n.Match(tc.header); got != tc.want {
			t.Errorf("Match(%q) = %q, want %q", tc.header, got, tc.want)
		}
		if !i18n.Valid(i18n.Match(tc.header)) {
			t.Errorf("Match(%q) returned an unsupported locale", tc.header)
		}
	}
}

func TestTranslate(t *testing.T) {
	if got := i18n.T("en", "home.welcome", "Ada"); got != "Hello, Ada" {
		t.Errorf(`T("en", "home.welcome", "Ada") = %q`, got)
	}
	if got, want := i18n.T("xx", "signin.title"), i18n.Keys(i18n.Default)["signin.title"]; got != want {
		t.Errorf("unknown locale: got %q, want the default's %q", got, want)
	}
	if got := i18n.T("en", "no.such_key"); got != "no.such_key" {
		t.Errorf("missing key: got %q, want the key itself", got)
	}
	if i18n.Valid("fr") || !i18n.Valid("en") || !i18n.Valid("zh-CN") {
		t.Error("Valid disagrees with the supported locales")
	}
}
