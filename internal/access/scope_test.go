package access_test

import (
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/careloop/careloop/internal/access"
)

func m(role, path string) access.Membership {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	id, _ := strconv.ParseInt(parts[len(parts)-1], 10, 64)
	return access.Membership{OrgID: id, OrgPath: path, Role: role}
}

func who(ms ...access.Membership) access.Principal {
	return access.Principal{UserID: 7, Username: "u", Memberships: ms}
}

// ranges returns the subtree roots a Scope condition covers, checking the
// shape of the SQL: one "(col >= ? AND col < ?)" per root, joined by OR.
func ranges(t *testing.T, sql string, args []any, col string) []string {
	t.Helper()
	if sql == "1=0" {
		if len(args) != 0 {
			t.Errorf("deny-all scope has args %v", args)
		}
		return nil
	}
	one := "(" + col + " >= ? AND " + col + " < ?)"
	if !strings.HasPrefix(sql, "(") || !strings.HasSuffix(sql, ")") {
		t.Fatalf("scope %q is not parenthesised", sql)
	}
	parts := strings.Split(sql[1:len(sql)-1], " OR ")
	if len(args) != 2*len(parts) {
		t.Fatalf("scope %q has %d args for %d ranges", sql, len(args), len(parts))
	}
	var roots []string
	for i, p := range parts {
		if p != one {
			t.Fatalf("scope part %q, want %q", p, one)
		}
		lo, hi := args[2*i].(string), args[2*i+1].(string)
		if hi != access.SubtreeEnd(lo) {
			t.Errorf("range [%q, %q) does not end at SubtreeEnd", lo, hi)
		}
		roots = append(roots, lo)
	}
	return roots
}

func TestScope(t *testing.T) {
	cases := []struct {
		name string
		p    access.Principal
		perm access.Permission
		want []string // subtree roots, in order; nil means "1=0"
	}{
		{"zero principal", access.Principal{}, access.OrgRead, nil},
		{"memberships without a user id", access.Principal{Memberships: []access.Membership{m(access.SysAdmin, "/1/")}}, access.OrgRead, nil},
		{"no memberships", who(), access.OrgRead, nil},
		{"role without the permission", who(m(access.HeadTeacher, "/1/2/3/")), access.RecordRead, nil},
		{"unknown role", who(m("superuser", "/1/")), access.OrgRead, nil},
		{"membership without a path", who(access.Membership{OrgID: 1, Role: access.SysAdmin}), access.OrgRead, nil},
		{"one membership", who(m(access.Coordinator, "/1/2/")), access.RecordRead, []string{"/1/2/"}},
		{"duplicate memberships collapse", who(m(access.Coordinator, "/1/2/"), m(access.Coordinator, "/1/2/")), access.RecordRead, []string{"/1/2/"}},
		{"two roles in one unit collapse", who(m(access.Coordinator, "/1/2/"), m(access.SchoolCounsellor, "/1/2/")), access.OrgRead, []string{"/1/2/"}},
		{"descendant after ancestor collapses", who(m(access.Coordinator, "/1/2/"), m(access.SchoolCounsellor, "/1/2/3/")), access.RecordRead, []string{"/1/2/"}},
		{"descendant before ancestor collapses", who(m(access.SchoolCounsellor, "/1/2/3/"), m(access.Coordinator, "/1/2/")), access.RecordRead, []string{"/1/2/"}},
		{"siblings stay apart", who(m(access.Coordinator, "/1/2/"), m(access.Coordinator, "/1/4/")), access.RecordRead, []string{"/1/2/", "/1/4/"}},
		{"prefix twins stay apart", who(m(access.Coordinator, "/1/5/"), m(access.Coordinator, "/1/50/")), access.RecordRead, []string{"/1/5/", "/1/50/"}},
		{"prefix twins stay apart (reversed)", who(m(access.Coordinator, "/1/50/"), m(access.Coordinator, "/1/5/")), access.RecordRead, []string{"/1/50/", "/1/5/"}},
		{"only memberships holding the permission count", who(m(access.SysAdmin, "/1/"), m(access.Coordinator, "/1/2/")), access.RecordRead, []string{"/1/2/"}},
		{"an ancestor without the permission does not swallow", who(m(access.HeadTeacher, "/1/"), m(access.Coordinator, "/1/2/")), access.RecordRead, []string{"/1/2/"}},
		{"root covers all", who(m(access.SysAdmin, "/1/2/"), m(access.SysAdmin, "/1/")), access.OrgManage, []string{"/1/"}},
		{"token limit allows", access.Principal{UserID: 7, Memberships: []access.Membership{m(access.Coordinator, "/1/2/")}, Limit: []access.Permission{access.OrgRead, access.RecordRead}}, access.RecordRead, []string{"/1/2/"}},
		{"token limit excludes", access.Principal{UserID: 7, Memberships: []access.Membership{m(access.Coordinator, "/1/2/")}, Limit: []access.Permission{access.OrgRead}}, access.RecordRead, nil},
		{"empty token limit excludes all", access.Principal{UserID: 7, Memberships: []access.Membership{m(access.SysAdmin, "/1/")}, Limit: []access.Permission{}}, access.OrgRead, nil},
		{"token limit cannot add a permission", access.Principal{UserID: 7, Memberships: []access.Membership{m(access.HeadTeacher, "/1/2/3/")}, Limit: []access.Permission{access.RecordRead}}, access.RecordRead, nil},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			sql, args := tc.p.Scope(tc.perm, "u.path")
			if tc.want == nil && sql != "1=0" {
				t.Fatalf("Scope = %q %v, want deny-all 1=0", sql, args)
			}
			if got := ranges(t, sql, args, "u.path"); !reflect.DeepEqual(got, tc.want) {
				t.Errorf("Scope covers %v, want %v (sql %q)", got, tc.want, sql)
			}
			// Can agrees with Scope about whether there is anything at all
			// (Can does not look at paths, so a pathless membership is left out).
			if can := tc.p.Can(tc.perm); can != (tc.want != nil) && tc.name != "membership without a path" {
				t.Errorf("Can = %v but Scope covers %v", can, tc.want)
			}
		})
	}
}

func TestAt(t *testing.T) {
	p := who(m(access.HeadTeacher, "/1/5/"), m(access.Coordinator, "/1/2/"))
	cases := []struct {
		perm     access.Permission
		path     string
		want     bool
		wantRole string
	}{
		{access.OrgRead, "/1/5/", true, access.HeadTeacher},
		{access.OrgRead, "/1/5/7/", true, access.HeadTeacher},
		{access.OrgRead, "/1/5/7/9/", true, access.HeadTeacher},
		{access.OrgRead, "/1/50/", false, ""},
		{access.OrgRead, "/1/51/", false, ""},
		{access.OrgRead, "/1/5", false, ""},
		{access.OrgRead, "/1/", false, ""},
		{access.OrgRead, "/15/", false, ""},
		{access.OrgRead, "", false, ""},
		{access.OrgRead, "/1/2/", true, access.Coordinator},
		{access.OrgRead, "/1/20/", false, ""},
		{access.RecordRead, "/1/5/7/", false, ""}, // head teacher: attention only
		{access.RecordRead, "/1/2/3/", true, access.Coordinator},
		{access.RecordAttention, "/1/5/7/", true, access.HeadTeacher},
		{access.OrgManage, "/1/2/", false, ""},
	}
	for _, tc := range cases {
		got, ok := p.At(tc.perm, tc.path)
		if ok != tc.want || got.Role != tc.wantRole {
			t.Errorf("At(%s, %q) = %+v, %v; want role %q, %v", tc.perm, tc.path, got, ok, tc.wantRole, tc.want)
		}
	}
	for name, q := range map[string]access.Principal{
		"zero":         {Memberships: p.Memberships},
		"empty limit":  {UserID: 7, Memberships: p.Memberships, Limit: []access.Permission{}},
		"other limits": {UserID: 7, Memberships: p.Memberships, Limit: []access.Permission{access.RecordRead}},
	} {
		if _, ok := q.At(access.OrgRead, "/1/5/"); ok {
			t.Errorf("%s principal: At(org.read) allowed", name)
		}
		if _, ok := q.Grant(access.OrgRead); ok {
			t.Errorf("%s principal: Grant(org.read) allowed", name)
		}
	}
}

// TestSubtreeEndIsPrefix checks that the range test Scope emits,
// root <= path < SubtreeEnd(root) in byte order (SQLite's BINARY and
// PostgreSQL's "C" collation), is exactly "path starts with root".
func TestSubtreeEndIsPrefix(t *testing.T) {
	ids := []string{"1", "2", "4", "5", "6", "9", "10", "19", "20", "49", "5", "50", "51", "55", "59", "500", "501", "599", "6", "60", "99", "100"}
	var paths []string
	for _, a := range ids {
		paths = append(paths, "/1/"+a+"/")
		for _, b := range ids {
			paths = append(paths, "/1/"+a+"/"+b+"/")
		}
	}
	paths = append(paths, "/1/", "/10/", "/2/")
	roots := paths // well-formed paths only: they end in "/"
	paths = append(paths[:len(paths):len(paths)], "/1/5", "/1/5/0", "/1/50", "/1/4/", "/1/5/\x00")
	for _, root := range roots {
		end := access.SubtreeEnd(root)
		for _, p := range paths {
			inRange := p >= root && p < end
			if inRange != strings.HasPrefix(p, root) {
				t.Errorf("root %q: %q in [%q, %q) is %v, prefix is %v", root, p, root, end, inRange, !inRange)
			}
		}
	}
	if got := access.SubtreeEnd("/1/5/"); got != "/1/50" {
		t.Errorf("SubtreeEnd(/1/5/) = %q", got)
	}
}

func TestGrantAndRoles(t *testing.T) {
	p := who(m(access.HeadTeacher, "/1/2/3/"), m(access.Coordinator, "/1/2/"), m(access.HeadTeacher, "/1/2/4/"))
	g, ok := p.Grant(access.OrgRead)
	if !ok || g.Role != access.HeadTeacher || g.OrgPath != "/1/2/3/" {
		t.Errorf("Grant(org.read) = %+v, %v; want the first membership", g, ok)
	}
	g, ok = p.Grant(access.RecordRead)
	if !ok || g.Role != access.Coordinator {
		t.Errorf("Grant(record.read) = %+v, %v; want the coordinator membership", g, ok)
	}
	if _, ok := p.Grant(access.AuditRead); ok {
		t.Error("Grant(audit.read) allowed")
	}
	if got := p.Roles(); !reflect.DeepEqual(got, []string{access.HeadTeacher, access.Coordinator}) {
		t.Errorf("Roles = %v", got)
	}
}
