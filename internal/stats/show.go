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
	Withheld  bool    // withheld so that no small count can be worked out, shown as "*"
	None      bool    // a ratio without a denominator
}

// WithheldMark is how a withheld figure reads.
const WithheldMark = "*"

// Text is the figure as the viewer reads it.
func (f Figure) Text() string {
	switch {
	case f.Hidden:
		return "<" + strconv.Itoa(Small)
	case f.Withheld:
		return WithheldMark
	case f.None:
		return "—"
	case f.Indicator.Unit == "share":
		return strconv.FormatFloat(f.Value*100, 'f', 1, 64) + "%"
	case f.Indicator.Ratio != nil:
		return strconv.FormatFloat(f.Value, 'f', 1, 64)
	}
	return strconv.FormatInt(int64(f.Value), 10)
}

// figures turns raw rollup values into what a viewer reads: counts
// exact, or rounded with small ones hidden and the protected ones
// withheld (held); then sums of minutes or days, which only exact readers
// read; ratios last, computed from what the viewer reads of their parts
// (a mean of minutes or days from the sum over the count as read).
func figures(reg *Registry, raw map[string]int64, exact bool, held withheldSet) map[string]Figure {
	out := map[string]Figure{}
	for _, in := range reg.List {
		if !in.Counted() {
			continue
		}
		v := raw[in.ID]
		if !in.Protected() {
			out[in.ID] = Figure{Indicator: in, Value: float64(v)}
			continue
		}
		if !exact && v != 0 && held.has(in.ID) {
			out[in.ID] = Figure{Indicator: in, Withheld: true}
			continue
		}
		shown, hidden := Shown(v, exact)
		out[in.ID] = Figure{Indicator: in, Value: float64(shown), Hidden: hidden}
	}
	for _, in := range reg.List {
		if in.Ratio != nil || in.Counted() {
			continue
		}
		// A sum of minutes or days is read exactly with record access
		// only: beside the sums of other units it would give back the
		// minutes of a single child's alert. Others read its mean.
		if exact {
			out[in.ID] = Figure{Indicator: in, Value: float64(raw[in.ID])}
		} else {
			out[in.ID] = Figure{Indicator: in, None: true}
		}
	}
	for _, in := range reg.List {
		if in.Ratio == nil {
			continue
		}
		num, den := out[in.Ratio[0]], out[in.Ratio[1]]
		if n, _ := reg.Get(in.Ratio[0]); !n.Counted() {
			num = Figure{Indicator: n, Value: float64(raw[n.ID])} // a mean of minutes or days
		}
		if den.Hidden || num.Hidden || den.Withheld || num.Withheld || num.None || den.Value == 0 {
			out[in.ID] = Figure{Indicator: in, None: true}
			continue
		}
		out[in.ID] = Figure{Indicator: in, Value: num.Value / den.Value}
	}
	return out
}
