package screening

import (
	"context"
	"encoding/json"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/screening/instrument"
)

// Submission is a respondent's final answers.
type Submission struct {
	IdempotencyKey string // one per submit button press; a retry sends the same key
	Answers        Answers
	Elapsed        time.Duration // time spent answering; 0: since the sitting was opened
}

// Outcome is what a submission decided. The child is shown none of it.
type Outcome struct {
	Tier      instrument.Tier
	Critical  bool
	Flags     []string
	Duplicate bool // the same submission had already been recorded
}

var tierRank = map[instrument.Tier]int{"": 0, instrument.Green: 1, instrument.Yellow: 2, instrument.Orange: 3, instrument.Red: 4}

// worse returns the more severe of two tiers.
func worse(a, b instrument.Tier) instrument.Tier {
	if tierRank[b] > tierRank[a] {
		return b
	}
	return a
}

// merge overlays b on a copy of a.
func merge(a, b Answers) Answers {
	out := Answers{}
	for _, src := range []Answers{a, b} {
		for inst, items := range src {
			if out[inst] == nil {
				out[inst] = map[string]int{}
			}
			for k, v := range items {
				out[inst][k] = v
			}
		}
	}
	return out
}

// SaveDraft stores answers given so far, so that a dropped network or a
// closed tab resumes where it stopped. A critical answer is acted on at
// once, even before the questionnaire is submitted.
func (s *Service) SaveDraft(ctx context.Context, token string, a Answers) error {
	return s.DB.TxGrouped(ctx, func(ctx context.Context, tx *db.Tx) error {
		st, c, err := s.sitting(ctx, tx, token)
		if err != nil {
			return err
		}
		if st.Completed {
			return nil
		}
		all := merge(st.Draft, clean(st.Battery, a))
		plain, err := json.Marshal(all)
		if err != nil {
			return apperr.Internal(err)
		}
		sealed, err := s.Seal.Seal(plain, draftAAD(st.CampaignID, st.StudentID))
		if err != nil {
			return apperr.Internal(err)
		}
		now := db.Micro(s.now())
		if _, err := tx.Exec(ctx, `INSERT INTO response_drafts (campaign_id, student_id, answers, updated_at) VALUES (?, ?, ?, ?)
			ON CONFLICT (campaign_id, student_id) DO UPDATE SET answers = excluded.answers, updated_at = excluded.updated_at`,
			st.CampaignID, st.StudentID, sealed, now); err != nil {
			return err
		}
		var crit []string
		for _, inst := range st.Battery {
			for _, h := range instrument.CriticalHits(inst, all[inst.ID]) {
				crit = append(crit, inst.ID+"."+h.Item)
			}
		}
		if len(crit) == 0 {
			return nil
		}
		first, err := s.markCritical(ctx, tx, c, st.StudentID, now, "draft")
		if err != nil || !first {
			return err
		}
		return s.publish(ctx, tx, Screened{StudentID: st.StudentID, CampaignID: c.ID, Source: "draft", At: db.FromMicro(now),
			Tier: instrument.Red, Critical: crit})
	})
}

// clean keeps only answers to items of the battery with valid option values.
func clean(battery []*instrument.Instrument, a Answers) Answers {
	out := Answers{}
	for _, inst := range battery {
		for id, v := range a[inst.ID] {
			if it, ok := inst.Item(id); ok && it.HasOption(v) {
				if out[inst.ID] == nil {
					out[inst.ID] = map[string]int{}
				}
				out[inst.ID][id] = v
			}
		}
	}
	return out
}

// prune drops answers to items that the skip logic no longer asks (a child
// went back and changed an earlier answer).
func prune(battery []*instrument.Instrument, all Answers) Answers {
	for _, inst := range battery {
		for id := range all[inst.ID] {
			if it, ok := inst.Item(id); ok && !it.Enabled(all[inst.ID]) {
				delete(all[inst.ID], id)
			}
		}
	}
	return all
}

// markCritical marks a student for immediate attention (once per campaign):
// the tier becomes red with the critical flag, and a durable event is
// written for the early-warning step, in the caller's transaction. It
// reports whether this was the first mark for the campaign.
func (s *Service) markCritical(ctx context.Context, tx *db.Tx, c *Campaign, studentID, now int64, source string) (bool, error) {
	var already int
	err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM outbox WHERE kind = 'screening.critical' AND student_id = ? AND ref_id = ?`,
		studentID, c.ID).Scan(&already)
	if err != nil || already > 0 {
		return false, err
	}
	if err := upsertTier(ctx, tx, studentID, instrument.Red, true, c.ID, now); err != nil {
		return false, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO outbox (kind, student_id, ref_id, payload, created_at) VALUES ('screening.critical', ?, ?, ?, ?)`,
		studentID, c.ID, "source="+source, now); err != nil {
		return false, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO student_events (student_id, at, kind, org_unit_id, detail) VALUES (?, ?, 'screening_critical', ?, ?)`,
		studentID, now, c.OrgUnitID, "campaign="+itoa(c.ID)); err != nil {
		return false, err
	}
	return true, s.Audit.Record(ctx, tx, audit.Entry{ActorRole: "respondent", Action: "screening.critical", ObjectType: "student",
		ObjectID: itoa(studentID), Outcome: audit.Success, Detail: "campaign=" + itoa(c.ID) + " source=" + source})
}

func upsertTier(ctx context.Context, tx *db.Tx, studentID int64, tier instrument.Tier, critical bool, campaignID, now int64) error {
	_, err := tx.Exec(ctx, `INSERT INTO student_tiers (student_id, tier, critical, campaign_id, at) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (student_id) DO UPDATE SET tier = excluded.tier, critical = excluded.critical,
		campaign_id = excluded.campaign_id, at = excluded.at`, studentID, string(tier), db.Bool(critical), campaignID, now)
	return err
}

// Submit scores and records the whole battery in one transaction: the
// responses with sealed answers, scores, bands and validity flags; the
// student's tier; the campaign progress; the timeline; an audit entry; and
// the durable "screening.completed" event. The same idempotency key twice
// records once. Missing answers that an instrument refuses give EInvalid
// with the unanswered items, and nothing is written.
func (s *Service) Submit(ctx context.Context, token string, sub Submission) (*Outcome, error) {
	key := strings.TrimSpace(sub.IdempotencyKey)
	if key == "" || len(key) > 100 {
		return nil, apperr.Invalid("respondent.bad_request", nil)
	}
	// Read and score on the reader pool, outside the single writer: only
	// the writes below wait their turn.
	var st *Sitting
	var c *Campaign
	var prev map[string]int
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		st, c, err = s.sitting(ctx, tx, token)
		if err == nil && s.OnScreened != nil {
			prev, err = previousTotals(ctx, tx, st.StudentID, c.ID)
		}
		return err
	})
	if err != nil {
		return nil, err
	}
	out := &Outcome{}
	var rows []responseRow
	if !st.Completed {
		if rows, err = s.score(st, c, prune(st.Battery, merge(st.Draft, clean(st.Battery, sub.Answers))), sub.Elapsed, out); err != nil {
			return nil, err
		}
	}
	err = s.DB.TxGrouped(ctx, func(ctx context.Context, tx *db.Tx) error {
		// One submission per student at a time: a double click or two tabs
		// wait here, then see the first one's result (PostgreSQL; SQLite has
		// one writer).
		if err := tx.Serialize(ctx, "submit:"+itoa(c.ID)+":"+itoa(st.StudentID)); err != nil {
			return err
		}
		var state string
		var attempt int
		if err := tx.QueryRow(ctx, `SELECT state, attempt FROM campaign_students WHERE campaign_id = ? AND student_id = ?`,
			c.ID, st.StudentID).Scan(&state, &attempt); err != nil {
			return err
		}
		if state == Completed {
			var n int
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM responses WHERE idempotency_key = ? AND student_id = ?`, key, st.StudentID).Scan(&n); err != nil {
				return err
			}
			if n == 0 {
				return apperr.New(apperr.EConflict, "respondent.already_submitted")
			}
			out.Duplicate = true
			return nil
		}
		if st.Completed || attempt != st.Attempt {
			return apperr.New(apperr.EConflict, "respondent.already_submitted") // changed since read; the page retries
		}
		return s.write(ctx, tx, st, c, key, rows, out, prev)
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
