package crisis

import (
	"context"
	"strings"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/db"
)

// rolesWith lists the roles holding perm, as SQL placeholders and args.
func rolesWith(perm access.Permission) (string, []any) {
	var args []any
	for _, r := range access.RoleNames() {
		if access.Has(r, perm) {
			args = append(args, r)
		}
	}
	return strings.TrimSuffix(strings.Repeat("?, ", len(args)), ", "), args
}

func userIDs(ctx context.Context, tx *db.Tx, q string, args ...any) ([]int64, error) {
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	seen := map[int64]bool{}
	for rows.Next() {
		var id, depth int64
		if err := rows.Scan(&id, &depth); err != nil {
			return nil, err
		}
		if !seen[id] {
			seen[id] = true
			out = append(out, id)
		}
	}
	return out, rows.Err()
}

// holders are the active users holding perm over the unit at path (in the
// unit or above it). With nearest, only those of the nearest unit that has
// any.
func holders(ctx context.Context, tx *db.Tx, perm access.Permission, path string, nearest bool) ([]int64, error) {
	marks, args := rolesWith(perm)
	rows, err := tx.Query(ctx, `SELECT mb.user_id, o.depth FROM memberships mb JOIN users u ON u.id = mb.user_id
		JOIN org_units o ON o.id = mb.org_unit_id WHERE u.active = 1 AND mb.role IN (`+marks+`) AND ? LIKE o.path || '%'
		ORDER BY o.depth DESC, mb.user_id`, append(args, path)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	seen := map[int64]bool{}
	first := int64(-1)
	for rows.Next() {
		var id, depth int64
		if err := rows.Scan(&id, &depth); err != nil {
			return nil, err
		}
		if first < 0 {
			first = depth
		}
		if (nearest && depth != first) || seen[id] {
			continue
		}
		seen[id] = true
		out = append(out, id)
	}
	return out, rows.Err()
}

// supervisors are the co-signers of the unit at path (crisis.cosign over
// it) who are on a duty shift now (alerts or hotline); with nobody on duty,
// every co-signer of the unit's chain.
func (s *Service) supervisors(ctx context.Context, tx *db.Tx, path string) ([]int64, error) {
	marks, args := rolesWith(access.CrisisCosign)
	now := db.Micro(s.now())
	on, err := userIDs(ctx, tx, `SELECT mb.user_id, o.depth FROM memberships mb JOIN users u ON u.id = mb.user_id
		JOIN org_units o ON o.id = mb.org_unit_id WHERE u.active = 1 AND mb.role IN (`+marks+`) AND ? LIKE o.path || '%'
		AND EXISTS (SELECT 1 FROM duty_shifts d WHERE d.user_id = mb.user_id AND d.purpose IN ('alerts', 'hotline')
		AND d.starts_at <= ? AND d.ends_at > ?) ORDER BY mb.user_id`, append(args, path, now, now)...)
	if err != nil || len(on) > 0 {
		return on, err
	}
	return holders(ctx, tx, access.CrisisCosign, path, false)
}

// leadership are the coordinators of the centres above the unit at path:
// those of its district and its city, in the district or city unit itself
// or in a guidance centre directly under it.
func leadership(ctx context.Context, tx *db.Tx, path string) ([]int64, error) {
	return userIDs(ctx, tx, `SELECT mb.user_id, o.depth FROM memberships mb JOIN users u ON u.id = mb.user_id
		JOIN org_units o ON o.id = mb.org_unit_id LEFT JOIN org_units par ON par.id = o.parent_id
		WHERE u.active = 1 AND mb.role = ? AND ((o.kind IN ('district', 'city') AND ? LIKE o.path || '%')
		OR (o.kind = 'guidance_centre' AND par.kind IN ('district', 'city') AND ? LIKE par.path || '%'))
		ORDER BY mb.user_id`, access.Coordinator, path, path)
}

// unitPathOf returns the path of a unit, or "" if it does not exist.
func unitPathOf(ctx context.Context, tx *db.Tx, id int64) string {
	var path string
	if err := tx.QueryRow(ctx, `SELECT path FROM org_units WHERE id = ?`, id).Scan(&path); err != nil {
		return ""
	}
	return path
}
