package outreach

import (
	"context"
	"strings"
	"unicode/utf8"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// VenueKinds are the kinds of venue.
var VenueKinds = []string{"counselling_room", "guidance_centre", "youth_care_room", "civic_practice_centre"}

// Venue is a place of the network where children, parents and the public
// are met, kept by the unit it belongs to.
type Venue struct {
	ID           int64
	Unit         UnitName
	Kind         string
	Name         string
	Address      string
	Facilities   []string
	OpeningHours string
	Active       bool
}

// NewVenue is a venue as a form keeps it; Facilities holds one a line.
type NewVenue struct {
	Unit         int64
	Kind         string
	Name         string
	Address      string
	Facilities   string
	OpeningHours string
	Active       bool
}

// VenueFilter narrows the list of venues; zero values do not filter.
type VenueFilter struct {
	Kind       string
	ActiveOnly bool
}

func (n *NewVenue) check() map[string]string {
	n.Name, n.Address, n.OpeningHours = strings.TrimSpace(n.Name), strings.TrimSpace(n.Address), strings.TrimSpace(n.OpeningHours)
	bad := map[string]string{}
	if !contains(VenueKinds, n.Kind) {
		bad["kind"] = "venue.kind_required"
	}
	if n.Name == "" || utf8.RuneCountInString(n.Name) > 200 {
		bad["name"] = "venue.name_required"
	}
	if utf8.RuneCountInString(n.Address) > 300 {
		bad["address"] = "venue.text_long"
	}
	if utf8.RuneCountInString(n.OpeningHours) > 300 {
		bad["opening_hours"] = "venue.text_long"
	}
	f := lines(n.Facilities)
	if len(f) > 50 || utf8.RuneCountInString(strings.Join(f, "\n")) > 2000 {
		bad["facilities"] = "venue.text_long"
	}
	n.Facilities = strings.Join(f, "\n")
	return bad
}

// CreateVenue records a venue of a unit where the caller holds
// outreach.manage.
func (s *Service) CreateVenue(ctx context.Context, p access.Principal, n NewVenue) (int64, error) {
	if !p.Can(access.OutreachManage) {
		return 0, apperr.Forbidden()
	}
	if bad := n.check(); len(bad) > 0 {
		return 0, apperr.Invalid("form.invalid", bad)
	}
	var id int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		_, m, err := unitAt(ctx, tx, p, access.OutreachManage, n.Unit, "unit", "venue.bad_unit")
		if err != nil {
			return err
		}
		now := db.Micro(s.now())
		if id, err = tx.InsertID(ctx, `INSERT INTO venues (org_unit_id, kind, name, address, facilities, opening_hours, active, created_by, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, n.Unit, n.Kind, n.Name, n.Address, n.Facilities, n.OpeningHours, boolInt(n.Active),
			p.UserID, now, now); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "venue.create", "venue", id, "kind="+n.Kind+" unit="+itoa(n.Unit))
	})
	return id, err
}

// UpdateVenue changes a venue in the caller's scope. Its kind is fixed
// once the venue is scored in a rating (the rating is of one kind).
func (s *Service) UpdateVenue(ctx context.Context, p access.Principal, id int64, n NewVenue) error {
	if !p.Can(access.OutreachManage) {
		return apperr.Forbidden()
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		cur, err := loadVenue(ctx, tx, p, id)
		if err != nil {
			return err
		}
		if bad := n.check(); len(bad) > 0 {
			return apperr.Invalid("form.invalid", bad)
		}
		if n.Kind != cur.Kind {
			var scored int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM venue_scores WHERE venue_id = ?`, id).Scan(&scored); err != nil {
				return err
			}
			if scored > 0 {
				return apperr.Invalid("form.invalid", map[string]string{"kind": "venue.kind_fixed"})
			}
		}
		_, m, err := unitAt(ctx, tx, p, access.OutreachManage, n.Unit, "unit", "venue.bad_unit")
		if err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE venues SET org_unit_id = ?, kind = ?, name = ?, address = ?, facilities = ?, opening_hours = ?, active = ?,
			updated_at = ? WHERE id = ?`, n.Unit, n.Kind, n.Name, n.Address, n.Facilities, n.OpeningHours, boolInt(n.Active),
			db.Micro(s.now()), id); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "venue.update", "venue", id, "kind="+n.Kind+" unit="+itoa(n.Unit))
	})
}

func boolInt(b bool) int {
	if b {
		return 1
	}
	return 0
}

const venueCols = `v.id, u.id, u.name, u.name_en, v.kind, v.name, v.address, v.facilities, v.opening_hours, v.active`

func scanVenue(sc interface{ Scan(...any) error }) (Venue, error) {
	var v Venue
	var fac string
	var active int
	err := sc.Scan(&v.ID, &v.Unit.ID, &v.Unit.Name, &v.Unit.NameEn, &v.Kind, &v.Name, &v.Address, &fac, &v.OpeningHours, &active)
	v.Facilities, v.Active = lines(fac), active == 1
	return v, err
}

// loadVenue reads a venue in the caller's scope; one outside it is not found.
func loadVenue(ctx context.Context, tx *db.Tx, p access.Principal, id int64) (Venue, error) {
	cond, args := p.Scope(access.OutreachManage, "u.path")
	return scanVenue(tx.QueryRow(ctx, `SELECT `+venueCols+` FROM venues v JOIN org_units u ON u.id = v.org_unit_id WHERE v.id = ? AND `+cond,
		append([]any{id}, args...)...))
}

// FindVenue returns a venue in the caller's scope.
func (s *Service) FindVenue(ctx context.Context, p access.Principal, id int64) (*Venue, error) {
	if !p.Can(access.OutreachManage) {
		return nil, apperr.Forbidden()
	}
	var v Venue
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		v, err = loadVenue(ctx, tx, p, id)
		return err
	})
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// Venues lists the venues of the units in the caller's scope, by unit,
// kind and name.
func (s *Service) Venues(ctx context.Context, p access.Principal, f VenueFilter) ([]Venue, error) {
	if !p.Can(access.OutreachManage) {
		return nil, apperr.Forbidden()
	}
	cond, args := p.Scope(access.OutreachManage, "u.path")
	if f.Kind != "" {
		cond += ` AND v.kind = ?`
		args = append(args, f.Kind)
	}
	if f.ActiveOnly {
		cond += ` AND v.active = 1`
	}
	var out []Venue
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+venueCols+` FROM venues v JOIN org_units u ON u.id = v.org_unit_id WHERE `+cond+`
			ORDER BY u.path, v.kind, v.name, v.id LIMIT 2000`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			v, err := scanVenue(rows)
			if err != nil {
				return apperr.Internal(err)
			}
			out = append(out, v)
		}
		return apperr.Internal(rows.Err())
	})
	return out, err
}
