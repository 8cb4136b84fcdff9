package warning_test

import (
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/warning"
)

func TestCompileAcceptsConditions(t *testing.T) {
	for _, expr := range []string{
		"size(critical) > 0",
		"scores['phq-a'] >= 15 || change['gad-7'] >= 5",
		"source == 'concern' && 'self_harm' in signs",
		"tier == 'orange' && size(factors) > 0 && age < 16",
		"bands['phq-a'] == 'severe' || 'fast' in flags",
		"signs.exists(s, s == 'bullied')",
		"  true  ",
	} {
		if prg, err := warning.Compile(expr); err != nil || prg == nil {
			t.Errorf("Compile(%q) = %v, %v; want a program", expr, prg, err)
		}
	}
}

func TestCompileErrorsInPlainWords(t *testing.T) {
	for _, c := range []struct {
		expr, key string
		args      []any // nil: not checked
		column    int   // 0: not checked
	}{
		{"scorez['phq-a'] >= 15", "rule.err.unknown_name", []any{"scorez", strings.Join(warning.Variables, ", ")}, 1},
		{"size(critical) > 0 && grade > 7", "rule.err.unknown_name", nil, 23},
		{"scores['phq-a'] >= 'x'", "rule.err.types", []any{">=", "int, string"}, 17},
		{"tier + 1 == 2", "rule.err.types", []any{"+", "string, int"}, 6},
		{"scores['phq-a'] >=", "rule.err.syntax", nil, 19},
		{"age > 12 && (", "rule.err.syntax", nil, 0},
	} {
		_, err := warning.Compile(c.expr)
		if apperr.CodeOf(err) != apperr.EInvalid || apperr.MessageOf(err) != c.key || apperr.FieldsOf(err)["expression"] != c.key {
			t.Errorf("Compile(%q) = %v (code %q, message %q, fields %v); want EInvalid %s on expression", c.expr, err,
				apperr.CodeOf(err), apperr.MessageOf(err), apperr.FieldsOf(err), c.key)
			continue
		}
		var re *warning.RuleError
		if !errors.As(err, &re) {
			t.Errorf("Compile(%q): no *warning.RuleError in %v", c.expr, err)
			continue
		}
		if re.Key != c.key || (c.args != nil && !slices.Equal(re.Args, c.args)) || (c.column != 0 && re.Column != c.column) {
			t.Errorf("Compile(%q): RuleError %+v, want key %s args %v column %d", c.expr, *re, c.key, c.args, c.column)
		}
	}
}

// A rule that is not a yes/no condition, or empty, or too long, is refused
// with its own key on the expression field.
func TestCompileRefusesNonConditions(t *testing.T) {
	for _, c := range []struct{ expr, key string }{
		{"scores['phq-a']", "rule.err.not_bool"},
		{"'red'", "rule.err.not_bool"},
		{"", "rule.err.empty"},
		{" \n\t ", "rule.err.empty"},
		{"true || " + strings.Repeat("age > 1 || ", 200) + "true", "rule.err.too_long"},
	} {
		_, err := warning.Compile(c.expr)
		if apperr.CodeOf(err) != apperr.EInvalid || apperr.MessageOf(err) != c.key || apperr.FieldsOf(err)["expression"] != c.key {
			t.Errorf("Compile(%.30q) = %v; want EInvalid %s on expression", c.expr, err, c.key)
		}
	}
}

func TestExplain(t *testing.T) {
	re := warning.Explain("ERROR: <input>:1:5: undeclared reference to 'grade' (in container '')")
	if re.Key != "rule.err.unknown_name" || re.Column != 5 || len(re.Args) != 2 || re.Args[0] != "grade" {
		t.Errorf("Explain(undeclared) = %+v", re)
	}
	if re := warning.Explain("something else entirely"); re.Key != "rule.err.other" {
		t.Errorf("Explain(other) = %+v, want rule.err.other", re)
	}
}

func TestDefaultRulesCompile(t *testing.T) {
	rules, err := warning.DefaultRules()
	if err != nil || len(rules) < 9 {
		t.Fatalf("DefaultRules() = %d rules, %v", len(rules), err)
	}
	seen := map[string]bool{}
	for _, r := range rules {
		if _, err := warning.Compile(r.Expression); err != nil {
			t.Errorf("default rule %s does not compile: %v", r.Name, err)
		}
		if seen[r.Name] {
			t.Errorf("default rule %s appears twice", r.Name)
		}
		seen[r.Name] = true
		if !slices.Contains(warning.Levels, r.Level) || !r.Active || r.Source == "" || r.TitleZH == "" || r.TitleEN == "" {
			t.Errorf("default rule %s: level %q active %v, source, titles must be set: %+v", r.Name, r.Level, r.Active, r)
		}
		if r.Title("en-GB") != r.TitleEN || r.Title("zh-CN") != r.TitleZH {
			t.Errorf("default rule %s: Title picks the wrong language", r.Name)
		}
	}
}

func TestParseHours(t *testing.T) {
	h := warning.DefaultHours()
	for _, c := range []struct {
		at   time.Time
		open bool
	}{
		{monday10, true},
		{time.Date(2025, 3, 3, 7, 29, 0, 0, cst), false},
		{time.Date(2025, 3, 3, 7, 30, 0, 0, cst), true},
		{time.Date(2025, 3, 7, 17, 29, 0, 0, cst), true},  // Friday
		{time.Date(2025, 3, 7, 17, 30, 0, 0, cst), false}, // end is exclusive
		{time.Date(2025, 3, 8, 10, 0, 0, 0, cst), false},  // Saturday
		{monday22, false},
		{time.Date(2025, 3, 3, 2, 0, 0, 0, time.UTC), true}, // 10:00 in China, given in UTC
	} {
		if got := h.Open(c.at); got != c.open {
			t.Errorf("DefaultHours().Open(%v) = %v, want %v", c.at, got, c.open)
		}
	}
	w, err := warning.ParseHours("sat,sun 09:00-12:00")
	if err != nil || !w.Open(time.Date(2025, 3, 8, 9, 0, 0, 0, cst)) || w.Open(monday10) {
		t.Errorf("ParseHours(weekend) = %+v, %v", w, err)
	}
	for _, bad := range []string{"", "mon-fri", "mon-fri 17:30-07:30", "xyz 07:30-17:30", "mon-fri 7-9", "mon-fri 07:30-25:00"} {
		if _, err := warning.ParseHours(bad); err == nil {
			t.Errorf("ParseHours(%q) accepted", bad)
		}
	}
	if (warning.SchoolHours{}).Open(monday10) {
		t.Error("zero SchoolHours is open")
	}
}

func TestSignalCodes(t *testing.T) {
	sg := warning.AlertSignal{Reason: "critical-answer@1v1 depression-severe@1v2 item=phq-a.9 factor=left_behind"}
	if got := sg.Rules(); !slices.Equal(got, []string{"critical-answer", "depression-severe"}) {
		t.Errorf("Rules() = %v", got)
	}
	if got := sg.Codes(); !slices.Equal(got, []string{"item=phq-a.9", "factor=left_behind"}) {
		t.Errorf("Codes() = %v", got)
	}
}
