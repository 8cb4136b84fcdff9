package instrument

import "time"

// The validity flags. A flagged response is kept and scored, shown with its
// flags, and offered for re-screening; it is never silently dropped.
const (
	// FlagTooFast: elapsed < MinSeconds × number of answered items.
	FlagTooFast = "too_fast"
	// FlagStraightLining: every scored item has the same raw answer, on an
	// instrument where that pattern is implausible (see CheckValidity).
	FlagStraightLining = "straight_lining"
	// FlagValidityItem: a validity (lie) item has an unexpected answer.
	FlagValidityItem = "validity_item"
)

// Flag is one reason to doubt a response. Items lists the items concerned,
// where the flag is about particular items.
type Flag struct {
	Code  string
	Items []string
}

// CheckValidity returns the validity flags of a response that took elapsed
// from the first item shown to submission:
//
//   - too_fast when elapsed < inst.MinSeconds × the number of answered items;
//   - straight_lining when every enabled scored item is answered with the
//     same raw value, on an instrument with at least 10 scored items, or with
//     at least 7 scored items of which one or more is reverse-scored (there
//     the same answer throughout contradicts itself). Shorter instruments
//     are exempt: "not at all" to all nine PHQ-9 items is a common, honest
//     answer;
//   - validity_item listing the validity items answered outside their
//     expected values.
//
// Answers to unknown items are ignored here; Score refuses them.
func CheckValidity(inst *Instrument, answers map[string]int, elapsed time.Duration) []Flag {
	var flags []Flag
	answered := 0
	for i := range inst.Items {
		if _, ok := answers[inst.Items[i].ID]; ok {
			answered++
		}
	}
	limit := time.Duration(inst.MinSeconds * float64(answered) * float64(time.Second))
	if answered > 0 && elapsed < limit {
		flags = append(flags, Flag{Code: FlagTooFast})
	}
	if straightLined(inst, answers) {
		flags = append(flags, Flag{Code: FlagStraightLining})
	}
	var odd []string
	for i := range inst.Items {
		it := &inst.Items[i]
		v, ok := answers[it.ID]
		if it.Validity == nil || !ok {
			continue
		}
		expected := false
		for _, e := range it.Validity.Expected {
			expected = expected || e == v
		}
		if !expected {
			odd = append(odd, it.ID)
		}
	}
	if len(odd) > 0 {
		flags = append(flags, Flag{Code: FlagValidityItem, Items: odd})
	}
	return flags
}

// StraightLiningApplies reports whether the straight-lining check is made
// for the instrument: 10 or more scored items, or 7 or more with at least
// one reverse-scored item.
func StraightLiningApplies(inst *Instrument) bool {
	n, reverse := 0, false
	for i := range inst.Items {
		if !inst.Items[i].Unscored {
			n++
			reverse = reverse || inst.Items[i].Reverse
		}
	}
	return n >= 10 || (n >= 7 && reverse)
}

func straightLined(inst *Instrument, answers map[string]int) bool {
	if !StraightLiningApplies(inst) {
		return false
	}
	first, seen := 0, false
	for i := range inst.Items {
		it := &inst.Items[i]
		if it.Unscored || !it.enabled(answers) {
			continue
		}
		v, ok := answers[it.ID]
		if !ok {
			return false
		}
		if seen && v != first {
			return false
		}
		first, seen = v, true
	}
	return seen
}
