package export

import (
	"context"
	"net/url"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/i18n"
	"github.com/careloop/careloop/internal/referral"
	"github.com/careloop/careloop/internal/warning"
)

// page is how many rows a source reads at a time through its service's
// own (scoped, audited) list.
const page = 200

var zone = time.FixedZone("CST", 8*3600)

// when formats a time of the loop for a spreadsheet ("" when unset).
func when(micro int64) string {
	if micro == 0 {
		return ""
	}
	return db.FromMicro(micro).In(zone).Format("2006-01-02 15:04")
}

// Alerts is the alert list with the filters of the alerts page (mine,
// overdue, all, level), read through warning's scoped list.
type Alerts struct{ S *warning.Service }

// Permission is alert.handle.
func (Alerts) Permission() access.Permission { return access.AlertHandle }

// Header names the columns.
func (Alerts) Header(l string) []string {
	var out []string
	for _, k := range []string{"alert.level", "alert.student", "student.school", "alert.state", "alert.owner", "alert.raised",
		"alert.ack_due", "alert.acknowledged_at", "alert.contact_due", "alert.first_contact_at", "alert.closed_at", "alert.decision"} {
		out = append(out, i18n.T(l, k))
	}
	return out
}

// Write pages through the caller's alerts.
func (src Alerts) Write(ctx context.Context, p access.Principal, l string, f url.Values, out Rows) error {
	filter := warning.AlertFilter{Mine: f.Get("mine") == "1", Open: f.Get("all") != "1", Overdue: f.Get("overdue") == "1", Level: f.Get("level"), Limit: page}
	for {
		list, err := src.S.FindAlerts(ctx, p, filter)
		if err != nil {
			return err
		}
		for _, a := range list {
			decision := ""
			if a.Decision != "" {
				decision = i18n.T(l, "alert.decision_"+a.Decision)
			}
			if err := out.Row(i18n.T(l, "level."+a.Level), a.StudentName, a.School(l), i18n.T(l, "alert.state_"+a.State), a.OwnerName,
				when(a.RaisedAt), when(a.AckDueAt), when(a.AcknowledgedAt), when(a.ContactDueAt), when(a.FirstContactAt), when(a.ClosedAt), decision); err != nil {
				return err
			}
		}
		if len(list) < page {
			return nil
		}
		filter.After = list[len(list)-1].ID
	}
}

// Referrals is the list of referrals the caller follows ("all": closed
// ones too), read through referral's scoped list.
type Referrals struct{ S *referral.Service }

// Permission is referral.manage.
func (Referrals) Permission() access.Permission { return access.ReferralManage }

// Header names the columns.
func (Referrals) Header(l string) []string {
	var out []string
	for _, k := range []string{"referral.child", "referral.to_unit", "referral.urgency", "referral.state", "referral.sent_at",
		"referral.accepted_at", "referral.appointment_at", "referral.seen_at", "referral.feedback_at", "referral.closed_at"} {
		out = append(out, i18n.T(l, k))
	}
	return out
}

// Write pages through the caller's referrals.
func (src Referrals) Write(ctx context.Context, p access.Principal, l string, f url.Values, out Rows) error {
	filter := referral.Filter{Open: f.Get("all") != "1", Limit: page}
	t := func(at time.Time) string {
		if at.IsZero() {
			return ""
		}
		return at.In(zone).Format("2006-01-02 15:04")
	}
	for {
		list, err := src.S.FindSent(ctx, p, filter)
		if err != nil {
			return err
		}
		for _, r := range list {
			child := r.Child.Name
			if child == "" {
				child = i18n.T(l, "referral.anonymous")
			}
			if err := out.Row(child, r.ToLabel(l), i18n.T(l, "referral.urgency."+r.Urgency), i18n.T(l, "referral.state."+r.State),
				t(r.SentAt), t(r.AcceptedAt), t(r.AppointmentAt), t(r.SeenAt), t(r.FeedbackAt), t(r.ClosedAt)); err != nil {
				return err
			}
		}
		if len(list) < page {
			return nil
		}
		filter.After = list[len(list)-1].ID
	}
}
