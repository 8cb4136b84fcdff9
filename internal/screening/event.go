package screening

import (
	"context"
	"time"

	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/screening/instrument"
)

// Screened is what a submission, or a critical answer in a draft, tells the
// later steps of the loop. It carries scores and codes, never answers.
type Screened struct {
	StudentID  int64
	CampaignID int64
	Source     string // submission, or draft (a critical answer before submitting)
	At         time.Time
	Tier       instrument.Tier
	Critical   []string          // critical items answered, as "instrument.item"
	Scores     map[string]int    // totals by instrument id
	Bands      map[string]string // band keys by instrument id
	Previous   map[string]int    // totals of the student's latest earlier screening, by instrument id
	Flags      []string          // validity flags
}

// ScreenedHandler reacts to a screening inside its transaction: what it
// writes commits with the response, or neither does. Early warning is one.
type ScreenedHandler func(ctx context.Context, tx *db.Tx, e Screened) error

func (s *Service) publish(ctx context.Context, tx *db.Tx, e Screened) error {
	if s.OnScreened == nil {
		return nil
	}
	return s.OnScreened(ctx, tx, e)
}

// previousTotals reads the totals of the student's latest screening in
// another campaign, per instrument.
func previousTotals(ctx context.Context, tx *db.Tx, studentID, campaignID int64) (map[string]int, error) {
	rows, err := tx.Query(ctx, `SELECT r.instrument_id, r.total FROM responses r
		WHERE r.student_id = ? AND r.campaign_id <> ? AND r.submitted_at = (SELECT MAX(r2.submitted_at) FROM responses r2
			WHERE r2.student_id = r.student_id AND r2.instrument_id = r.instrument_id AND r2.campaign_id <> ?)`,
		studentID, campaignID, campaignID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var id string
		var total int
		if err := rows.Scan(&id, &total); err != nil {
			return nil, err
		}
		out[id] = total
	}
	return out, rows.Err()
}
