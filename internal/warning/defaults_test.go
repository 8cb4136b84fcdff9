package warning_test

import (
	"slices"
	"strings"
	"testing"

	"github.com/careloop/careloop/internal/warning"
)

// firedRules returns the level and the rule names of an alert's only signal.
func (e *env) firedRules(alertID int64) (string, []string, string) {
	e.t.Helper()
	if n := e.num(`SELECT COUNT(*) FROM alert_signals WHERE alert_id = ?`, alertID); n != 1 {
		e.t.Fatalf("alert %d has %d signals, want 1", alertID, n)
	}
	reason := e.str(`SELECT reason FROM alert_signals WHERE alert_id = ?`, alertID)
	rules := warning.AlertSignal{Reason: reason}.Rules()
	slices.Sort(rules)
	return e.str(`SELECT level FROM alerts WHERE id = ?`, alertID), rules, reason
}

// TestDefaultRules runs each signal through Raise against the shipped rule
// set installed at the city, for a student of school A.
func TestDefaultRules(t *testing.T) {
	e := newEnv(t)
	e.user("school_counsellor", e.a)
	cases := []struct {
		name  string
		sig   warning.Signal
		level string   // "" when no rule fires
		rules []string // sorted
	}{
		{"PHQ-A 15", phq(0, 15), "orange", []string{"depression-moderate", "depression-severe"}},
		{"PHQ-A 10", phq(0, 10), "yellow", []string{"depression-moderate"}},
		{"PHQ-A 9", phq(0, 9), "", nil},
		{"critical item", red(0), "red", []string{"critical-answer"}},
		{"critical in a draft", warning.Signal{Source: "draft", Tier: "red", Critical: []string{"c-ssrs-screen.4"}}, "red", []string{"critical-answer"}},
		{"GAD-7 15", warning.Signal{Source: "screening", Tier: "orange", Scores: map[string]int{"gad-7": 15}}, "orange",
			[]string{"anxiety-moderate", "anxiety-severe"}},
		{"GAD-7 14", warning.Signal{Source: "screening", Tier: "yellow", Scores: map[string]int{"gad-7": 14}}, "yellow", []string{"anxiety-moderate"}},
		{"K6 13", warning.Signal{Source: "screening", Tier: "orange", Scores: map[string]int{"k6": 13}}, "orange", []string{"anxiety-severe"}},
		{"CES-DC 16", warning.Signal{Source: "screening", Tier: "yellow", Scores: map[string]int{"ces-dc": 16}}, "yellow", []string{"depression-moderate"}},
		{"concern self_harm", warning.Signal{Source: "concern", Signs: []string{"low_mood", "self_harm"}}, "red",
			[]string{"concern-reported", "concern-self-harm"}},
		{"concern suicide_talk", warning.Signal{Source: "concern", Signs: []string{"suicide_talk"}}, "red",
			[]string{"concern-reported", "concern-self-harm"}},
		{"plain concern", warning.Signal{Source: "concern", Signs: []string{"withdrawal"}}, "yellow", []string{"concern-reported"}},
		{"PHQ-A +5 since previous", warning.Signal{Source: "screening", Tier: "green", Scores: map[string]int{"phq-a": 8},
			Previous: map[string]int{"phq-a": 3}}, "yellow", []string{"worsening"}},
		{"PHQ-A +4 since previous", warning.Signal{Source: "screening", Tier: "green", Scores: map[string]int{"phq-a": 8},
			Previous: map[string]int{"phq-a": 4}}, "", nil},
		{"no previous screening", warning.Signal{Source: "screening", Tier: "green", Scores: map[string]int{"phq-a": 8}}, "", nil},
		{"tier orange with a reported factor", warning.Signal{Source: "screening", Tier: "orange", Scores: map[string]int{"gad-7": 5},
			Factors: []string{"left_behind"}}, "orange", []string{"symptoms-with-factors"}},
		{"tier orange without factors", warning.Signal{Source: "screening", Tier: "orange", Scores: map[string]int{"gad-7": 5}}, "", nil},
		{"nothing at all", warning.Signal{Source: "screening", Tier: "green"}, "", nil},
	}
	nos := make([]string, len(cases))
	for i := range cases {
		nos[i] = "DFLT-" + string(rune('A'+i))
	}
	ids := e.students(e.a, nos...)
	for i, c := range cases {
		c.sig.StudentID = ids[i]
		id, err := e.raise(c.sig)
		if err != nil {
			t.Errorf("%s: Raise: %v", c.name, err)
			continue
		}
		if c.level == "" {
			if id != 0 || e.num(`SELECT COUNT(*) FROM alerts WHERE student_id = ?`, ids[i]) != 0 {
				t.Errorf("%s: raised alert %d, want none", c.name, id)
			}
			continue
		}
		if id == 0 {
			t.Errorf("%s: no alert, want %s %v", c.name, c.level, c.rules)
			continue
		}
		level, rules, reason := e.firedRules(id)
		if level != c.level || !slices.Equal(rules, c.rules) {
			t.Errorf("%s: level %s rules %v (reason %q), want %s %v", c.name, level, rules, reason, c.level, c.rules)
		}
		for _, code := range c.sig.Critical {
			if !strings.Contains(reason, "item="+code) {
				t.Errorf("%s: reason %q does not name item %s", c.name, reason, code)
			}
		}
	}
}

// The record's own risk factors count: an orange screening of a student
// with a recorded factor fires symptoms-with-factors, and the reason names
// the factor (a code, not a note).
func TestRecordedRiskFactorCounts(t *testing.T) {
	e := newEnv(t)
	e.user("school_counsellor", e.a)
	ids := e.students(e.a, "FAC-1")
	if err := e.stu.AddRiskFactor(e.ctx, e.registrar, ids[0], "left_behind", "父母在外地打工", ""); err != nil {
		t.Fatal(err)
	}
	id := e.mustRaise(warning.Signal{StudentID: ids[0], Source: "screening", Tier: "orange", Scores: map[string]int{"gad-7": 5}})
	level, rules, reason := e.firedRules(id)
	if level != "orange" || !slices.Equal(rules, []string{"symptoms-with-factors"}) || !strings.Contains(reason, "factor=left_behind") {
		t.Errorf("level %s rules %v reason %q; want orange symptoms-with-factors with factor=left_behind", level, rules, reason)
	}
	if strings.Contains(reason, "父母") {
		t.Errorf("reason %q carries the factor's note", reason)
	}
}

// InstallDefaults is idempotent and leaves an edited rule alone.
func TestInstallDefaultsIdempotent(t *testing.T) {
	e := newEnv(t)
	rules, _ := warning.DefaultRules()
	if n := e.num(`SELECT COUNT(*) FROM warning_rules WHERE org_unit_id = ?`, e.city.ID); n != int64(len(rules)) {
		t.Fatalf("%d rules at the city, want %d", n, len(rules))
	}
	coord := e.user("coordinator", e.city)
	r := rules[0]
	r.OrgUnitID, r.Expression = e.city.ID, "size(critical) > 1"
	if _, err := e.svc.SaveRule(e.ctx, coord, r); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.InstallDefaults(e.ctx, e.city.ID); err != nil {
		t.Fatal(err)
	}
	if n := e.num(`SELECT COUNT(*) FROM warning_rule_versions`); n != int64(len(rules))+1 {
		t.Errorf("%d rule versions after installing twice, want %d", n, len(rules)+1)
	}
	if got := e.str(`SELECT v.expression FROM warning_rules r JOIN warning_rule_versions v ON v.rule_id = r.id AND v.version = r.version
		WHERE r.name = ?`, r.Name); got != "size(critical) > 1" {
		t.Errorf("InstallDefaults replaced an edited rule: %q", got)
	}
}
