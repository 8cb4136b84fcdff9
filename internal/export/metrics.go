package export

import (
	"context"
	"math"
	"net/url"
	"strconv"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/care"
	"github.com/careloop/careloop/internal/i18n"
	"github.com/careloop/careloop/internal/referral"
)

// period reads the filters from and to (YYYY-MM-DD, China time, to
// inclusive) as the metrics pages do: to defaults to today and from to
// back days before to. It returns [from, to+1 day).
func period(f url.Values, back int) (time.Time, time.Time, error) {
	now := time.Now().In(zone)
	to := time.Date(now.Year(), now.Month(), now.Day(), 0, 0, 0, 0, zone)
	from := to.AddDate(0, 0, -back)
	if v := f.Get("to"); v != "" {
		t, err := time.ParseInLocation("2006-01-02", v, zone)
		if err != nil {
			return time.Time{}, time.Time{}, apperr.Invalid("form.invalid", map[string]string{"to": "form.bad_date"})
		}
		to, from = t, t.AddDate(0, 0, -back)
	}
	if v := f.Get("from"); v != "" {
		t, err := time.ParseInLocation("2006-01-02", v, zone)
		if err != nil {
			return time.Time{}, time.Time{}, apperr.Invalid("form.invalid", map[string]string{"from": "form.bad_date"})
		}
		from = t
	}
	return from, to.AddDate(0, 0, 1), nil
}

// durHours is a duration in hours with one decimal, a number in the sheet.
func durHours(d time.Duration) float64 { return math.Round(d.Hours()*10) / 10 }

// LoopMetrics is the loop's figures of a unit for a period, with the
// filters of the loop page (unit, from, to), read through care's scoped
// LoopMetrics: a row per figure.
type LoopMetrics struct{ S *care.Service }

// Permission is report.read, as the loop page.
func (LoopMetrics) Permission() access.Permission { return access.ReportRead }

// Header names the columns.
func (LoopMetrics) Header(l string) []string {
	var out []string
	for _, k := range []string{"loop.figure", "loop.count", "loop.median_hours", "loop.worst_hours"} {
		out = append(out, i18n.T(l, k))
	}
	return out
}

// Write writes a row per figure.
func (src LoopMetrics) Write(ctx context.Context, p access.Principal, l string, f url.Values, out Rows) error {
	unit, _ := strconv.ParseInt(f.Get("unit"), 10, 64)
	from, to, err := period(f, 30)
	if err != nil {
		return err
	}
	m, err := src.S.LoopMetrics(ctx, p, unit, from, to)
	if err != nil {
		return err
	}
	rows := loopRows(l, m)
	out.Total(len(rows))
	for _, r := range rows {
		if err := out.Row(r...); err != nil {
			return err
		}
	}
	return nil
}

// loopRows are the rows of the loop's figures m in locale l.
func loopRows(l string, m *care.Metrics) [][]any {
	rows := [][]any{{i18n.T(l, "loop.alerts"), m.Alerts, "", ""}}
	for _, lv := range []string{"red", "orange", "yellow"} {
		rows = append(rows, []any{i18n.T(l, "loop.alerts") + " · " + i18n.T(l, "level."+lv), m.AlertsByLevel[lv], "", ""})
	}
	for _, iv := range []struct {
		key string
		v   care.Interval
	}{{"loop.signal_to_alert", m.SignalToAlert}, {"loop.alert_to_ack", m.AlertToAck}, {"loop.alert_to_contact", m.AlertToContact}, {"loop.alert_to_plan", m.AlertToPlan}} {
		if iv.v.Count == 0 {
			rows = append(rows, []any{i18n.T(l, iv.key), 0, "", ""})
			continue
		}
		rows = append(rows, []any{i18n.T(l, iv.key), iv.v.Count, durHours(iv.v.Median), durHours(iv.v.Worst)})
	}
	for _, n := range []struct {
		key string
		v   int
	}{{"loop.ack_past_deadline", m.AckPastDeadline}, {"loop.contact_past_deadline", m.ContactPastDeadline}, {"loop.alerts_past_deadline", m.AlertsPastDeadline},
		{"loop.follow_ups_due", m.FollowUpsDue}, {"loop.follow_ups_overdue", m.FollowUpsOverdue}, {"loop.lost", m.StudentsLostToFollowUp}} {
		rows = append(rows, []any{i18n.T(l, n.key), n.v, "", ""})
	}
	for _, s := range []struct {
		key string
		v   care.SessionFigures
	}{{"loop.individual", m.IndividualSessions}, {"loop.group", m.GroupSessions}} {
		name := i18n.T(l, s.key)
		rows = append(rows, []any{i18n.T(l, "loop.sessions_n", name), s.v.Sessions, "", ""},
			[]any{i18n.T(l, "loop.person_times_n", name), s.v.PersonTimes, "", ""},
			[]any{i18n.T(l, "loop.people_n", name), s.v.People, "", ""})
	}
	return rows
}

// ReferralMetrics is the figures of a unit's referrals per receiving unit
// and their total, with the filters of the referral metrics page (unit,
// from, to), read through referral's scoped Metrics.
type ReferralMetrics struct{ S *referral.Service }

// Permission is report.read, as the referral metrics page.
func (ReferralMetrics) Permission() access.Permission { return access.ReportRead }

// Header names the columns.
func (ReferralMetrics) Header(l string) []string {
	var out []string
	for _, k := range []string{"referral.to_unit", "referral.m_sent", "referral.urgency.urgent", "referral.m_accepted", "referral.state.declined",
		"referral.m_seen", "referral.m_to_visit_median_hours", "referral.m_to_visit_mean_hours", "referral.m_closed", "referral.m_closed_feedback",
		"referral.overdue"} {
		out = append(out, i18n.T(l, k))
	}
	return out
}

// Write writes a row per receiving unit, then the total.
func (src ReferralMetrics) Write(ctx context.Context, p access.Principal, l string, f url.Values, out Rows) error {
	unit, _ := strconv.ParseInt(f.Get("unit"), 10, 64)
	from, to, err := period(f, 90)
	if err != nil {
		return err
	}
	m, err := src.S.Metrics(ctx, p, unit, from, to)
	if err != nil {
		return err
	}
	out.Total(len(m.Rows) + 1)
	for _, r := range m.Rows {
		if err := out.Row(referralMetricsRow(l, r.ToLabel(l), r)...); err != nil {
			return err
		}
	}
	return out.Row(referralMetricsRow(l, i18n.T(l, "referral.m_total"), m.Total)...)
}

// referralMetricsRow is one row of referral figures named name.
func referralMetricsRow(l, name string, r referral.MetricsRow) []any {
	var med, mean any = "", ""
	if r.ToFirstVisit.Count > 0 {
		med, mean = durHours(r.ToFirstVisit.Median), durHours(r.ToFirstVisit.Mean)
	}
	return []any{name, r.Sent, r.Urgent, r.Accepted, r.Declined, r.Seen, med, mean, r.Closed, r.ClosedWithFeedback, r.Overdue}
}
