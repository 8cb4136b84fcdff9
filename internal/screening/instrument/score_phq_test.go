package instrument

import (
	"fmt"
	"slices"
	"testing"
)

// Severity bands of the PHQ-9 (Kroenke, Spitzer & Williams 2001) and of the
// PHQ-A form (Johnson et al. 2002; APA DSM-5 child measure): 0-4 minimal,
// 5-9 mild, 10-14 moderate, 15-19 moderately severe, 20-27 severe. Both
// sides of every cut-off.
var phqBoundaries = []struct {
	total int
	key   string
	tier  Tier
}{
	{0, "minimal", Green}, {4, "minimal", Green},
	{5, "mild", Yellow}, {9, "mild", Yellow},
	{10, "moderate", Orange}, {14, "moderate", Orange},
	{15, "moderately_severe", Red}, {19, "moderately_severe", Red},
	{20, "severe", Red}, {27, "severe", Red},
}

func TestPHQBands(t *testing.T) {
	for _, id := range []string{"phq-9", "phq-a"} {
		inst := mustGet(t, id)
		for _, b := range phqBoundaries {
			t.Run(fmt.Sprintf("%s/%d", id, b.total), func(t *testing.T) {
				checkTotal(t, inst, withScores(t, inst, nil, b.total), b.total, b.key, b.tier)
			})
		}
	}
}

// TestPHQ9Example scores a response item by item: 1+0+2+1+0+1+0+0+0 = 5,
// the lowest "mild" total, with item 10 (unscored) answered.
func TestPHQ9Example(t *testing.T) {
	inst := mustGet(t, "phq-9")
	answers := map[string]int{"1": 1, "2": 0, "3": 2, "4": 1, "5": 0, "6": 1, "7": 0, "8": 0, "9": 0, "10": 3}
	checkTotal(t, inst, answers, 5, "mild", Yellow)
	checkTotal(t, inst, without(answers, "10"), 5, "mild", Yellow)
}

func TestPHQItem9IsCriticalAtEveryValue(t *testing.T) {
	for _, id := range []string{"phq-9", "phq-a"} {
		inst := mustGet(t, id)
		for v := 0; v <= 3; v++ {
			answers := with(withScores(t, inst, nil, 0), "9", v)
			r := mustScore(t, inst, answers)
			if r.Total != v {
				t.Errorf("%s item 9 = %d: total %d", id, v, r.Total)
			}
			critical := len(r.Critical) == 1 && r.Critical[0].Item == "9" && r.Critical[0].Value == v
			if (v > 0) != critical {
				t.Errorf("%s item 9 = %d: critical %+v", id, v, r.Critical)
			}
		}
	}
}

// PHQ-A's follow-up questions: serious thoughts of ending one's life in the
// past month, and a suicide attempt ever, are critical when answered yes.
func TestPHQAFollowUpQuestions(t *testing.T) {
	inst := mustGet(t, "phq-a")
	base := withScores(t, inst, nil, 3)
	for _, tc := range []struct {
		answers map[string]int
		want    []string
	}{
		{with(base, "thoughts_month", 0, "attempt_ever", 0, "past_year", 1, "difficulty", 2), nil},
		{with(base, "thoughts_month", 1), []string{"thoughts_month"}},
		{with(base, "attempt_ever", 1), []string{"attempt_ever"}},
		{with(base, "9", 2, "thoughts_month", 1, "attempt_ever", 1), []string{"9", "thoughts_month", "attempt_ever"}},
	} {
		r := mustScore(t, inst, tc.answers)
		var got []string
		for _, h := range r.Critical {
			got = append(got, h.Item)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%v: critical %v, want %v", tc.answers, got, tc.want)
		}
	}
	r := mustScore(t, inst, with(base, "past_year", 1, "difficulty", 3))
	if r.Total != 3 {
		t.Errorf("unscored questions changed the total: %d", r.Total)
	}
}

// Proration per the APA DSM-5 measures adapted from the PHQ-9 and PHQ-A:
// with 1 or 2 items unanswered, total = sum of answered × 9 ÷ answered,
// rounded to the nearest whole number (halves up); with 3 or more the
// total is not used.
func TestPHQProration(t *testing.T) {
	for _, id := range []string{"phq-9", "phq-a"} {
		inst := mustGet(t, id)
		full := map[string]int{"1": 3, "2": 3, "3": 2, "4": 2, "5": 1, "6": 1, "7": 1, "8": 1, "9": 0}
		for _, tc := range []struct {
			missing []string
			total   int
		}{
			{[]string{"1"}, 12},      // 11 × 9 / 8 = 12.375
			{[]string{"3"}, 14},      // 12 × 9 / 8 = 13.5, half up
			{[]string{"5"}, 15},      // 13 × 9 / 8 = 14.625
			{[]string{"1", "2"}, 10}, // 8 × 9 / 7 = 10.29
			{[]string{"5", "9"}, 17}, // 13 × 9 / 7 = 16.71
			{[]string{"3", "9"}, 15}, // 12 × 9 / 7 = 15.43
		} {
			r := mustScore(t, inst, without(full, tc.missing...))
			if r.Total != tc.total || !r.Prorated || !slices.Equal(r.Missing, tc.missing) {
				t.Errorf("%s without %v: total %d prorated %v missing %v; want %d", id, tc.missing, r.Total, r.Prorated, r.Missing, tc.total)
			}
		}
		if r := mustScore(t, inst, full); r.Total != 14 || r.Prorated || r.Missing != nil {
			t.Errorf("%s complete: %+v", id, r)
		}
		// Three missing: refused, naming the items, and the critical answer
		// to item 9 still comes back.
		_, err := Score(inst, with(without(full, "2", "4", "6"), "9", 2))
		me := missingProblem(t, err)
		if !slices.Equal(me.Items, []string{"2", "4", "6"}) || len(me.Critical) != 1 || me.Critical[0].Item != "9" {
			t.Errorf("%s: %+v", id, me)
		}
	}
}

func TestPHQRefusesBadAnswers(t *testing.T) {
	inst := mustGet(t, "phq-9")
	ok := withScores(t, inst, nil, 0)
	for _, tc := range []struct {
		answers map[string]int
		item    string
		problem string
	}{
		{with(ok, "3", 4), "3", NotAnOption},
		{with(ok, "9", -1), "9", NotAnOption},
		{with(ok, "10", 4), "10", NotAnOption},
		{with(ok, "11", 0), "11", UnknownItem},
		{with(ok, "q1", 1), "q1", UnknownItem},
	} {
		_, err := Score(inst, tc.answers)
		ae := answerProblem(t, err)
		if ae.Item != tc.item || ae.Problem != tc.problem {
			t.Errorf("%v: %+v, want %s %s", tc.answers, ae, tc.item, tc.problem)
		}
	}
}

// CriticalHits works on a partial response, as the questionnaire page saves
// answers one by one, and ignores values that are not options.
func TestCriticalHitsOnPartialAnswers(t *testing.T) {
	inst := mustGet(t, "phq-9")
	if hits := CriticalHits(inst, map[string]int{"9": 1}); len(hits) != 1 || hits[0].Rule.Op != ">" {
		t.Errorf("hits %+v", hits)
	}
	if hits := CriticalHits(inst, map[string]int{"9": 7, "1": 3}); hits != nil {
		t.Errorf("hits %+v", hits)
	}
}
