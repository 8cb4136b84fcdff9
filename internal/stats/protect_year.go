package stats

import (
	"slices"
	"strings"
)

// yearData is a year's rollups that rounded readers see: period →
// indicator → cell (a unit, or a school's grade) → value. Classes are
// left out: only readers of exact figures see them.
type yearData map[string]map[string]map[key]int64

// periodsOf lists the year's periods: its months, quarters and the year.
func periodsOf(year int) (months [12]Period, quarters [4]Period, whole Period) {
	for m := range 12 {
		months[m] = Month(year, m+1)
	}
	for q := range 4 {
		quarters[q] = Quarter(year, q+1)
	}
	return months, quarters, Year(year)
}

// protectYear decides which figures of a year rounded readers read as
// withheld, one problem per group of indicators a reader can add up (an
// indicator with its parts), over every relation a reader can use: a
// unit and its child units, a school and its grades, a quarter and its
// months, a year and its quarters and months (for stocks: the period and
// its last month or quarter), an indicator and its parts.
func protectYear(reg *Registry, t tree, year int, data yearData) []cell {
	var out []cell
	for _, group := range protectGroups(reg) {
		p := buildYear(t, year, data, group)
		p.solve()
		out = append(out, p.withheld()...)
	}
	return out
}

// protectGroups lists the counted indicators in groups related by parts.
func protectGroups(reg *Registry) [][]Indicator {
	seen := map[string]bool{}
	var out [][]Indicator
	for _, in := range reg.List {
		if !in.Protected() || seen[in.ID] {
			continue
		}
		g := []Indicator{in}
		seen[in.ID] = true
		for _, id := range in.Parts {
			part, _ := reg.Get(id)
			if !seen[id] {
				g = append(g, part)
				seen[id] = true
			}
		}
		out = append(out, g)
	}
	return out
}

func buildYear(t tree, year int, data yearData, group []Indicator) *protection {
	p := newProtection()
	idx := map[cell]int{}
	months, quarters, whole := periodsOf(year)
	all := append(append(months[:], quarters[:]...), whole)
	// Cells, in a fixed order so that a run is deterministic.
	for _, in := range group {
		for _, per := range all {
			vals := data[per.String()][in.ID]
			keys := make([]key, 0, len(vals))
			for k := range vals {
				keys = append(keys, k)
			}
			slices.SortFunc(keys, func(a, b key) int {
				if a.unit != b.unit {
					return int(a.unit - b.unit)
				}
				return strings.Compare(a.part, b.part)
			})
			for _, k := range keys {
				c := cell{key: k, indicator: in.ID, period: per.String()}
				idx[c] = p.add(c, vals[k])
			}
		}
	}
	find := func(c cell) (int, bool) {
		i, ok := idx[c]
		return i, ok
	}
	children := map[int64][]int64{}
	for id, up := range t {
		if len(up) >= 2 {
			children[up[len(up)-2]] = append(children[up[len(up)-2]], id)
		}
	}
	for _, kids := range children {
		slices.Sort(kids)
	}
	grades := map[cell][]int{} // a school's cell → its grades' cells
	for i, c := range p.cells {
		if c.part != "" {
			school := cell{key: key{unit: c.unit}, indicator: c.indicator, period: c.period}
			grades[school] = append(grades[school], i)
		}
	}
	for i := range len(p.cells) {
		c := p.cells[i]
		if c.part != "" {
			continue
		}
		// A unit and its child units.
		var parts []int
		for _, kid := range children[c.unit] {
			if j, ok := find(cell{key: key{unit: kid}, indicator: c.indicator, period: c.period}); ok {
				parts = append(parts, j)
			}
		}
		p.relate(i, parts)
		// A school and its grades.
		p.relate(i, grades[c])
	}
	for _, in := range group {
		rows := map[key]bool{}
		for _, per := range all {
			for k := range data[per.String()][in.ID] {
				rows[k] = true
			}
		}
		for k := range rows {
			at := func(per Period) []int {
				if j, ok := find(cell{key: k, indicator: in.ID, period: per.String()}); ok {
					return []int{j}
				}
				return nil
			}
			span := func(ps []Period) []int {
				var out []int
				for _, per := range ps {
					out = append(out, at(per)...)
				}
				return out
			}
			tie := func(total Period, parts []int) {
				if j := at(total); j != nil {
					p.relate(j[0], parts)
				}
			}
			if in.Kind == "stock" {
				// A stock is counted at the period's end: a quarter reads as
				// its last month, a year as its last quarter.
				for q := range 4 {
					tie(quarters[q], at(months[3*q+2]))
				}
				tie(whole, at(quarters[3]))
				continue
			}
			for q := range 4 {
				tie(quarters[q], span(months[3*q:3*q+3]))
			}
			tie(whole, span(quarters[:]))
			tie(whole, span(months[:]))
		}
	}
	// An indicator and its parts.
	for _, in := range group {
		if len(in.Parts) == 0 {
			continue
		}
		for i := range len(p.cells) {
			c := p.cells[i]
			if c.indicator != in.ID {
				continue
			}
			var parts []int
			for _, id := range in.Parts {
				if j, ok := find(cell{key: c.key, indicator: id, period: c.period}); ok {
					parts = append(parts, j)
				}
			}
			p.relate(i, parts)
		}
	}
	return p
}
