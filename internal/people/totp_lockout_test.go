package people_test

import (
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
)

// These tests pin the brute-force protection of the second factor against
// someone who already knows the password: guessing codes must end in the
// same lockout as guessing passwords, however the guesses are spread over
// first-stage sessions.

// TestTOTPFailuresSurviveANewSignIn: four wrong codes, a new sign-in with
// the (known) password, then one more wrong code is the fifth consecutive
// failure and must lock the account.
func TestTOTPFailuresSurviveANewSignIn(t *testing.T) {
	e := newEnv(t)
	id := e.user("counsellor1", e.schoolA.ID, access.SchoolCounsellor)
	e.login("counsellor1")
	e.clk.Advance(time.Minute)

	first := firstStage(t, e, "counsellor1")
	for i := 0; i < 4; i++ {
		_, err := e.svc.VerifySecondFactor(e.ctx, first, otherCode(t, e.secrets[id], e.clk.Now()), false)
		wantErr(t, err, apperr.EUnauthorized, "totp.bad_code")
	}
	second := firstStage(t, e, "counsellor1")
	_, err := e.svc.VerifySecondFactor(e.ctx, second, otherCode(t, e.secrets[id], e.clk.Now()), false)
	wantErr(t, err, apperr.EUnauthorized, "totp.bad_code")

	var fails int
	e.scalar(&fails, `SELECT failed_logins FROM users WHERE id = ?`, id)
	_, err = e.svc.SignIn(e.ctx, "counsellor1", testPassword)
	if apperr.CodeOf(err) != apperr.ETooMany {
		t.Fatalf("after 5 consecutive wrong codes (split by a sign-in) SignIn gave %v, want signin.locked; failed_logins was %d", err, fails)
	}
}

// TestTOTPRefusedWhileLocked: with two first-stage sessions opened before
// the lockout, five wrong codes on one lock the account; the other must not
// then accept a code.
func TestTOTPRefusedWhileLocked(t *testing.T) {
	e := newEnv(t)
	id := e.user("counsellor1", e.schoolA.ID, access.SchoolCounsellor)
	e.login("counsellor1")
	e.clk.Advance(time.Minute)

	a := firstStage(t, e, "counsellor1")
	b := firstStage(t, e, "counsellor1")
	for i := 0; i < 5; i++ {
		_, err := e.svc.VerifySecondFactor(e.ctx, a, otherCode(t, e.secrets[id], e.clk.Now()), false)
		wantErr(t, err, apperr.EUnauthorized, "totp.bad_code")
	}
	_, err := e.svc.SignIn(e.ctx, "counsellor1", testPassword)
	wantErr(t, err, apperr.ETooMany, "signin.locked")

	e.clk.Advance(30 * time.Second)
	full, err := e.svc.VerifySecondFactor(e.ctx, b, e.code(id), false)
	if err == nil {
		t.Fatalf("locked account completed the second factor on another first-stage session (full token issued: %v)", full != "")
	}
}
