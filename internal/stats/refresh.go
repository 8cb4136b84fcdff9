package stats

import (
	"cmp"
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/db"
)

// key is one rollup cell of an indicator and period: a unit (its whole
// subtree) or a part of a school (a grade "g7", a class "g7/1班").
type key struct {
	unit int64
	part string
}

// tree maps each unit to itself and its ancestors, from its path.
type tree map[int64][]int64

func loadTree(ctx context.Context, tx *db.Tx) (tree, error) {
	rows, err := tx.Query(ctx, `SELECT id, path FROM org_units`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	t := tree{}
	for rows.Next() {
		var id int64
		var path string
		if err := rows.Scan(&id, &path); err != nil {
			return nil, err
		}
		var up []int64
		for _, f := range strings.Split(strings.Trim(path, "/"), "/") {
			if n, err := strconv.ParseInt(f, 10, 64); err == nil {
				up = append(up, n)
			}
		}
		t[id] = up
	}
	return t, rows.Err()
}

// fact is one row of an indicator's facts query, within a period.
type fact struct {
	unit, subject, amount int64
	grade                 int64
	class                 string
}

// keys lists the cells a fact counts in: its unit and every ancestor, and
// for a student's fact its grade and class at the unit.
func (t tree) keys(f fact) []key {
	up := t[f.unit]
	out := make([]key, 0, len(up)+2)
	for _, u := range up {
		out = append(out, key{unit: u})
	}
	if len(up) == 0 {
		out = append(out, key{unit: f.unit})
	}
	if f.grade > 0 {
		g := "g" + strconv.FormatInt(f.grade, 10)
		out = append(out, key{unit: f.unit, part: g}, key{unit: f.unit, part: g + "/" + f.class})
	}
	return out
}

// compute runs one indicator over one period and returns its cells.
func compute(ctx context.Context, tx *db.Tx, t tree, in Indicator, p Period) (map[key]int64, error) {
	// The casts keep PostgreSQL from typing a bound by a literal 0 of the facts.
	q := `SELECT f.unit_id, f.subject, f.amount, f.grade, f.class_name FROM (` + in.Facts + `) f WHERE `
	args := []any{db.Micro(p.End)}
	if in.Kind == "flow" {
		q += `f.at >= CAST(? AS BIGINT) AND f.at < CAST(? AS BIGINT)`
		args = []any{db.Micro(p.Start), db.Micro(p.End)}
	} else {
		q += `f.at < CAST(? AS BIGINT) AND (f.until = 0 OR f.until >= CAST(? AS BIGINT))`
		args = append(args, db.Micro(p.End))
	}
	if in.Agg == "people" {
		q += ` ORDER BY f.subject`
	}
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	cells := map[key]int64{}
	// people: the cells of the current subject, each counted once.
	var subject int64 = -1
	seen := map[key]bool{}
	flush := func() {
		for k := range seen {
			cells[k]++
		}
		clear(seen)
	}
	for rows.Next() {
		var f fact
		if err := rows.Scan(&f.unit, &f.subject, &f.amount, &f.grade, &f.class); err != nil {
			return nil, err
		}
		if in.Agg == "sum" {
			for _, k := range t.keys(f) {
				cells[k] += f.amount
			}
			continue
		}
		if f.subject != subject {
			flush()
			subject = f.subject
		}
		for _, k := range t.keys(f) {
			seen[k] = true
		}
	}
	flush()
	return cells, rows.Err()
}

// Refresh recomputes every counted indicator for the periods and replaces
// their rollups, one period per transaction: a reader sees a period's old
// figures or its new ones, never a mix.
func (s *Service) Refresh(ctx context.Context, reg *Registry, periods ...Period) error {
	for _, p := range periods {
		start := time.Now()
		results := map[string]map[key]int64{}
		err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
			t, err := loadTree(ctx, tx)
			if err != nil {
				return err
			}
			for _, in := range reg.Counted() {
				if results[in.ID], err = compute(ctx, tx, t, in, p); err != nil {
					return err
				}
			}
			return nil
		})
		if err != nil {
			return err
		}
		if err := s.write(ctx, p, results, time.Since(start)); err != nil {
			return err
		}
	}
	return nil
}

// write replaces a period's rollups.
func (s *Service) write(ctx context.Context, p Period, results map[string]map[key]int64, took time.Duration) error {
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if _, err := tx.Exec(ctx, `DELETE FROM stat_rollups WHERE period = ?`, p.String()); err != nil {
			return err
		}
		const batch = 200
		var vals []string
		var args []any
		put := func() error {
			if len(vals) == 0 {
				return nil
			}
			_, err := tx.Exec(ctx, `INSERT INTO stat_rollups (period, unit_id, indicator, part, value) VALUES `+strings.Join(vals, ", "), args...)
			vals, args = vals[:0], args[:0]
			return err
		}
		// Written in key order, so that one unit's figures share a few pages.
		type cell struct {
			key
			id string
			v  int64
		}
		var all []cell
		for id, cells := range results {
			for k, v := range cells {
				all = append(all, cell{k, id, v})
			}
		}
		slices.SortFunc(all, func(a, b cell) int {
			return cmp.Or(cmp.Compare(a.unit, b.unit), strings.Compare(a.part, b.part), strings.Compare(a.id, b.id))
		})
		for _, c := range all {
			vals = append(vals, "(?, ?, ?, ?, ?)")
			args = append(args, p.String(), c.unit, c.id, c.part, c.v)
			if len(vals) == batch {
				if err := put(); err != nil {
					return err
				}
			}
		}
		if err := put(); err != nil {
			return err
		}
		now := db.Micro(s.now())
		if _, err := tx.Exec(ctx, `DELETE FROM stat_periods WHERE period = ?`, p.String()); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO stat_periods (period, refreshed_at, took_ms) VALUES (?, ?, ?)`, p.String(), now, took.Milliseconds())
		return err
	})
}
