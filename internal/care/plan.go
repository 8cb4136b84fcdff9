package care

import (
	"context"
	"encoding/json"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// Support plan codes (一生一策): the measures a plan takes and how often
// the student is seen.
var (
	PlanMeasures    = []string{"counselling", "teacher_attention", "family_contact", "referral", "peer_support", "other"}
	PlanFrequencies = []string{"weekly", "fortnightly", "monthly"}
)

// PlanInput is what a counsellor writes in a support plan. Concern, Goals
// and MeasureNotes are sealed; the rest are codes and ids.
type PlanInput struct {
	Concern      string
	Goals        string
	MeasureNotes string
	Measures     []string
	Frequency    string
	Responsible  []int64 // staff user ids: each must exist and be active
	NextReview   time.Time
}

// Plan is one version of a case's support plan.
type Plan struct {
	PlanInput
	Version   int
	AuthorID  int64
	CreatedAt time.Time
}

// planBody is the sealed part of a plan.
type planBody struct {
	Concern      string `json:"concern"`
	Goals        string `json:"goals"`
	MeasureNotes string `json:"measure_notes"`
}

func planAAD(caseID int64, version int) string {
	return "support_plans:" + itoa(caseID) + ":" + strconv.Itoa(version) + ":body"
}

// checkPlan tidies in and returns its problems by field.
func checkPlan(in *PlanInput, now time.Time) map[string]string {
	fields := map[string]string{}
	in.Concern, in.Goals, in.MeasureNotes = strings.TrimSpace(in.Concern), strings.TrimSpace(in.Goals), strings.TrimSpace(in.MeasureNotes)
	for name, v := range map[string]string{"concern": in.Concern, "goals": in.Goals, "measure_notes": in.MeasureNotes} {
		switch {
		case v == "" && name != "measure_notes":
			fields[name] = "form.required"
		case len([]rune(v)) > 4000:
			fields[name] = "form.too_long"
		}
	}
	var measures []string
	for _, m := range in.Measures {
		switch m = strings.TrimSpace(m); {
		case !slices.Contains(PlanMeasures, m):
			fields["measures"] = "plan.measure_unknown"
		case !slices.Contains(measures, m):
			measures = append(measures, m)
		}
	}
	if in.Measures = measures; len(measures) == 0 && fields["measures"] == "" {
		fields["measures"] = "form.required"
	}
	switch {
	case in.Frequency == "":
		fields["frequency"] = "form.required"
	case !slices.Contains(PlanFrequencies, in.Frequency):
		fields["frequency"] = "plan.frequency_unknown"
	}
	var people []int64
	for _, u := range in.Responsible {
		if u <= 0 {
			fields["responsible"] = "plan.responsible_unknown"
		} else if !slices.Contains(people, u) {
			people = append(people, u)
		}
	}
	switch in.Responsible = people; {
	case len(people) == 0 && fields["responsible"] == "":
		fields["responsible"] = "form.required"
	case len(people) > 20:
		fields["responsible"] = "form.too_long"
	}
	switch {
	case in.NextReview.IsZero():
		fields["next_review"] = "form.required"
	case !in.NextReview.After(now) || in.NextReview.After(now.AddDate(1, 0, 0)):
		fields["next_review"] = "plan.review_range"
	}
	return fields
}

// SavePlan saves the next version of a case's support plan (the first is
// version 1; earlier versions stay) and returns its version. The caller
// needs case.manage over the student's school, or owns the case. Bad input
// gives EInvalid with a problem per field. The review date schedules
// nothing: plans due for review show on the owner's work list.
func (s *Service) SavePlan(ctx context.Context, p access.Principal, caseID int64, in PlanInput) (int, error) {
	if fields := checkPlan(&in, s.now()); len(fields) > 0 {
		return 0, apperr.Invalid("form.invalid", fields)
	}
	var version int
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		c, m, err := writableCase(ctx, tx, p, caseID)
		if err != nil {
			return err
		}
		ids, users := make([]any, len(in.Responsible)), make([]string, len(in.Responsible))
		for i, u := range in.Responsible {
			ids[i], users[i] = u, itoa(u)
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM users WHERE active = 1 AND id IN (`+marks(len(ids))+`)`, ids...).Scan(&n); err != nil {
			return err
		}
		if n != len(ids) {
			return apperr.Invalid("form.invalid", map[string]string{"responsible": "plan.responsible_unknown"})
		}
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(version), 0) FROM support_plans WHERE case_id = ?`, caseID).Scan(&version); err != nil {
			return err
		}
		version++
		body, err := json.Marshal(planBody{Concern: in.Concern, Goals: in.Goals, MeasureNotes: in.MeasureNotes})
		if err != nil {
			return apperr.Internal(err)
		}
		sealed, err := s.Seal.Seal(body, planAAD(caseID, version))
		if err != nil {
			return apperr.Internal(err)
		}
		if _, err := tx.Exec(ctx, `INSERT INTO support_plans (case_id, version, body, frequency, measures, responsible, next_review_at,
			author_id, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`, caseID, version, sealed, in.Frequency, strings.Join(in.Measures, " "),
			strings.Join(users, " "), db.Micro(in.NextReview), p.UserID, db.Micro(s.now())); err != nil {
			return err
		}
		return s.logCase(ctx, tx, p, m, c, "plan", "version="+strconv.Itoa(version), "plan version="+strconv.Itoa(version), "case.plan_save")
	})
	return version, err
}

// plansOf returns every version of a case's plan, newest first, opened.
func (s *Service) plansOf(ctx context.Context, tx *db.Tx, caseID int64) ([]Plan, error) {
	rows, err := tx.Query(ctx, `SELECT version, body, frequency, measures, responsible, next_review_at, author_id, created_at
		FROM support_plans WHERE case_id = ? ORDER BY version DESC`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Plan
	for rows.Next() {
		var pl Plan
		var sealed []byte
		var measures, responsible string
		var review, created int64
		if err := rows.Scan(&pl.Version, &sealed, &pl.Frequency, &measures, &responsible, &review, &pl.AuthorID, &created); err != nil {
			return nil, apperr.Internal(err)
		}
		plain, err := s.Seal.Open(sealed, planAAD(caseID, pl.Version))
		if err != nil {
			return nil, apperr.Internal(err)
		}
		var body planBody
		if err := json.Unmarshal(plain, &body); err != nil {
			return nil, apperr.Internal(err)
		}
		pl.Concern, pl.Goals, pl.MeasureNotes = body.Concern, body.Goals, body.MeasureNotes
		pl.Measures = strings.Fields(measures)
		for _, f := range strings.Fields(responsible) {
			if u, err := strconv.ParseInt(f, 10, 64); err == nil {
				pl.Responsible = append(pl.Responsible, u)
			}
		}
		pl.NextReview, pl.CreatedAt = db.FromMicro(review), db.FromMicro(created)
		out = append(out, pl)
	}
	return out, apperr.Internal(rows.Err())
}

// writableCase loads a case that the caller may write to (case.manage over
// the student's school, or its owner) and that is not closed.
func writableCase(ctx context.Context, tx *db.Tx, p access.Principal, caseID int64) (*Case, access.Membership, error) {
	c, err := loadCase(ctx, tx, caseID)
	if err != nil {
		return nil, access.Membership{}, err
	}
	m, ok := c.grant(p, access.CaseManage, true)
	if !ok {
		return nil, m, c.denied(p)
	}
	if c.State == CaseClosed {
		return nil, m, apperr.New(apperr.EConflict, "case.already_closed")
	}
	return c, m, nil
}
