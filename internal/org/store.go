package org

import (
	"context"
	"database/sql"
	"fmt"
	"strconv"
	"strings"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

const unitColumns = `u.id, u.kind, u.name, u.name_en, u.code, COALESCE(u.parent_id, 0), u.path, u.depth, u.active, u.created_at, u.updated_at`

func scanUnit(s interface{ Scan(...any) error }, u *Unit, extra ...any) error {
	var created, updated int64
	var active int
	dest := append([]any{&u.ID, &u.Kind, &u.Name, &u.NameEn, &u.Code, &u.ParentID, &u.Path, &u.Depth, &active, &created, &updated}, extra...)
	if err := s.Scan(dest...); err != nil {
		return err
	}
	u.Active = active == 1
	u.CreatedAt, u.UpdatedAt = db.FromMicro(created), db.FromMicro(updated)
	return nil
}

// findUnit loads a unit without any scope check; callers check scope.
func findUnit(ctx context.Context, tx *db.Tx, id int64) (*Unit, error) {
	var u Unit
	if err := scanUnit(tx.QueryRow(ctx, `SELECT `+unitColumns+` FROM org_units u WHERE u.id = ?`, id), &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// findUnits lists units inside the caller's scope for perm.
func findUnits(ctx context.Context, tx *db.Tx, p access.Principal, perm access.Permission, f UnitFilter) ([]Unit, error) {
	scope, args := p.Scope(perm, "u.path")
	where := []string{scope}
	if f.ParentID != 0 {
		where = append(where, "u.parent_id = ?")
		args = append(args, f.ParentID)
	}
	if f.Kind != "" {
		where = append(where, "u.kind = ?")
		args = append(args, string(f.Kind))
	}
	if q := strings.TrimSpace(f.Query); q != "" {
		where = append(where, `(LOWER(u.name) LIKE ? ESCAPE '\' OR LOWER(u.name_en) LIKE ? ESCAPE '\' OR u.code = ?)`)
		like := strings.ToLower(db.Contains(q))
		args = append(args, like, like, q)
	}
	if !f.IncludeInactive {
		where = append(where, "u.active = 1")
	}
	limit := f.Limit
	if limit <= 0 || limit > 500 {
		limit = 500
	}
	q := `SELECT ` + unitColumns + `, (SELECT COUNT(*) FROM org_units c WHERE c.parent_id = u.id) FROM org_units u
		WHERE ` + strings.Join(where, " AND ") + ` ORDER BY u.path LIMIT ` + strconv.Itoa(limit)
	rows, err := tx.Query(ctx, q, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Unit
	for rows.Next() {
		var u Unit
		if err := scanUnit(rows, &u, &u.Children); err != nil {
			return nil, apperr.Internal(err)
		}
		out = append(out, u)
	}
	if err := rows.Err(); err != nil {
		return nil, apperr.Internal(err)
	}
	return out, nil
}

func insertUnit(ctx context.Context, tx *db.Tx, n NewUnit, parent *Unit, now int64) (*Unit, error) {
	var parentID sql.NullInt64
	depth := 0
	if parent != nil {
		parentID = sql.NullInt64{Int64: parent.ID, Valid: true}
		depth = parent.Depth + 1
	}
	id, err := tx.InsertID(ctx, `INSERT INTO org_units (kind, name, name_en, code, parent_id, path, depth, active, created_at, updated_at)
		VALUES (?, ?, ?, ?, ?, '', ?, 1, ?, ?)`, string(n.Kind), n.Name, n.NameEn, n.Code, parentID, depth, now, now)
	if err != nil {
		return nil, err
	}
	path := "/" + strconv.FormatInt(id, 10) + "/"
	if parent != nil {
		path = parent.Path + strconv.FormatInt(id, 10) + "/"
	}
	if _, err := tx.Exec(ctx, `UPDATE org_units SET path = ? WHERE id = ?`, path, id); err != nil {
		return nil, err
	}
	return findUnit(ctx, tx, id)
}

// movePaths rewrites the paths and depths of a whole subtree in one statement.
func movePaths(ctx context.Context, tx *db.Tx, oldPath, newPath string, depthDelta int, now int64) error {
	_, err := tx.Exec(ctx, `UPDATE org_units SET path = ? || SUBSTR(path, ?), depth = depth + ?, updated_at = ?
		WHERE path >= ? AND path < ?`, newPath, len(oldPath)+1, depthDelta, now, oldPath, access.SubtreeEnd(oldPath))
	return err
}

func addHistory(ctx context.Context, tx *db.Tx, unitID, actor, now int64, change, oldV, newV string) error {
	_, err := tx.Exec(ctx, `INSERT INTO org_unit_history (org_unit_id, at, actor_user_id, change, old_value, new_value)
		VALUES (?, ?, ?, ?, ?, ?)`, unitID, now, actor, change, oldV, newV)
	if err != nil {
		return fmt.Errorf("org history: %w", err)
	}
	return nil
}

func findHistory(ctx context.Context, tx *db.Tx, unitID int64) ([]Change, error) {
	rows, err := tx.Query(ctx, `SELECT at, COALESCE(actor_user_id, 0), change, old_value, new_value
		FROM org_unit_history WHERE org_unit_id = ? ORDER BY at, id`, unitID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Change
	for rows.Next() {
		var c Change
		var at int64
		if err := rows.Scan(&at, &c.ActorUserID, &c.Change, &c.OldValue, &c.NewValue); err != nil {
			return nil, apperr.Internal(err)
		}
		c.At = db.FromMicro(at)
		out = append(out, c)
	}
	return out, apperr.Internal(rows.Err())
}
