package screening_test

import (
	"testing"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/screening"
)

// TestResultsFollowTheCurrentScope: school A2 leaves district X after a
// district X campaign ran there. The district still sees its campaign, but
// counts, lists and records of A2's students are now outside its scope;
// the city still sees everything.
func TestResultsFollowTheCurrentScope(t *testing.T) {
	e := newEnv(t)
	ids := e.seed(kid("A0001", "一号", e.a, 7, "1班", age14), kid("D0001", "二号", e.a2, 7, "1班", age14))
	cid := e.create(e.coordX, campaign(e.x, screening.ConsentNone, screening.Target{SchoolID: e.a.ID},
		screening.Target{SchoolID: e.a2.ID}))
	for _, s := range []struct {
		name   string
		school int64
		a      screening.Answers
	}{{"一号", e.a.ID, calm}, {"二号", e.a2.ID, worried}} {
		unit := e.a
		if s.school == e.a2.ID {
			unit = e.a2
		}
		if _, err := e.svc.Submit(e.ctx, e.open(cid, unit, s.name), screening.Submission{IdempotencyKey: s.name, Answers: s.a, Elapsed: patient}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.org.MoveUnit(e.ctx, e.admin, e.a2.ID, e.y.ID); err != nil {
		t.Fatal(err)
	}

	if got := e.progress(e.coordX, cid); len(got) != 1 || got[key(e.a, 7, "1班")].Completed != 1 {
		t.Errorf("district X progress after A2 left: %+v, want school A only", got)
	}
	if got := e.progress(e.cityCoord, cid); len(got) != 2 || got[key(e.a2, 7, "1班")].Completed != 1 {
		t.Errorf("city progress: %+v, want both schools", got)
	}
	if got, err := e.distribution(e.coordX, cid); err != nil || got != "A/7/1班 green 1 0" {
		t.Errorf("district X distribution %q (%v), want school A only", got, err)
	}
	if got, err := e.distribution(e.cityCoord, cid); err != nil || got != "A/7/1班 green 1 0; A2/7/1班 orange 1 0" {
		t.Errorf("city distribution %q (%v)", got, err)
	}
	list, err := e.svc.StudentsByTier(e.ctx, e.coordX, cid)
	if err != nil || len(list) != 1 || list[0].StudentID != ids["A0001"] {
		t.Errorf("district X list %+v (%v), want 一号 only", list, err)
	}
	_, _, err = e.svc.History(e.ctx, e.coordX, ids["D0001"])
	wantCode(t, "district X reads a student of a school that left", err, apperr.ENotFound)
	if hist, status, err := e.svc.History(e.ctx, e.cityCoord, ids["D0001"]); err != nil || len(hist) != 2 || status == nil || status.Tier != "orange" {
		t.Errorf("city reads %+v, %+v, %v", hist, status, err)
	}
}
