package taxonomy

// The hotline suicide-risk screen: five structured questions a counsellor
// asks (or answers from the conversation) when a contact touches on suicide
// or self-harm, and a fixed rule table that turns the answers into a level.
//
// Sources and reasoning (full version in docs/hotline-taxonomy.md):
//
//   - Columbia–Suicide Severity Rating Scale, Screen Version – Recent, with
//     its published triage (Posner et al., Am J Psychiatry 2011;168:1266–77;
//     Columbia Lighthouse Project). Its triage, as careloop already applies
//     it to the c-ssrs-screen instrument (docs/instruments.md): wish to be
//     dead or non-specific suicidal thoughts → low; thoughts with a method →
//     moderate; thoughts with intent to act, or a worked-out plan → high;
//     suicidal behaviour ever → moderate, within the past 3 months → high.
//   - Crisis-line imminent-risk practice (US National Suicide Prevention
//     Lifeline / 988 Suicide Risk Assessment Standards, Joiner et al. 2007,
//     and imminent-risk policy, Draper et al. 2015): risk is imminent when
//     intent and the capability to act (access to means) come together with
//     a close time frame — the station then starts an emergency response
//     instead of ordinary counselling.
//
// This screen is a triage aid for counsellors, not a diagnosis and not the
// C-SSRS itself: its questions are careloop's own wording, grouped so that
// they can be answered from a conversation.

import (
	"fmt"
	"slices"
	"strings"
)

// RiskLevels are the screen's results, from lowest to highest.
var RiskLevels = []string{"none", "low", "moderate", "high", "imminent"}

// RiskAnswers are the answers to the five questions, each one of the codes
// listed in RiskQuestions (e.g. Thoughts "none", "passive" or "active").
type RiskAnswers struct {
	Thoughts, Plan, Means, Timeframe, Attempts string
}

// RiskOption is one allowed answer: its stored code and labels.
type RiskOption struct{ Code, ZH, EN string }

// RiskQuestion is one question of the screen. Field is its key in Codes();
// Options are ordered from least to most severe.
type RiskQuestion struct {
	Field, ZH, EN string
	Options       []RiskOption
}

// RiskQuestions are the five questions, in the order they are asked and
// stored. A counsellor speaking with a parent about a child asks about the
// child ("他/她…", "Has he/she…").
var RiskQuestions = []RiskQuestion{
	{"thoughts", "最近一个月，你有没有想过不想活了，或者想过结束自己的生命？", "In the past month, have you felt you did not want to live, or thought about ending your life?", []RiskOption{
		{"none", "没有", "No"},
		{"passive", "希望自己不在了，但没有想过自杀", "Wished not to be alive, but no thoughts of suicide"},
		{"active", "想过自杀（结束自己的生命）", "Has thought about suicide (ending their life)"},
	}},
	{"plan", "你有没有想过会怎么做？", "Have you thought about how you would do it?", []RiskOption{
		{"none", "没有", "No"},
		{"vague", "想过方式，但没有具体细节", "Has thought of a way, but not the details"},
		{"specific", "已想好具体细节（方式、地点或时间）", "Has worked out details (how, where or when)"},
	}},
	{"means", "你现在手边有、或者能很容易拿到会用的东西吗？", "Do you have what you would use at hand, or could you easily get it now?", []RiskOption{
		{"none", "没有", "No"},
		{"access", "有，或能很容易拿到", "Yes, or could easily get it"},
	}},
	{"timeframe", "你有没有打算什么时候去做？", "Have you decided when you would act on it?", []RiskOption{
		{"none", "没有打算去做", "No intention to act"},
		{"later", "打算以后去做", "Intends to act, at a later time"},
		{"now", "现在或24小时内", "Now or within the next 24 hours"},
	}},
	{"attempts", "你以前有没有尝试过结束自己的生命？", "Have you ever tried to end your life?", []RiskOption{
		{"none", "从来没有", "Never"},
		{"ever", "有，在3个月以前", "Yes, more than 3 months ago"},
		{"recent", "有，在最近3个月内", "Yes, within the past 3 months"},
	}},
}

// fields returns pointers to a's answers in RiskQuestions order.
func (a *RiskAnswers) fields() []*string {
	return []*string{&a.Thoughts, &a.Plan, &a.Means, &a.Timeframe, &a.Attempts}
}

// allowed returns the option codes of question q.
func (q RiskQuestion) allowed() []string {
	codes := make([]string, len(q.Options))
	for i, o := range q.Options {
		codes[i] = o.Code
	}
	return codes
}

// Validate checks that every answer is present and one of its question's
// codes. The error names the first bad field and its allowed values.
func (a RiskAnswers) Validate() error {
	for i, v := range a.fields() {
		q := RiskQuestions[i]
		if !slices.Contains(q.allowed(), *v) {
			what := fmt.Sprintf("invalid value %q", *v)
			if *v == "" {
				what = "missing answer"
			}
			return fmt.Errorf("risk screen: %s: %s (allowed: %s)", q.Field, what, strings.Join(q.allowed(), ", "))
		}
	}
	return nil
}

// Assess returns the risk level of valid answers, or "" (not a level) when
// Validate fails — an incomplete screen never yields a reassuring "none".
//
// Rules, checked from the top; the first that holds gives the level. Every
// condition is "at least" a value, so a more severe answer to any question
// never lowers the level.
//
//	imminent  means=access AND timeframe=now               (crisis-line imminent risk)
//	high      plan=specific                                (C-SSRS Q5: plan)
//	          OR timeframe=later|now                       (C-SSRS Q4: intent to act)
//	          OR attempts=recent                           (C-SSRS Q6, within 3 months)
//	          OR plan=vague AND means=access               (careloop: method + capability)
//	moderate  plan=vague                                   (C-SSRS Q3: method)
//	          OR attempts=ever                             (C-SSRS Q6, over 3 months)
//	          OR thoughts=active AND means=access          (careloop: thoughts + capability)
//	low       thoughts=passive|active                      (C-SSRS Q1/Q2)
//	none      otherwise
//
// Contradictory answers (e.g. timeframe "now" with thoughts "none") are
// resolved towards the higher level: the counsellor clarifies, the rules do
// not guess.
func Assess(a RiskAnswers) (level string) {
	if a.Validate() != nil {
		return ""
	}
	means := a.Means == "access"
	switch {
	case means && a.Timeframe == "now":
		return "imminent"
	case a.Plan == "specific", a.Timeframe != "none", a.Attempts == "recent",
		a.Plan == "vague" && means:
		return "high"
	case a.Plan == "vague", a.Attempts == "ever", a.Thoughts == "active" && means:
		return "moderate"
	case a.Thoughts != "none":
		return "low"
	}
	return "none"
}

// Codes returns the answers in their compact stored form, fields in
// RiskQuestions order: "thoughts=active plan=vague means=none timeframe=none
// attempts=none". The zero RiskAnswers (no screen done) gives ""; other
// empty answers are written as "field=". ParseRisk refuses both.
func (a RiskAnswers) Codes() string {
	if a == (RiskAnswers{}) {
		return ""
	}
	parts := make([]string, len(RiskQuestions))
	for i, v := range a.fields() {
		parts[i] = RiskQuestions[i].Field + "=" + *v
	}
	return strings.Join(parts, " ")
}

// ParseRisk reads the form written by Codes. Fields may come in any order
// and be separated by any whitespace; each of the five must appear exactly
// once, unknown fields are refused, and the result is validated.
func ParseRisk(s string) (RiskAnswers, error) {
	var a RiskAnswers
	ptrs := a.fields()
	seen := make([]bool, len(RiskQuestions))
	for _, part := range strings.Fields(s) {
		key, val, ok := strings.Cut(part, "=")
		if !ok {
			return RiskAnswers{}, fmt.Errorf("risk screen: %q is not field=value", part)
		}
		i := slices.IndexFunc(RiskQuestions, func(q RiskQuestion) bool { return q.Field == key })
		if i < 0 {
			return RiskAnswers{}, fmt.Errorf("risk screen: unknown field %q", key)
		}
		if seen[i] {
			return RiskAnswers{}, fmt.Errorf("risk screen: %s given twice", key)
		}
		seen[i] = true
		*ptrs[i] = val
	}
	if err := a.Validate(); err != nil {
		return RiskAnswers{}, err
	}
	return a, nil
}
