package instrument

import (
	"slices"
	"testing"
)

// Answers to the C-SSRS screener, yes/no per question, turned into the raw
// values of the definition (a "yes" is worth the risk level it signals).
func cssrs(t *testing.T, inst *Instrument, yes map[string]bool) map[string]int {
	t.Helper()
	answers := map[string]int{}
	for id, y := range yes {
		it, ok := inst.Item(id)
		if !ok {
			t.Fatalf("no item %s", id)
		}
		answers[id] = 0
		if y {
			_, hi := it.span()
			answers[id] = hi
		}
	}
	return answers
}

// TestCSSRSRiskPaths walks every path of the screener's skip logic and
// triage (Columbia Protocol, Screen Version - Recent): yes to 1 or 2 is low
// risk; yes to 2 asks 3, 4 and 5, no to 2 goes to 6; yes to 3 is moderate,
// to 4 or 5 high; yes to 6 is moderate, high when within the past 3 months.
// The highest level reached wins.
func TestCSSRSRiskPaths(t *testing.T) {
	inst := mustGet(t, "c-ssrs-screen")
	for _, tc := range []struct {
		name     string
		yes      map[string]bool
		level    int
		key      string
		tier     Tier
		critical []string
	}{
		{"all no", map[string]bool{"1": false, "2": false, "6": false}, 0, "none", Green, nil},
		{"wish to be dead", map[string]bool{"1": true, "2": false, "6": false}, 1, "low", Yellow, nil},
		{"thoughts only", map[string]bool{"1": true, "2": true, "3": false, "4": false, "5": false, "6": false}, 1, "low", Yellow, nil},
		{"thoughts, 1 no", map[string]bool{"1": false, "2": true, "3": false, "4": false, "5": false, "6": false}, 1, "low", Yellow, nil},
		{"method", map[string]bool{"1": true, "2": true, "3": true, "4": false, "5": false, "6": false}, 2, "moderate", Orange, []string{"3"}},
		{"intent", map[string]bool{"1": true, "2": true, "3": false, "4": true, "5": false, "6": false}, 3, "high", Red, []string{"4"}},
		{"plan", map[string]bool{"1": true, "2": true, "3": true, "4": false, "5": true, "6": false}, 3, "high", Red, []string{"3", "5"}},
		{"behaviour long ago", map[string]bool{"1": false, "2": false, "6": true, "6a": false}, 2, "moderate", Orange, []string{"6"}},
		{"behaviour in 3 months", map[string]bool{"1": false, "2": false, "6": true, "6a": true}, 3, "high", Red, []string{"6"}},
		{"ideation and old behaviour", map[string]bool{"1": true, "2": true, "3": false, "4": false, "5": false, "6": true, "6a": false}, 2, "moderate", Orange, []string{"6"}},
		{"everything", map[string]bool{"1": true, "2": true, "3": true, "4": true, "5": true, "6": true, "6a": true}, 3, "high", Red, []string{"3", "4", "5", "6"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := mustScore(t, inst, cssrs(t, inst, tc.yes))
			if r.Total != tc.level || r.Band == nil || r.Band.Key != tc.key || r.Band.Tier != tc.tier {
				t.Errorf("level %d band %+v, want %d %s %s", r.Total, r.Band, tc.level, tc.key, tc.tier)
			}
			var got []string
			for _, h := range r.Critical {
				got = append(got, h.Item)
			}
			if !slices.Equal(got, tc.critical) {
				t.Errorf("critical %v, want %v", got, tc.critical)
			}
		})
	}
}

func TestCSSRSSkipLogic(t *testing.T) {
	inst := mustGet(t, "c-ssrs-screen")
	// No to 2: questions 3-5 are not asked, so answering them is an error.
	_, err := Score(inst, cssrs(t, inst, map[string]bool{"1": true, "2": false, "3": true, "6": false}))
	if ae := answerProblem(t, err); ae.Item != "3" || ae.Problem != SkippedItem {
		t.Errorf("%+v", ae)
	}
	// No to 6: the 3-month question is not asked.
	_, err = Score(inst, cssrs(t, inst, map[string]bool{"1": false, "2": false, "6": false, "6a": true}))
	if ae := answerProblem(t, err); ae.Item != "6a" || ae.Problem != SkippedItem {
		t.Errorf("%+v", ae)
	}
	// Yes to 2 asks 3, 4 and 5: leaving them out is refused (no proration),
	// but the answers given still raise no critical hit by themselves.
	_, err = Score(inst, cssrs(t, inst, map[string]bool{"1": true, "2": true, "6": false}))
	if me := missingProblem(t, err); !slices.Equal(me.Items, []string{"3", "4", "5"}) {
		t.Errorf("missing %v", me.Items)
	}
	// Yes to 6 without the 3-month answer: refused, yet critical.
	_, err = Score(inst, cssrs(t, inst, map[string]bool{"1": false, "2": false, "6": true}))
	me := missingProblem(t, err)
	if !slices.Equal(me.Items, []string{"6a"}) || len(me.Critical) != 1 || me.Critical[0].Item != "6" {
		t.Errorf("%+v", me)
	}
	// A "yes" must be the item's yes value: 1 is not an option of item 4.
	_, err = Score(inst, map[string]int{"1": 1, "2": 1, "3": 0, "4": 1, "5": 0, "6": 0})
	if ae := answerProblem(t, err); ae.Item != "4" || ae.Problem != NotAnOption {
		t.Errorf("%+v", ae)
	}
}
