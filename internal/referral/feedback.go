package referral

import (
	"context"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// FeedbackInput is what the hospital returns after the visit.
type FeedbackInput struct {
	Recommendations string // for the school: always shown to the sender
	// Detail is a detailed note (findings, diagnosis), accepted only when
	// the guardian consented to detailed sharing, and shown to the sender
	// only while that consent stands.
	Detail       string
	HospitalStay bool      // the child was admitted
	ReturnAt     time.Time // the planned return to school, if known
	ReturnPlan   string    // the return-to-school assessment and plan: required after a stay
}

// Feedback is one feedback as a side sees it.
type Feedback struct {
	ID              int64
	At              time.Time
	AuthorID        int64
	AuthorName      string
	Recommendations string
	Detail          string // "" when hidden
	DetailHidden    bool   // a detailed note exists that this side may not see
	HospitalStay    bool
	ReturnAt        time.Time
	ReturnPlan      string
	AdoptedAt       time.Time // the return plan went into the support plan
	AdoptedBy       int64
	CaseID          int64
	PlanVersion     int
}

func feedbackAAD(id int64, column string) string {
	return "referral_feedback:" + itoa(id) + ":" + column
}

// GiveFeedback records the hospital's feedback after the visit (again,
// later, for example after a discharge) and tells the sender. A detailed
// note without consent to detailed sharing is refused, not stored.
func (s *Service) GiveFeedback(ctx context.Context, p access.Principal, id int64, in FeedbackInput) error {
	in.Recommendations, in.Detail, in.ReturnPlan = strings.TrimSpace(in.Recommendations), strings.TrimSpace(in.Detail), strings.TrimSpace(in.ReturnPlan)
	fields := map[string]string{}
	switch {
	case in.Recommendations == "":
		fields["recommendations"] = "form.required"
	case len([]rune(in.Recommendations)) > 4000:
		fields["recommendations"] = "form.too_long"
	}
	if len([]rune(in.Detail)) > 4000 {
		fields["detail"] = "form.too_long"
	}
	switch {
	case in.HospitalStay && in.ReturnPlan == "":
		fields["return_plan"] = "referral.return_plan_required"
	case len([]rune(in.ReturnPlan)) > 3000:
		fields["return_plan"] = "form.too_long"
	}
	if len(fields) > 0 {
		return apperr.Invalid("form.invalid", fields)
	}
	return s.move(ctx, p, id, ActFeedback, SideHospital, func(ctx context.Context, tx *db.Tx, r *Referral, now time.Time) (change, error) {
		if in.Detail != "" && !r.Consent.Detail {
			return change{}, apperr.Invalid("form.invalid", map[string]string{"detail": "referral.detail_no_consent"})
		}
		if !in.ReturnAt.IsZero() && (in.ReturnAt.Before(now.AddDate(-1, 0, 0)) || in.ReturnAt.After(now.AddDate(1, 0, 0))) {
			return change{}, apperr.Invalid("form.invalid", map[string]string{"return_at": "form.bad_date"})
		}
		fid, err := tx.InsertID(ctx, `INSERT INTO referral_feedback (referral_id, at, author_id, recommendations, hospital_stay, return_at)
			VALUES (?, ?, ?, ?, ?, ?)`, r.ID, db.Micro(now), p.UserID, []byte{}, db.Bool(in.HospitalStay), db.Micro(in.ReturnAt))
		if err != nil {
			return change{}, err
		}
		sealed := map[string][]byte{}
		for col, text := range map[string]string{"recommendations": in.Recommendations, "detail": in.Detail, "return_plan": in.ReturnPlan} {
			if text == "" {
				continue
			}
			if sealed[col], err = s.Seal.Seal([]byte(text), feedbackAAD(fid, col)); err != nil {
				return change{}, apperr.Internal(err)
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE referral_feedback SET recommendations = ?, detail = ?, return_plan = ? WHERE id = ?`,
			sealed["recommendations"], sealed["detail"], sealed["return_plan"], fid); err != nil {
			return change{}, err
		}
		c := change{detail: "feedback=" + itoa(fid), tell: "referral.feedback"}
		if in.Detail != "" {
			c.detail += " detail=1"
		}
		if in.HospitalStay {
			c.detail += " stay=1"
		}
		if r.FeedbackAt.IsZero() {
			r.FeedbackAt = now
			c.set, c.args = []string{"feedback_at"}, []any{db.Micro(now)}
		}
		return c, nil
	})
}

// feedbackOf returns r's feedback, oldest first. The detailed note is
// opened for the hospital's side, and for the sender's only while the
// consent to detailed sharing stands; otherwise it is marked hidden.
func (s *Service) feedbackOf(ctx context.Context, tx *db.Tx, r *Referral, side string) ([]Feedback, error) {
	rows, err := tx.Query(ctx, `SELECT f.id, f.at, f.author_id, COALESCE(u.display_name, ''), f.recommendations, f.detail, f.hospital_stay, f.return_at,
		f.return_plan, f.adopted_at, f.adopted_by, f.case_id, f.plan_version FROM referral_feedback f LEFT JOIN users u ON u.id = f.author_id
		WHERE f.referral_id = ? ORDER BY f.at, f.id`, r.ID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	showDetail := side == SideHospital || r.Consent.Detail
	var out []Feedback
	for rows.Next() {
		var f Feedback
		var at, ret, adopted int64
		var stay int
		var rec, detail, plan []byte
		if err := rows.Scan(&f.ID, &at, &f.AuthorID, &f.AuthorName, &rec, &detail, &stay, &ret, &plan, &adopted, &f.AdoptedBy, &f.CaseID,
			&f.PlanVersion); err != nil {
			return nil, apperr.Internal(err)
		}
		f.At, f.ReturnAt, f.AdoptedAt, f.HospitalStay = db.FromMicro(at), db.FromMicro(ret), db.FromMicro(adopted), stay == 1
		open := func(b []byte, col string) (string, error) {
			if len(b) == 0 {
				return "", nil
			}
			plain, err := s.Seal.Open(b, feedbackAAD(f.ID, col))
			return string(plain), apperr.Internal(err)
		}
		if f.Recommendations, err = open(rec, "recommendations"); err != nil {
			return nil, err
		}
		if f.ReturnPlan, err = open(plan, "return_plan"); err != nil {
			return nil, err
		}
		if len(detail) > 0 && !showDetail {
			f.DetailHidden = true
		} else if f.Detail, err = open(detail, "detail"); err != nil {
			return nil, err
		}
		out = append(out, f)
	}
	return out, apperr.Internal(rows.Err())
}
