package stats

import (
	"strconv"
)

// Small is the count under which a figure is hidden from viewers who may
// not see identities.
const Small = 5

// Shown is what a viewer reads of a count. A viewer who may see the
// records behind it (record.read over the unit) reads it exactly. Anyone
// else reads "<5" for 1 to 4 and every other count rounded to the nearest
// multiple of 5: every number such a viewer sees is a multiple of 5, so no
// plain sum or difference gives back a hidden count. The figures are
// intervals, though, and a total beside its parts can bound a hidden part
// to one value in rare cases (docs/indicators.md).
func Shown(v int64, exact bool) (int64, bool) {
	if exact || v == 0 {
		return v, false
	}
	if v > 0 && v < Small {
		return 0, true
	}
	return (v + Small/2) / Small * Small, false
}

// Figure is one indicator's value for one unit (or part) and period.
type Figure struct {
	Indicator Indicator
	Value     float64 // what the viewer may know: exact, rounded, or a ratio of those
	Hidden    bool    // a count under Small, shown as "<5"
	None      bool    // a ratio without a denominator
}

// Text is the figure as the viewer reads it.
func (f Figure) Text() string {
	switch {
	case f.Hidden:
		return "<" + strconv.Itoa(Small)
	case f.None:
		return "—"
	case f.Indicator.Unit == "share":
		return strconv.FormatFloat(f.Value*100, 'f', 1, 64) + "%"
	case f.Indicator.Ratio != nil:
		return strconv.FormatFloat(f.Value, 'f', 1, 64)
	}
	return strconv.FormatInt(int64(f.Value), 10)
}

// figures turns raw rollup values into what a viewer reads, ratios last
// (computed from what the viewer reads of their parts).
func figures(reg *Registry, raw map[string]int64, exact bool) map[string]Figure {
	out := map[string]Figure{}
	for _, in := range reg.List {
		if in.Ratio != nil {
			continue
		}
		v := raw[in.ID]
		if !in.Counted() {
			// Minutes and days are sums kept for means; they are not counts
			// of people and are shown as they are.
			out[in.ID] = Figure{Indicator: in, Value: float64(v)}
			continue
		}
		shown, hidden := Shown(v, exact)
		out[in.ID] = Figure{Indicator: in, Value: float64(shown), Hidden: hidden}
	}
	for _, in := range reg.List {
		if in.Ratio == nil {
			continue
		}
		num, den := out[in.Ratio[0]], out[in.Ratio[1]]
		if den.Hidden || num.Hidden || den.Value == 0 {
			out[in.ID] = Figure{Indicator: in, None: true}
			continue
		}
		out[in.ID] = Figure{Indicator: in, Value: num.Value / den.Value}
	}
	return out
}
