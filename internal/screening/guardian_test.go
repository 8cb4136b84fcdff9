package screening_test

import (
	"testing"
	"time"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/screening"
)

// TestGuardianConsent: a guardian's online withdrawal excludes the child at
// once; a phone that is not the child's guardian's, a campaign not
// targeting the child and a closed campaign are refused as not found.
func TestGuardianConsent(t *testing.T) {
	e := newEnv(t)
	ids := e.seed(kid("G-0001", "甲", e.a, 7, "1班", "2012-01-01"), kid("G-0002", "乙", e.b, 7, "1班", "2012-01-01"))
	cid := e.create(e.coordX, campaign(e.x, screening.ConsentNone, screening.Target{SchoolID: e.a.ID}))
	g := screening.GuardianConsent{GuardianID: 1, Phone: "13800000000", Decision: "withdrawn", GivenBy: "家长甲", Relation: "母亲"}
	if err := e.svc.RecordGuardianConsent(e.ctx, cid, ids["G-0001"], g); err != nil {
		t.Fatalf("RecordGuardianConsent: %v", err)
	}
	list, err := e.svc.Excluded(e.ctx, e.coordX, cid)
	if err != nil || len(list) != 1 || list[0].StudentID != ids["G-0001"] || list[0].Reason != "consent_withdrawn" {
		t.Errorf("Excluded = %+v, %v; want the child, consent_withdrawn", list, err)
	}
	if n := e.count(`SELECT COUNT(*) FROM consents WHERE method = 'online' AND recorded_by = 0 AND text_version = 'v1'`); n != 1 {
		t.Errorf("online consents %d, want 1", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'consent.guardian' AND actor_role = 'guardian'`); n != 1 {
		t.Errorf("audited %d times", n)
	}
	wrong := g
	wrong.Phone = "13900000000"
	wantCode(t, "another phone", e.svc.RecordGuardianConsent(e.ctx, cid, ids["G-0001"], wrong), apperr.ENotFound)
	wantCode(t, "a child the campaign does not target", e.svc.RecordGuardianConsent(e.ctx, cid, ids["G-0002"], g), apperr.ENotFound)
	bad := g
	bad.Decision = "maybe"
	wantCode(t, "unknown decision", e.svc.RecordGuardianConsent(e.ctx, cid, ids["G-0001"], bad), apperr.EInvalid)
	e.clk.Advance(8 * 24 * time.Hour)
	wantCode(t, "a campaign that has ended", e.svc.RecordGuardianConsent(e.ctx, cid, ids["G-0001"], g), apperr.ENotFound)
}
