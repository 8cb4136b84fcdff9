package screening_test

import (
	"testing"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/screening"
)

// TestExcludedListsWhoAndWhy: the campaign shows who is excluded and why,
// only inside the caller's scope, and a consent takes a student off the list.
func TestExcludedListsWhoAndWhy(t *testing.T) {
	e := newEnv(t)
	ids := e.seed(kid("A0012", "十二", e.a, 7, "1班", age12), kid("A0015", "十五", e.a, 9, "1班", age15),
		kid("A2012", "小二", e.a2, 7, "1班", age12))
	cid := e.create(e.coordX, campaign(e.x, screening.ConsentUnder14, screening.Target{SchoolID: e.a.ID}, screening.Target{SchoolID: e.a2.ID}))
	e.consent(cid, ids["A0015"], "refused")

	list, err := e.svc.Excluded(e.ctx, e.coordX, cid)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, x := range list {
		got[x.Name] = x.Reason
	}
	want := map[string]string{"十二": "consent_missing_under14", "十五": "consent_refused", "小二": "consent_missing_under14"}
	if len(got) != len(want) {
		t.Fatalf("excluded %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s excluded for %q, want %q", k, got[k], v)
		}
	}
	mine, err := e.svc.Excluded(e.ctx, e.principal(access.SchoolCounsellor, e.a2), cid)
	if err != nil || len(mine) != 1 || mine[0].Name != "小二" {
		t.Errorf("school A2's counsellor sees %+v, %v; want only 小二", mine, err)
	}
	if _, err := e.svc.Excluded(e.ctx, e.principal(access.HeadTeacher, e.a), cid); apperr.CodeOf(err) != apperr.EForbidden {
		t.Errorf("a head teacher read the excluded list: %v", err)
	}
	e.consent(cid, ids["A0012"], "given")
	if list, _ := e.svc.Excluded(e.ctx, e.coordX, cid); len(list) != 2 {
		t.Errorf("after consent, %d excluded, want 2", len(list))
	}
	e.verifyAudit()
}
