package people_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// coordinator returns the full-session principal of a coordinator at district A.
func coordinator(t *testing.T, e *env) access.Principal {
	t.Helper()
	id := e.user("coord1", e.distA.ID, access.Coordinator)
	return e.valid(e.login("coord1"), id, "coordinator").Principal
}

// coordinator2 is a second coordinator at district A, built without a sign-in.
func coordinator2(t *testing.T, e *env) access.Principal {
	t.Helper()
	return e.principal(e.user("coord2", e.distA.ID, access.Coordinator))
}

func TestCreateTokenRefusesPermissionsNotHeld(t *testing.T) {
	e := newEnv(t)
	p := coordinator(t, e)
	perms := func(ps ...access.Permission) []access.Permission { return ps }
	cases := []struct {
		name  string
		tname string
		perms []access.Permission
		ttl   time.Duration
		field string
		key   string
	}{
		{"held permission", "sync", perms(access.RecordRead), time.Hour, "", ""},
		{"all held permissions", "all", access.Roles[access.Coordinator].Permissions, 366 * 24 * time.Hour, "", ""},
		{"not held", "x", perms(access.UserManage), time.Hour, "permissions", "token.permission_not_held"},
		{"one of two not held", "x", perms(access.OrgRead, access.AuditRead), time.Hour, "permissions", "token.permission_not_held"},
		{"unknown permission", "x", perms("everything"), time.Hour, "permissions", "token.permission_not_held"},
		{"no permissions", "x", nil, time.Hour, "permissions", "token.permissions_required"},
		{"no name", "  ", perms(access.OrgRead), time.Hour, "name", "token.name_required"},
		{"zero ttl", "x", perms(access.OrgRead), 0, "ttl", "token.ttl_range"},
		{"ttl over a year", "x", perms(access.OrgRead), 367 * 24 * time.Hour, "ttl", "token.ttl_range"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			secret, err := e.svc.CreateToken(e.ctx, p, c.tname, c.perms, c.ttl)
			if c.field == "" {
				if err != nil || !strings.HasPrefix(secret, "clt_") {
					t.Fatalf("CreateToken: %q %v", secret, err)
				}
				return
			}
			if secret != "" || apperr.CodeOf(err) != apperr.EInvalid || apperr.FieldsOf(err)[c.field] != c.key {
				t.Fatalf("CreateToken: %q %v %v, want %s=%s", secret, err, apperr.FieldsOf(err), c.field, c.key)
			}
		})
	}
	if ts, err := e.svc.FindTokens(e.ctx, p); err != nil || len(ts) != 2 {
		t.Fatalf("FindTokens: %d tokens, %v; want the 2 created", len(ts), err)
	}
	researcher := e.principal(e.user("researcher1", e.distA.ID, access.Researcher))
	if _, err := e.svc.CreateToken(e.ctx, researcher, "x", []access.Permission{access.ResearchExtract}, time.Hour); apperr.CodeOf(err) != apperr.EForbidden {
		t.Fatalf("role without token.own: %v, want forbidden", err)
	}
}

func TestTokenPrincipalIsLimited(t *testing.T) {
	e := newEnv(t)
	p := coordinator(t, e)
	secret, err := e.svc.CreateToken(e.ctx, p, "dash", []access.Permission{access.OrgRead, access.ReportRead}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	info, err := e.svc.AuthenticateToken(e.ctx, secret)
	if err != nil {
		t.Fatalf("AuthenticateToken: %v", err)
	}
	tp := info.Principal
	if tp.UserID != p.UserID || tp.Limit == nil || info.User.ID != p.UserID {
		t.Fatalf("token principal %+v", tp)
	}
	for _, perm := range access.AllPermissions() {
		want := perm == access.OrgRead || perm == access.ReportRead
		if got := tp.Can(perm); got != want {
			t.Errorf("token Can(%s) = %v, want %v (session Can = %v)", perm, got, want, p.Can(perm))
		}
	}
	if _, ok := tp.At(access.OrgRead, e.schoolA.Path); !ok {
		t.Error("token cannot read the unit its owner may read")
	}
	if _, ok := tp.At(access.OrgRead, e.distB.Path); ok {
		t.Error("token reaches beyond its owner's scope")
	}
	if cond, _ := tp.Scope(access.RecordRead, "o.path"); cond != "1=0" {
		t.Errorf("token Scope(record.read) = %q, want 1=0", cond)
	}
	if _, err := e.svc.CreateToken(e.ctx, tp, "child", []access.Permission{access.OrgRead}, time.Hour); apperr.CodeOf(err) != apperr.EForbidden {
		t.Fatalf("a token creating a token: %v, want forbidden", err)
	}
}

func TestRevokedAndExpiredTokensRefused(t *testing.T) {
	e := newEnv(t)
	p := coordinator(t, e)
	other := coordinator2(t, e)
	revoked, err := e.svc.CreateToken(e.ctx, p, "old", []access.Permission{access.OrgRead}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	expiring, err := e.svc.CreateToken(e.ctx, p, "short", []access.Permission{access.OrgRead}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	ts, err := e.svc.FindTokens(e.ctx, p)
	if err != nil || len(ts) != 2 {
		t.Fatalf("FindTokens: %v %v", ts, err)
	}
	var rid int64
	for _, tk := range ts {
		if tk.Name == "old" {
			rid = tk.ID
		}
	}
	if err := e.svc.RevokeToken(e.ctx, other, rid); apperr.CodeOf(err) != apperr.ENotFound {
		t.Fatalf("another user revoking the token: %v, want not found", err)
	}
	if _, err := e.svc.AuthenticateToken(e.ctx, revoked); err != nil {
		t.Fatalf("token after a refused revoke: %v", err)
	}
	if err := e.svc.RevokeToken(e.ctx, p, rid); err != nil {
		t.Fatalf("RevokeToken: %v", err)
	}
	_, err = e.svc.AuthenticateToken(e.ctx, revoked)
	wantErr(t, err, apperr.EUnauthorized, "token.invalid")
	if err := e.svc.RevokeToken(e.ctx, p, rid); apperr.CodeOf(err) != apperr.ENotFound {
		t.Fatalf("revoking twice: %v, want not found", err)
	}

	e.clk.Advance(59 * time.Minute)
	if _, err := e.svc.AuthenticateToken(e.ctx, expiring); err != nil {
		t.Fatalf("token 1 minute before expiry: %v", err)
	}
	e.clk.Advance(time.Minute)
	_, err = e.svc.AuthenticateToken(e.ctx, expiring)
	wantErr(t, err, apperr.EUnauthorized, "token.invalid")
	for _, bad := range []string{"", "clt_nope", expiring + "x"} {
		_, err := e.svc.AuthenticateToken(e.ctx, bad)
		wantErr(t, err, apperr.EUnauthorized, "token.invalid")
	}
}

func TestTokenSecretNotStored(t *testing.T) {
	e := newEnv(t)
	p := coordinator(t, e)
	secret, err := e.svc.CreateToken(e.ctx, p, "sync", []access.Permission{access.OrgRead}, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	if len(secret) < 40 {
		t.Fatalf("token secret %q is too short", secret)
	}
	body := strings.TrimPrefix(secret, "clt_")
	sum := sha256.Sum256([]byte(secret))
	var stored []string
	err = e.db.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		var name, hash, perms string
		if err := tx.QueryRow(ctx, `SELECT name, token_hash, permissions FROM api_tokens`).Scan(&name, &hash, &perms); err != nil {
			return err
		}
		stored = []string{name, hash, perms}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if stored[1] != hex.EncodeToString(sum[:]) {
		t.Fatalf("token_hash %q is not the SHA-256 of the secret", stored[1])
	}
	for _, col := range stored {
		if strings.Contains(col, body) {
			t.Fatalf("api_tokens stores the secret: %q", col)
		}
	}
	// Sessions too are stored by hash only.
	tok := e.login("coord1")
	var n int
	e.scalar(&n, `SELECT COUNT(*) FROM sessions WHERE token_hash = ?`, tok)
	if n != 0 {
		t.Fatal("a session token is stored in clear")
	}
	sum = sha256.Sum256([]byte(tok))
	e.scalar(&n, `SELECT COUNT(*) FROM sessions WHERE token_hash = ?`, hex.EncodeToString(sum[:]))
	if n != 1 {
		t.Fatalf("%d sessions stored under the SHA-256 of the token, want 1", n)
	}
}
