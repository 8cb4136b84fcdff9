package people_test

import (
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/people"
)

func TestAuthenticateBadTokens(t *testing.T) {
	e := newEnv(t)
	id := e.user("researcher1", e.distA.ID, access.Researcher)
	tok := e.login("researcher1")
	info := e.valid(tok, id, "fresh session")
	if info.Principal.Limit != nil || !info.Principal.Can(access.ResearchExtract) || info.Principal.Can(access.UserRead) {
		t.Fatalf("session principal %+v", info.Principal)
	}
	_, err := e.svc.Authenticate(e.ctx, "")
	wantErr(t, err, apperr.EUnauthorized, "signin.required")
	for _, bad := range []string{"s_nope", tok + "x", tok[:len(tok)-1]} {
		e.expired(bad, "forged token "+bad)
	}
}

func TestIdleTimeout(t *testing.T) {
	e := newEnv(t)
	id := e.user("researcher1", e.distA.ID, access.Researcher)
	active, idle := e.login("researcher1"), e.login("researcher1")
	e.clk.Advance(29 * time.Minute)
	e.valid(active, id, "29 minutes idle")
	e.clk.Advance(2 * time.Minute)
	e.expired(idle, "31 minutes idle")
	e.valid(active, id, "2 minutes after activity")
	e.expired(idle, "idle session must stay expired")
}

func TestActivityRefreshesIdleClock(t *testing.T) {
	e := newEnv(t)
	id := e.user("researcher1", e.distA.ID, access.Researcher)
	tok := e.login("researcher1")
	e.clk.Advance(20 * time.Minute)
	e.valid(tok, id, "after 20 minutes")
	e.clk.Advance(20 * time.Minute)
	e.valid(tok, id, "40 minutes after sign-in, 20 after activity")
	e.clk.Advance(31 * time.Minute)
	e.expired(tok, "31 minutes after the last activity")
}

func TestAbsoluteTimeout(t *testing.T) {
	e := newEnv(t)
	id := e.user("researcher1", e.distA.ID, access.Researcher)
	start := e.clk.Now()
	tok := e.login("researcher1")
	for e.clk.Now().Sub(start) < 12*time.Hour-20*time.Minute {
		e.clk.Advance(20 * time.Minute)
		e.valid(tok, id, "active at "+e.clk.Now().Sub(start).String())
	}
	e.clk.Advance(20 * time.Minute) // exactly 12h after sign-in
	e.expired(tok, "12 hours after sign-in though active")
}

func TestSignOut(t *testing.T) {
	e := newEnv(t)
	id := e.user("researcher1", e.distA.ID, access.Researcher)
	tok, other := e.login("researcher1"), e.login("researcher1")
	if err := e.svc.SignOut(e.ctx, tok); err != nil {
		t.Fatal(err)
	}
	e.expired(tok, "signed-out session")
	e.valid(other, id, "another session of the same user")
	if err := e.svc.SignOut(e.ctx, tok); err != nil {
		t.Fatalf("second SignOut: %v", err)
	}
	if rows := e.auditRows("user.signout"); len(rows) != 1 || rows[0] != (auditRow{id, audit.Success, ""}) {
		t.Fatalf("signout audit rows %+v, want one", rows)
	}
	e.verifyAudit()
}

func TestChangePassword(t *testing.T) {
	e := newEnv(t)
	id := e.user("researcher1", e.distA.ID, access.Researcher)
	tok, other := e.login("researcher1"), e.login("researcher1")
	p := e.valid(tok, id, "before change").Principal
	const newPW = "Battery-Staple-77q"

	cases := []struct {
		name, old, new, field, key string
	}{
		{"wrong old password", "Wrong-Horse-42x", newPW, "old_password", "password.old_wrong"},
		{"new breaks policy", testPassword, "short1A!", "new_password", "password.too_short"},
		{"new contains username", testPassword, "researcher1-Pass!", "new_password", "password.contains_username"},
		{"same as old", testPassword, testPassword, "new_password", "password.same"},
	}
	for _, c := range cases {
		tk, err := e.svc.ChangePassword(e.ctx, p, c.old, c.new)
		if tk != "" || apperr.CodeOf(err) != apperr.EInvalid || apperr.FieldsOf(err)[c.field] != c.key {
			t.Fatalf("%s: token %q err %v fields %v, want %s=%s", c.name, tk, err, apperr.FieldsOf(err), c.field, c.key)
		}
		e.valid(tok, id, c.name+": refused change keeps the session")
	}

	fresh, err := e.svc.ChangePassword(e.ctx, p, testPassword, newPW)
	if err != nil {
		t.Fatalf("ChangePassword: %v", err)
	}
	e.valid(fresh, id, "token returned by ChangePassword")
	e.expired(other, "other session after a password change")
	e.expired(tok, "the session that changed the password (replaced by the returned one)")
	if _, err := e.svc.SignIn(e.ctx, "researcher1", testPassword); apperr.CodeOf(err) != apperr.EUnauthorized {
		t.Fatalf("old password after change: %v", err)
	}
	if _, err := e.svc.SignIn(e.ctx, "researcher1", newPW); err != nil {
		t.Fatalf("new password: %v", err)
	}
	rows := e.auditRows("user.change_password")
	if len(rows) != 2 || rows[0].Outcome != audit.Failure || rows[1].Outcome != audit.Success {
		t.Fatalf("change_password audit rows %+v", rows)
	}
	e.verifyAudit()
}

func TestSetUserActiveFalseRevokesSessionsAndTokens(t *testing.T) {
	e := newEnv(t)
	id := e.user("counsellor1", e.schoolA.ID, access.SchoolCounsellor)
	tok := e.login("counsellor1")
	p := e.valid(tok, id, "before").Principal
	secret, err := e.svc.CreateToken(e.ctx, p, "sync", []access.Permission{access.OrgRead}, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.AuthenticateToken(e.ctx, secret); err != nil {
		t.Fatalf("token before deactivation: %v", err)
	}
	if err := e.svc.SetUserActive(e.ctx, p, e.admin, false); apperr.CodeOf(err) != apperr.EForbidden {
		t.Fatalf("counsellor deactivating the sysadmin: %v, want forbidden", err)
	}
	admin := e.principal(e.admin)
	if err := e.svc.SetUserActive(e.ctx, admin, e.admin, false); apperr.CodeOf(err) != apperr.EInvalid {
		t.Fatalf("sysadmin deactivating itself: %v, want invalid", err)
	}
	if err := e.svc.SetUserActive(e.ctx, admin, id, false); err != nil {
		t.Fatalf("SetUserActive(false): %v", err)
	}
	e.expired(tok, "session of a deactivated user")
	if _, err := e.svc.AuthenticateToken(e.ctx, secret); apperr.CodeOf(err) != apperr.EUnauthorized {
		t.Fatalf("token of a deactivated user: %v", err)
	}
	// Reactivation must not bring them back: they were revoked, not hidden.
	if err := e.svc.SetUserActive(e.ctx, admin, id, true); err != nil {
		t.Fatalf("SetUserActive(true): %v", err)
	}
	e.expired(tok, "old session after reactivation")
	if _, err := e.svc.AuthenticateToken(e.ctx, secret); apperr.CodeOf(err) != apperr.EUnauthorized {
		t.Fatalf("old token after reactivation: %v", err)
	}
	if rows := e.auditRows("user.deactivate"); len(rows) != 1 || rows[0].Actor != e.admin {
		t.Fatalf("deactivate audit rows %+v", rows)
	}
	e.verifyAudit()
}

func TestResetPassword(t *testing.T) {
	e := newEnv(t)
	id := e.user("researcher1", e.distA.ID, access.Researcher)
	idB := e.user("researcher2", e.distB.ID, access.Researcher)
	tok := e.login("researcher1")
	districtAdmin := e.principal(e.user("sysadmin2", e.distA.ID, access.SysAdmin))
	if _, err := e.svc.ResetPassword(e.ctx, e.valid(tok, id, "").Principal, id); apperr.CodeOf(err) != apperr.EForbidden {
		t.Fatalf("researcher resetting a password: %v, want forbidden", err)
	}
	if _, err := e.svc.ResetPassword(e.ctx, districtAdmin, idB); apperr.CodeOf(err) != apperr.ENotFound {
		t.Fatalf("district A sysadmin resetting a district B user: %v, want not found", err)
	}

	pw, err := e.svc.ResetPassword(e.ctx, districtAdmin, id)
	if err != nil {
		t.Fatalf("ResetPassword: %v", err)
	}
	if k := people.CheckPasswordPolicy(pw, "researcher1"); k != "" || pw == testPassword {
		t.Fatalf("one-time password %q: policy %q", pw, k)
	}
	e.expired(tok, "session after a password reset")
	if _, err := e.svc.SignIn(e.ctx, "researcher1", testPassword); apperr.CodeOf(err) != apperr.EUnauthorized {
		t.Fatalf("old password after reset: %v", err)
	}
	res, err := e.svc.SignIn(e.ctx, "researcher1", pw)
	if err != nil || !res.MustChangePW {
		t.Fatalf("sign-in with the one-time password: %v %+v, want MustChangePW", err, res)
	}
	p := e.valid(res.Token, id, "one-time session").Principal
	fresh, err := e.svc.ChangePassword(e.ctx, p, pw, "Battery-Staple-77q")
	if err != nil {
		t.Fatal(err)
	}
	if info := e.valid(fresh, id, "after change"); info.User.MustChangePassword {
		t.Fatal("must-change flag still set after ChangePassword")
	}
}
