package station

import (
	"context"
	"sort"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// Kinds of a call-back: a phone call (phone_calls) or a chat conversation
// (conversations: web chat, WeChat).
const (
	KindCall         = "call"
	KindConversation = "conversation"
)

// CallBack is a missed or abandoned contact not yet called back: a call
// or conversation that was offered and never answered.
type CallBack struct {
	Kind        string // KindCall or KindConversation
	ID          int64
	StationID   int64
	StationName string
	StationEn   string
	Channel     string // phone, web_chat, wechat
	State       string // abandoned, or ended without being answered
	OfferedAt   time.Time
	EndedAt     time.Time // when the caller left; zero if unknown
	ProfileID   int64     // a known repeat contacter (the screen-pop shows their history)
	Ref         string    // the PBX's id of a call, to dial back through the PBX
}

// Waited is how long the caller waited before leaving (0 if unknown).
func (c CallBack) Waited() time.Duration {
	if c.EndedAt.IsZero() {
		return 0
	}
	return c.EndedAt.Sub(c.OfferedAt)
}

// missedCall and missedChat say which rows are missed: abandoned, or ended
// without ever being answered.
const (
	missedCall = `(p.state = 'abandoned' OR (p.state = 'ended' AND p.answered_at = 0))`
	missedChat = `(c.state = 'abandoned' OR (c.state = 'ended' AND c.taken_at = 0))`
)

// CallBacks lists the station's (and its branches') missed and abandoned
// calls and conversations that nobody has called back, oldest first; the
// caller needs hotline.contact there.
func (s *Service) CallBacks(ctx context.Context, p access.Principal, stationID int64) ([]CallBack, error) {
	var out []CallBack
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		st, _, err := s.station(ctx, tx, p, stationID, access.HotlineContact)
		if err != nil {
			return err
		}
		lo, hi := st.Path, access.SubtreeEnd(st.Path)
		rows, err := tx.Query(ctx, `SELECT p.id, p.station_id, o.name, o.name_en, p.state, p.offered_at, p.ended_at, p.profile_id, p.call_ref
			FROM phone_calls p JOIN org_units o ON o.id = p.station_id
			WHERE p.called_back_at = 0 AND `+missedCall+` AND o.path >= ? AND o.path < ? ORDER BY p.offered_at LIMIT 500`, lo, hi)
		if err != nil {
			return err
		}
		for rows.Next() {
			c := CallBack{Kind: KindCall, Channel: "phone"}
			var offered, ended int64
			if err := rows.Scan(&c.ID, &c.StationID, &c.StationName, &c.StationEn, &c.State, &offered, &ended, &c.ProfileID, &c.Ref); err != nil {
				rows.Close()
				return err
			}
			c.OfferedAt, c.EndedAt = db.FromMicro(offered), db.FromMicro(ended)
			out = append(out, c)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		rows, err = tx.Query(ctx, `SELECT c.id, c.station_id, o.name, o.name_en, c.channel, c.state, c.offered_at, c.ended_at, c.profile_id
			FROM conversations c JOIN org_units o ON o.id = c.station_id
			WHERE c.called_back_at = 0 AND `+missedChat+` AND o.path >= ? AND o.path < ? ORDER BY c.offered_at LIMIT 500`, lo, hi)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c := CallBack{Kind: KindConversation}
			var offered, ended int64
			if err := rows.Scan(&c.ID, &c.StationID, &c.StationName, &c.StationEn, &c.Channel, &c.State, &offered, &ended, &c.ProfileID); err != nil {
				return err
			}
			c.OfferedAt, c.EndedAt = db.FromMicro(offered), db.FromMicro(ended)
			out = append(out, c)
		}
		return rows.Err()
	})
	sort.SliceStable(out, func(i, j int) bool { return out[i].OfferedAt.Before(out[j].OfferedAt) })
	return out, err
}

// MarkCalledBack records that a missed call or conversation was called
// back (now); the caller needs hotline.contact at its station. Marking one
// that was answered, or already called back, is a conflict.
func (s *Service) MarkCalledBack(ctx context.Context, p access.Principal, kind string, id int64) error {
	var table, missed, alias, objType string
	switch kind {
	case KindCall:
		table, missed, alias, objType = "phone_calls", missedCall, "p", "phone_call"
	case KindConversation:
		table, missed, alias, objType = "conversations", missedChat, "c", "conversation"
	default:
		return apperr.NotFound()
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var path string
		var done int64
		var isMissed int
		err := tx.QueryRow(ctx, `SELECT o.path, `+alias+`.called_back_at, CASE WHEN `+missed+` THEN 1 ELSE 0 END FROM `+table+` `+alias+`
			JOIN org_units o ON o.id = `+alias+`.station_id WHERE `+alias+`.id = ?`, id).Scan(&path, &done, &isMissed)
		if err != nil {
			return apperr.NotFound()
		}
		m, ok := p.At(access.HotlineContact, path)
		if !ok {
			return apperr.NotFound()
		}
		if isMissed == 0 {
			return apperr.New(apperr.EConflict, "station.not_missed")
		}
		if done != 0 {
			return apperr.New(apperr.EConflict, "station.already_called_back")
		}
		res, err := tx.Exec(ctx, `UPDATE `+table+` SET called_back_at = ? WHERE id = ? AND called_back_at = 0`, db.Micro(s.now()), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			return apperr.New(apperr.EConflict, "station.already_called_back")
		}
		return s.record(ctx, tx, p, m, "station.called_back", objType, id, "")
	})
}
