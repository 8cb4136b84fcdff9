package referral

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/care"
	"github.com/careloop/careloop/internal/db"
)

// ReturnReview is how soon after a return to school the support plan is
// reviewed, when the adoption sets the review date.
const ReturnReview = 14 * 24 * time.Hour

// AdoptReturnPlan puts the return-to-school assessment and plan of one
// feedback into the student's support plan, through care: the student's
// open case (one is opened if there is none) gets a new plan version
// whose measure notes add heading and the hospital's text and whose
// measures include "referral"; with a return date, a follow-up with the
// student is planned for the day after it. The caller needs the sender's
// side of the referral and case.manage over the student's school. It
// returns the case and the plan's new version.
func (s *Service) AdoptReturnPlan(ctx context.Context, p access.Principal, referralID, feedbackID int64, heading string) (int64, int, error) {
	var caseID int64
	var version int
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		r, m, err := s.lockFor(ctx, tx, p, referralID, SideSender)
		if err != nil {
			return err
		}
		if r.StudentID == 0 {
			return apperr.New(apperr.EConflict, "referral.no_student")
		}
		var sealed []byte
		var adopted, returnAt int64
		err = tx.QueryRow(ctx, `SELECT return_plan, adopted_at, return_at FROM referral_feedback WHERE id = ? AND referral_id = ?`,
			feedbackID, referralID).Scan(&sealed, &adopted, &returnAt)
		switch {
		case err != nil:
			return err
		case len(sealed) == 0:
			return apperr.New(apperr.EConflict, "referral.no_return_plan")
		case adopted != 0:
			return apperr.New(apperr.EConflict, "referral.return_plan_adopted_already")
		}
		plain, err := s.Seal.Open(sealed, feedbackAAD(feedbackID, "return_plan"))
		if err != nil {
			return apperr.Internal(err)
		}
		if caseID, err = s.Care.OpenCase(ctx, p, r.StudentID, 0); err != nil {
			return err
		}
		d, err := s.Care.FindCase(ctx, p, caseID)
		if err != nil {
			return err
		}
		if heading = strings.TrimSpace(heading); heading == "" {
			heading = "#" + itoa(referralID)
		}
		in := returnPlanInput(d, p.UserID, heading, string(plain), db.FromMicro(returnAt), s.now())
		if len([]rune(in.MeasureNotes)) > 4000 {
			return apperr.Invalid("form.invalid", map[string]string{"return_plan": "referral.plan_too_long"})
		}
		if version, err = s.Care.SavePlan(ctx, p, caseID, in); err != nil {
			return err
		}
		if returnAt != 0 {
			due := db.FromMicro(returnAt)
			if now := s.now(); due.Before(now) {
				due = now
			}
			if _, err := s.Care.PlanFollowUp(ctx, p, caseID, "student", due.Add(24*time.Hour)); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE referral_feedback SET adopted_at = ?, adopted_by = ?, case_id = ?, plan_version = ? WHERE id = ?`,
			db.Micro(s.now()), p.UserID, caseID, version, feedbackID); err != nil {
			return err
		}
		detail := "feedback=" + itoa(feedbackID) + " case=" + itoa(caseID) + " version=" + strconv.Itoa(version)
		if err := s.event(ctx, tx, p, m, r, "return_plan", r.State, r.State, detail, ""); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "referral.return_plan", referralID, "student="+itoa(r.StudentID)+" "+detail)
	})
	return caseID, version, err
}

// returnPlanInput is the next version of a case's support plan with the
// return-to-school plan added (or a first plan made of it).
func returnPlanInput(d *care.CaseDetail, userID int64, heading, text string, returnAt, now time.Time) care.PlanInput {
	block := strings.TrimSpace(heading + "\n" + text)
	review := now.Add(ReturnReview)
	if returnAt.After(now) {
		review = returnAt.Add(ReturnReview / 2)
	}
	if len(d.Plans) == 0 {
		return care.PlanInput{Concern: heading, Goals: text, Measures: []string{"referral"}, Frequency: "weekly",
			Responsible: []int64{userID}, NextReview: review}
	}
	in := d.Plans[0].PlanInput
	in.Measures = slices.Clone(in.Measures)
	in.Responsible = slices.Clone(in.Responsible)
	if in.MeasureNotes == "" {
		in.MeasureNotes = block
	} else {
		in.MeasureNotes += "\n\n" + block
	}
	if !slices.Contains(in.Measures, "referral") {
		in.Measures = append(in.Measures, "referral")
	}
	if !slices.Contains(in.Responsible, userID) {
		in.Responsible = append(in.Responsible, userID)
	}
	if !in.NextReview.After(now) || in.NextReview.After(review) {
		in.NextReview = review
	}
	return in
}
