package crisis_test

import (
	"testing"

	"github.com/careloop/careloop/internal/crisis"
	"github.com/careloop/careloop/internal/hotline/taxonomy"
)

func TestRiskLevel(t *testing.T) {
	none := crisis.Risk{Ideation: "none", Intent: "none", Plan: "none", Means: "none", Timeframe: "none", Behaviour: "none"}
	with := func(f func(r *crisis.Risk)) crisis.Risk {
		r := none
		f(&r)
		return r
	}
	cases := []struct {
		name string
		r    crisis.Risk
		want string
	}{
		{"nothing known", crisis.Risk{}, "unknown"},
		{"all none", none, "none"},
		{"one unknown, rest none", with(func(r *crisis.Risk) { r.Means = "" }), "unknown"},
		{"passive ideation, rest unknown", crisis.Risk{Ideation: "passive"}, "low"},
		{"active ideation with means", with(func(r *crisis.Risk) { r.Ideation, r.Means = "active", "access" }), "moderate"},
		{"unsure intent", with(func(r *crisis.Risk) { r.Intent = "unsure" }), "moderate"},
		{"attempt long ago", with(func(r *crisis.Risk) { r.Behaviour = "past" }), "moderate"},
		{"specific plan", with(func(r *crisis.Risk) { r.Plan = "specific" }), "high"},
		{"vague plan with means", with(func(r *crisis.Risk) { r.Plan, r.Means = "vague", "access" }), "high"},
		{"recent attempt", with(func(r *crisis.Risk) { r.Behaviour = "recent" }), "high"},
		{"intent", crisis.Risk{Intent: "yes"}, "high"},
		{"means and now", crisis.Risk{Means: "access", Timeframe: "now"}, "imminent"},
		{"intent and now", crisis.Risk{Intent: "yes", Timeframe: "now"}, "imminent"},
		{"attempt under way", crisis.Risk{Behaviour: "current"}, "imminent"},
		{"bad code", crisis.Risk{Plan: "maybe"}, "unknown"},
	}
	for _, c := range cases {
		if got := c.r.Level(); got != c.want {
			t.Errorf("%s: %+v → %q, want %q", c.name, c.r, got, c.want)
		}
		if c.r.Validate() == nil {
			back, err := crisis.ParseRisk(c.r.Codes())
			if err != nil || back != c.r.Normal() {
				t.Errorf("%s: round trip %q → %+v, %v", c.name, c.r.Codes(), back, err)
			}
		}
	}
	// A more severe answer never lowers the level.
	rank := map[string]int{}
	for i, l := range crisis.RiskLevels {
		rank[l] = i
	}
	for _, base := range []crisis.Risk{none, crisis.Risk{}.Normal()} {
		for i, item := range crisis.RiskItems {
			for j := 2; j < len(item.Codes); j++ {
				lo, hi := base, base
				setItem(&lo, i, item.Codes[j-1])
				setItem(&hi, i, item.Codes[j])
				if rank[hi.Level()] < rank[lo.Level()] && lo.Level() != "unknown" {
					t.Errorf("%s %s → %s lowers %s to %s", item.Field, item.Codes[j-1], item.Codes[j], lo.Level(), hi.Level())
				}
			}
		}
	}
}

func setItem(r *crisis.Risk, i int, v string) {
	*[]*string{&r.Ideation, &r.Intent, &r.Plan, &r.Means, &r.Timeframe, &r.Behaviour}[i] = v
}

func TestFromScreen(t *testing.T) {
	r := crisis.FromScreen(taxonomy.RiskAnswers{Thoughts: "active", Plan: "vague", Means: "none", Timeframe: "later", Attempts: "ever"})
	want := crisis.Risk{Ideation: "active", Intent: "yes", Plan: "vague", Means: "none", Timeframe: "later", Behaviour: "past"}
	if r != want || r.Level() != "high" {
		t.Errorf("FromScreen = %+v (%s), want %+v", r, r.Level(), want)
	}
	if r := crisis.FromScreen(taxonomy.RiskAnswers{}); r.Level() != "unknown" {
		t.Errorf("an empty screen gives %s", r.Level())
	}
}
