package org

import (
	"context"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
)

// Service manages the network. Every write checks the caller's scope and is
// audited in its own transaction.
type Service struct {
	DB    *db.DB
	Audit *audit.Log
	Now   func() time.Time
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) record(ctx context.Context, tx *db.Tx, m access.Membership, p access.Principal, action string, id int64, detail string) error {
	return s.Audit.Record(ctx, tx, audit.Entry{ActorUserID: p.UserID, ActorRole: m.Role, ActorOrgID: m.OrgID,
		Action: action, ObjectType: "org_unit", ObjectID: strconv.FormatInt(id, 10), Outcome: audit.Success, Detail: detail})
}

// label names a unit in its history: the name at the time, and the id.
func label(u *Unit) string { return u.Name + " (#" + strconv.FormatInt(u.ID, 10) + ")" }

func validName(name string) bool {
	n := utf8.RuneCountInString(strings.TrimSpace(name))
	return n > 0 && n <= 200
}

// treeLock names the lock that every change to the tree's shape takes, so
// that a create, move or (de)activation never reads paths or states that a
// concurrent one is changing (on PostgreSQL; SQLite has one writer).
const treeLock = "org_units.tree"

// manageable loads unit id and returns the membership through which p may
// manage it. A unit outside p's scope is reported as not found.
func manageable(ctx context.Context, tx *db.Tx, p access.Principal, id int64) (*Unit, access.Membership, error) {
	if err := tx.Serialize(ctx, treeLock); err != nil {
		return nil, access.Membership{}, err
	}
	u, err := findUnit(ctx, tx, id)
	if err != nil {
		return nil, access.Membership{}, err
	}
	m, ok := p.At(access.OrgManage, u.Path)
	if !ok {
		if _, canRead := p.At(access.OrgRead, u.Path); canRead {
			return nil, m, apperr.Forbidden()
		}
		return nil, m, apperr.NotFound()
	}
	return u, m, nil
}

// CreateRoot creates the root unit (the city) of a fresh install. It is
// called by installation, not by users, and is audited as the system.
func (s *Service) CreateRoot(ctx context.Context, name, nameEn string) (*Unit, error) {
	var out *Unit
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM org_units WHERE parent_id IS NULL`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return apperr.New(apperr.EConflict, "org.root_exists")
		}
		now := db.Micro(s.now())
		u, err := insertUnit(ctx, tx, NewUnit{Kind: City, Name: name, NameEn: nameEn}, nil, now)
		if err != nil {
			return err
		}
		out = u
		if err := addHistory(ctx, tx, u.ID, 0, now, "created", "", u.Name); err != nil {
			return err
		}
		return s.Audit.Record(ctx, tx, audit.Entry{Action: "org.create", ObjectType: "org_unit",
			ObjectID: strconv.FormatInt(u.ID, 10), Outcome: audit.Success, Detail: "root"})
	})
	return out, err
}

// CreateUnit adds a unit under n.ParentID. Returns EInvalid (bad name or
// kind), ENotFound (parent outside scope), EForbidden.
func (s *Service) CreateUnit(ctx context.Context, p access.Principal, n NewUnit) (*Unit, error) {
	n.Name, n.NameEn, n.Code = strings.TrimSpace(n.Name), strings.TrimSpace(n.NameEn), strings.TrimSpace(n.Code)
	problems := map[string]string{}
	if !validName(n.Name) {
		problems["name"] = "org.name_required"
	}
	if !ValidKind(n.Kind) {
		problems["kind"] = "org.kind_unknown"
	}
	if len(problems) > 0 {
		return nil, apperr.Invalid("error.invalid", problems)
	}
	var out *Unit
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		parent, m, err := manageable(ctx, tx, p, n.ParentID)
		if err != nil {
			return err
		}
		if !parent.Active {
			return apperr.Invalid("org.parent_inactive", map[string]string{"parent": "org.parent_inactive"})
		}
		if !MayHold(parent.Kind, n.Kind) {
			return apperr.Invalid("org.kind_not_allowed", map[string]string{"kind": "org.kind_not_allowed"})
		}
		now := db.Micro(s.now())
		u, err := insertUnit(ctx, tx, n, parent, now)
		if err != nil {
			return err
		}
		out = u
		if err := addHistory(ctx, tx, u.ID, p.UserID, now, "created", "", u.Name); err != nil {
			return err
		}
		return s.record(ctx, tx, m, p, "org.create", u.ID, "kind="+string(u.Kind))
	})
	return out, err
}

// RenameUnit changes a unit's names, keeping the old ones in its history.
func (s *Service) RenameUnit(ctx context.Context, p access.Principal, id int64, name, nameEn string) (*Unit, error) {
	name, nameEn = strings.TrimSpace(name), strings.TrimSpace(nameEn)
	if !validName(name) {
		return nil, apperr.Invalid("error.invalid", map[string]string{"name": "org.name_required"})
	}
	var out *Unit
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		u, m, err := manageable(ctx, tx, p, id)
		if err != nil {
			return err
		}
		now := db.Micro(s.now())
		if _, err := tx.Exec(ctx, `UPDATE org_units SET name = ?, name_en = ?, updated_at = ? WHERE id = ?`, name, nameEn, now, id); err != nil {
			return err
		}
		if err := addHistory(ctx, tx, id, p.UserID, now, "renamed", u.Name+" / "+u.NameEn, name+" / "+nameEn); err != nil {
			return err
		}
		if err := s.record(ctx, tx, m, p, "org.rename", id, ""); err != nil {
			return err
		}
		out, err = findUnit(ctx, tx, id)
		return err
	})
	return out, err
}

// MoveUnit puts a unit, with its whole subtree, under a new parent. The
// caller must manage both the unit and the new parent.
func (s *Service) MoveUnit(ctx context.Context, p access.Principal, id, newParentID int64) (*Unit, error) {
	var out *Unit
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		u, m, err := manageable(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if u.ParentID == 0 {
			return apperr.Invalid("org.root_fixed", nil)
		}
		parent, _, err := manageable(ctx, tx, p, newParentID)
		if err != nil {
			return err
		}
		if strings.HasPrefix(parent.Path, u.Path) {
			return apperr.Invalid("org.move_into_self", map[string]string{"parent": "org.move_into_self"})
		}
		if !parent.Active && u.Active {
			return apperr.Invalid("org.parent_inactive", map[string]string{"parent": "org.parent_inactive"})
		}
		if !MayHold(parent.Kind, u.Kind) {
			return apperr.Invalid("org.kind_not_allowed", map[string]string{"parent": "org.kind_not_allowed"})
		}
		now := db.Micro(s.now())
		newPath := parent.Path + strconv.FormatInt(u.ID, 10) + "/"
		oldParent, err := findUnit(ctx, tx, u.ParentID)
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE org_units SET parent_id = ? WHERE id = ?`, parent.ID, u.ID); err != nil {
			return err
		}
		if err := movePaths(ctx, tx, u.Path, newPath, parent.Depth+1-u.Depth, now); err != nil {
			return err
		}
		if err := addHistory(ctx, tx, id, p.UserID, now, "moved", label(oldParent), label(parent)); err != nil {
			return err
		}
		if err := s.record(ctx, tx, m, p, "org.move", id, "to="+strconv.FormatInt(parent.ID, 10)); err != nil {
			return err
		}
		out, err = findUnit(ctx, tx, id)
		return err
	})
	return out, err
}

// SetUnitActive deactivates or reactivates a unit. A unit with active
// children cannot be deactivated; nothing is deleted.
func (s *Service) SetUnitActive(ctx context.Context, p access.Principal, id int64, active bool) (*Unit, error) {
	var out *Unit
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		u, m, err := manageable(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if u.Active == active {
			out = u
			return nil
		}
		if active && u.ParentID != 0 {
			parent, err := findUnit(ctx, tx, u.ParentID)
			if err != nil {
				return err
			}
			if !parent.Active {
				return apperr.Invalid("org.parent_inactive", nil)
			}
		}
		if !active {
			var n int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM org_units WHERE parent_id = ? AND active = 1`, id).Scan(&n); err != nil {
				return err
			}
			if n > 0 {
				return apperr.Invalid("org.has_active_children", nil)
			}
		}
		now := db.Micro(s.now())
		if _, err := tx.Exec(ctx, `UPDATE org_units SET active = ?, updated_at = ? WHERE id = ?`, db.Bool(active), now, id); err != nil {
			return err
		}
		change := map[bool]string{true: "reactivated", false: "deactivated"}[active]
		if err := addHistory(ctx, tx, id, p.UserID, now, change, "", ""); err != nil {
			return err
		}
		if err := s.record(ctx, tx, m, p, "org."+change, id, ""); err != nil {
			return err
		}
		out, err = findUnit(ctx, tx, id)
		return err
	})
	return out, err
}
