package people_test

import (
	"sort"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/people"
)

func TestGrantRoleNeedsRoleAssignOverTheUnit(t *testing.T) {
	e := newEnv(t)
	secA := e.principal(e.user("secadmin1", e.distA.ID, access.SecurityAdmin))
	coordA := e.principal(e.user("coord1", e.distA.ID, access.Coordinator))
	target := e.user("researcher1", e.distB.ID, access.Researcher)

	cases := []struct {
		name   string
		by     access.Principal
		org    int64
		role   string
		code   apperr.Code
		grants bool
	}{
		{"security admin, school in own district", secA, e.schoolA.ID, access.SchoolCounsellor, "", true},
		{"security admin, own district", secA, e.distA.ID, access.Coordinator, "", true},
		{"security admin, other district", secA, e.distB.ID, access.Coordinator, apperr.EForbidden, false},
		{"security admin, the city above", secA, e.root.ID, access.Coordinator, apperr.EForbidden, false},
		{"coordinator has no role.assign", coordA, e.schoolA.ID, access.HeadTeacher, apperr.EForbidden, false},
		{"sysadmin has no role.assign", e.principal(e.admin), e.distB.ID, access.Coordinator, apperr.EForbidden, false},
		{"unknown role", secA, e.schoolA.ID, "superuser", apperr.EInvalid, false},
		{"duplicate grant", secA, e.schoolA.ID, access.SchoolCounsellor, apperr.EConflict, false},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(e.principal(target).Memberships)
			err := e.svc.GrantRole(e.ctx, c.by, target, c.org, c.role)
			if apperr.CodeOf(err) != c.code {
				t.Fatalf("GrantRole: %v, want code %q", err, c.code)
			}
			got := e.principal(target)
			if c.grants {
				if len(got.Memberships) != before+1 {
					t.Fatalf("memberships %d -> %d", before, len(got.Memberships))
				}
				found := false
				for _, m := range got.Memberships {
					found = found || (m.OrgID == c.org && m.Role == c.role)
				}
				if !found {
					t.Fatalf("granted role %s at %d missing from %+v", c.role, c.org, got.Memberships)
				}
			} else if len(got.Memberships) != before {
				t.Fatalf("refused grant changed memberships %d -> %d", before, len(got.Memberships))
			}
		})
	}
	rows := e.auditRows("user.grant_role")
	if len(rows) != 2 || rows[0].Actor != secA.UserID || rows[0].Outcome != audit.Success {
		t.Fatalf("grant_role audit rows %+v, want two by the security admin", rows)
	}
	e.verifyAudit()
}

func TestRevokeRoleEndsSessions(t *testing.T) {
	e := newEnv(t)
	secA := e.principal(e.user("secadmin1", e.distA.ID, access.SecurityAdmin))
	secB := e.principal(e.user("secadmin2", e.distB.ID, access.SecurityAdmin))
	id := e.user("counsellor1", e.schoolA.ID, access.SchoolCounsellor)
	tok := e.login("counsellor1")
	p := e.valid(tok, id, "before").Principal
	secret, err := e.svc.CreateToken(e.ctx, p, "sync", []access.Permission{access.OrgRead}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	u, err := e.svc.FindUserByID(e.ctx, secA, id)
	if err != nil || len(u.Memberships) != 1 {
		t.Fatalf("FindUserByID: %v %+v", err, u)
	}
	mid := u.Memberships[0].ID

	if err := e.svc.RevokeRole(e.ctx, secB, mid); apperr.CodeOf(err) != apperr.EForbidden {
		t.Fatalf("revoke from another district: %v, want forbidden", err)
	}
	e.valid(tok, id, "after a refused revoke")

	if err := e.svc.RevokeRole(e.ctx, secA, mid); err != nil {
		t.Fatalf("RevokeRole: %v", err)
	}
	e.expired(tok, "session after its role was revoked")
	if info, err := e.svc.AuthenticateToken(e.ctx, secret); err == nil && info.Principal.Can(access.OrgRead) {
		t.Fatal("API token still carries org.read after the role was revoked")
	}
	if _, err := e.svc.SignIn(e.ctx, "counsellor1", testPassword); apperr.MessageOf(err) != "signin.bad_credentials" {
		t.Fatalf("sign-in without any role: %v", err)
	}
	if rows := e.auditRows("user.revoke_role"); len(rows) != 1 || rows[0].Actor != secA.UserID {
		t.Fatalf("revoke_role audit rows %+v", rows)
	}
	e.verifyAudit()
}

func usernames(us []people.User) []string {
	var out []string
	for _, u := range us {
		out = append(out, u.Username)
	}
	sort.Strings(out)
	return out
}

func TestFindUsersIsScoped(t *testing.T) {
	e := newEnv(t)
	coordA := e.principal(e.user("coord-a", e.distA.ID, access.Coordinator))
	e.user("counsellor-a", e.schoolA.ID, access.SchoolCounsellor)
	onlyB := e.user("counsellor-b", e.distB.ID, access.SchoolCounsellor)
	both := e.user("liaison-ab", e.distB.ID, access.HospitalLiaison)
	secRoot := e.principal(e.user("secadmin0", e.root.ID, access.SecurityAdmin))
	if err := e.svc.GrantRole(e.ctx, secRoot, both, e.schoolA.ID, access.HeadTeacher); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.CreateUser(e.ctx, e.principal(e.admin), people.NewUser{Username: "newbie1", DisplayName: "N"}); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name string
		by   access.Principal
		want []string
	}{
		{"coordinator at district A", coordA, []string{"coord-a", "counsellor-a", "liaison-ab"}},
		{"security admin at the city", secRoot, []string{"coord-a", "counsellor-a", "counsellor-b", "liaison-ab", "newbie1", "secadmin0", "sysadmin1"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			us, err := e.svc.FindUsers(e.ctx, c.by, people.UserFilter{})
			if err != nil {
				t.Fatal(err)
			}
			got := usernames(us)
			if len(got) != len(c.want) {
				t.Fatalf("FindUsers = %v, want %v", got, c.want)
			}
			for i := range got {
				if got[i] != c.want[i] {
					t.Fatalf("FindUsers = %v, want %v", got, c.want)
				}
			}
		})
	}
	if us, err := e.svc.FindUsers(e.ctx, coordA, people.UserFilter{Query: "counsellor-b"}); err != nil || len(us) != 0 {
		t.Fatalf("coordinator A searching for a district B user: %v %v", usernames(us), err)
	}
	if _, err := e.svc.FindUserByID(e.ctx, coordA, onlyB); apperr.CodeOf(err) != apperr.ENotFound {
		t.Fatalf("coordinator A loading a district B user: %v, want not found", err)
	}
	researcher := e.principal(e.user("researcher1", e.distA.ID, access.Researcher))
	if _, err := e.svc.FindUsers(e.ctx, researcher, people.UserFilter{}); apperr.CodeOf(err) != apperr.EForbidden {
		t.Fatalf("researcher FindUsers: %v, want forbidden", err)
	}
}
