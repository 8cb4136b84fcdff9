package crisis

import (
	"fmt"
	"slices"
	"strings"

	"github.com/careloop/careloop/internal/hotline/taxonomy"
)

// The incident's risk assessment is modelled on the Columbia–Suicide
// Severity Rating Scale (C-SSRS; Posner et al., Am J Psychiatry
// 2011;168:1266–77): suicidal ideation, intent, plan, access to means, the
// time frame, and suicidal behaviour. Unlike the hotline's screen
// (internal/hotline/taxonomy), every item may be "unknown": an incident is
// opened with what is known, and filled in as the person on duty learns
// more. The level follows the same idea as the screen's rule table: every
// condition is "at least" a value, so a more severe answer never lowers the
// level, and an assessment with unknown items is never reported as "none".
//
//	imminent  behaviour=current                          (an attempt under way)
//	          OR means=access AND timeframe=now          (capability and a close time frame)
//	          OR intent=yes AND timeframe=now
//	high      plan=specific OR intent=yes OR timeframe=later|now
//	          OR behaviour=recent (within 3 months) OR plan=vague AND means=access
//	moderate  plan=vague OR intent=unsure OR behaviour=past
//	          OR ideation=active AND means=access
//	low       ideation=passive|active
//	none      every item known and none of the above
//	unknown   otherwise
//
// It is a triage aid for the person on duty, not a diagnosis.

// RiskLevels are the derived levels, from lowest to highest; "unknown"
// comes first because it says nothing.
var RiskLevels = []string{"unknown", "none", "low", "moderate", "high", "imminent"}

// RiskItem is one item of the assessment and its codes, from "unknown"
// through the least to the most severe.
type RiskItem struct {
	Field string
	Codes []string
}

// RiskItems are the six items in their stored order.
var RiskItems = []RiskItem{
	{"ideation", []string{"unknown", "none", "passive", "active"}},
	{"intent", []string{"unknown", "none", "unsure", "yes"}},
	{"plan", []string{"unknown", "none", "vague", "specific"}},
	{"means", []string{"unknown", "none", "access"}},
	{"timeframe", []string{"unknown", "none", "later", "now"}},
	{"behaviour", []string{"unknown", "none", "past", "recent", "current"}},
}

// Risk is an assessment; an empty item means unknown.
type Risk struct {
	Ideation, Intent, Plan, Means, Timeframe, Behaviour string
}

func (r *Risk) fields() []*string {
	return []*string{&r.Ideation, &r.Intent, &r.Plan, &r.Means, &r.Timeframe, &r.Behaviour}
}

// Get returns the code of an item by field name ("unknown" when empty).
func (r Risk) Get(field string) string {
	i := slices.IndexFunc(RiskItems, func(it RiskItem) bool { return it.Field == field })
	if i < 0 {
		return ""
	}
	if v := *r.fields()[i]; v != "" {
		return v
	}
	return "unknown"
}

// Normal returns r with empty items written as "unknown".
func (r Risk) Normal() Risk {
	for _, f := range r.fields() {
		if *f == "" {
			*f = "unknown"
		}
	}
	return r
}

// Validate checks every item's code.
func (r Risk) Validate() error {
	r = r.Normal()
	for i, f := range r.fields() {
		if !slices.Contains(RiskItems[i].Codes, *f) {
			return fmt.Errorf("crisis risk: %s: invalid value %q", RiskItems[i].Field, *f)
		}
	}
	return nil
}

// Level derives the risk level of a valid assessment ("unknown" for an
// invalid one).
func (r Risk) Level() string {
	if r.Validate() != nil {
		return "unknown"
	}
	r = r.Normal()
	means := r.Means == "access"
	switch {
	case r.Behaviour == "current", means && r.Timeframe == "now", r.Intent == "yes" && r.Timeframe == "now":
		return "imminent"
	case r.Plan == "specific", r.Intent == "yes", r.Timeframe == "later", r.Timeframe == "now", r.Behaviour == "recent",
		r.Plan == "vague" && means:
		return "high"
	case r.Plan == "vague", r.Intent == "unsure", r.Behaviour == "past", r.Ideation == "active" && means:
		return "moderate"
	case r.Ideation == "passive", r.Ideation == "active":
		return "low"
	}
	for _, f := range r.fields() {
		if *f == "unknown" {
			return "unknown"
		}
	}
	return "none"
}

// Codes returns the stored form: "ideation=active intent=unknown ...".
func (r Risk) Codes() string {
	r = r.Normal()
	parts := make([]string, len(RiskItems))
	for i, f := range r.fields() {
		parts[i] = RiskItems[i].Field + "=" + *f
	}
	return strings.Join(parts, " ")
}

// ParseRisk reads the form written by Codes; missing items are unknown.
func ParseRisk(s string) (Risk, error) {
	var r Risk
	ptrs := r.fields()
	for _, part := range strings.Fields(s) {
		k, v, _ := strings.Cut(part, "=")
		i := slices.IndexFunc(RiskItems, func(it RiskItem) bool { return it.Field == k })
		if i < 0 {
			return Risk{}, fmt.Errorf("crisis risk: unknown item %q", k)
		}
		*ptrs[i] = v
	}
	if err := r.Validate(); err != nil {
		return Risk{}, err
	}
	return r.Normal(), nil
}

// FromScreen carries a hotline contact's risk screen over: its answers
// map item by item, and an intention to act at some time is intent.
func FromScreen(a taxonomy.RiskAnswers) Risk {
	if a.Validate() != nil {
		return Risk{}.Normal()
	}
	r := Risk{Ideation: a.Thoughts, Plan: a.Plan, Means: a.Means, Timeframe: a.Timeframe, Intent: "unknown"}
	if a.Timeframe == "later" || a.Timeframe == "now" {
		r.Intent = "yes"
	}
	r.Behaviour = map[string]string{"none": "none", "ever": "past", "recent": "recent"}[a.Attempts]
	return r.Normal()
}
