package people_test

import (
	"bytes"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/pquerna/otp/totp"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/people"
)

// firstStage signs a school counsellor in with the password only.
func firstStage(t *testing.T, e *env, username string) string {
	t.Helper()
	res, err := e.svc.SignIn(e.ctx, username, testPassword)
	if err != nil {
		t.Fatalf("SignIn: %v", err)
	}
	if res.Stage != people.StagePassword {
		t.Fatalf("stage %q, want %q", res.Stage, people.StagePassword)
	}
	return res.Token
}

func genCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	c, err := totp.GenerateCode(secret, at)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// otherCode returns a well-formed code that is not valid near at.
func otherCode(t *testing.T, secret string, at time.Time) string {
	t.Helper()
	valid := map[string]bool{}
	for _, d := range []time.Duration{-30 * time.Second, 0, 30 * time.Second} {
		valid[genCode(t, secret, at.Add(d))] = true
	}
	for n := 0; ; n++ {
		c := strconv.Itoa(100000 + n)
		if !valid[c] {
			return c
		}
	}
}

func TestTOTPEnrolment(t *testing.T) {
	e := newEnv(t)
	id := e.user("counsellor1", e.schoolA.ID, access.SchoolCounsellor)
	first := firstStage(t, e, "counsellor1")

	info, err := e.svc.Authenticate(e.ctx, first)
	if err != nil || info.Stage != people.StagePassword {
		t.Fatalf("first-stage Authenticate: %v %+v", err, info)
	}
	if len(info.Principal.Memberships) != 0 {
		t.Fatalf("first-stage principal has memberships %v", info.Principal.Memberships)
	}
	for _, perm := range access.AllPermissions() {
		if info.Principal.Can(perm) {
			t.Fatalf("first-stage principal can %s", perm)
		}
	}
	if _, err := e.svc.CreateToken(e.ctx, info.Principal, "x", []access.Permission{access.OrgRead}, time.Hour); apperr.CodeOf(err) != apperr.EForbidden {
		t.Fatalf("first-stage CreateToken: %v, want forbidden", err)
	}

	enr, err := e.svc.BeginEnrolment(e.ctx, first)
	if err != nil {
		t.Fatalf("BeginEnrolment: %v", err)
	}
	if len(enr.Secret) < 16 || !strings.HasPrefix(enr.URL, "otpauth://totp/") || !strings.Contains(enr.URL, enr.Secret) ||
		!bytes.HasPrefix(enr.QRPNG, []byte("\x89PNG\r\n\x1a\n")) {
		t.Fatalf("enrolment %+v", enr)
	}
	again, err := e.svc.BeginEnrolment(e.ctx, first)
	if err != nil || again.Secret != enr.Secret {
		t.Fatalf("second BeginEnrolment: %v, secret changed=%v", err, err == nil && again.Secret != enr.Secret)
	}

	_, err = e.svc.VerifySecondFactor(e.ctx, first, otherCode(t, enr.Secret, e.clk.Now()), true)
	wantErr(t, err, apperr.EUnauthorized, "totp.bad_code")

	full, err := e.svc.VerifySecondFactor(e.ctx, first, genCode(t, enr.Secret, e.clk.Now()), true)
	if err != nil {
		t.Fatalf("VerifySecondFactor with the right code: %v", err)
	}
	if full == "" || full == first {
		t.Fatalf("full token %q must be new (first-stage token %q)", full, first)
	}
	e.expired(first, "first-stage token after the second factor")
	if _, err := e.svc.VerifySecondFactor(e.ctx, first, genCode(t, enr.Secret, e.clk.Now()), false); apperr.CodeOf(err) != apperr.EUnauthorized {
		t.Fatalf("second factor on the spent first-stage token: %v", err)
	}
	got := e.valid(full, id, "full token")
	if !got.User.TOTPEnabled || !got.Principal.Can(access.RecordRead) {
		t.Fatalf("after enrolment TOTPEnabled=%v can record.read=%v", got.User.TOTPEnabled, got.Principal.Can(access.RecordRead))
	}
	rows := e.auditRows("user.second_factor")
	want := []auditRow{{id, audit.Failure, "bad_code"}, {id, audit.Success, "enrolled"}}
	if len(rows) != 2 || rows[0] != want[0] || rows[1] != want[1] {
		t.Fatalf("second-factor audit rows %+v, want %+v", rows, want)
	}
	e.verifyAudit()
}

func TestTOTPBadCodes(t *testing.T) {
	e := newEnv(t)
	e.user("counsellor1", e.schoolA.ID, access.SchoolCounsellor)
	first := firstStage(t, e, "counsellor1")
	enr, err := e.svc.BeginEnrolment(e.ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	now := e.clk.Now()
	cases := map[string]string{ // at most four: the fifth failure would lock
		"empty":          "",
		"wrong":          otherCode(t, enr.Secret, now),
		"letters":        "abcdef",
		"two steps late": genCode(t, enr.Secret, now.Add(-61*time.Second)),
	}
	for name, code := range cases {
		if code == genCode(t, enr.Secret, now) {
			continue // a collision of the old code with the current one
		}
		_, err := e.svc.VerifySecondFactor(e.ctx, first, code, true)
		if apperr.CodeOf(err) != apperr.EUnauthorized || apperr.MessageOf(err) != "totp.bad_code" {
			t.Fatalf("%s code %q: %v, want totp.bad_code", name, code, err)
		}
	}
	if _, err := e.svc.VerifySecondFactor(e.ctx, first, genCode(t, enr.Secret, now), true); err != nil {
		t.Fatalf("right code after refused ones: %v", err)
	}
}

func TestTOTPSecretIsSealed(t *testing.T) {
	e := newEnv(t)
	id := e.user("counsellor1", e.schoolA.ID, access.SchoolCounsellor)
	first := firstStage(t, e, "counsellor1")
	enr, err := e.svc.BeginEnrolment(e.ctx, first)
	if err != nil {
		t.Fatal(err)
	}
	check := func(when string) {
		var stored []byte
		e.scalar(&stored, `SELECT totp_secret FROM users WHERE id = ?`, id)
		if len(stored) == 0 {
			t.Fatalf("%s: no TOTP secret stored", when)
		}
		for _, leak := range []string{enr.Secret, strings.ToLower(enr.Secret), "otpauth"} {
			if bytes.Contains(stored, []byte(leak)) {
				t.Fatalf("%s: users.totp_secret contains %q in clear", when, leak)
			}
		}
		opened, err := e.keys.Open(stored, "users:"+strconv.FormatInt(id, 10)+":totp_secret")
		if err != nil || !bytes.Contains(opened, []byte(enr.Secret)) {
			t.Fatalf("%s: stored value does not open with the keyring to the secret: %v", when, err)
		}
	}
	check("pending")
	if _, err := e.svc.VerifySecondFactor(e.ctx, first, genCode(t, enr.Secret, e.clk.Now()), true); err != nil {
		t.Fatal(err)
	}
	check("enrolled")
}

func TestTOTPReplayRefused(t *testing.T) {
	e := newEnv(t)
	id := e.user("counsellor1", e.schoolA.ID, access.SchoolCounsellor)
	e.login("counsellor1") // enrols at the current step
	used := e.code(id)

	e.clk.Advance(10 * time.Second) // same 30-second step
	res, err := e.svc.SignIn(e.ctx, "counsellor1", testPassword)
	if err != nil || !res.NeedsTOTP || res.NeedsEnrol || res.Stage != people.StagePassword {
		t.Fatalf("second sign-in: %v %+v", err, res)
	}
	_, err = e.svc.VerifySecondFactor(e.ctx, res.Token, used, false)
	wantErr(t, err, apperr.EUnauthorized, "totp.bad_code")

	e.clk.Advance(30 * time.Second) // next step: the used code is still inside the ±1 window
	_, err = e.svc.VerifySecondFactor(e.ctx, res.Token, used, false)
	wantErr(t, err, apperr.EUnauthorized, "totp.bad_code")

	fresh := e.code(id)
	if fresh == used {
		t.Skip("consecutive codes collide")
	}
	full, err := e.svc.VerifySecondFactor(e.ctx, res.Token, fresh, false)
	if err != nil {
		t.Fatalf("fresh code: %v", err)
	}
	e.valid(full, id, "after fresh code")
	if _, err := e.svc.VerifySecondFactor(e.ctx, res.Token, fresh, false); apperr.CodeOf(err) != apperr.EUnauthorized {
		t.Fatalf("reuse of the spent first-stage token: %v", err)
	}
}

// TestTOTPFailuresLock: five wrong codes end the first-stage session and
// lock the account like five wrong passwords.
func TestTOTPFailuresLock(t *testing.T) {
	e := newEnv(t)
	id := e.user("counsellor1", e.schoolA.ID, access.SchoolCounsellor)
	e.login("counsellor1")
	e.clk.Advance(time.Minute)
	first := firstStage(t, e, "counsellor1")
	for i := 0; i < 5; i++ {
		_, err := e.svc.VerifySecondFactor(e.ctx, first, otherCode(t, e.secrets[id], e.clk.Now()), false)
		wantErr(t, err, apperr.EUnauthorized, "totp.bad_code")
	}
	if _, err := e.svc.VerifySecondFactor(e.ctx, first, e.code(id), false); apperr.CodeOf(err) != apperr.EUnauthorized {
		t.Fatalf("right code on the session ended by the lockout: %v", err)
	}
	_, err := e.svc.SignIn(e.ctx, "counsellor1", testPassword)
	wantErr(t, err, apperr.ETooMany, "signin.locked")
}
