package screening_test

import (
	"strconv"
	"testing"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/screening"
)

type classKey struct {
	school int64
	grade  int
	class  string
}

func key(school *org.Unit, grade int, class string) classKey {
	return classKey{school.ID, grade, class}
}

// progress returns the campaign's progress rows by class, failing on error
// or on a class listed twice.
func (e *env) progress(p access.Principal, campaignID int64) map[classKey]screening.ProgressRow {
	e.t.Helper()
	rows, err := e.svc.Progress(e.ctx, p, campaignID)
	if err != nil {
		e.t.Fatalf("Progress: %v", err)
	}
	out := map[classKey]screening.ProgressRow{}
	for _, r := range rows {
		k := classKey{r.SchoolID, r.Grade, r.ClassName}
		if _, dup := out[k]; dup {
			e.t.Errorf("Progress lists %+v twice", k)
		}
		out[k] = r
	}
	return out
}

// progressFixture: a district X campaign (rule under14) over schools A and
// A2, with students in every state.
func progressFixture(t *testing.T) (*env, int64) {
	e := newEnv(t)
	ids := e.seed(
		kid("P0001", "一号", e.a, 7, "1班", age13),  // consent given, invited
		kid("P0002", "二号", e.a, 7, "1班", age12),  // no consent: excluded
		kid("P0003", "三号", e.a, 7, "1班", age13),  // consent given, started
		kid("P0004", "四号", e.a, 7, "1班", age13),  // consent given, completed
		kid("P0005", "五号", e.a, 8, "1班", age15),  // needs no consent, invited
		kid("Q0001", "六号", e.a2, 7, "1班", age15), // guardian refused: excluded
		kid("B0001", "七号", e.b, 7, "1班", age15))  // school B: not targeted
	cid := e.create(e.coordX, campaign(e.x, screening.ConsentUnder14, screening.Target{SchoolID: e.a.ID},
		screening.Target{SchoolID: e.a2.ID}))
	for _, no := range []string{"P0001", "P0003", "P0004"} {
		e.consent(cid, ids[no], "given")
	}
	e.consent(cid, ids["Q0001"], "refused")
	e.open(cid, e.a, "三号")
	out, err := e.svc.Submit(e.ctx, e.open(cid, e.a, "四号"), screening.Submission{IdempotencyKey: "k4", Answers: calm, Elapsed: patient})
	if err != nil || out.Duplicate {
		t.Fatalf("Submit: %+v, %v", out, err)
	}
	return e, cid
}

var progressWant = map[string]screening.ProgressRow{
	"A/7/1班":  {Invited: 4, Consented: 3, Excluded: 1, Started: 1, Completed: 1},
	"A/8/1班":  {Invited: 1},
	"A2/7/1班": {Invited: 1, Excluded: 1},
}

func (e *env) checkProgress(t *testing.T, who string, p access.Principal, cid int64, want ...string) {
	t.Helper()
	got := e.progress(p, cid)
	names := map[int64]string{e.a.ID: "A", e.a2.ID: "A2", e.b.ID: "B"}
	if len(got) != len(want) {
		t.Errorf("%s: %d progress rows %+v, want %d (%v)", who, len(got), got, len(want), want)
	}
	for k, r := range got {
		label := names[k.school] + "/" + strconv.Itoa(k.grade) + "/" + k.class
		w, ok := progressWant[label]
		in := false
		for _, x := range want {
			in = in || x == label
		}
		if !ok || !in {
			t.Errorf("%s: unexpected progress row %s: %+v", who, label, r)
			continue
		}
		r.SchoolID, r.SchoolName, r.Grade, r.ClassName = 0, "", 0, ""
		if r != w {
			t.Errorf("%s: %s = %+v, want %+v", who, label, r, w)
		}
	}
}

func TestProgressCountsByClass(t *testing.T) {
	e, cid := progressFixture(t)
	e.checkProgress(t, "district X coordinator", e.coordX, cid, "A/7/1班", "A/8/1班", "A2/7/1班")
	e.checkProgress(t, "city coordinator", e.cityCoord, cid, "A/7/1班", "A/8/1班", "A2/7/1班")
	if _, err := e.svc.Progress(e.ctx, e.coordX, 999999); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("Progress of an unknown campaign: %v, want ENotFound", err)
	}
}

func TestProgressOutsideScope(t *testing.T) {
	e, cid := progressFixture(t)
	coordY := e.principal(access.Coordinator, e.y)
	for who, p := range map[string]access.Principal{"district Y coordinator": coordY, "school B counsellor": e.counsellorB,
		"head teacher of A": e.teacherA} {
		rows, err := e.svc.Progress(e.ctx, p, cid)
		if apperr.CodeOf(err) != apperr.ENotFound && len(rows) != 0 {
			t.Errorf("%s sees progress rows %+v (err %v)", who, rows, err)
		}
	}
}

// TestProgressForSchoolInDistrictCampaign: a school's counsellor runs the
// district's campaign in their school (they may print its slips) and sees
// its progress for their own school only (issue 3, point 9).
func TestProgressForSchoolInDistrictCampaign(t *testing.T) {
	e, cid := progressFixture(t)
	if _, err := e.svc.Slips(e.ctx, e.counsellorA, cid, e.a.ID); err != nil {
		t.Fatalf("school A's counsellor prints slips of the district campaign: %v", err)
	}
	rows, err := e.svc.Progress(e.ctx, e.counsellorA, cid)
	if err != nil {
		t.Fatalf("Progress for school A's counsellor in a district X campaign: %v", err)
	}
	for _, r := range rows {
		if r.SchoolID != e.a.ID {
			t.Errorf("school A's counsellor sees %+v", r)
		}
	}
	if len(rows) != 2 {
		t.Errorf("school A's counsellor sees %d rows, want 2", len(rows))
	}
}
