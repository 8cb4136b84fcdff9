package instrument

import (
	"fmt"
	"slices"
	"testing"
)

// GAD-7 (Spitzer et al. 2006): 5, 10 and 15 are the cut-offs for mild,
// moderate and severe anxiety; both sides of each.
func TestGAD7Bands(t *testing.T) {
	inst := mustGet(t, "gad-7")
	for _, b := range []struct {
		total int
		key   string
		tier  Tier
	}{
		{0, "minimal", Green}, {4, "minimal", Green}, {5, "mild", Yellow}, {9, "mild", Yellow},
		{10, "moderate", Orange}, {14, "moderate", Orange}, {15, "severe", Red}, {21, "severe", Red},
	} {
		t.Run(fmt.Sprint(b.total), func(t *testing.T) {
			checkTotal(t, inst, withScores(t, inst, nil, b.total), b.total, b.key, b.tier)
		})
	}
}

// GAD-7 has no proration rule in its manual: any unanswered item refuses.
func TestGAD7RefusesMissing(t *testing.T) {
	inst := mustGet(t, "gad-7")
	full := withScores(t, inst, nil, 12)
	_, err := Score(inst, without(full, "7"))
	if me := missingProblem(t, err); !slices.Equal(me.Items, []string{"7"}) {
		t.Errorf("missing %v", me.Items)
	}
	if r := mustScore(t, inst, with(full, "8", 2)); r.Total != 12 || len(r.Critical) != 0 {
		t.Errorf("difficulty item: %+v", r)
	}
	_, err = Score(inst, with(full, "1", 4))
	answerProblem(t, err)
}

// K6 (Kessler et al. 2002, 2003; Prochaska et al. 2012): 0-24, 13 or more
// serious psychological distress, 5-12 moderate distress.
func TestK6Bands(t *testing.T) {
	inst := mustGet(t, "k6")
	for _, b := range []struct {
		total int
		key   string
		tier  Tier
	}{
		{0, "low", Green}, {4, "low", Green}, {5, "moderate", Yellow},
		{12, "moderate", Yellow}, {13, "serious", Orange}, {24, "serious", Orange},
	} {
		t.Run(fmt.Sprint(b.total), func(t *testing.T) {
			checkTotal(t, inst, withScores(t, inst, nil, b.total), b.total, b.key, b.tier)
		})
	}
}

func TestK6Answers(t *testing.T) {
	inst := mustGet(t, "k6")
	// "All of the time" is 4, not the 1 of the interview's 1-5 coding.
	all := map[string]int{"1": 4, "2": 4, "3": 4, "4": 4, "5": 4, "6": 4}
	checkTotal(t, inst, all, 24, "serious", Orange)
	_, err := Score(inst, with(all, "2", 5))
	answerProblem(t, err)
	_, err = Score(inst, without(all, "6"))
	missingProblem(t, err)
}
