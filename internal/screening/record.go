package screening

import (
	"context"
	"encoding/json"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/screening/instrument"
)

// responseRow is one scored response, ready to insert.
type responseRow struct {
	inst      *instrument.Instrument
	sealed    []byte
	total     int
	band      string
	tier      instrument.Tier
	subscales string
	critical  bool
	critItems []string // "instrument.item"
	flags     []string
	elapsed   time.Duration
}

// score checks, scores and seals every instrument of the battery, and sums
// up the outcome. Missing answers that an instrument refuses give EInvalid
// naming the instruments.
func (s *Service) score(st *Sitting, c *Campaign, all Answers, elapsed time.Duration, out *Outcome) ([]responseRow, error) {
	if elapsed <= 0 && !st.StartedAt.IsZero() {
		elapsed = s.now().Sub(st.StartedAt)
	}
	items := 0
	for _, inst := range st.Battery {
		items += len(inst.Items)
	}
	missing := map[string]string{}
	var rows []responseRow
	for _, inst := range st.Battery {
		res, err := instrument.Score(inst, all[inst.ID])
		if err != nil {
			if apperr.CodeOf(err) == apperr.EInvalid {
				missing[inst.ID] = "respondent.unanswered"
				continue
			}
			return nil, err
		}
		r := responseRow{inst: inst, total: res.Total, subscales: subscales(res.Subscales), critical: len(res.Critical) > 0, elapsed: elapsed}
		for _, h := range res.Critical {
			r.critItems = append(r.critItems, inst.ID+"."+h.Item)
		}
		if items > 0 {
			r.elapsed = elapsed * time.Duration(len(inst.Items)) / time.Duration(items)
		}
		for _, f := range instrument.CheckValidity(inst, all[inst.ID], r.elapsed) {
			r.flags = append(r.flags, f.Code)
		}
		if res.Band != nil {
			r.band, r.tier = res.Band.Key, res.Band.Tier
		}
		for _, sb := range res.SubscaleBands {
			r.tier = worse(r.tier, sb.Tier)
		}
		plain, err := json.Marshal(all[inst.ID])
		if err != nil {
			return nil, apperr.Internal(err)
		}
		if r.sealed, err = s.Seal.Seal(plain, responseAAD(c.ID, st.StudentID, inst.ID, st.Attempt)); err != nil {
			return nil, apperr.Internal(err)
		}
		out.Flags = append(out.Flags, r.flags...)
		out.Tier = worse(out.Tier, r.tier)
		out.Critical = out.Critical || r.critical
		rows = append(rows, r)
	}
	if len(missing) > 0 {
		return nil, apperr.Invalid("respondent.unanswered", missing)
	}
	if out.Tier == "" {
		out.Tier = instrument.Green
	}
	return rows, nil
}

// write records scored responses and everything that follows from them.
func (s *Service) write(ctx context.Context, tx *db.Tx, st *Sitting, c *Campaign, key string, rows []responseRow, out *Outcome, prev map[string]int) error {
	now := db.Micro(s.now())
	for _, r := range rows {
		if _, err := tx.Exec(ctx, `INSERT INTO responses (campaign_id, student_id, instrument_id, instrument_version, answers, total,
			band, tier, subscales, critical, flags, elapsed_ms, submitted_at, idempotency_key, attempt) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?,?,?)`,
			c.ID, st.StudentID, r.inst.ID, r.inst.Version, r.sealed, r.total, r.band, string(r.tier), r.subscales,
			db.Bool(r.critical), strings.Join(r.flags, " "), r.elapsed.Milliseconds(), now, key, st.Attempt); err != nil {
			return err
		}
	}
	var earlier int
	if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM outbox WHERE kind = 'screening.critical' AND student_id = ? AND ref_id = ?`,
		st.StudentID, c.ID).Scan(&earlier); err != nil {
		return err
	}
	// A critical answer given in a draft and changed before submitting still
	// stands: the signal was given, and someone must follow it up.
	out.Critical = out.Critical || earlier > 0
	if out.Critical {
		out.Tier = instrument.Red
		if _, err := s.markCritical(ctx, tx, c, st.StudentID, now, "submission"); err != nil {
			return err
		}
	}
	if err := upsertTier(ctx, tx, st.StudentID, out.Tier, out.Critical, c.ID, now); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE campaign_students SET state = ?, completed_at = ? WHERE campaign_id = ? AND student_id = ?`,
		Completed, now, c.ID, st.StudentID); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM response_drafts WHERE campaign_id = ? AND student_id = ?`, c.ID, st.StudentID); err != nil {
		return err
	}
	detail := "campaign=" + itoa(c.ID) + " tier=" + string(out.Tier)
	if _, err := tx.Exec(ctx, `INSERT INTO student_events (student_id, at, kind, org_unit_id, detail) VALUES (?, ?, 'screened', ?, ?)`,
		st.StudentID, now, c.OrgUnitID, detail); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO outbox (kind, student_id, ref_id, payload, created_at) VALUES ('screening.completed', ?, ?, ?, ?)`,
		st.StudentID, c.ID, detail+" critical="+strconv.FormatBool(out.Critical), now); err != nil {
		return err
	}
	if err := s.Audit.Record(ctx, tx, audit.Entry{ActorRole: "respondent", Action: "screening.submit", ObjectType: "student",
		ObjectID: itoa(st.StudentID), Outcome: audit.Success, Detail: detail}); err != nil {
		return err
	}
	if s.OnScreened == nil {
		return nil
	}
	e := Screened{StudentID: st.StudentID, CampaignID: c.ID, Source: "submission", At: db.FromMicro(now), Tier: out.Tier,
		Scores: map[string]int{}, Bands: map[string]string{}, Previous: prev}
	for _, r := range rows {
		e.Scores[r.inst.ID] = r.total
		e.Bands[r.inst.ID] = r.band
		e.Critical = append(e.Critical, r.critItems...)
		e.Flags = append(e.Flags, r.flags...)
	}
	if earlier > 0 && len(e.Critical) == 0 {
		e.Critical = append(e.Critical, "draft") // given in a draft, changed before submitting
	}
	return s.publish(ctx, tx, e)
}

func subscales(m map[string]int) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + strconv.Itoa(m[k])
	}
	return strings.Join(parts, " ")
}

func responseAAD(campaignID, studentID int64, instrumentID string, attempt int) string {
	return "responses:" + itoa(campaignID) + ":" + itoa(studentID) + ":" + instrumentID + ":" + strconv.Itoa(attempt) + ":answers"
}
