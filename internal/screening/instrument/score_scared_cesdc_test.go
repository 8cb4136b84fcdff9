package instrument

import (
	"fmt"
	"testing"
)

// The SCARED subscales and cut-offs (Birmaher et al. 1999), written here
// independently of scared-c.json.
var scaredSubscales = []struct {
	id     string
	items  []string
	cutoff int
}{
	{"panic_somatic", []string{"1", "6", "9", "12", "15", "18", "19", "22", "24", "27", "30", "34", "38"}, 7},
	{"generalized", []string{"5", "7", "14", "21", "23", "28", "33", "35", "37"}, 9},
	{"separation", []string{"4", "8", "13", "16", "20", "25", "29", "31"}, 5},
	{"social", []string{"3", "10", "26", "32", "39", "40", "41"}, 8},
	{"school_avoidance", []string{"2", "11", "17", "36"}, 3},
}

func TestSCAREDSubscalesAtTheirCutOffs(t *testing.T) {
	inst := mustGet(t, "scared-c")
	for _, s := range scaredSubscales {
		for _, score := range []int{s.cutoff - 1, s.cutoff, 2 * len(s.items)} {
			t.Run(fmt.Sprintf("%s/%d", s.id, score), func(t *testing.T) {
				r := mustScore(t, inst, withScores(t, inst, s.items, score))
				want := "below_cutoff"
				if score >= s.cutoff {
					want = "above_cutoff"
				}
				if r.Subscales[s.id] != score || r.SubscaleBands[s.id].Key != want {
					t.Errorf("score %d band %+v, want %d %s", r.Subscales[s.id], r.SubscaleBands[s.id], score, want)
				}
				for _, other := range scaredSubscales {
					if other.id != s.id && (r.Subscales[other.id] != 0 || r.SubscaleBands[other.id].Key != "below_cutoff") {
						t.Errorf("subscale %s moved: %d", other.id, r.Subscales[other.id])
					}
				}
				if r.Total != score {
					t.Errorf("total %d, want %d", r.Total, score)
				}
			})
		}
	}
}

// Total: 25 or more may indicate an anxiety disorder; above 30 is more
// specific (Birmaher et al. 1999).
func TestSCAREDTotal(t *testing.T) {
	inst := mustGet(t, "scared-c")
	for _, b := range []struct {
		total int
		key   string
		tier  Tier
	}{
		{0, "below_cutoff", Green}, {24, "below_cutoff", Green}, {25, "above_cutoff", Orange},
		{30, "above_cutoff", Orange}, {31, "above_specific_cutoff", Orange}, {82, "above_specific_cutoff", Orange},
	} {
		checkTotal(t, inst, withScores(t, inst, nil, b.total), b.total, b.key, b.tier)
	}
	_, err := Score(inst, without(withScores(t, inst, nil, 30), "41"))
	missingProblem(t, err)
	_, err = Score(inst, with(withScores(t, inst, nil, 30), "41", 3))
	answerProblem(t, err)
}

// CES-DC: items 4, 8, 12, 16 are worded positively and scored 3-raw; "scores
// over 15" suggest significant depressive symptoms (Weissman et al. 1980;
// the form's scoring notes).
func TestCESDCReverseItems(t *testing.T) {
	inst := mustGet(t, "ces-dc")
	same := func(v int) map[string]int {
		a := map[string]int{}
		for i := 1; i <= 20; i++ {
			a[fmt.Sprint(i)] = v
		}
		return a
	}
	for _, tc := range []struct {
		answers map[string]int
		total   int
	}{
		{same(0), 12}, // four reversed items count 3 each
		{same(3), 48}, // 16 × 3, reversed items 0
		{same(1), 24}, // 16 × 1 + 4 × 2
		{with(same(0), "4", 3, "8", 3, "12", 3, "16", 3), 0}, // no symptoms at all
		{with(same(0), "4", 3, "8", 3, "12", 3, "16", 0), 3},
		{with(same(3), "4", 3, "8", 3, "12", 3, "16", 3), 48},
		{with(same(3), "4", 0, "8", 0, "12", 0, "16", 0), 60},
	} {
		if r := mustScore(t, inst, tc.answers); r.Total != tc.total {
			t.Errorf("%v: total %d, want %d", tc.answers, r.Total, tc.total)
		}
	}
}

func TestCESDCCutOff(t *testing.T) {
	inst := mustGet(t, "ces-dc")
	for _, b := range []struct {
		total int
		key   string
		tier  Tier
	}{
		{0, "below_cutoff", Green}, {15, "below_cutoff", Green}, {16, "above_cutoff", Orange}, {60, "above_cutoff", Orange},
	} {
		answers := withScores(t, inst, nil, b.total)
		checkTotal(t, inst, answers, b.total, b.key, b.tier)
	}
	_, err := Score(inst, without(withScores(t, inst, nil, 20), "12"))
	missingProblem(t, err)
}
