package letter

import (
	"context"
	"strconv"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// Reply deadlines: a default, a station's own, inherited by its branches.

// deadline is the reply deadline of a letter received now at a station:
// the station's own setting, else its nearest ancestor's, else the
// default; UrgentWithin when the letter matched a risk expression, if
// sooner.
func (s *Service) deadline(ctx context.Context, tx *db.Tx, path string, urgent bool, now time.Time) (time.Time, error) {
	within := s.replyWithin()
	var hours int64
	err := tx.QueryRow(ctx, `SELECT ls.reply_hours FROM letter_settings ls JOIN org_units o ON o.id = ls.station_id
		WHERE ? LIKE o.path || '%' ORDER BY o.depth DESC LIMIT 1`, path).Scan(&hours)
	switch apperr.CodeOf(err) {
	case "":
		within = time.Duration(hours) * time.Hour
	case apperr.ENotFound:
	default:
		return time.Time{}, err
	}
	if urgent && s.urgentWithin() < within {
		within = s.urgentWithin()
	}
	return now.Add(within), nil
}

// StationDeadline is a station's reply deadline as a supervisor sets it.
type StationDeadline struct {
	Station
	Hours int  // the deadline that applies
	Own   bool // set on this station (else inherited or the default)
}

// Deadlines lists the reply deadlines of the stations the caller
// supervises.
func (s *Service) Deadlines(ctx context.Context, p access.Principal) ([]StationDeadline, error) {
	sup, args := p.Scope(access.HotlineSupervise, "o.path")
	var out []StationDeadline
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT o.id, o.name, o.name_en, o.depth, o.path, COALESCE(ls.reply_hours, 0) FROM org_units o
			LEFT JOIN letter_settings ls ON ls.station_id = o.id WHERE o.kind = 'hotline_station' AND o.active = 1 AND `+sup+`
			ORDER BY o.path LIMIT 200`, args...)
		if err != nil {
			return err
		}
		var paths []string
		for rows.Next() {
			var d StationDeadline
			var path string
			if err := rows.Scan(&d.ID, &d.Name, &d.NameEn, &d.Depth, &path, &d.Hours); err != nil {
				rows.Close()
				return apperr.Internal(err)
			}
			d.Own = d.Hours > 0
			out, paths = append(out, d), append(paths, path)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return apperr.Internal(err)
		}
		now := s.now()
		for i := range out {
			due, err := s.deadline(ctx, tx, paths[i], false, now)
			if err != nil {
				return err
			}
			out[i].Hours = int(due.Sub(now).Hours())
		}
		return nil
	})
	return out, err
}

// SetReplyWithin sets a station's reply deadline in hours (1 to 720) for
// letters received from now on; a supervisor of the station sets it.
func (s *Service) SetReplyWithin(ctx context.Context, p access.Principal, stationID int64, hours int) error {
	if hours < 1 || hours > 720 {
		return apperr.Invalid("form.invalid", map[string]string{"hours": "letter.hours_range"})
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var path string
		if err := tx.QueryRow(ctx, `SELECT path FROM org_units WHERE id = ? AND kind = 'hotline_station'`, stationID).Scan(&path); err != nil {
			return apperr.NotFound()
		}
		m, ok := p.At(access.HotlineSupervise, path)
		if !ok {
			return apperr.NotFound()
		}
		now := db.Micro(s.now())
		if _, err := tx.Exec(ctx, `INSERT INTO letter_settings (station_id, reply_hours, set_by, set_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (station_id) DO UPDATE SET reply_hours = excluded.reply_hours, set_by = excluded.set_by, set_at = excluded.set_at`,
			stationID, hours, p.UserID, now); err != nil {
			return err
		}
		e := auditList(p, m, "letter.deadline", hours)
		e.ObjectType, e.ObjectID, e.Detail = "org_unit", itoa(stationID), "hours="+strconv.Itoa(hours)
		return s.Audit.Record(ctx, tx, e)
	})
}
