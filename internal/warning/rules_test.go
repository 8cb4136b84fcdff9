package warning_test

import (
	"errors"
	"slices"
	"testing"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/warning"
)

func strict(unit int64, expr, level string) warning.Rule {
	return warning.Rule{OrgUnitID: unit, Name: "x-strict", Level: level, Expression: expr, TitleZH: "东城区加严", Active: true}
}

func TestSaveRuleNeedsRuleManageAtTheUnit(t *testing.T) {
	e := newEnv(t)
	counsellorA := e.user(access.SchoolCounsellor, e.a)
	schoolCoord := e.user(access.Coordinator, e.a)
	coordX := e.user(access.Coordinator, e.x)
	for _, c := range []struct {
		who  string
		p    access.Principal
		unit int64
		code apperr.Code
	}{
		{"a school-level coordinator, at the city", schoolCoord, e.city.ID, apperr.EForbidden},
		{"a school counsellor, at the city", counsellorA, e.city.ID, apperr.EForbidden},
		{"a school counsellor, at the school", counsellorA, e.a.ID, apperr.EForbidden},
		{"a district coordinator, at the city", coordX, e.city.ID, apperr.EForbidden},
		{"a district coordinator, at the other district", coordX, e.y.ID, apperr.EForbidden},
		{"anyone, at a unit that does not exist", coordX, e.b.ID + 1000, apperr.ENotFound},
	} {
		_, err := e.svc.SaveRule(e.ctx, c.p, strict(c.unit, "scores['phq-a'] >= 5", warning.Yellow))
		wantCode(t, "SaveRule by "+c.who, err, c.code)
	}
	if n := e.num(`SELECT COUNT(*) FROM warning_rules WHERE name = 'x-strict'`); n != 0 {
		t.Errorf("%d rules saved by refused calls", n)
	}
	for _, c := range []struct {
		what  string
		r     warning.Rule
		field string
	}{
		{"a bad name", warning.Rule{OrgUnitID: e.x.ID, Name: "X Strict!", Level: "yellow", Expression: "true", TitleZH: "t"}, "name"},
		{"a bad level", warning.Rule{OrgUnitID: e.x.ID, Name: "x-one", Level: "purple", Expression: "true", TitleZH: "t"}, "level"},
		{"no title", warning.Rule{OrgUnitID: e.x.ID, Name: "x-one", Level: "red", Expression: "true", TitleZH: " "}, "title_zh"},
		{"a bad expression", warning.Rule{OrgUnitID: e.x.ID, Name: "x-one", Level: "red", Expression: "grade > 7", TitleEN: "t"}, "expression"},
	} {
		_, err := e.svc.SaveRule(e.ctx, coordX, c.r)
		if apperr.CodeOf(err) != apperr.EInvalid || apperr.FieldsOf(err)[c.field] == "" {
			t.Errorf("SaveRule with %s = %v (fields %v); want EInvalid on %s", c.what, err, apperr.FieldsOf(err), c.field)
		}
	}
	var re *warning.RuleError
	if _, err := e.svc.SaveRule(e.ctx, coordX, strict(e.x.ID, "grade > 7", "red")); !errors.As(err, &re) || re.Key != "rule.err.unknown_name" {
		t.Errorf("SaveRule with an unknown name = %v; want a RuleError", err)
	}
}

// A district's rule adds alerts for its own students only; a new version
// replaces the old one at once; the history keeps both.
func TestDistrictRule(t *testing.T) {
	e := newEnv(t)
	e.user(access.SchoolCounsellor, e.a)
	e.user(access.SchoolCounsellor, e.b)
	coordX := e.user(access.Coordinator, e.x)
	coordY := e.user(access.Coordinator, e.y)
	inA, inB := e.students(e.a, "RUL-1", "RUL-3"), e.students(e.b, "RUL-2")[0]

	r, err := e.svc.SaveRule(e.ctx, coordX, strict(e.x.ID, "scores['phq-a'] >= 5", warning.Yellow))
	if err != nil || r.Version != 1 || r.ID == 0 {
		t.Fatalf("SaveRule = %+v, %v; want version 1", r, err)
	}
	id := e.mustRaise(phq(inA[0], 6))
	if _, rules, _ := e.firedRules(id); !slices.Equal(rules, []string{"x-strict"}) {
		t.Errorf("PHQ-A 6 in district X fired %v, want x-strict", rules)
	}
	if id := e.mustRaise(phq(inB, 6)); id != 0 {
		t.Errorf("district X's rule raised alert %d for a student of district Y", id)
	}

	r2, err := e.svc.SaveRule(e.ctx, coordX, strict(e.x.ID, "scores['phq-a'] >= 7", warning.Orange))
	if err != nil || r2.ID != r.ID || r2.Version != 2 {
		t.Fatalf("second SaveRule = %+v, %v; want version 2 of rule %d", r2, err, r.ID)
	}
	if id := e.mustRaise(phq(inA[1], 6)); id != 0 {
		t.Errorf("version 1 still fires after version 2 was saved (alert %d)", id)
	}
	hist, err := e.svc.RuleHistory(e.ctx, coordX, r.ID)
	if err != nil || len(hist) != 2 || hist[0].Version != 2 || hist[1].Version != 1 ||
		hist[0].Expression != "scores['phq-a'] >= 7" || hist[1].Expression != "scores['phq-a'] >= 5" ||
		hist[0].Level != warning.Orange || hist[1].Level != warning.Yellow {
		t.Errorf("RuleHistory = %+v, %v; want versions 2 then 1", hist, err)
	}
	wantCode(t, "RuleHistory by district Y", errOf(e.svc.RuleHistory(e.ctx, coordY, r.ID)), apperr.ENotFound)
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'warning.rule.save' AND actor_user_id = ?`, coordX.UserID); n != 2 {
		t.Errorf("%d warning.rule.save audit entries, want 2", n)
	}

	names := func(p access.Principal) (out []string) {
		rules, err := e.svc.FindRules(e.ctx, p)
		if err != nil {
			t.Fatal(err)
		}
		for _, r := range rules {
			out = append(out, r.Name)
		}
		return out
	}
	if got := names(coordX); !slices.Contains(got, "x-strict") || !slices.Contains(got, "critical-answer") {
		t.Errorf("FindRules for district X = %v; want its rule and the city's", got)
	}
	if got := names(coordY); slices.Contains(got, "x-strict") || !slices.Contains(got, "critical-answer") {
		t.Errorf("FindRules for district Y = %v; want the city's rules only", got)
	}
	if got := names(e.user(access.HeadTeacher, e.a)); len(got) != 0 {
		t.Errorf("FindRules for a head teacher = %v, want none", got)
	}
}

// A district cannot weaken the city's rules: a rule of the same name below
// is a separate rule, and the city's still fires.
func TestParentRulesCannotBeWeakened(t *testing.T) {
	e := newEnv(t)
	e.user(access.SchoolCounsellor, e.a)
	coordX := e.user(access.Coordinator, e.x)
	r := strict(e.x.ID, "false", warning.Yellow)
	r.Name = "critical-answer"
	if _, err := e.svc.SaveRule(e.ctx, coordX, r); err != nil {
		t.Fatal(err)
	}
	id := e.mustRaise(red(e.students(e.a, "RUL-4")[0]))
	if lvl, rules, _ := e.firedRules(id); lvl != warning.Red || !slices.Equal(rules, []string{"critical-answer"}) {
		t.Errorf("critical answer under a district 'false' rule: %s %v; want the city's red rule", lvl, rules)
	}
}

// A rule that cannot run on an ordinary signal (a misspelt instrument id)
// is refused when saved; one that fails only on some signal counts as fired
// on it: a broken rule must not hide a signal.
func TestRuleFailingAtRunTime(t *testing.T) {
	e := newEnv(t)
	e.user(access.SchoolCounsellor, e.a)
	coordX := e.user(access.Coordinator, e.x)
	_, err := e.svc.SaveRule(e.ctx, coordX, strict(e.x.ID, "scores['no-such-instrument'] > 100", warning.Orange))
	if apperr.CodeOf(err) != apperr.EInvalid || apperr.FieldsOf(err)["expression"] != "rule.err.runtime" {
		t.Errorf("SaveRule naming an unknown instrument = %v; want EInvalid rule.err.runtime", err)
	}
	if _, err := e.svc.SaveRule(e.ctx, coordX, strict(e.x.ID, "100 / (scores['gad-7'] - 3) > 1000", warning.Orange)); err != nil {
		t.Fatal(err)
	}
	ids := e.students(e.a, "RUL-5", "RUL-7")
	if id := e.mustRaise(warning.Signal{StudentID: ids[0], Source: "screening", Tier: "green", Scores: map[string]int{"gad-7": 4}}); id != 0 {
		t.Errorf("the rule fired where it runs and is false (alert %d)", id)
	}
	id := e.mustRaise(warning.Signal{StudentID: ids[1], Source: "screening", Tier: "green", Scores: map[string]int{"gad-7": 3}})
	if id == 0 {
		t.Fatal("a rule failing at run time (division by zero) did not fire")
	}
	if lvl, rules, _ := e.firedRules(id); lvl != warning.Orange || !slices.Equal(rules, []string{"x-strict"}) {
		t.Errorf("broken rule: %s %v; want it to fire", lvl, rules)
	}
}

// An inactive rule does not fire.
func TestInactiveRule(t *testing.T) {
	e := newEnv(t)
	e.user(access.SchoolCounsellor, e.a)
	coordX := e.user(access.Coordinator, e.x)
	r := strict(e.x.ID, "true", warning.Red)
	r.Active = false
	if _, err := e.svc.SaveRule(e.ctx, coordX, r); err != nil {
		t.Fatal(err)
	}
	if id := e.mustRaise(warning.Signal{StudentID: e.students(e.a, "RUL-6")[0], Source: "screening", Tier: "green"}); id != 0 {
		t.Errorf("an inactive rule raised alert %d", id)
	}
}

// A school leader adds rules for the school (docs/warning-rules.md:
// "holders of rule.manage at that unit: coordinators, school leaders"), and
// none above it.
func TestSchoolLeaderAddsSchoolRules(t *testing.T) {
	e := newEnv(t)
	leader := e.user(access.SchoolLeader, e.a)
	r := strict(e.a.ID, "scores['phq-a'] >= 8", warning.Yellow)
	r.Name = "a-strict"
	if _, err := e.svc.SaveRule(e.ctx, leader, r); err != nil {
		t.Errorf("school leader saving a rule of their school: %v", err)
	}
	r.OrgUnitID = e.x.ID
	wantCode(t, "school leader saving a rule of the district", errOf(e.svc.SaveRule(e.ctx, leader, r)), apperr.EForbidden)
}
