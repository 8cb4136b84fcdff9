package people_test

import (
	"context"
	"crypto/rand"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/people"
	"github.com/careloop/careloop/internal/seal"
	"github.com/careloop/careloop/internal/testutil"
)

// testPassword meets the policy for every username used in these tests.
const testPassword = "Correct-Horse-42x"

// env is a people.Service on a fresh migrated database, with a small network:
// the city (root) holding districts A and B, and a school in district A.
// admin is a sysadmin at the root.
type env struct {
	t       *testing.T
	ctx     context.Context
	db      *db.DB
	keys    *seal.Keyring
	clk     *testutil.Clock
	svc     *people.Service
	orgs    *org.Service
	root    *org.Unit
	distA   *org.Unit
	distB   *org.Unit
	schoolA *org.Unit
	admin   int64
	secrets map[int64]string // TOTP secrets of users enrolled by login
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	d := testutil.DB(t)
	log, err := audit.New("sha256", nil)
	if err != nil {
		t.Fatal(err)
	}
	keys := seal.NewKeyring()
	key := make([]byte, 32)
	if _, err := rand.Read(key); err != nil {
		t.Fatal(err)
	}
	if err := keys.Rotate("test-1", seal.AES256GCM, key); err != nil {
		t.Fatal(err)
	}
	clk := testutil.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	e := &env{t: t, ctx: ctx, db: d, keys: keys, clk: clk, secrets: map[int64]string{},
		svc: &people.Service{DB: d, Audit: log, Seal: keys, Now: clk.Now,
			IdleTimeout: 30 * time.Minute, MaxSession: 12 * time.Hour},
		orgs: &org.Service{DB: d, Audit: log, Now: clk.Now}}
	if e.root, err = e.orgs.CreateRoot(ctx, "测试市", "Test City"); err != nil {
		t.Fatalf("create root: %v", err)
	}
	e.admin = e.user("sysadmin1", e.root.ID, access.SysAdmin)
	admin := e.principal(e.admin)
	e.distA = e.unit(admin, org.District, "甲区", e.root.ID)
	e.distB = e.unit(admin, org.District, "乙区", e.root.ID)
	e.schoolA = e.unit(admin, org.School, "甲区一中", e.distA.ID)
	return e
}

func (e *env) unit(p access.Principal, kind org.Kind, name string, parent int64) *org.Unit {
	e.t.Helper()
	u, err := e.orgs.CreateUnit(e.ctx, p, org.NewUnit{Kind: kind, Name: name, ParentID: parent})
	if err != nil {
		e.t.Fatalf("create unit %s: %v", name, err)
	}
	return u
}

// user bootstraps an account with testPassword and one role.
func (e *env) user(username string, orgID int64, role string) int64 {
	e.t.Helper()
	id, pw, err := e.svc.Bootstrap(e.ctx, people.NewUser{Username: username, DisplayName: username}, testPassword, orgID, role)
	if err != nil {
		e.t.Fatalf("bootstrap %s: %v", username, err)
	}
	if pw != testPassword {
		e.t.Fatalf("bootstrap %s returned password %q, want the one given", username, pw)
	}
	return id
}

// principal builds the Principal a full session of user id would carry,
// from the account's memberships (the self-lookup needs no permission).
func (e *env) principal(id int64) access.Principal {
	e.t.Helper()
	u, err := e.svc.FindUserByID(e.ctx, access.Principal{UserID: id}, id)
	if err != nil {
		e.t.Fatalf("find user %d: %v", id, err)
	}
	p := access.Principal{UserID: u.ID, Username: u.Username}
	for _, m := range u.Memberships {
		p.Memberships = append(p.Memberships, access.Membership{OrgID: m.OrgID, OrgPath: m.OrgPath, Role: m.Role})
	}
	return p
}

// login signs username in through every stage and returns a full session
// token. A user who must enrol is enrolled; an enrolled user is asked for a
// code 30 seconds later (the clock moves) so the code is never a replay.
func (e *env) login(username string) string {
	e.t.Helper()
	res, err := e.svc.SignIn(e.ctx, username, testPassword)
	if err != nil {
		e.t.Fatalf("sign in %s: %v", username, err)
	}
	if res.Stage == people.StageFull {
		return res.Token
	}
	info, err := e.svc.Authenticate(e.ctx, res.Token)
	if err != nil {
		e.t.Fatalf("authenticate first stage of %s: %v", username, err)
	}
	id := info.User.ID
	if res.NeedsEnrol {
		enr, err := e.svc.BeginEnrolment(e.ctx, res.Token)
		if err != nil {
			e.t.Fatalf("begin enrolment %s: %v", username, err)
		}
		e.secrets[id] = enr.Secret
	} else {
		e.clk.Advance(30 * time.Second)
	}
	full, err := e.svc.VerifySecondFactor(e.ctx, res.Token, e.code(id), res.NeedsEnrol)
	if err != nil {
		e.t.Fatalf("second factor %s: %v", username, err)
	}
	return full
}

// code is the current TOTP code of a user enrolled by login.
func (e *env) code(id int64) string {
	e.t.Helper()
	c, err := totp.GenerateCode(e.secrets[id], e.clk.Now())
	if err != nil {
		e.t.Fatal(err)
	}
	return c
}

// scalar runs a one-value query.
func (e *env) scalar(dest any, q string, args ...any) {
	e.t.Helper()
	err := e.db.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, q, args...).Scan(dest)
	})
	if err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
}

// exec runs one statement, for arranging state the services cannot reach.
func (e *env) exec(q string, args ...any) {
	e.t.Helper()
	if _, err := e.db.Exec(e.ctx, q, args...); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
}

type auditRow struct {
	Actor   int64
	Outcome string
	Detail  string
}

// auditRows lists the audit entries of action, oldest first.
func (e *env) auditRows(action string) []auditRow {
	e.t.Helper()
	var out []auditRow
	err := e.db.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT actor_user_id, outcome, detail FROM audit_log WHERE action = ? ORDER BY seq`, action)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r auditRow
			if err := rows.Scan(&r.Actor, &r.Outcome, &r.Detail); err != nil {
				return err
			}
			out = append(out, r)
		}
		return rows.Err()
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

// verifyAudit fails the test unless the whole audit chain verifies.
func (e *env) verifyAudit() {
	e.t.Helper()
	n, problem, err := audit.Verify(e.ctx, e.db)
	if err != nil || problem != nil {
		e.t.Fatalf("audit.Verify: good=%d problem=%v err=%v", n, problem, err)
	}
	if n == 0 {
		e.t.Fatal("audit.Verify: empty trail")
	}
}

// wantErr fails unless err has the code and (when msg != "") the message.
func wantErr(t *testing.T, err error, code apperr.Code, msg string) {
	t.Helper()
	if apperr.CodeOf(err) != code || (msg != "" && apperr.MessageOf(err) != msg) {
		t.Fatalf("got error %v, want %s %q", err, code, msg)
	}
}

// expired asserts that token no longer authenticates.
func (e *env) expired(token, what string) {
	e.t.Helper()
	if _, err := e.svc.Authenticate(e.ctx, token); apperr.CodeOf(err) != apperr.EUnauthorized ||
		apperr.MessageOf(err) != "signin.expired" {
		e.t.Fatalf("%s: Authenticate gave %v, want unauthorized signin.expired", what, err)
	}
}

// valid asserts that token authenticates as a full session of user id.
func (e *env) valid(token string, id int64, what string) *people.SessionInfo {
	e.t.Helper()
	info, err := e.svc.Authenticate(e.ctx, token)
	if err != nil {
		e.t.Fatalf("%s: Authenticate: %v", what, err)
	}
	if info.User.ID != id || info.Principal.UserID != id || info.Stage != people.StageFull {
		e.t.Fatalf("%s: got user %d stage %q, want user %d full", what, info.User.ID, info.Stage, id)
	}
	return info
}
