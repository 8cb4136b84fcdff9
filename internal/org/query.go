package org

import (
	"context"
	"strconv"
	"strings"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// FindUnitByID returns a unit the caller may see; others are ENotFound.
func (s *Service) FindUnitByID(ctx context.Context, p access.Principal, id int64) (*Unit, error) {
	var out *Unit
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		u, err := findUnit(ctx, tx, id)
		if err != nil {
			return err
		}
		if _, ok := p.At(access.OrgRead, u.Path); !ok {
			return apperr.NotFound()
		}
		out = u
		return nil
	})
	return out, err
}

// FindUnits lists the units in the caller's scope that match f.
func (s *Service) FindUnits(ctx context.Context, p access.Principal, f UnitFilter) ([]Unit, error) {
	var out []Unit
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		out, err = findUnits(ctx, tx, p, access.OrgRead, f)
		return err
	})
	return out, err
}

// Roots returns the top units of the caller's scope: the units of its
// memberships that are not inside another of them.
func (s *Service) Roots(ctx context.Context, p access.Principal) ([]Unit, error) {
	var out []Unit
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		seen := map[int64]bool{}
		for _, m := range p.Memberships {
			if !access.Has(m.Role, access.OrgRead) || seen[m.OrgID] {
				continue
			}
			inside := false
			for _, o := range p.Memberships {
				if o.OrgID != m.OrgID && access.Has(o.Role, access.OrgRead) && strings.HasPrefix(m.OrgPath, o.OrgPath) {
					inside = true
				}
			}
			if inside {
				continue
			}
			seen[m.OrgID] = true
			u, err := findUnit(ctx, tx, m.OrgID)
			if err != nil {
				return err
			}
			out = append(out, *u)
		}
		return nil
	})
	return out, err
}

// History returns a unit's changes, for a caller who may see the unit.
func (s *Service) History(ctx context.Context, p access.Principal, id int64) ([]Change, error) {
	if _, err := s.FindUnitByID(ctx, p, id); err != nil {
		return nil, err
	}
	var out []Change
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		out, err = findHistory(ctx, tx, id)
		return err
	})
	return out, err
}

// Ancestors returns the units above id (root first) that the caller may see,
// for breadcrumbs.
func (s *Service) Ancestors(ctx context.Context, p access.Principal, u *Unit) ([]Unit, error) {
	var out []Unit
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		for _, part := range strings.Split(strings.Trim(u.Path, "/"), "/") {
			id, _ := strconv.ParseInt(part, 10, 64)
			if id == 0 || id == u.ID {
				continue
			}
			a, err := findUnit(ctx, tx, id)
			if err != nil {
				return err
			}
			if _, ok := p.At(access.OrgRead, a.Path); ok {
				out = append(out, *a)
			}
		}
		return nil
	})
	return out, err
}
