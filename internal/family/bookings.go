package family

import (
	"context"
	"strings"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/notify"
	"github.com/careloop/careloop/internal/org"
)

// OpenSlot is a free slot a guardian may book for a child: of the child's
// school (its counsellors) or of the district's guidance centre (the
// family-education service).
type OpenSlot struct {
	ID         int64
	UnitName   string
	UnitNameEn string
	UnitKind   string
	StaffName  string
	StartsAt   int64
	Minutes    int
	Mode       string
	Place      string
}

// freeSlots is the condition of the slots open to a child of school
// (schoolID) in district (districtID): ? placeholders for schoolID,
// the guidance-centre kind, districtID and now.
const freeSlots = `sl.cancelled_at = 0 AND sl.starts_at > ?
	AND (sl.unit_id = ? OR (o.kind = ? AND o.parent_id = ?))
	AND NOT EXISTS (SELECT 1 FROM consult_bookings b WHERE b.slot_id = sl.id AND b.live = 1)`

// FreeSlots lists the slots the guardian may book for their child, soonest
// first (at most 100).
func (s *Service) FreeSlots(ctx context.Context, se *Session, studentID int64) ([]OpenSlot, error) {
	var out []OpenSlot
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		c, err := s.child(ctx, tx, se, studentID)
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT sl.id, o.name, o.name_en, o.kind, u.display_name, sl.starts_at, sl.minutes, sl.mode, sl.place
			FROM consult_slots sl JOIN org_units o ON o.id = sl.unit_id JOIN users u ON u.id = sl.staff_id
			WHERE `+freeSlots+` ORDER BY sl.starts_at, sl.id LIMIT 100`,
			db.Micro(s.now()), c.SchoolID, string(org.GuidanceCentre), c.DistrictID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var o OpenSlot
			if err := rows.Scan(&o.ID, &o.UnitName, &o.UnitNameEn, &o.UnitKind, &o.StaffName, &o.StartsAt, &o.Minutes, &o.Mode, &o.Place); err != nil {
				return apperr.Internal(err)
			}
			out = append(out, o)
		}
		return apperr.Internal(rows.Err())
	})
	return out, err
}

// LiveBookings is how many bookings of times still to come a child may
// hold at once.
const LiveBookings = 2

// Book books a free slot for the guardian's child with a topic (sealed).
// One live booking per slot: a second one, even in a concurrent
// transaction, is refused by the database (EConflict, family.slot_taken).
// The slot's counsellor is notified in the same transaction.
func (s *Service) Book(ctx context.Context, se *Session, studentID, slotID int64, topic string) (int64, error) {
	topic = strings.TrimSpace(topic)
	if len([]rune(topic)) > 1000 {
		return 0, apperr.Invalid("form.invalid", map[string]string{"topic": "family.too_long"})
	}
	var id int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		c, err := s.child(ctx, tx, se, studentID)
		if err != nil {
			return err
		}
		var staff int64
		err = tx.QueryRow(ctx, `SELECT sl.staff_id FROM consult_slots sl JOIN org_units o ON o.id = sl.unit_id WHERE sl.id = ? AND `+freeSlots,
			slotID, db.Micro(s.now()), c.SchoolID, string(org.GuidanceCentre), c.DistrictID).Scan(&staff)
		if apperr.CodeOf(err) == apperr.ENotFound {
			// Taken, cancelled, past, or not one of the child's services.
			return &apperr.Error{Code: apperr.EConflict, Message: "family.slot_taken"}
		}
		if err != nil {
			return err
		}
		// A child holds at most LiveBookings live bookings, so that one
		// family cannot take every time of a service.
		var live int64
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM consult_bookings b JOIN consult_slots sl ON sl.id = b.slot_id
			WHERE b.student_id = ? AND b.state IN (?, ?) AND sl.starts_at > ?`, studentID, Requested, Confirmed, db.Micro(s.now())).Scan(&live); err != nil {
			return err
		}
		if live >= LiveBookings {
			return &apperr.Error{Code: apperr.EConflict, Message: "family.too_many_bookings"}
		}
		now := db.Micro(s.now())
		id, err = tx.InsertID(ctx, `INSERT INTO consult_bookings (slot_id, student_id, phone, guardian_name, relation, state, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, slotID, studentID, se.Phone, c.GuardianName, c.Relation, Requested, now, now)
		if apperr.CodeOf(err) == apperr.EConflict {
			return &apperr.Error{Code: apperr.EConflict, Message: "family.slot_taken"}
		}
		if err != nil {
			return err
		}
		if topic != "" {
			sealed, err := s.Seal.Seal([]byte(topic), "consult_bookings:"+itoa(id)+":topic")
			if err != nil {
				return apperr.Internal(err)
			}
			if _, err := tx.Exec(ctx, `UPDATE consult_bookings SET topic = ? WHERE id = ?`, sealed, id); err != nil {
				return err
			}
		}
		if s.Notify != nil {
			if err := s.Notify.Send(ctx, tx, staff, notify.Note{Kind: "family.booking", RefType: "booking", RefID: id}); err != nil {
				return err
			}
		}
		return s.recordGuardian(ctx, tx, c.GuardianID, c.SchoolID, "consult.book", "consult_booking", id, "student="+itoa(studentID)+" slot="+itoa(slotID))
	})
	return id, err
}

// GuardianBooking is a booking as its guardian sees it.
type GuardianBooking struct {
	ID           int64
	StudentID    int64
	StudentName  string
	UnitName     string
	UnitNameEn   string
	StaffName    string
	StartsAt     int64
	Minutes      int
	Mode         string
	Place        string
	State        string
	CancelReason string
	CancelledBy  string
}

// Bookings lists the guardian's bookings for children still theirs, newest
// slot first; the read is audited per child.
func (s *Service) Bookings(ctx context.Context, se *Session) ([]GuardianBooking, error) {
	var out []GuardianBooking
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		kids, err := s.children(ctx, tx, se)
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT b.id, b.student_id, st.name, o.name, o.name_en, u.display_name, sl.starts_at, sl.minutes, sl.mode,
			sl.place, b.state, b.cancel_reason, b.cancelled_by FROM consult_bookings b JOIN consult_slots sl ON sl.id = b.slot_id
			JOIN org_units o ON o.id = sl.unit_id JOIN users u ON u.id = sl.staff_id JOIN students st ON st.id = b.student_id
			WHERE b.phone = ? AND st.status = 'active' AND EXISTS (SELECT 1 FROM guardians g WHERE g.student_id = b.student_id AND g.phone = b.phone)
			ORDER BY sl.starts_at DESC, b.id DESC LIMIT 200`, se.Phone)
		if err != nil {
			return err
		}
		for rows.Next() {
			var g GuardianBooking
			if err := rows.Scan(&g.ID, &g.StudentID, &g.StudentName, &g.UnitName, &g.UnitNameEn, &g.StaffName, &g.StartsAt, &g.Minutes,
				&g.Mode, &g.Place, &g.State, &g.CancelReason, &g.CancelledBy); err != nil {
				rows.Close()
				return apperr.Internal(err)
			}
			out = append(out, g)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return apperr.Internal(err)
		}
		for _, c := range kids {
			if err := s.recordGuardian(ctx, tx, c.GuardianID, c.SchoolID, "family.child_read", "student", c.StudentID, "bookings"); err != nil {
				return err
			}
		}
		return nil
	})
	return out, err
}

// CancelBooking cancels one of the guardian's live bookings; the
// counsellor is notified. Another family's booking is not found.
func (s *Service) CancelBooking(ctx context.Context, se *Session, bookingID int64) error {
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var studentID, staff int64
		var live int
		if se == nil {
			return apperr.NotFound()
		}
		if err := tx.QueryRow(ctx, `SELECT b.student_id, b.live, sl.staff_id FROM consult_bookings b JOIN consult_slots sl ON sl.id = b.slot_id
			WHERE b.id = ? AND b.phone = ?`, bookingID, se.Phone).Scan(&studentID, &live, &staff); err != nil {
			return err
		}
		c, err := s.child(ctx, tx, se, studentID)
		if err != nil {
			return err
		}
		if live != 1 {
			return &apperr.Error{Code: apperr.EConflict, Message: "family.booking_closed"}
		}
		res, err := tx.Exec(ctx, `UPDATE consult_bookings SET state = ?, live = 0, cancelled_by = 'guardian', updated_at = ? WHERE id = ? AND live = 1`,
			Cancelled, db.Micro(s.now()), bookingID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return &apperr.Error{Code: apperr.EConflict, Message: "family.booking_closed"}
		}
		if s.Notify != nil {
			if err := s.Notify.Send(ctx, tx, staff, notify.Note{Kind: "family.booking_cancelled", RefType: "booking", RefID: bookingID}); err != nil {
				return err
			}
		}
		return s.recordGuardian(ctx, tx, c.GuardianID, c.SchoolID, "consult.cancel", "consult_booking", bookingID, "student="+itoa(studentID))
	})
}
