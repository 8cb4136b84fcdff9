package export

import (
	"context"
	"net/url"
	"strconv"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/i18n"
	"github.com/careloop/careloop/internal/referral"
)

// Hospital is a hospital's or agency's inbox of referrals sent to the
// caller's units ("all": closed and declined ones too), paged through
// referral's scoped, audited FindIncoming.
type Hospital struct{ S *referral.Service }

// Permission is referral.hospital, as the inbox.
func (Hospital) Permission() access.Permission { return access.ReferralHospital }

// Header names the columns.
func (Hospital) Header(l string) []string {
	var out []string
	for _, k := range []string{"referral.number", "referral.child", "referral.child_age", "referral.from_unit", "referral.urgency", "referral.state",
		"referral.sent_at", "referral.awaiting", "referral.step_due", "referral.overdue"} {
		out = append(out, i18n.T(l, k))
	}
	return out
}

// Write pages through the inbox.
func (src Hospital) Write(ctx context.Context, p access.Principal, l string, f url.Values, out Rows) error {
	filter := referral.Filter{Open: f.Get("all") != "1", Limit: page}
	for {
		list, err := src.S.FindIncoming(ctx, p, filter)
		if err != nil {
			return err
		}
		for _, r := range list {
			child := r.Child.Name
			if child == "" {
				child = i18n.T(l, "referral.anonymous")
			}
			var age any = ""
			if r.Child.Age > 0 {
				age = r.Child.Age
			}
			step, due := "", ""
			if r.DueStep != "" {
				step, due = i18n.T(l, "referral.step."+r.DueStep), at(r.DueAt)
			}
			if err := out.Row("#"+strconv.FormatInt(r.ID, 10), child, age, r.FromLabel(l), i18n.T(l, "referral.urgency."+r.Urgency),
				i18n.T(l, "referral.state."+r.State), at(r.SentAt), step, due, yesNo(l, r.Overdue)); err != nil {
				return err
			}
		}
		if len(list) < page {
			return nil
		}
		filter.After = list[len(list)-1].ID
	}
}
