package screening_test

import (
	"strconv"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/screening"
	"github.com/careloop/careloop/internal/screening/instrument"
)

// items numbers values as item ids "1", "2", ...
func items(values ...int) map[string]int {
	out := map[string]int{}
	for i, v := range values {
		out[strconv.Itoa(i+1)] = v
	}
	return out
}

// full is a complete PHQ-A + GAD-7 battery (scored items only; PHQ-A item
// 9 is the critical one).
func full(phq [9]int, gad [7]int) screening.Answers {
	return screening.Answers{"phq-a": items(phq[:]...), "gad-7": items(gad[:]...)}
}

// Batteries of known outcome.
var (
	calm     = full([9]int{0, 1, 0, 1, 0, 0, 1, 0, 0}, [7]int{0, 1, 0, 0, 1, 0, 0}) // PHQ 3 green, GAD 2 green
	worried  = full([9]int{1, 1, 1, 1, 1, 1, 0, 0, 0}, [7]int{2, 2, 2, 2, 1, 1, 1}) // PHQ 6 yellow, GAD 11 orange
	severe   = full([9]int{3, 3, 2, 2, 2, 2, 2, 1, 0}, [7]int{1, 1, 1, 1, 0, 0, 0}) // PHQ 17 red, GAD 4 green
	critical = full([9]int{1, 0, 0, 0, 0, 0, 0, 0, 1}, [7]int{0, 0, 0, 0, 0, 0, 0}) // PHQ 2 green but item 9 = 1
	mildOnly = full([9]int{2, 2, 1, 0, 0, 0, 0, 0, 0}, [7]int{0, 0, 0, 0, 0, 0, 0}) // PHQ 5 yellow, GAD 0 green
	patient  = 10 * time.Minute                                                     // a plausible time to answer
	rushed   = 2 * time.Second                                                      // far too fast for 16 items
	tierRank = map[instrument.Tier]int{instrument.Green: 1, instrument.Yellow: 2, instrument.Orange: 3, instrument.Red: 4}
)

// expected scores the battery with package instrument directly.
func expected(t *testing.T, cat *instrument.Catalog, a screening.Answers) (map[string]*instrument.Result, instrument.Tier) {
	t.Helper()
	out := map[string]*instrument.Result{}
	tier := instrument.Green
	for _, idn := range []string{"phq-a", "gad-7"} {
		inst, ok := cat.Get(idn)
		if !ok {
			t.Fatalf("instrument %s missing from the library", idn)
		}
		res, err := instrument.Score(inst, a[idn])
		if err != nil {
			t.Fatalf("instrument.Score(%s): %v", idn, err)
		}
		if res.Band == nil {
			t.Fatalf("%s total %d has no band", idn, res.Total)
		}
		out[idn] = res
		if tierRank[res.Band.Tier] > tierRank[tier] {
			tier = res.Band.Tier
		}
		if len(res.Critical) > 0 {
			tier = instrument.Red
		}
	}
	return out, tier
}

// TestBatteryFitsTheAgesUsed pins the premise of the other tests: PHQ-A
// and GAD-7 both suit students of 12 to 15, and the fixtures score as
// their comments say.
func TestBatteryFitsTheAgesUsed(t *testing.T) {
	cat, err := instrument.Library()
	if err != nil {
		t.Fatal(err)
	}
	for _, idn := range []string{"phq-a", "gad-7"} {
		inst, _ := cat.Get(idn)
		if inst == nil || inst.AgeMin > 12 || (inst.AgeMax != 0 && inst.AgeMax < 15) {
			t.Fatalf("%s does not cover ages 12-15: %+v", idn, inst)
		}
	}
	for name, c := range map[string]struct {
		a    screening.Answers
		tier instrument.Tier
	}{"calm": {calm, instrument.Green}, "worried": {worried, instrument.Orange}, "severe": {severe, instrument.Red},
		"critical": {critical, instrument.Red}, "mildOnly": {mildOnly, instrument.Yellow}} {
		if _, tier := expected(t, cat, c.a); tier != c.tier {
			t.Errorf("%s: tier %s, want %s", name, tier, c.tier)
		}
	}
}
