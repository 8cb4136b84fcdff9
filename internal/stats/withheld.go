package stats

import (
	"context"
	"slices"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/org"
)

// guard is what a rounded reader reads as withheld in one period: the
// figures decided at the year's refresh, or every non-zero figure when
// the period's protection was never decided.
type guard struct {
	all   bool
	cells map[key]map[string]bool
}

// of returns the withheld indicators of a cell (nil: none, or all when
// g.all, which figures checks).
func (g guard) of(k key) withheldSet { return withheldSet{all: g.all, ids: g.cells[k]} }

// withheldSet is the withheld indicators of one cell.
type withheldSet struct {
	all bool
	ids map[string]bool
}

func (w withheldSet) has(id string) bool { return w.all || w.ids[id] }

// loadGuard reads the withheld figures of units (one part of each, or
// with everyPart all their parts) in a period.
func loadGuard(ctx context.Context, tx *db.Tx, period string, units []int64, part string) (guard, error) {
	g := guard{cells: map[key]map[string]bool{}}
	var at int64
	err := tx.QueryRow(ctx, `SELECT protected_at FROM stat_periods WHERE period = ?`, period).Scan(&at)
	if apperr.CodeOf(err) == apperr.ENotFound || (err == nil && at == 0) {
		g.all = true
		return g, nil
	}
	if err != nil || len(units) == 0 {
		return g, err
	}
	where, args := cellsOf(period, units, part)
	rows, err := tx.Query(ctx, `SELECT unit_id, part, indicator FROM stat_withheld WHERE `+where, args...)
	if err != nil {
		return g, err
	}
	defer rows.Close()
	for rows.Next() {
		var k key
		var ind string
		if err := rows.Scan(&k.unit, &k.part, &ind); err != nil {
			return g, err
		}
		if g.cells[k] == nil {
			g.cells[k] = map[string]bool{}
		}
		g.cells[k][ind] = true
	}
	return g, rows.Err()
}

// readerOf decides how p reads the figures of u: exactly (record.read
// over u), or rounded with small counts and withheld figures protected.
// A reader who sees the records of part of u but not of all of it is
// refused: their own exact counts beside u's rounded ones could pin a
// hidden count elsewhere in u (docs/indicators.md).
func readerOf(p access.Principal, reg *Registry, u *org.Unit) (exact bool, err error) {
	if _, ok := p.At(access.RecordRead, u.Path); ok {
		return true, nil
	}
	// Any permission that opens the records behind a figure (contacts,
	// alerts, crises, referrals) held inside u but not over all of it
	// counts as seeing part of u.
	for _, perm := range reg.recordPerms() {
		if _, all := p.At(perm, u.Path); !all && p.Inside(perm, u.Path) {
			return false, apperr.New(apperr.EForbidden, "stats.mixed_access")
		}
	}
	return false, nil
}

// recordPerms lists record.read and every permission that opens the
// records behind a protected figure.
func (r *Registry) recordPerms() []access.Permission {
	out := []access.Permission{access.RecordRead}
	for _, in := range r.List {
		if in.Protected() && len(in.Records) == 2 && !slices.Contains(out, access.Permission(in.Records[1])) {
			out = append(out, access.Permission(in.Records[1]))
		}
	}
	return out
}
