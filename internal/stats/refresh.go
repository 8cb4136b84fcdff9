package stats

import (
	"cmp"
	"context"
	"errors"
	"maps"
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
// their rollups, one year per transaction, deciding in the same
// transaction which of the year's figures rounded readers read as
// withheld: a reader sees a year's old figures or its new ones, never a
// mix, and never figures without their protection.
func (s *Service) Refresh(ctx context.Context, reg *Registry, periods ...Period) error {
	byYear := map[int][]Period{}
	var years []int
	for _, p := range periods {
		if _, ok := byYear[p.Year]; !ok {
			years = append(years, p.Year)
		}
		byYear[p.Year] = append(byYear[p.Year], p)
	}
	slices.Sort(years)
	for _, y := range years {
		if err := s.refreshYear(ctx, reg, y, byYear[y]); err != nil {
			return err
		}
	}
	return nil
}

// Protect decides a year's withheld figures again from its stored
// rollups, as every refresh of the year does.
func (s *Service) Protect(ctx context.Context, reg *Registry, year int) error {
	return s.refreshYear(ctx, reg, year, nil)
}

// advisoryStats is the first key of the year's advisory lock on
// PostgreSQL ("st" in ASCII).
const advisoryStats = 0x7374

// errMoved is a year whose other periods another refresh changed while
// this one computed.
var errMoved = errors.New("stats: the year's rollups changed during the refresh")

// refreshYear computes periods of one year (none: only decides the
// withheld figures again) and writes them with the year's protection.
func (s *Service) refreshYear(ctx context.Context, reg *Registry, year int, periods []Period) error {
	for try := 0; ; try++ {
		results := map[string]map[string]map[key]int64{}
		took := map[string]time.Duration{}
		var t tree
		var data yearData
		var stamps map[string]int64
		err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
			var err error
			if t, err = loadTree(ctx, tx); err != nil {
				return err
			}
			for _, p := range periods {
				start := time.Now()
				results[p.String()] = map[string]map[key]int64{}
				for _, in := range reg.Counted() {
					if results[p.String()][in.ID], err = compute(ctx, tx, t, in, p); err != nil {
						return err
					}
				}
				took[p.String()] = time.Since(start)
			}
			data, stamps, err = loadYear(ctx, tx, year, results)
			return err
		})
		if err != nil {
			return err
		}
		for per, byInd := range results {
			data[per] = map[string]map[key]int64{}
			for id, cells := range byInd {
				data[per][id] = map[key]int64{}
				for k, v := range cells {
					if !strings.Contains(k.part, "/") {
						data[per][id][k] = v
					}
				}
			}
		}
		withheld := protectYear(reg, t, year, data)
		err = s.write(ctx, year, results, withheld, stamps, took)
		if errors.Is(err, errMoved) && try < 3 {
			continue
		}
		return err
	}
}

// loadYear reads the rollups of the year's computed periods other than
// those being refreshed (classes left out), and when each was refreshed.
func loadYear(ctx context.Context, tx *db.Tx, year int, fresh map[string]map[string]map[key]int64) (yearData, map[string]int64, error) {
	names := otherPeriods(year, fresh)
	data := yearData{}
	stamps, err := refreshedAt(ctx, tx, names)
	if err != nil || len(names) == 0 {
		return data, stamps, err
	}
	in := strings.TrimSuffix(strings.Repeat("?, ", len(names)), ", ")
	rows, err := tx.Query(ctx, `SELECT period, unit_id, indicator, part, value FROM stat_rollups
		WHERE period IN (`+in+`) AND part NOT LIKE '%/%'`, names...)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var p, ind string
		var k key
		var v int64
		if err := rows.Scan(&p, &k.unit, &ind, &k.part, &v); err != nil {
			return nil, nil, err
		}
		if data[p] == nil {
			data[p] = map[string]map[key]int64{}
		}
		if data[p][ind] == nil {
			data[p][ind] = map[key]int64{}
		}
		data[p][ind][k] = v
	}
	return data, stamps, rows.Err()
}

// otherPeriods lists the year's periods not among those refreshed.
func otherPeriods(year int, fresh map[string]map[string]map[key]int64) []any {
	months, quarters, whole := periodsOf(year)
	var out []any
	for _, p := range append(append(months[:], quarters[:]...), whole) {
		if fresh[p.String()] == nil {
			out = append(out, p.String())
		}
	}
	return out
}

// refreshedAt reads when each of the periods was last refreshed (those
// never computed are absent).
func refreshedAt(ctx context.Context, tx *db.Tx, periods []any) (map[string]int64, error) {
	out := map[string]int64{}
	if len(periods) == 0 {
		return out, nil
	}
	rows, err := tx.Query(ctx, `SELECT period, refreshed_at FROM stat_periods WHERE period IN (`+
		strings.TrimSuffix(strings.Repeat("?, ", len(periods)), ", ")+`)`, periods...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var p string
		var at int64
		if err := rows.Scan(&p, &at); err != nil {
			return nil, err
		}
		out[p] = at
	}
	return out, rows.Err()
}

// write replaces the refreshed periods' rollups and the year's withheld
// figures, if no other refresh changed the year's other periods since
// they were read (errMoved).
func (s *Service) write(ctx context.Context, year int, results map[string]map[string]map[key]int64, withheld []cell, stamps map[string]int64, took map[string]time.Duration) error {
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		// One writer of a year at a time: the check of the other periods
		// below and the writes commit together. (SQLite has one writer.)
		if s.DB.Dialect == db.Postgres {
			if _, err := tx.Exec(ctx, `SELECT pg_advisory_xact_lock(?, ?)`, advisoryStats, year); err != nil {
				return err
			}
		}
		months, quarters, whole := periodsOf(year)
		var all []any
		for _, p := range append(append(months[:], quarters[:]...), whole) {
			all = append(all, p.String())
		}
		current, err := refreshedAt(ctx, tx, otherPeriods(year, results))
		if err != nil {
			return err
		}
		if !maps.Equal(current, stamps) {
			return errMoved
		}
		for per, byInd := range results {
			if err := writePeriod(ctx, tx, per, byInd); err != nil {
				return err
			}
		}
		in := strings.TrimSuffix(strings.Repeat("?, ", len(all)), ", ")
		if _, err := tx.Exec(ctx, `DELETE FROM stat_withheld WHERE period IN (`+in+`)`, all...); err != nil {
			return err
		}
		slices.SortFunc(withheld, func(a, b cell) int {
			return cmp.Or(cmp.Compare(a.unit, b.unit), strings.Compare(a.period, b.period), strings.Compare(a.indicator, b.indicator), strings.Compare(a.part, b.part))
		})
		if err := batchInsert(ctx, tx, `INSERT INTO stat_withheld (period, unit_id, indicator, part) VALUES `, "(?, ?, ?, ?)", len(withheld), func(i int) []any {
			c := withheld[i]
			return []any{c.period, c.unit, c.indicator, c.part}
		}); err != nil {
			return err
		}
		now := db.Micro(s.now())
		for per := range results {
			if _, err := tx.Exec(ctx, `DELETE FROM stat_periods WHERE period = ?`, per); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO stat_periods (period, refreshed_at, took_ms) VALUES (?, ?, ?)`, per, now, took[per].Milliseconds()); err != nil {
				return err
			}
		}
		_, err = tx.Exec(ctx, `UPDATE stat_periods SET protected_at = ? WHERE period IN (`+in+`)`, append([]any{now}, all...)...)
		return err
	})
}

// writePeriod replaces a period's rollups, in key order, so that one
// unit's figures share a few pages.
func writePeriod(ctx context.Context, tx *db.Tx, period string, results map[string]map[key]int64) error {
	if _, err := tx.Exec(ctx, `DELETE FROM stat_rollups WHERE period = ?`, period); err != nil {
		return err
	}
	type row struct {
		key
		id string
		v  int64
	}
	var all []row
	for id, cells := range results {
		for k, v := range cells {
			all = append(all, row{k, id, v})
		}
	}
	slices.SortFunc(all, func(a, b row) int {
		return cmp.Or(cmp.Compare(a.unit, b.unit), strings.Compare(a.part, b.part), strings.Compare(a.id, b.id))
	})
	return batchInsert(ctx, tx, `INSERT INTO stat_rollups (period, unit_id, indicator, part, value) VALUES `, "(?, ?, ?, ?, ?)", len(all), func(i int) []any {
		return []any{period, all[i].unit, all[i].id, all[i].part, all[i].v}
	})
}

// batchInsert inserts n rows, 200 to a statement.
func batchInsert(ctx context.Context, tx *db.Tx, head, tuple string, n int, row func(i int) []any) error {
	const batch = 200
	for from := 0; from < n; from += batch {
		to := min(n, from+batch)
		vals := make([]string, 0, to-from)
		var args []any
		for i := from; i < to; i++ {
			vals = append(vals, tuple)
			args = append(args, row(i)...)
		}
		if _, err := tx.Exec(ctx, head+strings.Join(vals, ", "), args...); err != nil {
			return err
		}
	}
	return nil
}
