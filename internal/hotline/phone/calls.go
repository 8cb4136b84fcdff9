package phone

import (
	"context"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// Call is a call as the station's list shows it: its metrics, never the
// caller's number (it is not kept).
type Call struct {
	ID                 int64
	StationID          int64
	Station, StationEn string
	CallRef            string
	State              string // offered, answered, ended, abandoned
	OfferedAt          time.Time
	AnsweredAt         time.Time
	EndedAt            time.Time
	Transfers          int
	EndReason          string
	CounsellorID       int64
	ContactID          int64
	MayPlay            bool // the caller may play its recordings
	Recordings         []Recording
}

// Wait is how long the caller waited for an answer (or until they hung up).
func (c Call) Wait() time.Duration {
	switch {
	case !c.AnsweredAt.IsZero():
		return c.AnsweredAt.Sub(c.OfferedAt)
	case !c.EndedAt.IsZero():
		return c.EndedAt.Sub(c.OfferedAt)
	}
	return 0
}

// Talk is how long the answered call lasted.
func (c Call) Talk() time.Duration {
	if c.AnsweredAt.IsZero() || c.EndedAt.IsZero() {
		return 0
	}
	return c.EndedAt.Sub(c.AnsweredAt)
}

// Recording is a call's recording; a deleted one has no audio left.
type Recording struct {
	ID          int64
	CallID      int64
	ContentType string
	Bytes       int64
	StoredAt    time.Time
	DeletedAt   time.Time
}

// CallsPage is how many calls FindCalls returns at most.
const CallsPage = 100

// Cursor marks where the calls older than c start: FindCalls with it
// returns the next page. It reads "offered-at.id" (microseconds).
func (c Call) Cursor() string {
	return strconv.FormatInt(db.Micro(c.OfferedAt), 10) + "." + strconv.FormatInt(c.ID, 10)
}

// FindCalls lists the latest calls (at most CallsPage) of the stations
// where the caller answers or supervises contacts, newest first; with
// before (a Call's Cursor), those older than that call. A before it cannot
// read starts at the latest. A recording may be played by the call's
// counsellor (who answered it or holds its contact) and by the station's
// supervisors: MayPlay says so for the caller.
func (s *Service) FindCalls(ctx context.Context, p access.Principal, before string) ([]Call, error) {
	w1, a1 := p.Scope(access.HotlineContact, "o.path")
	w2, a2 := p.Scope(access.HotlineSupervise, "o.path")
	args := append(append(append([]any{p.UserID, p.UserID}, a2...), a1...), a2...)
	older := ""
	if at, id, ok := parseCursor(before); ok {
		older = ` AND (c.offered_at < ? OR (c.offered_at = ? AND c.id < ?))`
		args = append(args, at, at, id)
	}
	var out []Call
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT c.id, c.station_id, o.name, o.name_en, c.call_ref, c.state, c.offered_at, c.answered_at,
			c.ended_at, c.transfers, c.end_reason, c.counsellor_id, c.contact_id,
			CASE WHEN c.counsellor_id = ? OR ct.counsellor_id = ? OR `+w2+` THEN 1 ELSE 0 END
			FROM phone_calls c JOIN org_units o ON o.id = c.station_id LEFT JOIN contacts ct ON ct.id = c.contact_id
			WHERE (`+w1+` OR `+w2+`)`+older+` ORDER BY c.offered_at DESC, c.id DESC LIMIT `+strconv.Itoa(CallsPage), args...)
		if err != nil {
			return err
		}
		byID := map[int64]int{}
		for rows.Next() {
			var c Call
			var offered, answered, ended int64
			var may int
			if err := rows.Scan(&c.ID, &c.StationID, &c.Station, &c.StationEn, &c.CallRef, &c.State, &offered, &answered, &ended,
				&c.Transfers, &c.EndReason, &c.CounsellorID, &c.ContactID, &may); err != nil {
				rows.Close()
				return err
			}
			c.OfferedAt, c.AnsweredAt, c.EndedAt, c.MayPlay = db.FromMicro(offered), db.FromMicro(answered), db.FromMicro(ended), may == 1
			byID[c.ID] = len(out)
			out = append(out, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil || len(out) == 0 {
			return err
		}
		ids := make([]any, 0, len(out))
		for _, c := range out {
			ids = append(ids, c.ID)
		}
		rows, err = tx.Query(ctx, `SELECT id, call_id, content_type, bytes, stored_at, deleted_at FROM phone_recordings
			WHERE call_id IN (?`+strings.Repeat(", ?", len(ids)-1)+`) ORDER BY id`, ids...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r Recording
			var stored, deleted int64
			if err := rows.Scan(&r.ID, &r.CallID, &r.ContentType, &r.Bytes, &stored, &deleted); err != nil {
				return err
			}
			r.StoredAt, r.DeletedAt = db.FromMicro(stored), db.FromMicro(deleted)
			out[byID[r.CallID]].Recordings = append(out[byID[r.CallID]].Recordings, r)
		}
		return rows.Err()
	})
	return out, err
}

// Agent maps a PBX extension at a station to a counsellor.
type Agent struct {
	StationID          int64
	Station, StationEn string
	Extension          string
	UserID             int64
	DisplayName        string
}

// FindAgents lists the extensions of the stations the caller supervises.
func (s *Service) FindAgents(ctx context.Context, p access.Principal) ([]Agent, error) {
	where, args := p.Scope(access.HotlineSupervise, "o.path")
	var out []Agent
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT a.station_id, o.name, o.name_en, a.extension, a.user_id, u.display_name
			FROM phone_agents a JOIN org_units o ON o.id = a.station_id JOIN users u ON u.id = a.user_id
			WHERE `+where+` ORDER BY o.path, a.extension`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var a Agent
			if err := rows.Scan(&a.StationID, &a.Station, &a.StationEn, &a.Extension, &a.UserID, &a.DisplayName); err != nil {
				return err
			}
			out = append(out, a)
		}
		return rows.Err()
	})
	return out, err
}

// SetAgent maps an extension of a station to a counsellor who answers
// contacts there; userID 0 removes the mapping. The caller supervises the
// station (hotline.supervise).
func (s *Service) SetAgent(ctx context.Context, p access.Principal, stationID int64, extension string, userID int64) error {
	extension = strings.TrimSpace(extension)
	if !extensionPattern.MatchString(extension) {
		return apperr.Invalid("form.invalid", map[string]string{"extension": "phone.bad_extension"})
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var path, kind string
		if err := tx.QueryRow(ctx, `SELECT path, kind FROM org_units WHERE id = ? AND active = 1`, stationID).Scan(&path, &kind); err != nil {
			return apperr.NotFound()
		}
		m, ok := p.At(access.HotlineSupervise, path)
		if !ok || kind != "hotline_station" {
			return apperr.NotFound()
		}
		if _, err := tx.Exec(ctx, `DELETE FROM phone_agents WHERE station_id = ? AND extension = ?`, stationID, extension); err != nil {
			return err
		}
		if userID != 0 {
			a, err := staff(ctx, tx, userID)
			if err != nil {
				return err
			}
			if _, ok := a.At(access.HotlineContact, path); !ok {
				return apperr.Invalid("form.invalid", map[string]string{"user": "phone.unknown_agent"})
			}
			if _, err := tx.Exec(ctx, `INSERT INTO phone_agents (station_id, extension, user_id, set_by, set_at) VALUES (?, ?, ?, ?, ?)`,
				stationID, extension, userID, p.UserID, db.Micro(s.now())); err != nil {
				return err
			}
		}
		return s.Audit.Record(ctx, tx, entry(p, m, "phone.agent", "org_unit", stationID, "extension="+extension+" user="+itoa(userID)))
	})
}

// parseCursor reads a Call's Cursor.
func parseCursor(s string) (at, id int64, ok bool) {
	a, b, found := strings.Cut(s, ".")
	if !found {
		return 0, 0, false
	}
	at, err1 := strconv.ParseInt(a, 10, 64)
	id, err2 := strconv.ParseInt(b, 10, 64)
	return at, id, err1 == nil && err2 == nil && id > 0
}
