package warning

import (
	"context"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// DutyShift is a span of time in which someone owns new alerts that have
// no school counsellor to go to (outside school hours, or a school without
// one): the hotline station's supervisor on duty, or a centre's duty officer.
type DutyShift struct {
	ID        int64
	OrgUnitID int64
	UnitName  string
	UserID    int64
	UserName  string
	Start     time.Time
	End       time.Time
	Purpose   string // alerts (the default) or hotline
}

// Shift purposes: owning new alerts out of school hours, or answering
// the hotline at a station (its roster).
const (
	DutyAlerts  = "alerts"
	DutyHotline = "hotline"
)

// canServe reports whether a role may take a shift of purpose.
func canServe(role, purpose string) bool {
	if purpose == DutyHotline {
		return access.Has(role, access.HotlineContact)
	}
	return access.Has(role, access.AlertHandle)
}

// AddShift puts someone on duty. The caller needs duty.manage at the
// shift's unit. For an alert shift the person must hold alert.handle
// somewhere (an owner must be able to act); for a hotline shift the unit
// must be a hotline station and the person must answer contacts.
func (s *Service) AddShift(ctx context.Context, p access.Principal, d DutyShift) (int64, error) {
	fields := map[string]string{}
	if d.Start.IsZero() || d.End.IsZero() || !d.End.After(d.Start) {
		fields["end"] = "duty.bad_span"
	} else if d.End.Sub(d.Start) > 31*24*time.Hour {
		fields["end"] = "duty.too_long"
	}
	if d.Purpose == "" {
		d.Purpose = DutyAlerts
	}
	if d.Purpose != DutyAlerts && d.Purpose != DutyHotline {
		fields["purpose"] = "duty.bad_purpose"
	}
	if len(fields) > 0 {
		return 0, apperr.Invalid("form.invalid", fields)
	}
	var id int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var path, kind string
		if err := tx.QueryRow(ctx, `SELECT path, kind FROM org_units WHERE id = ?`, d.OrgUnitID).Scan(&path, &kind); err != nil {
			return notFound(err)
		}
		if d.Purpose == DutyHotline && kind != "hotline_station" {
			return apperr.Invalid("form.invalid", map[string]string{"purpose": "duty.not_station"})
		}
		m, ok := p.At(access.DutyManage, path)
		if !ok {
			return apperr.Forbidden()
		}
		rows, err := tx.Query(ctx, `SELECT m.role FROM memberships m JOIN users u ON u.id = m.user_id WHERE m.user_id = ? AND u.active = 1`, d.UserID)
		if err != nil {
			return err
		}
		can := false
		for rows.Next() {
			var role string
			if err := rows.Scan(&role); err != nil {
				rows.Close()
				return err
			}
			can = can || canServe(role, d.Purpose)
		}
		rows.Close()
		if !can {
			return apperr.Invalid("form.invalid", map[string]string{"user": "duty.cannot_handle"})
		}
		if id, err = tx.InsertID(ctx, `INSERT INTO duty_shifts (org_unit_id, user_id, starts_at, ends_at, purpose) VALUES (?, ?, ?, ?, ?)`,
			d.OrgUnitID, d.UserID, db.Micro(d.Start), db.Micro(d.End), d.Purpose); err != nil {
			return err
		}
		return s.audit(ctx, tx, p, m, "duty.add", id, "unit="+itoa(d.OrgUnitID)+" user="+itoa(d.UserID)+" purpose="+d.Purpose)
	})
	return id, err
}

// Shifts lists the shifts of units in the caller's duty.manage scope that
// end after from, soonest first.
func (s *Service) Shifts(ctx context.Context, p access.Principal, from time.Time) ([]DutyShift, error) {
	cond, args := p.Scope(access.DutyManage, "o.path")
	var out []DutyShift
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT d.id, d.org_unit_id, o.name, d.user_id, u.display_name, d.starts_at, d.ends_at, d.purpose FROM duty_shifts d
			JOIN org_units o ON o.id = d.org_unit_id JOIN users u ON u.id = d.user_id WHERE d.ends_at > ? AND `+cond+`
			ORDER BY d.starts_at, d.id LIMIT 200`, append([]any{db.Micro(from)}, args...)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var d DutyShift
			var start, end int64
			if err := rows.Scan(&d.ID, &d.OrgUnitID, &d.UnitName, &d.UserID, &d.UserName, &start, &end, &d.Purpose); err != nil {
				return err
			}
			d.Start, d.End = db.FromMicro(start), db.FromMicro(end)
			out = append(out, d)
		}
		return rows.Err()
	})
	return out, err
}

// EndShift ends a shift now (or removes one that has not begun).
func (s *Service) EndShift(ctx context.Context, p access.Principal, id int64) error {
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var path string
		var start int64
		if err := tx.QueryRow(ctx, `SELECT o.path, d.starts_at FROM duty_shifts d JOIN org_units o ON o.id = d.org_unit_id WHERE d.id = ?`,
			id).Scan(&path, &start); err != nil {
			return notFound(err)
		}
		m, ok := p.At(access.DutyManage, path)
		if !ok {
			return apperr.NotFound()
		}
		now := db.Micro(s.now())
		if _, err := tx.Exec(ctx, `UPDATE duty_shifts SET ends_at = ? WHERE id = ? AND ends_at > ?`, max(now, start), id, now); err != nil {
			return err
		}
		return s.audit(ctx, tx, p, m, "duty.end", id, "")
	})
}

// AllDeadlines returns every level's deadlines.
func (s *Service) AllDeadlines(ctx context.Context) (map[string]Deadlines, error) {
	out := map[string]Deadlines{}
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		for _, l := range Levels {
			d, err := DeadlinesOf(ctx, tx, l)
			if err != nil {
				return err
			}
			out[l] = d
		}
		return nil
	})
	return out, err
}

// SetDeadlines changes a level's deadlines for the whole network; only
// holders of rule.manage at the top unit may. Open alerts keep the
// deadlines they have; new alerts and new escalations use these.
func (s *Service) SetDeadlines(ctx context.Context, p access.Principal, level string, d Deadlines) error {
	if levelRank[level] == 0 {
		return apperr.Invalid("form.invalid", map[string]string{"level": "rule.err.level"})
	}
	if d.Ack < time.Minute || d.Contact < d.Ack || d.Contact > 60*24*time.Hour {
		return apperr.Invalid("form.invalid", map[string]string{"contact": "deadline.bad"})
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var path string
		if err := tx.QueryRow(ctx, `SELECT path FROM org_units WHERE parent_id IS NULL ORDER BY id LIMIT 1`).Scan(&path); err != nil {
			return err
		}
		m, ok := p.At(access.RuleManage, path)
		if !ok {
			return apperr.Forbidden()
		}
		if _, err := tx.Exec(ctx, `UPDATE alert_deadlines SET ack_minutes = ?, contact_minutes = ? WHERE level = ?`,
			int64(d.Ack/time.Minute), int64(d.Contact/time.Minute), level); err != nil {
			return err
		}
		return s.audit(ctx, tx, p, m, "alert.deadlines", 0, "level="+level+" ack="+d.Ack.String()+" contact="+d.Contact.String())
	})
}

// DutyCandidate is someone who may be put on duty at a unit.
type DutyCandidate struct {
	ID   int64
	Name string
}

// DutyCandidates lists the active people holding alert.handle in the
// unit's subtree; the caller needs duty.manage at the unit.
func (s *Service) DutyCandidates(ctx context.Context, p access.Principal, unitID int64) ([]DutyCandidate, error) {
	var out []DutyCandidate
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		var path string
		if err := tx.QueryRow(ctx, `SELECT path FROM org_units WHERE id = ?`, unitID).Scan(&path); err != nil {
			return notFound(err)
		}
		if _, ok := p.At(access.DutyManage, path); !ok {
			return apperr.NotFound()
		}
		rows, err := tx.Query(ctx, `SELECT DISTINCT u.id, u.display_name, m.role FROM memberships m JOIN users u ON u.id = m.user_id
			JOIN org_units o ON o.id = m.org_unit_id WHERE u.active = 1 AND o.path >= ? AND o.path < ? ORDER BY u.display_name, u.id`,
			path, access.SubtreeEnd(path))
		if err != nil {
			return err
		}
		defer rows.Close()
		seen := map[int64]bool{}
		for rows.Next() {
			var c DutyCandidate
			var role string
			if err := rows.Scan(&c.ID, &c.Name, &role); err != nil {
				return err
			}
			if (canServe(role, DutyAlerts) || canServe(role, DutyHotline)) && !seen[c.ID] {
				seen[c.ID] = true
				out = append(out, c)
			}
		}
		return rows.Err()
	})
	return out, err
}
