package stats

import (
	"cmp"
	"slices"
)

// Spread is how far apart the least and the greatest value of a small
// count (1 to 4) must stay for a reader who combines every figure they
// can read: at least Spread+1 values remain possible, so no combination
// of units, grades and periods pins it (docs/indicators.md).
const Spread = 2

// unbounded stands for "no upper bound" in the reader's intervals.
const unbounded = int64(1) << 50

// cell is one figure a rounded reader can see: an indicator's value for a
// unit or a school's grade, in a period.
type cell struct {
	key
	indicator string
	period    string
}

// relation says total = offset + the sum of parts. The offset is what the
// parts do not cover: a unit's own records, students without a grade,
// contacts on channels without their own figure (at least 0), or a person
// counted in two months or two units (at most 0). A reader is granted the
// worst case short of reading records: they know whether the offset is
// exactly 0 (a district's students are all in its schools), and its sign
// otherwise, never its size, which no page shows.
type relation struct {
	total        int
	parts        []int
	offLo, offHi int64
}

// protection decides which figures a rounded reader reads as withheld.
// A count of 1 to 4 reads "<5" (the reader knows 1 to 4), any other count
// rounded to a multiple of 5 (the reader knows it within 2, and at least
// 5), zero as 0; a withheld figure reads "×" (the reader knows only that
// it is at least 1: zero is never withheld).
type protection struct {
	cells []cell
	value []int64
	rels  []relation
	in    [][]int // the relations of each cell
	held  []bool  // withheld
	lo    []int64 // what a reader can infer, after propagate
	hi    []int64
	// stalled: propagate gave up before reaching a fixed point.
	stalled bool
}

func newProtection() *protection { return &protection{} }

func (p *protection) add(c cell, v int64) int {
	p.cells = append(p.cells, c)
	p.value = append(p.value, v)
	p.in = append(p.in, nil)
	p.held = append(p.held, false)
	return len(p.cells) - 1
}

func (p *protection) relate(total int, parts []int) {
	if len(parts) == 0 {
		return
	}
	off := p.value[total]
	for _, c := range parts {
		off -= p.value[c]
	}
	rel := relation{total: total, parts: parts}
	switch {
	case off > 0:
		rel.offHi = unbounded
	case off < 0:
		rel.offLo = -unbounded
	}
	r := len(p.rels)
	p.rels = append(p.rels, rel)
	p.in[total] = append(p.in[total], r)
	for _, c := range parts {
		p.in[c] = append(p.in[c], r)
	}
}

func small(v int64) bool { return v > 0 && v < Small }

// box is what a rounded reader reads of cell i on its own.
func (p *protection) box(i int) (int64, int64) {
	v := p.value[i]
	switch {
	case v == 0:
		return 0, 0
	case p.held[i]:
		return 1, unbounded
	case small(v):
		return 1, Small - 1
	}
	r, _ := Shown(v, false)
	return max(Small, r-Small/2), r + Small/2
}

// propagate narrows every cell's interval by every relation until nothing
// changes, as a reader would: from total = offset + Σ parts, each part
// lies between the total's least value less the others' greatest and the
// total's greatest less the others' least.
func (p *protection) propagate() {
	n := len(p.cells)
	p.stalled = false
	p.lo, p.hi = make([]int64, n), make([]int64, n)
	for i := range n {
		p.lo[i], p.hi[i] = p.box(i)
	}
	queued := make([]bool, len(p.rels))
	var work []int
	for r := range p.rels {
		work = append(work, r)
		queued[r] = true
	}
	narrow := func(i int, lo, hi int64) {
		changed := false
		if lo > p.lo[i] {
			p.lo[i], changed = lo, true
		}
		if hi < p.hi[i] {
			p.hi[i], changed = hi, true
		}
		if !changed {
			return
		}
		for _, r := range p.in[i] {
			if !queued[r] {
				queued[r] = true
				work = append(work, r)
			}
		}
	}
	// Narrowing by one at a time around a cycle of relations could go on
	// for long over wide intervals; past a generous bound every figure's
	// interval is taken as unknown, which solve answers by withholding.
	budget := 100*len(p.rels) + 1000
	for len(work) > 0 {
		if budget--; budget < 0 {
			p.stalled = true
			return
		}
		r := work[len(work)-1]
		work = work[:len(work)-1]
		queued[r] = false
		rel := p.rels[r]
		// Sums of intervals, counting the unbounded ends apart.
		var sumLo, sumHi int64
		openLo, openHi := 0, 0
		for _, c := range rel.parts {
			if p.lo[c] <= -unbounded {
				openLo++
			} else {
				sumLo += p.lo[c]
			}
			if p.hi[c] >= unbounded {
				openHi++
			} else {
				sumHi += p.hi[c]
			}
		}
		// total ∈ offset + Σ parts
		lo, hi := int64(-unbounded), int64(unbounded)
		if openLo == 0 && rel.offLo > -unbounded {
			lo = rel.offLo + sumLo
		}
		if openHi == 0 && rel.offHi < unbounded {
			hi = rel.offHi + sumHi
		}
		narrow(rel.total, lo, hi)
		// part ∈ total - offset - Σ other parts
		for _, c := range rel.parts {
			lo, hi := int64(-unbounded), int64(unbounded)
			othersHi, othersOpenHi := sumHi, openHi
			if p.hi[c] >= unbounded {
				othersOpenHi--
			} else {
				othersHi -= p.hi[c]
			}
			if othersOpenHi == 0 && rel.offHi < unbounded && p.lo[rel.total] > -unbounded {
				lo = p.lo[rel.total] - rel.offHi - othersHi
			}
			othersLo, othersOpenLo := sumLo, openLo
			if p.lo[c] <= -unbounded {
				othersOpenLo--
			} else {
				othersLo -= p.lo[c]
			}
			if othersOpenLo == 0 && rel.offLo > -unbounded && p.hi[rel.total] < unbounded {
				hi = p.hi[rel.total] - rel.offLo - othersLo
			}
			narrow(c, lo, hi)
		}
	}
}

// exposed lists the small counts a reader can narrow to fewer than
// Spread+1 values.
func (p *protection) exposed() []int {
	var out []int
	for i, v := range p.value {
		if small(v) && p.hi[i]-p.lo[i] < Spread {
			out = append(out, i)
		}
	}
	return out
}

// solve withholds figures until no small count is exposed: for each
// exposed count, the smallest count of 5 or more in a relation with it
// (the least information lost), else another small count there (its "<5"
// bound is what pins the first), else the count itself. If a round finds
// nothing more to withhold, every non-zero figure is withheld: a reader
// then knows only lower bounds, and nothing is pinned.
func (p *protection) solve() {
	for {
		p.propagate()
		bad := p.exposed()
		if len(bad) == 0 && !p.stalled {
			return
		}
		added := false
		if p.stalled {
			bad = nil // withhold everything below
		}
		for _, i := range bad {
			if c := p.candidate(i); c >= 0 && !p.held[c] {
				p.held[c], added = true, true
			}
		}
		if !added {
			for i, v := range p.value {
				if v != 0 {
					p.held[i] = true
				}
			}
			return
		}
	}
}

// candidate picks the figure to withhold for the exposed cell i; -1 if
// none is left.
func (p *protection) candidate(i int) int {
	var cands []int
	for _, r := range p.in[i] {
		rel := p.rels[r]
		for _, c := range append([]int{rel.total}, rel.parts...) {
			if c != i && p.value[c] != 0 && !p.held[c] {
				cands = append(cands, c)
			}
		}
	}
	if len(cands) == 0 {
		if !p.held[i] {
			return i
		}
		return -1
	}
	// Counts of 5 or more first, smallest first; then small counts,
	// largest first; ties by cell order, so that a run is deterministic.
	return slices.MinFunc(cands, func(a, b int) int {
		sa, sb := small(p.value[a]), small(p.value[b])
		if sa != sb {
			if sa {
				return 1
			}
			return -1
		}
		if sa {
			return cmp.Or(cmp.Compare(p.value[b], p.value[a]), cmp.Compare(a, b))
		}
		return cmp.Or(cmp.Compare(p.value[a], p.value[b]), cmp.Compare(a, b))
	})
}

// withheld lists the withheld cells.
func (p *protection) withheld() []cell {
	var out []cell
	for i, h := range p.held {
		if h {
			out = append(out, p.cells[i])
		}
	}
	return out
}
