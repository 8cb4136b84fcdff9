package screening_test

import (
	"testing"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/screening"
)

// TestRescreenAfterInvalidResponse: a flagged response is kept and a new
// attempt with a new code is offered; the second attempt is recorded beside
// the first and sets the tier again.
func TestRescreenAfterInvalidResponse(t *testing.T) {
	e, cid, sid, token := one(t)
	if _, err := e.svc.OfferRescreen(e.ctx, e.counsellorA, cid, sid); apperr.CodeOf(err) != apperr.EInvalid {
		t.Fatalf("rescreen before any response: %v, want invalid", err)
	}
	if _, err := e.svc.Submit(e.ctx, token, screening.Submission{IdempotencyKey: "k1", Answers: worried, Elapsed: rushed}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.OfferRescreen(e.ctx, e.principal(access.Coordinator, e.y), cid, sid); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("a coordinator of another district offered a re-screen: %v", err)
	}
	code, err := e.svc.OfferRescreen(e.ctx, e.counsellorA, cid, sid)
	if err != nil || code == "" {
		t.Fatalf("OfferRescreen: %q %v", code, err)
	}
	again, err := e.svc.OpenWithCode(e.ctx, code)
	if err != nil {
		t.Fatalf("the new code does not open a sitting: %v", err)
	}
	out, err := e.svc.Submit(e.ctx, again, screening.Submission{IdempotencyKey: "k2", Answers: calm, Elapsed: patient})
	if err != nil || len(out.Flags) != 0 {
		t.Fatalf("second attempt: %+v %v", out, err)
	}
	if n := e.count(`SELECT COUNT(*) FROM responses WHERE student_id = ?`, sid); n != 4 {
		t.Errorf("%d responses, want 2 attempts x 2 instruments kept", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM responses WHERE student_id = ? AND attempt = 2 AND flags = ''`, sid); n != 2 {
		t.Errorf("%d clean second-attempt responses, want 2", n)
	}
	if tier := e.str(`SELECT tier FROM student_tiers WHERE student_id = ?`, sid); tier != string(out.Tier) {
		t.Errorf("tier %s after the second attempt, want %s", tier, out.Tier)
	}
	if _, err := e.svc.OfferRescreen(e.ctx, e.counsellorA, cid, sid); apperr.CodeOf(err) != apperr.EInvalid {
		t.Errorf("rescreen after a clean attempt: %v, want invalid", err)
	}
	e.verifyAudit()
}
