package station

import (
	"context"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// Review is a supervisor's recorded review of a contact, comment opened.
type Review struct {
	ID int64
	ContactRef
	ReviewerID   int64
	ReviewerName string
	Rubric       string // the rubric's version when reviewed
	Scores       []Score
	Comment      string
	At           time.Time
}

// Total is the sum of the scores.
func (r Review) Total() int {
	n := 0
	for _, s := range r.Scores {
		n += s.Value
	}
	return n
}

// Debrief is a recorded debrief after a contact, note opened.
type Debrief struct {
	ID int64
	ContactRef
	SupervisorID   int64
	SupervisorName string
	Note           string
	At             time.Time
}

// refCols selects a ContactRef for a review or debrief x: the counsellor is
// the one the review or debrief is about.
const refCols = `c.id, c.station_id, o.name, o.name_en, c.channel, x.counsellor_id, cu.display_name, c.started_at, c.finalised_at, c.risk_level, c.categories`

const reviewFrom = ` FROM supervision_reviews x JOIN contacts c ON c.id = x.contact_id JOIN org_units o ON o.id = x.station_id
	JOIN users cu ON cu.id = x.counsellor_id JOIN users ru ON ru.id = x.reviewer_id`

const debriefFrom = ` FROM contact_debriefs x JOIN contacts c ON c.id = x.contact_id JOIN org_units o ON o.id = x.station_id
	JOIN users cu ON cu.id = x.counsellor_id JOIN users ru ON ru.id = x.supervisor_id`

// Supervision returns the reviews and debriefs of the station (and its
// branches) recorded in the period, newest first; the caller needs
// hotline.supervise there. Opening the comments is audited.
func (s *Service) Supervision(ctx context.Context, p access.Principal, stationID int64, per Period) ([]Review, []Debrief, error) {
	var rs []Review
	var ds []Debrief
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		st, m, err := s.station(ctx, tx, p, stationID, access.HotlineSupervise)
		if err != nil {
			return err
		}
		lo, hi, from, to := st.Path, access.SubtreeEnd(st.Path), db.Micro(per.From), db.Micro(per.To)
		if rs, err = s.reviews(ctx, tx, `o.path >= ? AND o.path < ? AND x.reviewed_at >= ? AND x.reviewed_at < ?`, lo, hi, from, to); err != nil {
			return err
		}
		if ds, err = s.debriefs(ctx, tx, `o.path >= ? AND o.path < ? AND x.held_at >= ? AND x.held_at < ?`, lo, hi, from, to); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "station.supervision.read", "org_unit", stationID,
			"from="+per.First()+" to="+per.Last()+" reviews="+itoa(int64(len(rs)))+" debriefs="+itoa(int64(len(ds))))
	})
	return rs, ds, err
}

// MyReviews returns the reviews and debriefs about the caller's own
// contacts, newest first; the caller needs hotline.contact. Nobody sees
// another counsellor's reviews here.
func (s *Service) MyReviews(ctx context.Context, p access.Principal) ([]Review, []Debrief, error) {
	m, ok := p.Grant(access.HotlineContact)
	if !ok {
		return nil, nil, apperr.Forbidden()
	}
	var rs []Review
	var ds []Debrief
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		if rs, err = s.reviews(ctx, tx, `x.counsellor_id = ?`, p.UserID); err != nil {
			return err
		}
		if ds, err = s.debriefs(ctx, tx, `x.counsellor_id = ?`, p.UserID); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "station.my_reviews.read", "user", p.UserID,
			"reviews="+itoa(int64(len(rs)))+" debriefs="+itoa(int64(len(ds))))
	})
	return rs, ds, err
}

func (s *Service) reviews(ctx context.Context, tx *db.Tx, where string, args ...any) ([]Review, error) {
	rows, err := tx.Query(ctx, `SELECT `+refCols+`, x.id, x.reviewer_id, ru.display_name, x.rubric, x.scores, x.comment, x.reviewed_at`+
		reviewFrom+` WHERE `+where+` ORDER BY x.reviewed_at DESC, x.id DESC LIMIT 500`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Review
	for rows.Next() {
		var r Review
		var scores string
		var sealed []byte
		var at int64
		if r.ContactRef, err = scanRef(rows, &r.ID, &r.ReviewerID, &r.ReviewerName, &r.Rubric, &scores, &sealed, &at); err != nil {
			return nil, err
		}
		r.Scores, r.At = decodeScores(scores), db.FromMicro(at)
		if r.Comment, err = s.open("supervision_reviews", "comment", r.ID, sealed); err != nil {
			return nil, err
		}
		out = append(out, r)
	}
	return out, rows.Err()
}

func (s *Service) debriefs(ctx context.Context, tx *db.Tx, where string, args ...any) ([]Debrief, error) {
	rows, err := tx.Query(ctx, `SELECT `+refCols+`, x.id, x.supervisor_id, ru.display_name, x.note, x.held_at`+
		debriefFrom+` WHERE `+where+` ORDER BY x.held_at DESC, x.id DESC LIMIT 500`, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Debrief
	for rows.Next() {
		var d Debrief
		var sealed []byte
		var at int64
		if d.ContactRef, err = scanRef(rows, &d.ID, &d.SupervisorID, &d.SupervisorName, &sealed, &at); err != nil {
			return nil, err
		}
		d.At = db.FromMicro(at)
		if d.Note, err = s.open("contact_debriefs", "note", d.ID, sealed); err != nil {
			return nil, err
		}
		out = append(out, d)
	}
	return out, rows.Err()
}
