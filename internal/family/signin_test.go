package family_test

import (
	"testing"
	"time"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/family"
)

func TestNormalizePhone(t *testing.T) {
	for in, want := range map[string]string{"138 0000 0001": "13800000001", "+86 139-0000-0002": "13900000002",
		"008613800000001": "13800000001", "12800000001": "", "1380000000": "", "abc": "", "23800000001": ""} {
		got, ok := family.NormalizePhone(in)
		if got != want || ok != (want != "") {
			t.Errorf("NormalizePhone(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	if got := family.MaskPhone("13800000001"); got != "138****0001" {
		t.Errorf("MaskPhone = %q", got)
	}
}

func TestSignInWithCode(t *testing.T) {
	e := newEnv(t)
	se := e.signIn(mum)
	if se.Phone != mum {
		t.Fatalf("session phone %q", se.Phone)
	}
	kids, err := e.svc.Children(e.ctx, se)
	if err != nil || len(kids) != 2 {
		t.Fatalf("Children = %+v, %v; want kidA and kidA2", kids, err)
	}
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'family.signin' AND actor_role = 'guardian' AND outcome = 'success'`); n != 1 {
		t.Errorf("sign-in audit entries %d, want 1", n)
	}
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'family.child_read' AND actor_role = 'guardian'`); n != 2 {
		t.Errorf("child reads audited %d, want 2", n)
	}
	// The code and the phone are stored only as keyed hashes.
	if n := e.num(`SELECT COUNT(*) FROM family_codes WHERE phone_hash = ? OR code_hash LIKE '%' || ? || '%'`, mum, e.sms.last(mum)); n != 0 {
		t.Errorf("%d code rows hold the phone or the code in clear", n)
	}
}

func TestSignInRefusesWrongExpiredAndReusedCodes(t *testing.T) {
	e := newEnv(t)
	refused := func(what, phone, code string) {
		t.Helper()
		_, err := e.svc.SignIn(e.ctx, phone, code)
		if apperr.CodeOf(err) != apperr.EUnauthorized || apperr.MessageOf(err) != "family.code_wrong" {
			t.Errorf("%s: err %v, want the one wrong-code answer", what, err)
		}
	}
	if err := e.svc.RequestCode(e.ctx, mum, "zh-CN"); err != nil {
		t.Fatal(err)
	}
	code := e.sms.last(mum)
	wrong := "000000"
	if code == wrong {
		wrong = "111111"
	}
	refused("wrong code", mum, wrong)
	refused("code of another phone", dad, code)
	if _, err := e.svc.SignIn(e.ctx, mum, code); err != nil {
		t.Fatalf("right code after one wrong try: %v", err)
	}
	refused("reused code", mum, code)

	// Expired: 5 minutes.
	e.clk.Advance(2 * time.Minute)
	if err := e.svc.RequestCode(e.ctx, mum, "zh-CN"); err != nil {
		t.Fatal(err)
	}
	code = e.sms.last(mum)
	e.clk.Advance(family.CodeLifetime + time.Second)
	refused("expired code", mum, code)

	// Five wrong tries end the code, even the right one after them.
	e.clk.Advance(2 * time.Minute)
	if err := e.svc.RequestCode(e.ctx, mum, "zh-CN"); err != nil {
		t.Fatal(err)
	}
	code = e.sms.last(mum)
	for i := 0; i < family.CodeTries; i++ {
		w := "00000" + string(rune('0'+i))
		if w == code {
			w = "99999" + string(rune('0'+i))
		}
		refused("wrong try", mum, w)
	}
	refused("right code after five wrong tries", mum, code)

	// A new code supersedes the old one.
	e.clk.Advance(2 * time.Minute)
	if err := e.svc.RequestCode(e.ctx, mum, "zh-CN"); err != nil {
		t.Fatal(err)
	}
	old := e.sms.last(mum)
	e.clk.Advance(2 * time.Minute)
	if err := e.svc.RequestCode(e.ctx, mum, "zh-CN"); err != nil {
		t.Fatal(err)
	}
	if fresh := e.sms.last(mum); fresh != old {
		refused("superseded code", mum, old)
	}
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'family.signin' AND outcome = 'failure'`); n < 9 {
		t.Errorf("failed sign-ins audited %d, want at least 9", n)
	}
}

func TestUnknownPhoneIsIndistinguishable(t *testing.T) {
	e := newEnv(t)
	errKnown := e.svc.RequestCode(e.ctx, mum, "zh-CN")
	errUnknown := e.svc.RequestCode(e.ctx, stranger, "zh-CN")
	if errKnown != nil || errUnknown != nil {
		t.Fatalf("RequestCode known %v, unknown %v: want the same success", errKnown, errUnknown)
	}
	if e.sms.count() != 1 || e.sms.last(stranger) != "" {
		t.Errorf("sent %d messages (to the stranger: %q); want one, to the known phone only", e.sms.count(), e.sms.last(stranger))
	}
	// Both phones have a code row, so the limits treat them alike.
	if n := e.num(`SELECT COUNT(*) FROM family_codes`); n != 2 {
		t.Errorf("%d code rows, want 2", n)
	}
	// The unknown phone's limit answers like the known one's.
	e2 := e.svc.RequestCode(e.ctx, mum, "zh-CN")
	u2 := e.svc.RequestCode(e.ctx, stranger, "zh-CN")
	if apperr.CodeOf(e2) != apperr.ETooMany || apperr.CodeOf(u2) != apperr.ETooMany {
		t.Errorf("second request within a minute: known %v, unknown %v; want both too many", e2, u2)
	}
	// Guessing a code for the unknown phone signs nobody in.
	for _, c := range []string{"123456", "000000"} {
		if _, err := e.svc.SignIn(e.ctx, stranger, c); apperr.MessageOf(err) != "family.code_wrong" {
			t.Errorf("unknown phone sign-in: %v", err)
		}
	}
	if err := e.svc.RequestCode(e.ctx, "12345", "zh-CN"); apperr.CodeOf(err) != apperr.EInvalid {
		t.Errorf("malformed phone: %v, want invalid", err)
	}
}

func TestCodeRateLimitPerPhone(t *testing.T) {
	e := newEnv(t)
	sent := 0
	for i := 0; i < 10; i++ {
		err := e.svc.RequestCode(e.ctx, mum, "en")
		switch apperr.CodeOf(err) {
		case "":
			sent++
		case apperr.ETooMany:
		default:
			t.Fatalf("RequestCode: %v", err)
		}
		e.clk.Advance(family.CodeGap + time.Second)
	}
	if sent != family.CodesPerHour {
		t.Errorf("sent %d codes in ten minutes, want %d", sent, family.CodesPerHour)
	}
	e.clk.Advance(time.Hour)
	if err := e.svc.RequestCode(e.ctx, mum, "en"); err != nil {
		t.Errorf("an hour later: %v", err)
	}
}

func TestSessionIdleTimeoutAndSignOut(t *testing.T) {
	e := newEnv(t)
	if err := e.svc.RequestCode(e.ctx, dad, "zh-CN"); err != nil {
		t.Fatal(err)
	}
	token, err := e.svc.SignIn(e.ctx, dad, e.sms.last(dad))
	if err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(family.IdleTimeout - time.Minute)
	if _, err := e.svc.Authenticate(e.ctx, token); err != nil {
		t.Fatalf("within the idle timeout: %v", err)
	}
	e.clk.Advance(family.IdleTimeout + time.Second)
	if _, err := e.svc.Authenticate(e.ctx, token); apperr.CodeOf(err) != apperr.EUnauthorized {
		t.Errorf("after the idle timeout: %v, want unauthorized", err)
	}
	e.clk.Advance(2 * time.Minute)
	if err := e.svc.RequestCode(e.ctx, dad, "zh-CN"); err != nil {
		t.Fatal(err)
	}
	token, err = e.svc.SignIn(e.ctx, dad, e.sms.last(dad))
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SignOut(e.ctx, token); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Authenticate(e.ctx, token); apperr.CodeOf(err) != apperr.EUnauthorized {
		t.Errorf("after sign-out: %v, want unauthorized", err)
	}
	if n := e.num(`SELECT COUNT(*) FROM family_sessions WHERE token_hash = ?`, token); n != 0 {
		t.Errorf("the token is stored in clear")
	}
}
