package stats

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/org"
)

// TrendIndicators are the figures drawn over the last twelve months.
var TrendIndicators = []string{"students_screened", "alerts_raised", "hotline_contacts", "crises_opened", "referrals_sent"}

// Row is one unit (or a school's grade or class) beside the others.
type Row struct {
	Unit    org.Unit
	Part    string // "g7", "g7/1班" at a school; "" for a unit
	Figures map[string]Figure
}

// Point is one month of a trend.
type Point struct {
	Period string
	Value  int64
	Hidden bool
}

// Dashboard is a unit's figures for a period, its children's (or a
// school's grades', or a grade's classes') beside each other, and trends.
type Dashboard struct {
	Unit        org.Unit
	Part        string
	Period      Period
	Exact       bool // the viewer reads exact counts
	RefreshedAt time.Time
	Figures     map[string]Figure
	Rows        []Row
	Trend       map[string][]Point
	Registry    *Registry
	Up          int64 // the parent unit, when the caller may read it
}

// parentPath is the path of the unit above the one at path ("/1/5/" for
// "/1/5/23/"); "" for the root.
func parentPath(path string) string {
	t := strings.TrimSuffix(path, "/")
	i := strings.LastIndex(t, "/")
	if i <= 0 {
		return ""
	}
	return t[:i+1]
}

// Dashboard reads the figures of unitID (0: the caller's outermost unit
// with report.read) for period, and for part of a school. The caller
// needs report.read over the unit; a caller without record.read over it
// reads small counts hidden and others rounded (Shown). One audited read.
func (s *Service) Dashboard(ctx context.Context, p access.Principal, reg *Registry, unitID int64, period Period, part string) (*Dashboard, error) {
	d := &Dashboard{Period: period, Registry: reg, Trend: map[string][]Point{}}
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if unitID == 0 {
			m, ok := p.Grant(access.ReportRead)
			if !ok {
				return apperr.NotFound()
			}
			unitID = m.OrgID
		}
		u, err := unit(ctx, tx, unitID)
		if err != nil {
			return err
		}
		m, ok := p.At(access.ReportRead, u.Path)
		if !ok {
			return apperr.NotFound()
		}
		d.Unit = *u
		if _, up := p.At(access.ReportRead, parentPath(u.Path)); up && u.ParentID != 0 {
			d.Up = u.ParentID
		}
		if d.Exact, err = readerOf(p, reg, u); err != nil {
			return err
		}
		if part != "" && (u.Kind != org.School || !strings.HasPrefix(part, "g") || strings.Contains(part, "/")) {
			return apperr.NotFound()
		}
		d.Part = part
		raw, err := values(ctx, tx, period.String(), []int64{u.ID}, part)
		if err != nil {
			return err
		}
		var g guard
		if !d.Exact {
			if g, err = loadGuard(ctx, tx, period.String(), []int64{u.ID}, part); err != nil {
				return err
			}
		}
		d.Figures = figures(reg, raw[key{unit: u.ID, part: part}], d.Exact, g.of(key{unit: u.ID, part: part}))
		if d.Rows, err = s.rows(ctx, tx, reg, d); err != nil {
			return err
		}
		if err := s.trend(ctx, tx, d); err != nil {
			return err
		}
		var at int64
		if err := tx.QueryRow(ctx, `SELECT refreshed_at FROM stat_periods WHERE period = ?`, period.String()).Scan(&at); err == nil {
			d.RefreshedAt = db.FromMicro(at)
		} else if apperr.CodeOf(err) != apperr.ENotFound {
			return err
		}
		return s.record(ctx, tx, p, m, "stats.read", "org_unit", u.ID, "period="+period.String()+" part="+part)
	})
	return d, err
}

func unit(ctx context.Context, tx *db.Tx, id int64) (*org.Unit, error) {
	u := &org.Unit{}
	var kind string
	err := tx.QueryRow(ctx, `SELECT id, kind, name, name_en, path, COALESCE(parent_id, 0) FROM org_units WHERE id = ? AND active = 1`, id).Scan(&u.ID,
		&kind, &u.Name, &u.NameEn, &u.Path, &u.ParentID)
	if apperr.CodeOf(err) == apperr.ENotFound {
		return nil, apperr.NotFound()
	}
	u.Kind = org.Kind(kind)
	return u, err
}

// everyPart asks values for a school's every grade and class.
const everyPart = "*"

// values reads rollups of units for a period: one part of each ("" the
// whole unit, "g7" a grade), or with everyPart all of a school's parts.
func values(ctx context.Context, tx *db.Tx, period string, units []int64, part string) (map[key]map[string]int64, error) {
	out := map[key]map[string]int64{}
	if len(units) == 0 {
		return out, nil
	}
	where, args := cellsOf(period, units, part)
	rows, err := tx.Query(ctx, `SELECT unit_id, part, indicator, value FROM stat_rollups WHERE `+where, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var k key
		var ind string
		var v int64
		if err := rows.Scan(&k.unit, &k.part, &ind, &v); err != nil {
			return nil, err
		}
		if out[k] == nil {
			out[k] = map[string]int64{}
		}
		out[k][ind] = v
	}
	return out, rows.Err()
}

// cellsOf is the condition on a period's cells of units: one part of
// each, or with everyPart all their parts.
func cellsOf(period string, units []int64, part string) (string, []any) {
	q := `period = ? AND unit_id IN (` + strings.TrimSuffix(strings.Repeat("?, ", len(units)), ", ") + `)`
	args := []any{period}
	for _, u := range units {
		args = append(args, u)
	}
	if part != everyPart {
		q += ` AND part = ?`
		args = append(args, part)
	}
	return q, args
}

// rows lists the next level down: the unit's active children, or for a
// school its grades, or for a grade its classes.
func (s *Service) rows(ctx context.Context, tx *db.Tx, reg *Registry, d *Dashboard) ([]Row, error) {
	if d.Unit.Kind == org.School {
		if d.Part != "" && !d.Exact {
			// Classes are the smallest groups: shown only to readers who
			// may see the records behind them.
			return nil, nil
		}
		raw, err := values(ctx, tx, d.Period.String(), []int64{d.Unit.ID}, everyPart)
		if err != nil {
			return nil, err
		}
		var g guard
		if !d.Exact {
			if g, err = loadGuard(ctx, tx, d.Period.String(), []int64{d.Unit.ID}, everyPart); err != nil {
				return nil, err
			}
		}
		var out []Row
		for k, vals := range raw {
			if k.part == "" {
				continue
			}
			grade, class, isClass := strings.Cut(k.part, "/")
			if (d.Part == "" && !isClass) || (d.Part != "" && isClass && grade == d.Part) {
				_ = class
				out = append(out, Row{Unit: d.Unit, Part: k.part, Figures: figures(reg, vals, d.Exact, g.of(k))})
			}
		}
		slices.SortFunc(out, func(a, b Row) int { return comparePart(a.Part, b.Part) })
		return out, nil
	}
	rs, err := tx.Query(ctx, `SELECT id, kind, name, name_en, path FROM org_units WHERE parent_id = ? AND active = 1 ORDER BY path`, d.Unit.ID)
	if err != nil {
		return nil, err
	}
	var kids []org.Unit
	for rs.Next() {
		var u org.Unit
		var kind string
		if err := rs.Scan(&u.ID, &kind, &u.Name, &u.NameEn, &u.Path); err != nil {
			rs.Close()
			return nil, err
		}
		u.Kind = org.Kind(kind)
		kids = append(kids, u)
	}
	rs.Close()
	if err := rs.Err(); err != nil {
		return nil, err
	}
	ids := make([]int64, len(kids))
	for i, u := range kids {
		ids[i] = u.ID
	}
	raw, err := values(ctx, tx, d.Period.String(), ids, "")
	if err != nil {
		return nil, err
	}
	var g guard
	if !d.Exact {
		if g, err = loadGuard(ctx, tx, d.Period.String(), ids, ""); err != nil {
			return nil, err
		}
	}
	out := make([]Row, 0, len(kids))
	for _, u := range kids {
		out = append(out, Row{Unit: u, Figures: figures(reg, raw[key{unit: u.ID}], d.Exact, g.of(key{unit: u.ID}))})
	}
	return out, nil
}

// comparePart orders grades numerically, then classes by name.
func comparePart(a, b string) int {
	ga, ca, _ := strings.Cut(a, "/")
	gb, cb, _ := strings.Cut(b, "/")
	na, _ := strconv.Atoi(strings.TrimPrefix(ga, "g"))
	nb, _ := strconv.Atoi(strings.TrimPrefix(gb, "g"))
	if na != nb {
		return na - nb
	}
	return strings.Compare(ca, cb)
}

// trend reads the last twelve months of the trend indicators.
func (s *Service) trend(ctx context.Context, tx *db.Tx, d *Dashboard) error {
	months := Months(d.Period.End.Add(-time.Second), 12)
	q := `SELECT period, indicator, value FROM stat_rollups WHERE unit_id = ? AND part = ? AND period IN (` +
		strings.TrimSuffix(strings.Repeat("?, ", len(months)), ", ") + `) AND indicator IN (` +
		strings.TrimSuffix(strings.Repeat("?, ", len(TrendIndicators)), ", ") + `)`
	args := []any{d.Unit.ID, d.Part}
	for _, m := range months {
		args = append(args, m.String())
	}
	for _, in := range TrendIndicators {
		args = append(args, in)
	}
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	got := map[string]map[string]int64{}
	for rows.Next() {
		var period, ind string
		var v int64
		if err := rows.Scan(&period, &ind, &v); err != nil {
			return err
		}
		if got[ind] == nil {
			got[ind] = map[string]int64{}
		}
		got[ind][period] = v
	}
	if err := rows.Err(); err != nil {
		return err
	}
	var held map[string]withheldSet // month → the trend's withheld indicators
	if !d.Exact {
		if held, err = trendWithheld(ctx, tx, d, months); err != nil {
			return err
		}
	}
	for _, in := range TrendIndicators {
		for _, m := range months {
			raw := got[in][m.String()]
			if !d.Exact && raw != 0 && held[m.String()].has(in) {
				d.Trend[in] = append(d.Trend[in], Point{Period: m.String(), Hidden: true})
				continue
			}
			v, hidden := Shown(raw, d.Exact)
			d.Trend[in] = append(d.Trend[in], Point{Period: m.String(), Value: v, Hidden: hidden})
		}
	}
	return nil
}

// trendWithheld reads which trend figures of the dashboard's unit (or
// part) a rounded reader reads as withheld, per month.
func trendWithheld(ctx context.Context, tx *db.Tx, d *Dashboard, months []Period) (map[string]withheldSet, error) {
	out := map[string]withheldSet{}
	in := strings.TrimSuffix(strings.Repeat("?, ", len(months)), ", ")
	var args []any
	for _, m := range months {
		args = append(args, m.String())
		out[m.String()] = withheldSet{all: true}
	}
	rows, err := tx.Query(ctx, `SELECT period FROM stat_periods WHERE protected_at > 0 AND period IN (`+in+`)`, args...)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var p string
		if err := rows.Scan(&p); err != nil {
			rows.Close()
			return nil, err
		}
		out[p] = withheldSet{ids: map[string]bool{}}
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows, err = tx.Query(ctx, `SELECT period, indicator FROM stat_withheld WHERE unit_id = ? AND part = ? AND period IN (`+in+`)`,
		append([]any{d.Unit.ID, d.Part}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var p, ind string
		if err := rows.Scan(&p, &ind); err != nil {
			return nil, err
		}
		if w := out[p]; w.ids != nil {
			w.ids[ind] = true
		}
	}
	return out, rows.Err()
}
