package taxonomy

import (
	"slices"
	"strings"
	"testing"
)

// ans builds answers from "thoughts plan means timeframe attempts".
func ans(s string) RiskAnswers {
	f := strings.Fields(s)
	return RiskAnswers{Thoughts: f[0], Plan: f[1], Means: f[2], Timeframe: f[3], Attempts: f[4]}
}

func TestAssess(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		// none
		{"none none none none none", "none"},
		{"none none access none none", "none"}, // access alone is no risk finding
		// low: C-SSRS Q1/Q2
		{"passive none none none none", "low"},
		{"active none none none none", "low"},
		{"passive none access none none", "low"},
		// moderate: method (Q3), past attempt (Q6 > 3 months), thoughts + access
		{"active vague none none none", "moderate"},
		{"passive vague none none none", "moderate"},
		{"none none none none ever", "moderate"},
		{"passive none none none ever", "moderate"},
		{"active none access none none", "moderate"},
		{"active none access none ever", "moderate"},
		// high: specific plan (Q5), intent (Q4), recent attempt (Q6a), method + access
		{"active specific none none none", "high"},
		{"none specific none none none", "high"},
		{"active specific access none none", "high"},
		{"active none none later none", "high"},
		{"active vague none later none", "high"},
		{"active none access later none", "high"},
		{"active specific access later ever", "high"},
		{"active none none now none", "high"}, // now without means
		{"active specific none now recent", "high"},
		{"none none none none recent", "high"},
		{"passive none access none recent", "high"},
		{"active vague access none none", "high"},
		{"passive vague access none ever", "high"},
		// imminent: access + now
		{"active none access now none", "imminent"},
		{"active specific access now none", "imminent"},
		{"active vague access now recent", "imminent"},
		{"none none access now none", "imminent"}, // contradictory: resolved upwards
		// invalid answers give no level
		{"active vague access soon none", ""},
		{"maybe none none none none", ""},
	} {
		if got := Assess(ans(tc.in)); got != tc.want {
			t.Errorf("Assess(%s) = %q, want %q", tc.in, got, tc.want)
		}
	}
	if got := Assess(RiskAnswers{}); got != "" {
		t.Errorf("Assess(empty) = %q, want \"\"", got)
	}
}

// every yields all valid answer combinations (3·3·2·3·3 = 162).
func every() []RiskAnswers {
	out := []RiskAnswers{{}}
	for i, q := range RiskQuestions {
		var next []RiskAnswers
		for _, a := range out {
			for _, o := range q.Options {
				b := a
				*b.fields()[i] = o.Code
				next = append(next, b)
			}
		}
		out = next
	}
	return out
}

// A more severe answer to any one question never lowers the level, and
// every level is reachable.
func TestAssessMonotoneAndComplete(t *testing.T) {
	all := every()
	if len(all) != 162 {
		t.Fatalf("%d combinations", len(all))
	}
	reached := map[string]bool{}
	for _, a := range all {
		lvl := Assess(a)
		if !slices.Contains(RiskLevels, lvl) {
			t.Fatalf("Assess(%s) = %q, not a level", a.Codes(), lvl)
		}
		reached[lvl] = true
		for i, q := range RiskQuestions {
			cur := slices.Index(q.allowed(), *a.fields()[i])
			if cur+1 == len(q.Options) {
				continue
			}
			b := a
			*b.fields()[i] = q.Options[cur+1].Code
			if up := Assess(b); slices.Index(RiskLevels, up) < slices.Index(RiskLevels, lvl) {
				t.Errorf("raising %s: %s (%s) -> %s (%s)", q.Field, a.Codes(), lvl, b.Codes(), up)
			}
		}
	}
	for _, l := range RiskLevels {
		if !reached[l] {
			t.Errorf("level %q unreachable", l)
		}
	}
}

func TestValidate(t *testing.T) {
	if err := ans("active vague access later ever").Validate(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		in   RiskAnswers
		want string
	}{
		{RiskAnswers{}, "thoughts: missing answer (allowed: none, passive, active)"},
		{ans("yes none none none none"), `thoughts: invalid value "yes" (allowed: none, passive, active)`},
		{ans("active detailed none none none"), `plan: invalid value "detailed" (allowed: none, vague, specific)`},
		{ans("active none yes none none"), `means: invalid value "yes" (allowed: none, access)`},
		{ans("active none none 24h none"), `timeframe: invalid value "24h" (allowed: none, later, now)`},
		{ans("active none none none Recent"), `attempts: invalid value "Recent" (allowed: none, ever, recent)`},
		{RiskAnswers{Thoughts: "none", Plan: "none", Means: "none", Timeframe: "none"}, "attempts: missing answer"},
	} {
		err := tc.in.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Validate(%+v) = %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestCodesRoundTrip(t *testing.T) {
	a := ans("active vague none later ever")
	if got, want := a.Codes(), "thoughts=active plan=vague means=none timeframe=later attempts=ever"; got != want {
		t.Errorf("Codes = %q, want %q", got, want)
	}
	if got := (RiskAnswers{}).Codes(); got != "" {
		t.Errorf("zero Codes = %q, want \"\"", got)
	}
	if got := (RiskAnswers{Thoughts: "active"}).Codes(); got != "thoughts=active plan= means= timeframe= attempts=" {
		t.Errorf("partial Codes = %q", got)
	}
	for _, a := range every() {
		b, err := ParseRisk(a.Codes())
		if err != nil || b != a {
			t.Fatalf("ParseRisk(%q) = %+v, %v", a.Codes(), b, err)
		}
	}
	b, err := ParseRisk("  attempts=recent\tthoughts=passive plan=none\n timeframe=none means=access ")
	if err != nil || b != ans("passive none access none recent") {
		t.Errorf("reordered: %+v, %v", b, err)
	}
	for _, tc := range []struct{ in, want string }{
		{"", "thoughts: missing answer"},
		{"thoughts=active plan=none means=none timeframe=none", "attempts: missing answer"},
		{"thoughts=active plan=none means=none timeframe=none attempts=", "attempts: missing answer"},
		{"thoughts=active plan=none means=none timeframe=none attempts=none mood=low", `unknown field "mood"`},
		{"thoughts=active thoughts=none plan=none means=none timeframe=none attempts=none", "thoughts given twice"},
		{"thoughts active", `"thoughts" is not field=value`},
		{"thoughts=sometimes plan=none means=none timeframe=none attempts=none", `thoughts: invalid value "sometimes"`},
	} {
		if _, err := ParseRisk(tc.in); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("ParseRisk(%q) = %v, want %q", tc.in, err, tc.want)
		}
	}
}

func TestRiskQuestionsComplete(t *testing.T) {
	if len(RiskQuestions) != 5 {
		t.Fatalf("%d questions", len(RiskQuestions))
	}
	for _, q := range RiskQuestions {
		if q.ZH == "" || q.EN == "" {
			t.Errorf("%s: missing wording", q.Field)
		}
		for _, o := range q.Options {
			if o.Code == "" || o.ZH == "" || o.EN == "" {
				t.Errorf("%s: incomplete option %+v", q.Field, o)
			}
		}
	}
}
