package warning_test

import (
	"testing"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
)

// Preview runs a draft rule over the latest screenings of the unit's
// students, writes nothing but an audit entry, and needs rule.manage there.
func TestPreview(t *testing.T) {
	e := newEnv(t)
	counsellor := e.user(access.SchoolCounsellor, e.a)
	coordX := e.user(access.Coordinator, e.x)
	coordY := e.user(access.Coordinator, e.y)
	sc, _, ids, tokens := e.screen("PRV-1", "PRV-2")
	sc.OnScreened = nil // the preview must not depend on alerts
	if _, err := submit(sc, tokens["PRV-1"], "k1", criticalAnswers); err != nil {
		t.Fatal(err)
	}
	if _, err := submit(sc, tokens["PRV-2"], "k2", calmAnswers); err != nil {
		t.Fatal(err)
	}
	res, err := e.svc.Preview(e.ctx, coordX, e.x.ID, "size(critical) > 0", 90)
	if err != nil {
		t.Fatal(err)
	}
	if res.Screenings != 2 || res.Total != 1 || len(res.Flagged) != 1 || res.Flagged[0].StudentID != ids[0] || res.Errors != 0 {
		t.Errorf("Preview = %+v; want 2 screenings judged and student %d flagged", res, ids[0])
	}
	if res, err := e.svc.Preview(e.ctx, coordX, e.x.ID, "scores['gad-7'] >= 0 && tier != ''", 90); err != nil || res.Total != 2 {
		t.Errorf("Preview of a rule true for all = %+v, %v; want both flagged", res, err)
	}
	if res, err := e.svc.Preview(e.ctx, coordY, e.y.ID, "true", 90); err != nil || res.Screenings != 0 {
		t.Errorf("Preview over district Y = %+v, %v; want no screenings", res, err)
	}
	wantCode(t, "Preview by a counsellor", errOf(e.svc.Preview(e.ctx, counsellor, e.a.ID, "true", 90)), apperr.EForbidden)
	wantCode(t, "Preview by district Y over X", errOf(e.svc.Preview(e.ctx, coordY, e.x.ID, "true", 90)), apperr.EForbidden)
	wantCode(t, "Preview of a bad rule", errOf(e.svc.Preview(e.ctx, coordX, e.x.ID, "grade > 7", 90)), apperr.EInvalid)
	if n := e.num(`SELECT COUNT(*) FROM alerts`); n != 0 {
		t.Errorf("Preview raised %d alerts", n)
	}
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'warning.rule.preview' AND actor_user_id = ?`, coordX.UserID); n != 2 {
		t.Errorf("%d warning.rule.preview audit entries by the coordinator, want 2", n)
	}
}
