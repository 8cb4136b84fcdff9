package care

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// casesPlan is a valid plan, with counsellor A responsible, reviewed in a month.
func casesPlan(e *casesEnv) PlanInput {
	return PlanInput{Concern: "持续低落，有自伤念头", Goals: "每周会谈，恢复睡眠", MeasureNotes: "班主任每日关注",
		Measures: []string{"counselling", "teacher_attention"}, Frequency: "weekly",
		Responsible: []int64{e.counsellorA.UserID}, NextReview: e.clk.Now().AddDate(0, 1, 0)}
}

func TestCasesPlanVersionsAreKept(t *testing.T) {
	e := newCasesEnv(t)
	id := e.open(e.counsellorA, e.students(e.a, "A001")[0], 0)
	v1, err := e.svc.SavePlan(e.ctx, e.counsellorA, id, casesPlan(e))
	if err != nil || v1 != 1 {
		t.Fatalf("first save: %d, %v", v1, err)
	}
	in := casesPlan(e)
	in.Goals, in.Frequency = "两周一次会谈", "fortnightly"
	in.Measures = []string{"family_contact", "family_contact", "referral"}
	in.Responsible = []int64{e.counsellorA.UserID, e.coordX.UserID, e.counsellorA.UserID}
	e.clk.Advance(time.Hour)
	v2, err := e.svc.SavePlan(e.ctx, e.counsellorA2, id, in)
	if err != nil || v2 != 2 {
		t.Fatalf("second save: %d, %v", v2, err)
	}
	d, err := e.svc.FindCase(e.ctx, e.counsellorA, id)
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Plans) != 2 || d.Plans[0].Version != 2 || d.Plans[1].Version != 1 {
		t.Fatalf("plans %+v", d.Plans)
	}
	p2, p1 := d.Plans[0], d.Plans[1]
	if p2.Goals != "两周一次会谈" || p1.Goals != "每周会谈，恢复睡眠" || p1.Concern != "持续低落，有自伤念头" || p1.MeasureNotes != "班主任每日关注" {
		t.Errorf("bodies %q %q %q", p2.Goals, p1.Goals, p1.Concern)
	}
	if len(p2.Measures) != 2 || p2.Measures[1] != "referral" || len(p2.Responsible) != 2 || p2.Frequency != "fortnightly" || p2.AuthorID != e.counsellorA2.UserID {
		t.Errorf("version 2 %+v", p2)
	}
	if !p1.NextReview.Equal(casesMonday10.AddDate(0, 1, 0)) {
		t.Errorf("review %v", p1.NextReview)
	}
	// Bodies are sealed, bound to their row.
	err = e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		var body []byte
		if err := tx.QueryRow(ctx, `SELECT body FROM support_plans WHERE case_id = ? AND version = 1`, id).Scan(&body); err != nil {
			return err
		}
		if bytes.Contains(body, []byte("低落")) || bytes.Contains(body, []byte("concern")) {
			t.Error("plan body stored in plain text")
		}
		if _, err := e.svc.Seal.Open(body, planAAD(id, 2)); err == nil {
			t.Error("a body opens as another version")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := e.num(`SELECT COUNT(*) FROM case_events WHERE case_id = ? AND kind = 'plan'`, id); n != 2 {
		t.Errorf("%d plan events", n)
	}
	if e.audits("case.plan_save", 0, itoa(id)) != 2 || e.audits("case.read", e.counsellorA.UserID, itoa(id)) != 1 {
		t.Error("plan saves or the read not audited")
	}
	_, err = e.svc.SavePlan(e.ctx, e.counsellorB, id, casesPlan(e))
	casesWant(t, "other school", err, apperr.ENotFound, "")
}

func TestCasesPlanBadInputGivesFieldErrors(t *testing.T) {
	e := newCasesEnv(t)
	id := e.open(e.counsellorA, e.students(e.a, "A001")[0], 0)
	long := string(bytes.Repeat([]byte("长"), 4001))
	now := e.clk.Now()
	for _, tc := range []struct {
		name  string
		edit  func(*PlanInput)
		field string
		key   string
	}{
		{"no concern", func(p *PlanInput) { p.Concern = "  " }, "concern", "form.required"},
		{"long goals", func(p *PlanInput) { p.Goals = long }, "goals", "form.too_long"},
		{"long notes", func(p *PlanInput) { p.MeasureNotes = long }, "measure_notes", "form.too_long"},
		{"no measures", func(p *PlanInput) { p.Measures = nil }, "measures", "form.required"},
		{"unknown measure", func(p *PlanInput) { p.Measures = []string{"counselling", "magic"} }, "measures", "plan.measure_unknown"},
		{"no frequency", func(p *PlanInput) { p.Frequency = "" }, "frequency", "form.required"},
		{"unknown frequency", func(p *PlanInput) { p.Frequency = "daily" }, "frequency", "plan.frequency_unknown"},
		{"nobody responsible", func(p *PlanInput) { p.Responsible = nil }, "responsible", "form.required"},
		{"bad user id", func(p *PlanInput) { p.Responsible = []int64{-1} }, "responsible", "plan.responsible_unknown"},
		{"unknown user", func(p *PlanInput) { p.Responsible = []int64{e.counsellorA.UserID, 987654} }, "responsible", "plan.responsible_unknown"},
		{"no review date", func(p *PlanInput) { p.NextReview = time.Time{} }, "next_review", "form.required"},
		{"review in the past", func(p *PlanInput) { p.NextReview = now.Add(-time.Minute) }, "next_review", "plan.review_range"},
		{"review too far", func(p *PlanInput) { p.NextReview = now.AddDate(1, 0, 1) }, "next_review", "plan.review_range"},
	} {
		in := casesPlan(e)
		tc.edit(&in)
		_, err := e.svc.SavePlan(e.ctx, e.counsellorA, id, in)
		if apperr.CodeOf(err) != apperr.EInvalid || apperr.FieldsOf(err)[tc.field] != tc.key {
			t.Errorf("%s: got %v %v, want %s=%s", tc.name, err, apperr.FieldsOf(err), tc.field, tc.key)
		}
	}
	// An inactive user cannot be responsible.
	e.exec(`UPDATE users SET active = 0 WHERE id = ?`, e.counsellorA2.UserID)
	in := casesPlan(e)
	in.Responsible = []int64{e.counsellorA2.UserID}
	if _, err := e.svc.SavePlan(e.ctx, e.counsellorA, id, in); apperr.FieldsOf(err)["responsible"] != "plan.responsible_unknown" {
		t.Errorf("inactive user: %v", err)
	}
	if n := e.num(`SELECT COUNT(*) FROM support_plans`); n != 0 {
		t.Errorf("%d plans saved from bad input", n)
	}
	if e.audits("case.plan_save", 0, "") != 0 {
		t.Error("a refused save was audited")
	}
}
