package screening_test

import (
	"context"
	"strings"
	"testing"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/screening"
)

const notEligible = "respondent.not_eligible"

// decisions lists a student's consent decisions for a campaign, oldest first.
func (e *env) decisions(campaignID, studentID int64) string {
	e.t.Helper()
	var out []string
	err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT decision, given_by, method, text_version FROM consents WHERE campaign_id = ? AND student_id = ?
			ORDER BY at, id`, campaignID, studentID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var d, by, m, v string
			if err := rows.Scan(&d, &by, &m, &v); err != nil {
				return err
			}
			if by != "王芳" || m != "paper" || v != "v1" {
				e.t.Errorf("consent row %s: given_by %q method %q text %q", d, by, m, v)
			}
			out = append(out, d)
		}
		return rows.Err()
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return strings.Join(out, " ")
}

func TestConsentUnder14(t *testing.T) {
	e := newEnv(t)
	ids := e.seed(kid("A0012", "十二", e.a, 7, "1班", age12), kid("A0015", "十五", e.a, 9, "1班", age15))
	cid := e.create(e.coordX, campaign(e.x, screening.ConsentUnder14, screening.Target{SchoolID: e.a.ID}))
	codes := e.codes(cid, e.a)

	// Twelve, no consent: refused, code not spent, counted excluded.
	_, err := e.svc.OpenWithCode(e.ctx, codes["十二"])
	wantMessage(t, "12-year-old without consent", err, apperr.EUnauthorized, notEligible)
	if _, ok := e.codes(cid, e.a)["十二"]; !ok {
		t.Errorf("a refused attempt spent the code")
	}
	prog := e.progress(e.coordX, cid)
	if r := prog[key(e.a, 7, "1班")]; r.Invited != 1 || r.Excluded != 1 || r.Consented != 0 {
		t.Errorf("grade 7 before consent: %+v, want invited 1, excluded 1", r)
	}
	// Fifteen needs none.
	if _, err := e.svc.OpenWithCode(e.ctx, codes["十五"]); err != nil {
		t.Errorf("15-year-old without consent under rule under14: %v", err)
	}
	if r := e.progress(e.coordX, cid)[key(e.a, 9, "1班")]; r.Excluded != 0 || r.Started != 1 {
		t.Errorf("grade 9: %+v, want started 1, excluded 0", r)
	}

	e.consent(cid, ids["A0012"], "given")
	if r := e.progress(e.coordX, cid)[key(e.a, 7, "1班")]; r.Excluded != 0 || r.Consented != 1 {
		t.Errorf("grade 7 after consent: %+v, want consented 1, excluded 0", r)
	}
	if _, err := e.svc.OpenWithCode(e.ctx, codes["十二"]); err != nil {
		t.Errorf("12-year-old with consent: %v", err)
	}

	// A later withdrawal excludes again; the history keeps both rows.
	e.consent(cid, ids["A0012"], "withdrawn")
	_, err = e.svc.OpenWithNumber(e.ctx, cid, "A0012", age12)
	wantMessage(t, "12-year-old after withdrawal", err, apperr.EUnauthorized, notEligible)
	if got := e.decisions(cid, ids["A0012"]); got != "given withdrawn" {
		t.Errorf("consent history %q, want %q", got, "given withdrawn")
	}
	if n := e.count(`SELECT COUNT(*) FROM student_events WHERE student_id = ? AND kind IN ('consent_given', 'consent_withdrawn')`,
		ids["A0012"]); n != 2 {
		t.Errorf("%d consent events on the timeline, want 2", n)
	}
	if n := e.audits("consent.record", id(ids["A0012"])); n != 2 {
		t.Errorf("%d consent.record audit entries, want 2", n)
	}
	if r := e.progress(e.coordX, cid)[key(e.a, 7, "1班")]; r.Consented != 0 {
		t.Errorf("grade 7 after withdrawal: %+v, want consented 0 (latest decision counts)", r)
	}
}

func TestConsentRecordValidation(t *testing.T) {
	e := newEnv(t)
	ids := e.seed(kid("A0012", "十二", e.a, 7, "1班", age12), kid("B0012", "十二乙", e.b, 7, "1班", age12))
	cid := e.create(e.coordX, campaign(e.x, screening.ConsentUnder14, screening.Target{SchoolID: e.a.ID}))
	bad := []screening.NewConsent{
		{Decision: "maybe", GivenBy: "王芳", Method: "paper"},
		{Decision: "given", GivenBy: " ", Method: "paper"},
		{Decision: "given", GivenBy: "王芳", Method: "pigeon"},
	}
	for _, n := range bad {
		wantCode(t, "consent "+n.Decision+"/"+n.GivenBy+"/"+n.Method, e.svc.RecordConsent(e.ctx, e.cityCoord, cid, ids["A0012"], n), apperr.EInvalid)
	}
	ok := screening.NewConsent{Decision: "given", GivenBy: "王芳", Relation: "mother", Method: "paper"}
	wantCode(t, "consent by school B's counsellor", e.svc.RecordConsent(e.ctx, e.counsellorB, cid, ids["A0012"], ok), apperr.ENotFound)
	wantCode(t, "consent for a student not invited", e.svc.RecordConsent(e.ctx, e.cityCoord, cid, ids["B0012"], ok), apperr.ENotFound)
	if n := e.count(`SELECT COUNT(*) FROM consents`); n != 0 {
		t.Errorf("%d consents written by refused calls", n)
	}
	if err := e.svc.RecordConsent(e.ctx, e.counsellorA, cid, ids["A0012"], ok); err != nil {
		t.Errorf("consent by school A's counsellor: %v", err)
	}
}

func TestConsentRuleAllAndNone(t *testing.T) {
	e := newEnv(t)
	ids := e.seed(kid("A0015", "十五", e.a, 9, "1班", age15), kid("A0012", "十二", e.a, 7, "1班", age12),
		kid("A0013", "十三", e.a, 8, "1班", age13))
	all := e.create(e.coordX, campaign(e.x, screening.ConsentAll, screening.Target{SchoolID: e.a.ID}))
	none := e.create(e.coordX, campaign(e.x, screening.ConsentNone, screening.Target{SchoolID: e.a.ID}))

	// Rule all: even a 15-year-old needs consent.
	_, err := e.svc.OpenWithNumber(e.ctx, all, "A0015", age15)
	wantMessage(t, "rule all, 15 without consent", err, apperr.EUnauthorized, notEligible)
	if r := e.progress(e.coordX, all)[key(e.a, 9, "1班")]; r.Excluded != 1 {
		t.Errorf("rule all, grade 9: %+v, want excluded 1", r)
	}
	e.consent(all, ids["A0015"], "given")
	if _, err := e.svc.OpenWithNumber(e.ctx, all, "A0015", age15); err != nil {
		t.Errorf("rule all, 15 with consent: %v", err)
	}

	// Rule none: a 12-year-old needs nothing, but a refusal still excludes.
	if _, err := e.svc.OpenWithNumber(e.ctx, none, "A0012", age12); err != nil {
		t.Errorf("rule none, 12 without consent: %v", err)
	}
	e.consent(none, ids["A0013"], "refused")
	_, err = e.svc.OpenWithNumber(e.ctx, none, "A0013", age13)
	wantMessage(t, "rule none, guardian refused", err, apperr.EUnauthorized, notEligible)
	prog := e.progress(e.coordX, none)
	if r := prog[key(e.a, 8, "1班")]; r.Excluded != 1 || r.Started != 0 {
		t.Errorf("rule none, refused student's class: %+v, want excluded 1", r)
	}
	if r := prog[key(e.a, 7, "1班")]; r.Excluded != 0 || r.Started != 1 {
		t.Errorf("rule none, 12-year-old's class: %+v, want started 1, excluded 0", r)
	}
	// A consent in one campaign is not a consent in another.
	if got := e.decisions(all, ids["A0013"]); got != "" {
		t.Errorf("refusal in campaign none shows in campaign all: %q", got)
	}
}

// TestWithdrawalAfterOpeningStopsTheSitting: a guardian withdraws after the
// child has opened the questionnaire. The child is excluded again (issue 3,
// point 4), so the open sitting may not submit, and progress shows the
// exclusion.
func TestWithdrawalAfterOpeningStopsTheSitting(t *testing.T) {
	e := newEnv(t)
	ids := e.seed(kid("A0012", "十二", e.a, 7, "1班", age12))
	cid := e.create(e.coordX, campaign(e.x, screening.ConsentUnder14, screening.Target{SchoolID: e.a.ID}))
	e.consent(cid, ids["A0012"], "given")
	token := e.open(cid, e.a, "十二")
	e.consent(cid, ids["A0012"], "withdrawn")

	if r := e.progress(e.coordX, cid)[key(e.a, 7, "1班")]; r.Excluded != 1 {
		t.Errorf("progress after withdrawal of a started student: %+v, want excluded 1", r)
	}
	out, err := e.svc.Submit(e.ctx, token, screening.Submission{IdempotencyKey: "k1", Answers: calm, Elapsed: patient})
	if err == nil {
		t.Errorf("Submit after consent was withdrawn succeeded: %+v", out)
	}
	if n := e.count(`SELECT COUNT(*) FROM responses WHERE student_id = ?`, ids["A0012"]); n != 0 {
		t.Errorf("%d responses recorded after consent was withdrawn", n)
	}
}
