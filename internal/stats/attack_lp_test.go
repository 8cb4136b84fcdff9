package stats_test

import (
	"errors"
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize/convex/lp"
)

// The attacker's linear program: what a reader who knows every relation
// between the figures can infer of one figure, by linear programming over
// all of them at once (gonum's simplex), independent of the propagation
// careloop itself uses.

// box is what a reader reads of one figure on its own.
type box struct{ lo, hi float64 } // hi may be +Inf

// equation is Σ coef·x = rhs over figures.
type equation struct {
	vars []int
	coef []float64
	rhs  float64
}

// attack holds the figures and equations of one problem.
type attack struct {
	boxes []box
	eqs   []equation
	// standard form, built once
	col  map[int]int // figure → column
	a    *mat.Dense
	b    []float64
	cols int
}

// build puts the problem in standard form: y = x - lo ≥ 0 for every
// figure in an equation, a slack per finite upper bound, dependent
// equations dropped (gonum's simplex wants full row rank and no empty
// column).
func (p *attack) build() error {
	// A figure read exactly is a constant: fold it into the right-hand
	// sides; drop equations left with nothing unknown.
	var eqs []equation
	for _, e := range p.eqs {
		f := equation{rhs: e.rhs}
		for k, i := range e.vars {
			if bx := p.boxes[i]; bx.lo == bx.hi {
				f.rhs -= e.coef[k] * bx.lo
				continue
			}
			f.vars, f.coef = append(f.vars, i), append(f.coef, e.coef[k])
		}
		if len(f.vars) > 0 {
			eqs = append(eqs, f)
		}
	}
	p.eqs = eqs
	p.col = map[int]int{}
	for _, e := range p.eqs {
		for _, i := range e.vars {
			if _, ok := p.col[i]; !ok {
				p.col[i] = len(p.col)
			}
		}
	}
	cols := len(p.col)
	slack := map[int]int{}
	for i := range p.col {
		if !math.IsInf(p.boxes[i].hi, 1) {
			slack[i] = cols
			cols++
		}
	}
	var rows [][]float64
	var rhs []float64
	for _, e := range p.eqs {
		r := make([]float64, cols)
		v := e.rhs
		for k, i := range e.vars {
			r[p.col[i]] += e.coef[k]
			v -= e.coef[k] * p.boxes[i].lo
		}
		rows, rhs = append(rows, r), append(rhs, v)
	}
	for i, c := range slack {
		r := make([]float64, cols)
		r[p.col[i]], r[c] = 1, 1
		rows, rhs = append(rows, r), append(rhs, p.boxes[i].hi-p.boxes[i].lo)
	}
	keep, keepRHS, err := independent(rows, rhs)
	if err != nil {
		return err
	}
	p.a = mat.NewDense(len(keep), cols, nil)
	for i, r := range keep {
		p.a.SetRow(i, r)
	}
	p.b, p.cols = keepRHS, cols
	return nil
}

// independent keeps a maximal set of linearly independent rows, checking
// that each dropped row is consistent with those kept.
func independent(rows [][]float64, rhs []float64) ([][]float64, []float64, error) {
	type red struct {
		row   []float64
		rhs   float64
		pivot int
	}
	var basis []red
	var keep [][]float64
	var keepRHS []float64
	for i, r := range rows {
		w := append([]float64(nil), r...)
		v := rhs[i]
		for _, bs := range basis {
			if f := w[bs.pivot]; f != 0 {
				for j := range w {
					w[j] -= f * bs.row[j]
				}
				v -= f * bs.rhs
			}
		}
		pivot := -1
		for j, x := range w {
			if math.Abs(x) > 1e-9 && (pivot < 0 || math.Abs(x) > math.Abs(w[pivot])) {
				pivot = j
			}
		}
		if pivot < 0 {
			if math.Abs(v) > 1e-6 {
				return nil, nil, errors.New("inconsistent equations: the model is wrong")
			}
			continue
		}
		f := w[pivot]
		for j := range w {
			w[j] /= f
		}
		v /= f
		// Keep the basis reduced: clear the new pivot from earlier rows.
		for k := range basis {
			if g := basis[k].row[pivot]; g != 0 {
				for j := range basis[k].row {
					basis[k].row[j] -= g * w[j]
				}
				basis[k].rhs -= g * v
			}
		}
		basis = append(basis, red{row: w, rhs: v, pivot: pivot})
		keep, keepRHS = append(keep, r), append(keepRHS, rhs[i])
	}
	return keep, keepRHS, nil
}

// bounds is the least and greatest value figure i can take.
func (p *attack) bounds(i int) (float64, float64, error) {
	col, ok := p.col[i]
	if !ok {
		return p.boxes[i].lo, p.boxes[i].hi, nil
	}
	c := make([]float64, p.cols)
	c[col] = 1
	lo, _, err := lp.Simplex(c, p.a, p.b, 1e-10, nil)
	if err != nil {
		return 0, 0, err
	}
	c[col] = -1
	hi, _, err := lp.Simplex(c, p.a, p.b, 1e-10, nil)
	switch {
	case errors.Is(err, lp.ErrUnbounded):
		return lo + p.boxes[i].lo, math.Inf(1), nil
	case err != nil:
		return 0, 0, err
	}
	return lo + p.boxes[i].lo, -hi + p.boxes[i].lo, nil
}
