package referral

import (
	"context"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// Event is one step of a referral's timeline.
type Event struct {
	ID        int64
	At        time.Time
	ActorID   int64
	ActorName string
	ActorUnit int64
	Kind      string // sent, accepted, declined, appointment_set, seen, feedback, closed, consent, detail_withdrawn, documents, return_plan
	From, To  string // states
	Detail    string // codes and dates
	Note      string // opened: a decline's or a closing's explanation
}

func eventNoteAAD(id int64) string { return "referral_events:" + itoa(id) + ":note" }

// event writes one timestamped, attributed step of r (with a note, sealed,
// when not ""), and, for a student, a timeline entry of kind "referral".
func (s *Service) event(ctx context.Context, tx *db.Tx, p access.Principal, m access.Membership, r *Referral, kind, from, to, detail, note string) error {
	now := db.Micro(s.now())
	id, err := tx.InsertID(ctx, `INSERT INTO referral_events (referral_id, at, actor_id, actor_unit, kind, from_state, to_state, detail)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, r.ID, now, p.UserID, m.OrgID, kind, from, to, detail)
	if err != nil {
		return err
	}
	if note != "" {
		sealed, err := s.Seal.Seal([]byte(note), eventNoteAAD(id))
		if err != nil {
			return apperr.Internal(err)
		}
		if _, err := tx.Exec(ctx, `UPDATE referral_events SET note = ? WHERE id = ?`, sealed, id); err != nil {
			return err
		}
	}
	if r.StudentID == 0 || from == to {
		return nil
	}
	_, err = tx.Exec(ctx, `INSERT INTO student_events (student_id, at, kind, actor_user_id, org_unit_id, detail) VALUES (?, ?, 'referral', ?, ?, ?)`,
		r.StudentID, now, p.UserID, r.FromUnit, "referral="+itoa(r.ID)+" state="+to)
	return err
}

// events returns r's timeline, oldest first, notes opened.
func (s *Service) events(ctx context.Context, tx *db.Tx, id int64) ([]Event, error) {
	rows, err := tx.Query(ctx, `SELECT e.id, e.at, e.actor_id, COALESCE(u.display_name, ''), e.actor_unit, e.kind, e.from_state, e.to_state, e.detail,
		e.note FROM referral_events e LEFT JOIN users u ON u.id = e.actor_id WHERE e.referral_id = ? ORDER BY e.at, e.id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Event
	for rows.Next() {
		var ev Event
		var at int64
		var note []byte
		if err := rows.Scan(&ev.ID, &at, &ev.ActorID, &ev.ActorName, &ev.ActorUnit, &ev.Kind, &ev.From, &ev.To, &ev.Detail, &note); err != nil {
			return nil, apperr.Internal(err)
		}
		ev.At = db.FromMicro(at)
		if len(note) > 0 {
			plain, err := s.Seal.Open(note, eventNoteAAD(ev.ID))
			if err != nil {
				return nil, apperr.Internal(err)
			}
			ev.Note = string(plain)
		}
		out = append(out, ev)
	}
	return out, apperr.Internal(rows.Err())
}
