package stats_test

import (
	"math"
	"math/rand/v2"
	"os"
	"strconv"
	"testing"

	"github.com/careloop/careloop/internal/stats"
	"github.com/careloop/careloop/internal/testutil"
)

// On random tables of a city of districts and schools by months,
// quarters and a year, with many small counts, the protection leaves no
// small count that a reader solving one linear program over the whole
// table (not only near the count) can narrow to fewer than Spread+1
// values.
func TestProtectionHoldsAgainstTheWholeTable(t *testing.T) {
	if os.Getenv(testutil.EnvPostgres) != "" {
		t.Skip("no database: run once, with SQLite")
	}
	attacked, withheld := 0, 0
	for seed := range uint64(tables) {
		r := rand.New(rand.NewPCG(seed, 11))
		// Rows: 0 the city, 1..2 districts, then 2–3 schools each.
		parent := []int{-1, 0, 0}
		for d := 1; d <= 2; d++ {
			for range 2 + r.IntN(2) {
				parent = append(parent, d)
			}
		}
		rows := len(parent)
		// Columns: 6 months, 2 quarters, the year.
		const cols = 9
		at := func(row, col int) int { return row*cols + col }
		values := make([]int64, rows*cols)
		for row := rows - 1; row >= 0; row-- {
			for m := range 6 {
				if row >= 3 {
					// A school: mostly small counts, some zeros, a few larger.
					switch k := r.IntN(10); {
					case k < 3:
					case k < 8:
						values[at(row, m)] = int64(1 + r.IntN(4))
					default:
						values[at(row, m)] = int64(5 + r.IntN(20))
					}
				}
			}
		}
		// Parents add their children and sometimes records of their own.
		for row := rows - 1; row >= 1; row-- {
			for m := range 6 {
				values[at(parent[row], m)] += values[at(row, m)]
			}
		}
		for row := range rows {
			if row < 3 && r.IntN(3) == 0 {
				values[at(row, r.IntN(6))] += int64(1 + r.IntN(3))
			}
			for q := range 2 {
				values[at(row, 6+q)] = values[at(row, 3*q)] + values[at(row, 3*q+1)] + values[at(row, 3*q+2)]
			}
			values[at(row, 8)] = values[at(row, 6)] + values[at(row, 7)]
		}
		var rels [][]int
		for row := range rows {
			var kids []int
			for k := range rows {
				if parent[k] == row {
					kids = append(kids, k)
				}
			}
			for c := range cols {
				if len(kids) > 0 {
					rel := []int{at(row, c)}
					for _, k := range kids {
						rel = append(rel, at(k, c))
					}
					rels = append(rels, rel)
				}
			}
			rels = append(rels, []int{at(row, 6), at(row, 0), at(row, 1), at(row, 2)},
				[]int{at(row, 7), at(row, 3), at(row, 4), at(row, 5)},
				[]int{at(row, 8), at(row, 6), at(row, 7)},
				[]int{at(row, 8), at(row, 0), at(row, 1), at(row, 2), at(row, 3), at(row, 4), at(row, 5)})
		}
		held := stats.ProtectTable(values, rels)

		a := &attack{}
		for i, v := range values {
			text := "0"
			switch {
			case held[i]:
				text = stats.WithheldMark
			case v > 0 && v < stats.Small:
				text = "<5"
			case v > 0:
				n, _ := stats.Shown(v, false)
				text = itoa(n)
			}
			if held[i] {
				withheld++
			}
			a.boxes = append(a.boxes, boxOf(t, text))
		}
		for _, rel := range rels {
			e := equation{vars: []int{rel[0]}, coef: []float64{1}}
			off := values[rel[0]]
			for _, c := range rel[1:] {
				e.vars, e.coef = append(e.vars, c), append(e.coef, -1)
				off -= values[c]
			}
			if off != 0 {
				e.vars, e.coef = append(e.vars, len(a.boxes)), append(e.coef, -float64(sign(off)))
				a.boxes = append(a.boxes, box{0, math.Inf(1)})
			}
			a.eqs = append(a.eqs, e)
		}
		if err := a.build(); err != nil {
			t.Fatalf("seed %d: %v", seed, err)
		}
		for i, v := range values {
			if v < 1 || v >= stats.Small {
				continue
			}
			lo, hi, err := a.bounds(i)
			if err != nil {
				t.Fatalf("seed %d cell %d: %v", seed, i, err)
			}
			if float64(v) < lo-1e-6 || float64(v) > hi+1e-6 {
				t.Fatalf("seed %d cell %d = %d outside %g–%g: the test's model is wrong", seed, i, v, lo, hi)
			}
			if ilo, ihi := math.Ceil(lo-1e-6), math.Floor(hi+1e-6); ihi-ilo < stats.Spread {
				t.Errorf("seed %d: cell %d (row %d, column %d) = %d is narrowed to %g–%g", seed, i, i/cols, i%cols, v, ilo, ihi)
			}
			attacked++
		}
	}
	if attacked < 10*tables {
		t.Errorf("only %d small counts attacked", attacked)
	}
	t.Logf("%d small counts attacked over %d tables; %d figures withheld", attacked, tables, withheld)
}

// tables is how many random tables are attacked (each takes about 2 s).
const tables = 12

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
