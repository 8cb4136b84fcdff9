package family

import (
	"context"
	"database/sql"
	"slices"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/org"
)

// Modes of a consultation.
var Modes = []string{"in_person", "phone", "online"}

// Booking states.
const (
	Requested = "requested"
	Confirmed = "confirmed"
	Cancelled = "cancelled"
)

// NewSlot is a consultation slot a member of staff publishes.
type NewSlot struct {
	UnitID   int64 // a school or a guidance centre where the caller holds family.consult
	StartsAt time.Time
	Minutes  int
	Mode     string
	Place    string
}

// SlotUnit is a unit a member of staff may publish slots for.
type SlotUnit struct {
	ID     int64
	Name   string
	NameEn string
	Kind   string
}

// SlotUnits lists the schools and guidance centres where the caller holds
// family.consult (at most 300, in tree order).
func (s *Service) SlotUnits(ctx context.Context, p access.Principal) ([]SlotUnit, error) {
	var out []SlotUnit
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		scope, args := p.Scope(access.FamilyConsult, "o.path")
		rows, err := tx.Query(ctx, `SELECT o.id, o.name, o.name_en, o.kind FROM org_units o WHERE o.active = 1 AND o.kind IN (?, ?) AND `+scope+`
			ORDER BY o.path LIMIT 300`, append([]any{string(org.School), string(org.GuidanceCentre)}, args...)...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var u SlotUnit
			if err := rows.Scan(&u.ID, &u.Name, &u.NameEn, &u.Kind); err != nil {
				return apperr.Internal(err)
			}
			out = append(out, u)
		}
		return apperr.Internal(rows.Err())
	})
	return out, err
}

// AddSlot publishes a free slot of the caller at a school or guidance
// centre in their family.consult reach.
func (s *Service) AddSlot(ctx context.Context, p access.Principal, n NewSlot) (int64, error) {
	n.Place = strings.TrimSpace(n.Place)
	fields := map[string]string{}
	if n.StartsAt.IsZero() || !n.StartsAt.After(s.now()) {
		fields["starts"] = "calendar.starts_future"
	}
	if n.Minutes < 15 || n.Minutes > 180 {
		fields["minutes"] = "calendar.minutes_range"
	}
	if !slices.Contains(Modes, n.Mode) {
		fields["mode"] = "calendar.mode_required"
	}
	if n.Mode == "in_person" && n.Place == "" {
		fields["place"] = "calendar.place_required"
	}
	if len([]rune(n.Place)) > 200 {
		fields["place"] = "family.too_long"
	}
	if n.UnitID == 0 {
		fields["unit"] = "calendar.unit_required"
	}
	if len(fields) > 0 {
		return 0, apperr.Invalid("form.invalid", fields)
	}
	var id int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var path, kind string
		if err := tx.QueryRow(ctx, `SELECT path, kind FROM org_units WHERE id = ? AND active = 1`, n.UnitID).Scan(&path, &kind); err != nil {
			return err
		}
		m, ok := p.At(access.FamilyConsult, path)
		if !ok || (kind != string(org.School) && kind != string(org.GuidanceCentre)) {
			return apperr.NotFound()
		}
		var err error
		if id, err = tx.InsertID(ctx, `INSERT INTO consult_slots (unit_id, staff_id, starts_at, minutes, mode, place, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`, n.UnitID, p.UserID, db.Micro(n.StartsAt), n.Minutes, n.Mode, n.Place, db.Micro(s.now())); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "consult.slot_add", "consult_slot", id, "unit="+itoa(n.UnitID))
	})
	return id, err
}

// slotFor loads a slot's unit path and checks the caller's family.consult
// reach over it; outside it, the slot is not found.
func (s *Service) slotFor(ctx context.Context, tx *db.Tx, p access.Principal, slotID int64) (access.Membership, int64, error) {
	var path string
	var staff int64
	if err := tx.QueryRow(ctx, `SELECT o.path, sl.staff_id FROM consult_slots sl JOIN org_units o ON o.id = sl.unit_id WHERE sl.id = ?`,
		slotID).Scan(&path, &staff); err != nil {
		return access.Membership{}, 0, err
	}
	m, ok := p.At(access.FamilyConsult, path)
	if !ok {
		return access.Membership{}, 0, apperr.NotFound()
	}
	return m, staff, nil
}

// CancelSlot withdraws a slot, and cancels its live booking with reason.
func (s *Service) CancelSlot(ctx context.Context, p access.Principal, slotID int64, reason string) error {
	reason = strings.TrimSpace(reason)
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		m, _, err := s.slotFor(ctx, tx, p, slotID)
		if err != nil {
			return err
		}
		now := db.Micro(s.now())
		var bid int64
		err = tx.QueryRow(ctx, `SELECT id FROM consult_bookings WHERE slot_id = ? AND live = 1`, slotID).Scan(&bid)
		switch {
		case err == nil:
			if reason == "" {
				return apperr.Invalid("form.invalid", map[string]string{"reason": "calendar.reason_required"})
			}
			if _, err := tx.Exec(ctx, `UPDATE consult_bookings SET state = ?, live = 0, cancel_reason = ?, cancelled_by = 'staff', updated_at = ?
				WHERE id = ? AND live = 1`, Cancelled, reason, now, bid); err != nil {
				return err
			}
		case apperr.CodeOf(err) != apperr.ENotFound:
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE consult_slots SET cancelled_at = ? WHERE id = ? AND cancelled_at = 0`, now, slotID); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "consult.slot_cancel", "consult_slot", slotID, "booking="+itoa(bid))
	})
}

// CalendarSlot is a slot on a member of staff's calendar, with its live or
// latest booking.
type CalendarSlot struct {
	ID         int64
	UnitName   string
	UnitNameEn string
	StaffID    int64
	StaffName  string
	StartsAt   int64
	Minutes    int
	Mode       string
	Place      string
	Cancelled  bool
	Booking    *StaffBooking
}

// StaffBooking is a booking as the counsellor sees it: the child, the
// guardian and the topic (opened from its seal).
type StaffBooking struct {
	ID           int64
	StudentID    int64
	StudentName  string
	Grade        int
	ClassName    string
	SchoolName   string
	GuardianName string
	Relation     string
	Topic        string
	State        string
	CancelReason string
	CancelledBy  string
	CreatedAt    int64
}

// Calendar lists the slots from..to of the caller (all: of every unit in
// the caller's family.consult reach) with their bookings; the read names
// children, so it is audited.
func (s *Service) Calendar(ctx context.Context, p access.Principal, from, to time.Time, all bool) ([]CalendarSlot, error) {
	m, ok := p.Grant(access.FamilyConsult)
	if !ok {
		return nil, apperr.Forbidden()
	}
	var out []CalendarSlot
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		scope, args := p.Scope(access.FamilyConsult, "o.path")
		q := `SELECT sl.id, o.name, o.name_en, sl.staff_id, u.display_name, sl.starts_at, sl.minutes, sl.mode, sl.place, sl.cancelled_at
			FROM consult_slots sl JOIN org_units o ON o.id = sl.unit_id JOIN users u ON u.id = sl.staff_id
			WHERE sl.starts_at >= ? AND sl.starts_at < ? AND ` + scope
		qa := append([]any{db.Micro(from), db.Micro(to)}, args...)
		if !all {
			q += ` AND sl.staff_id = ?`
			qa = append(qa, p.UserID)
		}
		rows, err := tx.Query(ctx, q+` ORDER BY sl.starts_at, sl.id LIMIT 500`, qa...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var c CalendarSlot
			var cancelled int64
			if err := rows.Scan(&c.ID, &c.UnitName, &c.UnitNameEn, &c.StaffID, &c.StaffName, &c.StartsAt, &c.Minutes, &c.Mode, &c.Place, &cancelled); err != nil {
				rows.Close()
				return apperr.Internal(err)
			}
			c.Cancelled = cancelled != 0
			out = append(out, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return apperr.Internal(err)
		}
		for i := range out {
			b, err := s.slotBooking(ctx, tx, out[i].ID)
			if err != nil {
				return err
			}
			out[i].Booking = b
		}
		return s.record(ctx, tx, p, m, "consult.calendar_read", "user", p.UserID, "slots="+itoa(int64(len(out))))
	})
	return out, err
}

// slotBooking is the slot's live booking, else its latest one (nil: none).
func (s *Service) slotBooking(ctx context.Context, tx *db.Tx, slotID int64) (*StaffBooking, error) {
	var b StaffBooking
	var topic []byte
	err := tx.QueryRow(ctx, `SELECT b.id, b.student_id, st.name, st.grade, st.class_name, o.name, b.guardian_name, b.relation, b.topic,
		b.state, b.cancel_reason, b.cancelled_by, b.created_at FROM consult_bookings b JOIN students st ON st.id = b.student_id
		JOIN org_units o ON o.id = st.school_id WHERE b.slot_id = ? ORDER BY b.live DESC, b.id DESC LIMIT 1`, slotID).Scan(&b.ID, &b.StudentID,
		&b.StudentName, &b.Grade, &b.ClassName, &b.SchoolName, &b.GuardianName, &b.Relation, &topic, &b.State, &b.CancelReason,
		&b.CancelledBy, &b.CreatedAt)
	if apperr.CodeOf(err) == apperr.ENotFound {
		return nil, nil
	}
	if err != nil {
		return nil, err
	}
	if len(topic) > 0 {
		plain, err := s.Seal.Open(topic, "consult_bookings:"+itoa(b.ID)+":topic")
		if err != nil {
			return nil, apperr.Internal(err)
		}
		b.Topic = string(plain)
	}
	return &b, nil
}

// DecideBooking confirms a requested booking, or cancels a live one with
// a reason, for a member of staff holding family.consult over the slot's
// unit. The guardian sees the new state.
func (s *Service) DecideBooking(ctx context.Context, p access.Principal, bookingID int64, confirm bool, reason string) error {
	reason = strings.TrimSpace(reason)
	if !confirm && reason == "" {
		return apperr.Invalid("form.invalid", map[string]string{"reason": "calendar.reason_required"})
	}
	if len([]rune(reason)) > 500 {
		return apperr.Invalid("form.invalid", map[string]string{"reason": "family.too_long"})
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var slotID int64
		var state string
		var live int
		if err := tx.QueryRow(ctx, `SELECT slot_id, state, live FROM consult_bookings WHERE id = ?`, bookingID).Scan(&slotID, &state, &live); err != nil {
			return err
		}
		m, _, err := s.slotFor(ctx, tx, p, slotID)
		if err != nil {
			return err
		}
		now := db.Micro(s.now())
		// The conditions are repeated in the UPDATE: a guardian cancelling
		// at the same moment leaves it matching no row.
		var res sql.Result
		switch {
		case confirm && state == Requested:
			res, err = tx.Exec(ctx, `UPDATE consult_bookings SET state = ?, updated_at = ? WHERE id = ? AND state = ? AND live = 1`,
				Confirmed, now, bookingID, Requested)
		case !confirm && live == 1:
			res, err = tx.Exec(ctx, `UPDATE consult_bookings SET state = ?, live = 0, cancel_reason = ?, cancelled_by = 'staff', updated_at = ?
				WHERE id = ? AND live = 1`, Cancelled, reason, now, bookingID)
		default:
			return errChanged
		}
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return errChanged
		}
		action := "consult.booking_confirm"
		if !confirm {
			action = "consult.booking_cancel"
		}
		return s.record(ctx, tx, p, m, action, "consult_booking", bookingID, "slot="+itoa(slotID))
	})
}

// GradeClass is the booking's grade and class, as message arguments.
func (b StaffBooking) GradeClass() []any { return []any{b.Grade, b.ClassName} }

var errChanged = &apperr.Error{Code: apperr.EConflict, Message: "calendar.booking_changed"}
