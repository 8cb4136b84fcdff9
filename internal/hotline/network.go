package hotline

import (
	"context"

	"github.com/careloop/careloop/internal/db"
)

// NetworkTop returns the path of the station network a unit at path
// belongs to: its outermost hotline station (the city's station, whose
// branches share one queue and hand contacts to each other). It fails
// when path is not inside a hotline station.
func NetworkTop(ctx context.Context, tx *db.Tx, path string) (string, error) {
	var top string
	err := tx.QueryRow(ctx, `SELECT path FROM org_units WHERE kind = 'hotline_station' AND active = 1 AND ? LIKE path || '%'
		ORDER BY depth LIMIT 1`, path).Scan(&top)
	return top, err
}
