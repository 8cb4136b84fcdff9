package access_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/careloop/careloop/internal/access"
)

var update = flag.Bool("update", false, "rewrite testdata/*.golden from the current code")

// renderRoles prints every role with its sorted permissions and sign-in
// flags, in a stable order, for the golden file.
func renderRoles() string {
	var b strings.Builder
	b.WriteString("# The powers of every role. Regenerate with: go test ./internal/access -run TestRolesGolden -update\n")
	b.WriteString("# A change here changes who may see what; it needs review.\n")
	for _, name := range access.RoleNames() {
		r := access.Roles[name]
		fmt.Fprintf(&b, "\n%s second_factor=%t identified=%t\n", name, r.SecondFactor, r.Identified)
		perms := make([]string, 0, len(r.Permissions))
		for _, p := range r.Permissions {
			perms = append(perms, string(p))
		}
		sort.Strings(perms)
		for _, p := range perms {
			fmt.Fprintf(&b, "  %s\n", p)
		}
	}
	return b.String()
}

func TestRolesGolden(t *testing.T) {
	path := filepath.Join("testdata", "roles.golden")
	got := renderRoles()
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		t.Logf("wrote %s", path)
		return
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("read golden file (create it with -update): %v", err)
	}
	if got != string(want) {
		t.Errorf("roles differ from %s (run with -update if the change is intended)\n%s", path, lineDiff(string(want), got))
	}
}

// lineDiff lists the lines only in want (-) and only in got (+), per role.
func lineDiff(want, got string) string {
	split := func(s string) map[string]bool {
		m := map[string]bool{}
		role := ""
		for _, l := range strings.Split(s, "\n") {
			if l != "" && !strings.HasPrefix(l, " ") && !strings.HasPrefix(l, "#") {
				role = strings.Fields(l)[0]
			}
			m[role+": "+strings.TrimSpace(l)] = true
		}
		return m
	}
	w, g := split(want), split(got)
	var out []string
	for l := range w {
		if !g[l] {
			out = append(out, "- "+l)
		}
	}
	for l := range g {
		if !w[l] {
			out = append(out, "+ "+l)
		}
	}
	sort.Strings(out)
	return strings.Join(out, "\n")
}

// TestRoleRules checks the rules the Roles table must keep, whatever the
// golden file says.
func TestRoleRules(t *testing.T) {
	identifiedData := []access.Permission{access.RecordRead, access.RecordWrite, access.HotlineContact,
		access.HotlineSupervise, access.CrisisPolice, access.ReferralHospital}
	administrative := []access.Permission{access.OrgManage, access.UserManage, access.RoleAssign, access.AuditRead}
	holdsAny := func(r access.Role, ps []access.Permission) []access.Permission {
		var out []access.Permission
		for _, p := range ps {
			if access.Has(r.Name, p) {
				out = append(out, p)
			}
		}
		return out
	}
	for _, name := range access.RoleNames() {
		r := access.Roles[name]
		if r.Name != name {
			t.Errorf("role %q is filed under %q", r.Name, name)
		}
		seen := map[access.Permission]bool{}
		for _, p := range r.Permissions {
			if seen[p] {
				t.Errorf("%s lists %s twice", name, p)
			}
			seen[p] = true
		}
		if r.Identified && !r.SecondFactor {
			t.Errorf("%s reads identified data without a second factor", name)
		}
		if ps := holdsAny(r, identifiedData); len(ps) > 0 && !r.Identified {
			t.Errorf("%s holds %v but is not marked Identified", name, ps)
		}
		if ps := holdsAny(r, administrative); len(ps) > 0 && !r.SecondFactor {
			t.Errorf("%s holds %v without a second factor", name, ps)
		}
		// Separation of duties: who administers, grants or audits does not
		// read children's records, and the auditor administers nothing.
		if len(holdsAny(r, administrative)) > 0 && len(holdsAny(r, identifiedData)) > 0 {
			t.Errorf("%s both administers and reads identified data", name)
		}
		if access.Has(name, access.AuditRead) && len(holdsAny(r, []access.Permission{access.OrgManage, access.UserManage, access.RoleAssign})) > 0 {
			t.Errorf("%s both audits and administers", name)
		}
	}
	if access.Has("no_such_role", access.OrgRead) {
		t.Error("an unknown role holds a permission")
	}
	// AllPermissions is sorted, distinct, and exactly the union of the roles.
	all := access.AllPermissions()
	union := map[access.Permission]bool{}
	for _, r := range access.Roles {
		for _, p := range r.Permissions {
			union[p] = true
		}
	}
	if len(all) != len(union) {
		t.Errorf("AllPermissions has %d entries, the roles hold %d", len(all), len(union))
	}
	for i, p := range all {
		if !union[p] {
			t.Errorf("AllPermissions lists %s, which no role holds", p)
		}
		if i > 0 && all[i-1] >= p {
			t.Errorf("AllPermissions not sorted/distinct at %s", p)
		}
	}
	names := access.RoleNames()
	if len(names) != len(access.Roles) || !sort.StringsAreSorted(names) {
		t.Errorf("RoleNames = %v", names)
	}
}

func TestNeedsSecondFactor(t *testing.T) {
	cases := []struct {
		roles []string
		want  bool
	}{
		{nil, false},
		{[]string{access.Researcher}, false},
		{[]string{"no_such_role"}, false},
		{[]string{access.HeadTeacher}, true},
		{[]string{access.Researcher, access.Auditor}, true},
		{[]string{access.Coordinator}, true},
	}
	for _, tc := range cases {
		var ms []access.Membership
		for i, r := range tc.roles {
			ms = append(ms, access.Membership{OrgID: int64(i + 1), OrgPath: "/1/", Role: r})
		}
		if got := access.NeedsSecondFactor(ms); got != tc.want {
			t.Errorf("NeedsSecondFactor(%v) = %v, want %v", tc.roles, got, tc.want)
		}
	}
}
