package instrument

import (
	"fmt"
	"slices"
)

// scaleItems returns the scored items of a scale ("" for the total).
func scaleItems(inst *Instrument, scale string) []*Item {
	var out []*Item
	for i := range inst.Items {
		it := &inst.Items[i]
		if !it.Unscored && (scale == "" || slices.Contains(it.Subscales, scale)) {
			out = append(out, it)
		}
	}
	return out
}

// scaleRange returns the lowest and highest score a scale can take.
func scaleRange(inst *Instrument, scale, method string) (lo, hi int) {
	for i, it := range scaleItems(inst, scale) {
		l, h := it.span()
		switch {
		case method == MethodSum:
			lo, hi = lo+l, hi+h
		case i == 0:
			lo, hi = l, h
		default:
			lo, hi = min(lo, l), max(hi, h)
		}
	}
	return lo, hi
}

func (c *checker) bands(inst *Instrument) {
	methods := map[string]string{}
	if inst.Total != nil {
		methods[""] = inst.Total.Method
	}
	for _, s := range inst.Subscales {
		methods[s.ID] = s.Method
	}
	byScale := map[string][]Band{}
	var order []string
	for i, b := range inst.Bands {
		p := fmt.Sprintf("bands[%d]", i)
		if _, ok := methods[b.Scale]; !ok {
			if b.Scale == "" {
				c.addf(p, "a band on the total, but the instrument has no total")
			} else {
				c.addf(p, "unknown subscale %q", b.Scale)
			}
			continue
		}
		if b.Key == "" {
			c.addf(p, "missing key")
		}
		switch b.Tier {
		case Green, Yellow, Orange, Red:
		default:
			c.addf(p, "tier %q is not green, yellow, orange or red", b.Tier)
		}
		c.text(p+".label", b.Label)
		if b.Min > b.Max {
			c.addf(p, "min %d is above max %d", b.Min, b.Max)
		}
		if _, ok := byScale[b.Scale]; !ok {
			order = append(order, b.Scale)
		}
		byScale[b.Scale] = append(byScale[b.Scale], b)
	}
	for _, scale := range order {
		c.coverage(inst, scale, methods[scale], byScale[scale])
	}
}

// coverage requires the bands of one scale to cover its possible scores
// exactly once: no gap, no overlap, nothing outside.
func (c *checker) coverage(inst *Instrument, scale, method string, bands []Band) {
	p := "bands of the total"
	if scale != "" {
		p = "bands of subscale " + scale
	}
	keys := map[string]bool{}
	for _, b := range bands {
		if keys[b.Key] {
			c.addf(p, "duplicate key %q", b.Key)
		}
		keys[b.Key] = true
	}
	lo, hi := scaleRange(inst, scale, method)
	bands = slices.Clone(bands)
	slices.SortStableFunc(bands, func(a, b Band) int { return a.Min - b.Min })
	if bands[0].Min != lo {
		c.addf(p, "start at %d, but the lowest possible score is %d", bands[0].Min, lo)
	}
	for i := 1; i < len(bands); i++ {
		a, b := bands[i-1], bands[i]
		switch {
		case b.Min <= a.Max:
			c.addf(p, "%q and %q overlap at %d–%d", a.Key, b.Key, b.Min, min(a.Max, b.Max))
		case b.Min > a.Max+1:
			c.addf(p, "gap between %q and %q: scores %d–%d have no band", a.Key, b.Key, a.Max+1, b.Min-1)
		}
	}
	if last := bands[len(bands)-1]; last.Max != hi {
		c.addf(p, "end at %d, but the highest possible score is %d", last.Max, hi)
	}
}
