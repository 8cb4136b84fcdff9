package instrument

import (
	"fmt"
	"slices"
	"testing"
	"time"
)

func flagCodes(flags []Flag) []string {
	var out []string
	for _, f := range flags {
		out = append(out, f.Code)
	}
	return out
}

func TestTooFast(t *testing.T) {
	inst := mustGet(t, "phq-9") // 1.5 s per answered item
	answers := withScores(t, inst, nil, 6)
	limit := 9 * 1500 * time.Millisecond
	for _, tc := range []struct {
		answers map[string]int
		elapsed time.Duration
		want    []string
	}{
		{answers, limit, nil},
		{answers, limit - time.Nanosecond, []string{FlagTooFast}},
		{answers, time.Hour, nil},
		{with(answers, "10", 0), limit, []string{FlagTooFast}}, // ten answered items need 15 s
		{with(answers, "10", 0), 15 * time.Second, nil},
		{map[string]int{}, 0, nil},
	} {
		if got := flagCodes(CheckValidity(inst, tc.answers, tc.elapsed)); !slices.Equal(got, tc.want) {
			t.Errorf("%d answers in %v: %v, want %v", len(tc.answers), tc.elapsed, got, tc.want)
		}
	}
}

func TestStraightLining(t *testing.T) {
	same := func(inst *Instrument, v int) map[string]int {
		a := map[string]int{}
		for _, it := range inst.Items {
			if !it.Unscored {
				a[it.ID] = v
			}
		}
		return a
	}
	cesdc, scared, phq9, gad7 := mustGet(t, "ces-dc"), mustGet(t, "scared-c"), mustGet(t, "phq-9"), mustGet(t, "gad-7")
	for _, tc := range []struct {
		inst    *Instrument
		answers map[string]int
		want    bool
	}{
		{cesdc, same(cesdc, 0), true}, // 20 items with reverse items
		{cesdc, same(cesdc, 2), true},
		{cesdc, with(same(cesdc, 2), "20", 1), false},
		{cesdc, without(same(cesdc, 2), "20"), false}, // incomplete: not judged
		{scared, same(scared, 1), true},               // 41 items
		{scared, with(same(scared, 1), "41", 0), false},
		{phq9, same(phq9, 0), false}, // 9 items, none reversed: exempt
		{phq9, same(phq9, 3), false},
		{gad7, same(gad7, 1), false},
	} {
		got := slices.Contains(flagCodes(CheckValidity(tc.inst, tc.answers, time.Hour)), FlagStraightLining)
		if got != tc.want {
			t.Errorf("%s %v: straight_lining %v, want %v", tc.inst.ID, tc.answers, got, tc.want)
		}
	}
	for id, want := range map[string]bool{"ces-dc": true, "scared-c": true, "phq-9": false, "phq-a": false, "gad-7": false, "k6": false, "c-ssrs-screen": false} {
		if got := StraightLiningApplies(mustGet(t, id)); got != want {
			t.Errorf("%s: applies %v, want %v", id, got, want)
		}
	}
}

// None of the shipped instruments has a lie scale; an imported one may (MHT
// has one). A validity item flags any answer outside its expected values.
func TestValidityItems(t *testing.T) {
	inst := testInstrument()
	inst.Items[2].Validity = &Validity{Expected: []int{0}}
	inst.Items[3].Validity = &Validity{Expected: []int{0, 1}}
	if err := Validate(inst); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		answers map[string]int
		want    []string
	}{
		{map[string]int{"a": 3, "b": 3, "c": 0, "d": 1}, nil},
		{map[string]int{"a": 3, "b": 3, "c": 1, "d": 1}, []string{"c"}},
		{map[string]int{"a": 3, "b": 3, "c": 2, "d": 3}, []string{"c", "d"}},
		{map[string]int{"a": 3, "b": 3}, nil}, // unanswered validity items say nothing
	} {
		flags := CheckValidity(inst, tc.answers, time.Hour)
		var got []string
		for _, f := range flags {
			if f.Code == FlagValidityItem {
				got = f.Items
			}
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%v: %v, want %v", tc.answers, fmt.Sprint(flags), tc.want)
		}
	}
}
