package people_test

import (
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/people"
)

func TestSignInStages(t *testing.T) {
	e := newEnv(t)
	cases := []struct {
		user, role      string
		stage           string
		enrol, mustTOTP bool
	}{
		{"researcher1", access.Researcher, people.StageFull, false, false},
		{"counsellor1", access.SchoolCounsellor, people.StagePassword, true, false},
		{"teacher1", access.HeadTeacher, people.StagePassword, true, false},
	}
	for _, c := range cases {
		t.Run(c.role, func(t *testing.T) {
			id := e.user(c.user, e.schoolA.ID, c.role)
			res, err := e.svc.SignIn(e.ctx, c.user, testPassword)
			if err != nil {
				t.Fatalf("SignIn: %v", err)
			}
			if res.Stage != c.stage || res.NeedsEnrol != c.enrol || res.NeedsTOTP != c.mustTOTP || res.MustChangePW {
				t.Fatalf("SignIn(%s) = %+v, want stage %q enrol=%v totp=%v", c.role, *res, c.stage, c.enrol, c.mustTOTP)
			}
			if res.Token == "" {
				t.Fatal("SignIn returned no session token")
			}
			info, err := e.svc.Authenticate(e.ctx, res.Token)
			if err != nil {
				t.Fatalf("Authenticate the new session: %v", err)
			}
			if info.User.ID != id || info.Stage != c.stage {
				t.Fatalf("session is user %d stage %q, want %d %q", info.User.ID, info.Stage, id, c.stage)
			}
			if c.stage == people.StageFull && !info.Principal.Can(access.ResearchExtract) {
				t.Fatal("full researcher session cannot use research.extract")
			}
			rows := e.auditRows("user.signin")
			if last := rows[len(rows)-1]; last != (auditRow{id, audit.Success, map[bool]string{true: "complete", false: "password"}[c.stage == people.StageFull]}) {
				t.Fatalf("last signin audit row = %+v", last)
			}
		})
	}
	e.verifyAudit()
}

// TestSignInFailuresAreNonRevealing: an unknown username, a wrong password,
// an account without a role and a deactivated account all get the very same
// answer, and every attempt is audited with its real reason.
func TestSignInFailuresAreNonRevealing(t *testing.T) {
	e := newEnv(t)
	e.user("researcher1", e.distA.ID, access.Researcher)
	gone := e.user("leaver1", e.distA.ID, access.Researcher)
	if err := e.svc.SetUserActive(e.ctx, e.principal(e.admin), gone, false); err != nil {
		t.Fatalf("deactivate: %v", err)
	}
	noRole, _, err := e.svc.CreateUser(e.ctx, e.principal(e.admin), people.NewUser{Username: "newbie1", DisplayName: "Newbie"})
	if err != nil {
		t.Fatalf("CreateUser: %v", err)
	}
	// Give the role-less account a known password straight in the table, so
	// that the right password is what is refused.
	hash, _ := people.HashPassword(testPassword)
	e.exec(`UPDATE users SET password_hash = ?, must_change_password = 0 WHERE id = ?`, hash, noRole)
	cases := []struct {
		name, user, pw string
		actor          int64
		detail         string
	}{
		{"unknown user", "nobody1", testPassword, 0, "unknown_user"},
		{"wrong password", "researcher1", "Wrong-Horse-42x", -1, "bad_password"},
		{"empty password", "researcher1", "", -1, "bad_password"},
		{"no membership", "newbie1", testPassword, noRole, "no_role"},
		{"deactivated", "leaver1", testPassword, gone, "inactive"},
	}
	var first error
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := len(e.auditRows("user.signin"))
			res, err := e.svc.SignIn(e.ctx, c.user, c.pw)
			if res != nil {
				t.Fatalf("SignIn succeeded: %+v", *res)
			}
			wantErr(t, err, apperr.EUnauthorized, "signin.bad_credentials")
			if first == nil {
				first = err
			} else if err.Error() != first.Error() {
				t.Fatalf("answer %q differs from %q", err, first)
			}
			rows := e.auditRows("user.signin")
			if len(rows) != before+1 {
				t.Fatalf("audit rows %d -> %d, want one more", before, len(rows))
			}
			last := rows[len(rows)-1]
			if last.Outcome != audit.Failure || last.Detail != c.detail || (c.actor >= 0 && last.Actor != c.actor) {
				t.Fatalf("audit row %+v, want failure %q by %d", last, c.detail, c.actor)
			}
		})
	}
	var sessions int
	e.scalar(&sessions, `SELECT COUNT(*) FROM sessions`)
	if sessions != 0 {
		t.Fatalf("%d sessions opened by failed sign-ins", sessions)
	}
	e.verifyAudit()
}

func TestLockoutAfterFiveFailures(t *testing.T) {
	e := newEnv(t)
	id := e.user("researcher1", e.distA.ID, access.Researcher)
	for i := 1; i <= 5; i++ {
		e.clk.Advance(time.Second)
		_, err := e.svc.SignIn(e.ctx, "researcher1", "Wrong-Horse-42x")
		wantErr(t, err, apperr.EUnauthorized, "signin.bad_credentials")
	}
	lockedAt := e.clk.Now()
	rows := e.auditRows("user.signin")
	if last := rows[len(rows)-1]; last != (auditRow{id, audit.Failure, "bad_password_locked"}) {
		t.Fatalf("fifth failure audited as %+v", last)
	}
	for _, pw := range []string{testPassword, "Wrong-Horse-42x"} {
		res, err := e.svc.SignIn(e.ctx, "researcher1", pw)
		if res != nil {
			t.Fatalf("locked account signed in with %q", pw)
		}
		wantErr(t, err, apperr.ETooMany, "signin.locked")
		rows := e.auditRows("user.signin")
		if last := rows[len(rows)-1]; last != (auditRow{id, audit.Denied, "locked"}) {
			t.Fatalf("locked attempt audited as %+v", last)
		}
	}
	e.clk.Advance(lockedAt.Add(15*time.Minute).Sub(e.clk.Now()) - time.Second) // 1s before the lock ends
	if _, err := e.svc.SignIn(e.ctx, "researcher1", testPassword); apperr.CodeOf(err) != apperr.ETooMany {
		t.Fatalf("one second before the lock ends: %v, want signin.locked", err)
	}
	e.clk.Advance(time.Second)
	res, err := e.svc.SignIn(e.ctx, "researcher1", testPassword)
	if err != nil || res.Stage != people.StageFull {
		t.Fatalf("after 15 minutes: %v", err)
	}
	var fails int
	var locked int64
	e.scalar(&fails, `SELECT failed_logins FROM users WHERE id = ?`, id)
	e.scalar(&locked, `SELECT locked_until FROM users WHERE id = ?`, id)
	if fails != 0 || locked != 0 {
		t.Fatalf("after success failed_logins=%d locked_until=%d, want 0 0", fails, locked)
	}
	e.verifyAudit()
}

// TestLockoutCountsOnlyConsecutiveFailures: a success in between resets the
// counter, so four failures, a success and four failures do not lock.
func TestLockoutCountsOnlyConsecutiveFailures(t *testing.T) {
	e := newEnv(t)
	e.user("researcher1", e.distA.ID, access.Researcher)
	fail := func(n int) {
		for i := 0; i < n; i++ {
			_, err := e.svc.SignIn(e.ctx, "researcher1", "Wrong-Horse-42x")
			wantErr(t, err, apperr.EUnauthorized, "signin.bad_credentials")
		}
	}
	fail(4)
	if _, err := e.svc.SignIn(e.ctx, "researcher1", testPassword); err != nil {
		t.Fatalf("fifth attempt, right password: %v", err)
	}
	fail(4)
	if _, err := e.svc.SignIn(e.ctx, "researcher1", testPassword); err != nil {
		t.Fatalf("after 4+4 failures with a success between: %v", err)
	}
}
