package station

import (
	"context"
	"strings"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// DebriefLevels are the risk levels (taxonomy.RiskLevels) after which a
// finished contact needs a debrief.
var DebriefLevels = []string{"high", "imminent"}

// DebriefsDue lists the finished contacts of the station (and its
// branches) at a DebriefLevels risk level that have no debrief yet, oldest
// first; the caller needs hotline.supervise there.
func (s *Service) DebriefsDue(ctx context.Context, p access.Principal, stationID int64) ([]ContactRef, error) {
	var out []ContactRef
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		st, _, err := s.station(ctx, tx, p, stationID, access.HotlineSupervise)
		if err != nil {
			return err
		}
		args := []any{}
		for _, l := range DebriefLevels {
			args = append(args, l)
		}
		rows, err := tx.Query(ctx, `SELECT `+contactCols+` FROM contacts c JOIN org_units o ON o.id = c.station_id JOIN users u ON u.id = c.counsellor_id
			WHERE c.risk_level IN (`+placeholders(len(args))+`) AND c.state = 'final' AND o.path >= ? AND o.path < ?
			AND NOT EXISTS (SELECT 1 FROM contact_debriefs d WHERE d.contact_id = c.id)
			ORDER BY c.finalised_at, c.id LIMIT 500`, append(args, st.Path, access.SubtreeEnd(st.Path))...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanRef(rows)
			if err != nil {
				return err
			}
			out = append(out, c)
		}
		return rows.Err()
	})
	return out, err
}

// RecordDebrief records that the caller, a supervisor at the contact's
// station, debriefed its counsellor after the finished contact; the note is
// sealed and required. A contact has one debrief (EConflict
// station.already_debriefed); a supervisor does not debrief their own contact.
func (s *Service) RecordDebrief(ctx context.Context, p access.Principal, contactID int64, note string) (int64, error) {
	note = strings.TrimSpace(note)
	switch {
	case note == "":
		return 0, apperr.Invalid("form.invalid", map[string]string{"note": "form.required"})
	case len(note) > 20000:
		return 0, apperr.Invalid("form.invalid", map[string]string{"note": "form.too_long"})
	}
	var id int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		c, m, err := s.finished(ctx, tx, p, contactID)
		if err != nil {
			return err
		}
		var exists int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM contact_debriefs WHERE contact_id = ?`, c.ContactID).Scan(&exists); err != nil {
			return err
		}
		if exists > 0 {
			return apperr.New(apperr.EConflict, "station.already_debriefed")
		}
		if id, err = tx.InsertID(ctx, `INSERT INTO contact_debriefs (contact_id, station_id, counsellor_id, supervisor_id, held_at)
			VALUES (?, ?, ?, ?, ?)`, c.ContactID, c.StationID, c.CounsellorID, p.UserID, db.Micro(s.now())); err != nil {
			return err
		}
		if err := s.sealInto(ctx, tx, "contact_debriefs", "note", id, note); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "station.debrief", "contact", c.ContactID, "debrief="+itoa(id)+" risk="+c.RiskLevel)
	})
	return id, err
}
