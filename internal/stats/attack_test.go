package stats_test

import (
	"fmt"
	"math"
	"strconv"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/stats"
)

// fig names one figure a reader can see: an indicator's value for a unit
// or a school's grade, in a period.
type fig struct {
	ind, period string
	unit        int64
	part        string
}

// A reader without record access opens every page there is (every unit,
// every school's grades, every period, the trends and a briefing) and
// then, knowing every relation between the figures (a unit and its child
// units, a school and its grades, a quarter and its months, a year and
// its quarters and months, the hotline's contacts and their channels) and
// even what each relation's parts leave out, solves for each small count
// by linear programming over everything read. No count of 1 to 4 may be
// narrowed to fewer than stats.Spread+1 values, and each figure reads the
// same wherever it appears.
func TestNoCombinationOfFiguresRevealsASmallCount(t *testing.T) {
	w := newWorld(t)
	start := time.Date(2026, 4, 1, 0, 0, 0, 0, time.FixedZone("CST", 8*3600))
	w.generate(42, start)
	months := []stats.Period{stats.Month(2026, 4), stats.Month(2026, 5), stats.Month(2026, 6), stats.Month(2026, 7)}
	periods := append(append([]stats.Period{}, months...), stats.Quarter(2026, 2), stats.Quarter(2026, 3), stats.Year(2026))
	if err := w.svc.Refresh(w.ctx, w.reg, periods...); err != nil {
		t.Fatal(err)
	}
	reader := caller(access.SchoolLeader, w.city)
	seen := map[fig]string{}
	see := func(f fig, text string) {
		if prev, ok := seen[f]; ok && prev != text {
			t.Errorf("%v reads %q on one page and %q on another", f, prev, text)
		}
		seen[f] = text
	}
	grades := map[int64][]string{}
	for _, p := range periods {
		for _, u := range w.units {
			d, err := w.svc.Dashboard(w.ctx, reader, w.reg, u.ID, p, "")
			if err != nil {
				t.Fatal(err)
			}
			for id, f := range d.Figures {
				see(fig{id, p.String(), u.ID, ""}, f.Text())
			}
			for _, r := range d.Rows {
				for id, f := range r.Figures {
					see(fig{id, p.String(), r.Unit.ID, r.Part}, f.Text())
				}
				if r.Part != "" && p.Kind == "year" {
					grades[u.ID] = append(grades[u.ID], r.Part)
				}
			}
			for id, pts := range d.Trend {
				for _, pt := range pts {
					f := fig{id, pt.Period, u.ID, ""}
					if text, ok := seen[f]; ok && pt.Hidden != (text == "<5" || text == stats.WithheldMark) {
						t.Errorf("the trend of %v reads hidden=%v beside %q", f, pt.Hidden, text)
					}
				}
			}
		}
	}
	for _, u := range w.units {
		for _, g := range grades[u.ID] {
			for _, p := range periods {
				d, err := w.svc.Dashboard(w.ctx, reader, w.reg, u.ID, p, g)
				if err != nil {
					t.Fatal(err)
				}
				for id, f := range d.Figures {
					see(fig{id, p.String(), u.ID, g}, f.Text())
				}
			}
		}
	}
	// A briefing reads as the dashboard does.
	coord := caller(access.Coordinator, w.city)
	coord.UserID = w.userID(t)
	for _, u := range w.units[1:3] {
		id, err := w.svc.DraftBriefing(w.ctx, coord, w.reg, u.ID, months[1], "en")
		if err != nil {
			t.Fatal(err)
		}
		b, err := w.svc.Briefing(w.ctx, reader, w.reg, id)
		if err != nil {
			t.Fatal(err)
		}
		for ind, f := range b.Figures {
			if f.Indicator.Counted() {
				see(fig{ind, months[1].String(), u.ID, ""}, f.Text())
			}
		}
	}

	truth := func(f fig) int64 {
		in, _ := w.reg.Get(f.ind)
		p, _ := stats.ParsePeriod(f.period)
		return w.expect(in, f.unit, f.part, p)
	}
	began := time.Now()
	checked, withheld, solves := 0, 0, 0
	for _, in := range w.reg.List {
		if !in.Protected() || isPart(w.reg, in.ID) {
			continue
		}
		group := append([]string{in.ID}, in.Parts...)
		a := &attack{}
		index := map[fig]int{}
		var order []fig
		for f, text := range seen {
			if !contains(group, f.ind) {
				continue
			}
			if text == stats.WithheldMark {
				withheld++
			}
			index[f] = len(a.boxes)
			a.boxes = append(a.boxes, boxOf(t, text))
			order = append(order, f)
		}
		// relate adds total = Σ parts + what the parts leave out (known).
		relate := func(total fig, parts []fig) {
			ti, ok := index[total]
			if !ok {
				return
			}
			e := equation{vars: []int{ti}, coef: []float64{1}}
			off := truth(total)
			for _, pf := range parts {
				if pi, ok := index[pf]; ok {
					e.vars, e.coef = append(e.vars, pi), append(e.coef, -1)
					off -= truth(pf)
				}
			}
			if len(e.vars) == 1 {
				return
			}
			// What the parts leave out: the reader knows whether it is 0,
			// and its sign, not its size (no page shows it).
			if off != 0 {
				e.vars, e.coef = append(e.vars, len(a.boxes)), append(e.coef, -float64(sign(off)))
				a.boxes = append(a.boxes, box{0, math.Inf(1)})
				order = append(order, fig{ind: "(left out)"})
			}
			a.eqs = append(a.eqs, e)
		}
		for _, ind := range group {
			kind := in.Kind
			for _, p := range periods {
				for _, u := range w.units {
					var kids []fig
					for _, k := range w.units {
						if w.parent[k.ID] == u.ID {
							kids = append(kids, fig{ind, p.String(), k.ID, ""})
						}
					}
					relate(fig{ind, p.String(), u.ID, ""}, kids)
					var gs []fig
					for _, g := range grades[u.ID] {
						gs = append(gs, fig{ind, p.String(), u.ID, g})
					}
					relate(fig{ind, p.String(), u.ID, ""}, gs)
				}
			}
			for _, u := range w.units {
				for _, part := range append([]string{""}, grades[u.ID]...) {
					at := func(p stats.Period) fig { return fig{ind, p.String(), u.ID, part} }
					if kind == "stock" {
						relate(at(stats.Quarter(2026, 2)), []fig{at(stats.Month(2026, 6))})
						continue
					}
					relate(at(stats.Quarter(2026, 2)), []fig{at(months[0]), at(months[1]), at(months[2])})
					relate(at(stats.Quarter(2026, 3)), []fig{at(months[3])})
					relate(at(stats.Year(2026)), []fig{at(stats.Quarter(2026, 2)), at(stats.Quarter(2026, 3))})
					relate(at(stats.Year(2026)), []fig{at(months[0]), at(months[1]), at(months[2]), at(months[3])})
				}
			}
		}
		for _, p := range periods {
			for _, u := range w.units {
				for _, part := range append([]string{""}, grades[u.ID]...) {
					var parts []fig
					for _, id := range in.Parts {
						parts = append(parts, fig{id, p.String(), u.ID, part})
					}
					relate(fig{in.ID, p.String(), u.ID, part}, parts)
				}
			}
		}
		// Each small count is attacked with every equation it is in and
		// every equation of the figures those hold (two steps out): the
		// patterns that pin a count across units and periods at once (a
		// rectangle of two units by two periods) lie within them.
		near := map[int][]int{}
		for e, eq := range a.eqs {
			for _, i := range eq.vars {
				near[i] = append(near[i], e)
			}
		}
		for i, f := range order {
			if f.ind == "(left out)" {
				continue
			}
			v := truth(f)
			if v < 1 || v >= stats.Small {
				continue
			}
			sub := &attack{}
			at := map[int]int{}
			var eqs []int
			seenEq := map[int]bool{}
			for _, e := range near[i] {
				for _, j := range a.eqs[e].vars {
					for _, e2 := range near[j] {
						if !seenEq[e2] {
							seenEq[e2] = true
							eqs = append(eqs, e2)
						}
					}
				}
			}
			local := func(j int) int {
				if k, ok := at[j]; ok {
					return k
				}
				at[j] = len(sub.boxes)
				sub.boxes = append(sub.boxes, a.boxes[j])
				return at[j]
			}
			local(i)
			for _, e := range eqs {
				eq := equation{rhs: a.eqs[e].rhs, coef: a.eqs[e].coef}
				for _, j := range a.eqs[e].vars {
					eq.vars = append(eq.vars, local(j))
				}
				sub.eqs = append(sub.eqs, eq)
			}
			if err := sub.build(); err != nil {
				t.Fatalf("%v: %v", f, err)
			}
			lo, hi, err := sub.bounds(0)
			solves += 2
			if err != nil {
				t.Fatalf("%v: %v", f, err)
			}
			if float64(v) < lo-1e-6 || float64(v) > hi+1e-6 {
				t.Fatalf("%v = %d lies outside what the reader infers, %g to %g: the test's model is wrong", f, v, lo, hi)
			}
			ilo, ihi := math.Ceil(lo-1e-6), math.Floor(hi+1e-6)
			if ihi-ilo < stats.Spread {
				t.Errorf("%v = %d (read %q) is narrowed to %g–%g", f, v, seen[f], ilo, ihi)
				if explain {
					// The first exposed count's equations, to see why.
					explain = false
					for _, e := range eqs {
						line := fmt.Sprintf("rhs %g:", a.eqs[e].rhs)
						for k, j := range a.eqs[e].vars {
							if order[j].ind == "(left out)" {
								line += fmt.Sprintf(" %+g·(left out)", a.eqs[e].coef[k])
								continue
							}
							line += fmt.Sprintf(" %+g·%v[%s=%d]", a.eqs[e].coef[k], order[j], seen[order[j]], truth(order[j]))
						}
						t.Log(line)
					}
				}
			}
			checked++
		}
	}
	if checked < 100 {
		t.Errorf("only %d small counts were attacked: the test proves little", checked)
	}
	t.Logf("%d figures read on every page; %d small counts attacked by %d linear programs in %v; %d figures withheld",
		len(seen), checked, solves, time.Since(began).Round(time.Millisecond), withheld)
}

var explain = true

func sign(n int64) int64 {
	if n < 0 {
		return -1
	}
	return 1
}

func isPart(reg *stats.Registry, id string) bool {
	for _, in := range reg.List {
		if contains(in.Parts, id) {
			return true
		}
	}
	return false
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// boxOf is what a figure's text tells a reader of it.
func boxOf(t *testing.T, text string) box {
	switch text {
	case "<5":
		return box{1, 4}
	case stats.WithheldMark:
		return box{1, math.Inf(1)}
	}
	n, err := strconv.Atoi(text)
	if err != nil {
		t.Fatalf("a counted figure reads %q", text)
	}
	if n == 0 {
		return box{0, 0}
	}
	return box{math.Max(5, float64(n-2)), float64(n + 2)}
}
