package phone

import (
	"context"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/hotline"
)

// How long a call stays on the ringing panel without news from the PBX (a
// lost "ended" must not ring for ever).
const (
	ringingFor = time.Hour
	inCallFor  = 12 * time.Hour
)

// Ringing is a call a counsellor should see now: ringing at one of their
// stations (or at them), or answered by them and not ended, with the
// caller's screen-pop.
type Ringing struct {
	CallID             int64
	StationID          int64
	Station, StationEn string
	State              string // offered (ringing), answered (in the call)
	OfferedAt          time.Time
	AnsweredAt         time.Time
	ContactID          int64 // the draft of an answered call
	Withheld           bool  // no caller number: no screen-pop
	Pop                *hotline.ScreenPop
	profile            int64
	shown              bool
}

// Ringing lists the calls ringing for the caller (hotline.contact): offered
// at a station in their scope and not routed to someone else, or routed to
// them; and the calls they answered that have not ended. The screen-pop of
// each is audited the first time it is shown to the caller.
func (s *Service) Ringing(ctx context.Context, p access.Principal) ([]Ringing, error) {
	where, scope := p.Scope(access.HotlineContact, "o.path")
	now := s.now()
	args := append(append([]any{p.UserID}, scope...), p.UserID, db.Micro(now.Add(-ringingFor)), p.UserID, db.Micro(now.Add(-inCallFor)))
	var out []Ringing
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT c.id, c.station_id, o.name, o.name_en, c.state, c.offered_at, c.answered_at, c.contact_id,
			c.profile_id, v.user_id IS NOT NULL
			FROM phone_calls c JOIN org_units o ON o.id = c.station_id
			LEFT JOIN phone_pop_views v ON v.call_id = c.id AND v.user_id = ?
			WHERE (c.state = 'offered' AND `+where+` AND (c.ringing_id = 0 OR c.ringing_id = ?) AND c.offered_at > ?)
			   OR (c.state = 'answered' AND c.counsellor_id = ? AND c.answered_at > ?)
			ORDER BY c.offered_at LIMIT 20`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var r Ringing
			var offered, answered int64
			if err := rows.Scan(&r.CallID, &r.StationID, &r.Station, &r.StationEn, &r.State, &offered, &answered, &r.ContactID,
				&r.profile, &r.shown); err != nil {
				return err
			}
			r.OfferedAt, r.AnsweredAt, r.Withheld = db.FromMicro(offered), db.FromMicro(answered), r.profile == 0
			out = append(out, r)
		}
		return rows.Err()
	})
	if err != nil {
		return nil, err
	}
	var first []Ringing
	for i := range out {
		if out[i].Withheld {
			continue
		}
		if out[i].Pop, err = s.Hotline.ProfilePop(ctx, p, out[i].profile, out[i].ContactID); err != nil {
			return nil, err
		}
		if !out[i].shown {
			first = append(first, out[i])
		}
	}
	if len(first) == 0 {
		return out, nil
	}
	m, _ := p.Grant(access.HotlineContact)
	err = s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		for _, r := range first {
			res, err := tx.Exec(ctx, `INSERT INTO phone_pop_views (call_id, user_id, shown_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
				r.CallID, p.UserID, db.Micro(now))
			if err != nil {
				return err
			}
			if n, _ := res.RowsAffected(); n == 1 {
				if err := s.Audit.Record(ctx, tx, entry(p, m, "phone.screen_pop", "phone_call", r.CallID, "profile="+itoa(r.profile))); err != nil {
					return err
				}
			}
		}
		return nil
	})
	return out, err
}
