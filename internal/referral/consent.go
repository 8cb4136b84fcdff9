package referral

import (
	"context"
	"strconv"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// RecordConsent records consent on the sender's side after the referral
// was sent: the consent of an emergency referral, had afterwards, or a
// renewed one (for example adding consent to detailed sharing). The
// referral's basis stays what it was sent on; the consent replaces the
// recorded one, and the timeline keeps both.
func (s *Service) RecordConsent(ctx context.Context, p access.Principal, id int64, c Consent) error {
	if !c.Given {
		return apperr.Invalid("form.invalid", map[string]string{"consent_given": "referral.consent_required"})
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		r, m, err := s.lockFor(ctx, tx, p, id, SideSender)
		if err != nil {
			return err
		}
		fields := map[string]string{}
		checkConsent(&c, r.Under14, r.Urgency, s.now(), fields)
		if len(fields) > 0 {
			return apperr.Invalid("form.invalid", fields)
		}
		if _, err := tx.Exec(ctx, `UPDATE referrals SET consent_given = 1, consent_by = ?, consent_at = ?, consent_how = ?, consent_version = ?,
			consent_detail = ? WHERE id = ?`, c.By, db.Micro(c.At), c.How, c.Version, db.Bool(c.Detail), id); err != nil {
			return err
		}
		detail := "by=" + c.By + " how=" + c.How + " version=" + strconv.Quote(c.Version) + " detail=" + strconv.Itoa(db.Bool(c.Detail))
		if err := s.event(ctx, tx, p, m, r, "consent", r.State, r.State, detail, ""); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "referral.consent", id, "student="+itoa(r.StudentID)+" "+detail)
	})
}

// WithdrawDetail records that the consent to detailed sharing was
// withdrawn: it takes effect at once, so the sender no longer sees the
// hospital's detailed notes and the hospital may send no more.
func (s *Service) WithdrawDetail(ctx context.Context, p access.Principal, id int64) error {
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		r, m, err := s.lockFor(ctx, tx, p, id, SideSender)
		if err != nil {
			return err
		}
		if !r.Consent.Detail {
			return apperr.New(apperr.EConflict, "referral.no_detail_consent")
		}
		if _, err := tx.Exec(ctx, `UPDATE referrals SET consent_detail = 0 WHERE id = ?`, id); err != nil {
			return err
		}
		if err := s.event(ctx, tx, p, m, r, "detail_withdrawn", r.State, r.State, "", ""); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "referral.detail_withdrawn", id, "student="+itoa(r.StudentID))
	})
}
