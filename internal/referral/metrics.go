package referral

import (
	"context"
	"slices"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// Interval sums up the times from referral to first visit.
type Interval struct {
	Count  int
	Median time.Duration // exact: the mean of the two middle values when Count is even
	Mean   time.Duration
	Worst  time.Duration
}

// MetricsRow counts the referrals of a period sent to one receiving unit
// (or to all, in Metrics.Total), as they stand now.
type MetricsRow struct {
	ToUnit             int64
	ToName, ToNameEn   string
	Sent               int // referrals sent in the period
	Urgent             int
	Accepted           int // accepted at some point
	Declined           int
	Seen               int // seen at least once (a first visit)
	Closed             int
	ClosedWithFeedback int // closed after the hospital's feedback came back
	Overdue            int // awaiting a step past its deadline now
	ToFirstVisit       Interval
}

// ToLabel is the receiving unit's name in a locale.
func (m MetricsRow) ToLabel(locale string) string { return pick(locale, m.ToName, m.ToNameEn) }

// SharePercent is the share of closed referrals that were closed with
// feedback, in percent, or -1 when none closed.
func (m MetricsRow) SharePercent() float64 {
	if m.Closed == 0 {
		return -1
	}
	return 100 * float64(m.ClosedWithFeedback) / float64(m.Closed)
}

// Metrics are the referral figures of a sending unit's subtree over the
// referrals sent in [From, To), per receiving unit and in total.
type Metrics struct {
	UnitID   int64
	From, To time.Time
	Rows     []MetricsRow
	Total    MetricsRow
}

// Metrics counts the referrals sent from units in the subtree of unitID in
// [from, to), per receiving unit, each as it stands now: how many were
// accepted, declined, seen, closed and closed with feedback, how many are
// overdue, and the time from sending to the first visit. The caller needs
// referral.manage or record.read at the unit: the figures are exact.
func (s *Service) Metrics(ctx context.Context, p access.Principal, unitID int64, from, to time.Time) (*Metrics, error) {
	if from.IsZero() || !to.After(from) {
		return nil, apperr.Invalid("form.invalid", map[string]string{"to": "form.bad_date"})
	}
	out := &Metrics{UnitID: unitID, From: from, To: to}
	now := s.now()
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		var path string
		if err := tx.QueryRow(ctx, `SELECT path FROM org_units WHERE id = ?`, unitID).Scan(&path); err != nil {
			return err
		}
		// Exact counts over any days: only for those who may open the
		// referrals or the records behind them; a reader of figures only
		// reads the protected dashboard.
		_, records := p.At(access.RecordRead, path)
		if _, manage := p.At(access.ReferralManage, path); !records && !manage {
			if _, ok := p.At(access.ReportRead, path); ok {
				return apperr.New(apperr.EForbidden, "stats.exact_only")
			}
			return apperr.NotFound()
		}
		rows, err := tx.Query(ctx, `SELECT r.to_unit, tu.name, tu.name_en, r.urgency, r.state, r.sent_at, r.accepted_at, r.seen_at, r.feedback_at,
			r.due_step, r.due_at FROM referrals r JOIN org_units fu ON fu.id = r.from_unit JOIN org_units tu ON tu.id = r.to_unit
			WHERE fu.path >= ? AND fu.path < ? AND r.sent_at >= ? AND r.sent_at < ? ORDER BY r.to_unit, r.id`,
			path, access.SubtreeEnd(path), db.Micro(from), db.Micro(to))
		if err != nil {
			return err
		}
		defer rows.Close()
		byUnit := map[int64]*MetricsRow{}
		visits := map[int64][]time.Duration{}
		var all []time.Duration
		for rows.Next() {
			var unit, sent, accepted, seen, feedback, due int64
			var name, nameEn, urgency, state, step string
			if err := rows.Scan(&unit, &name, &nameEn, &urgency, &state, &sent, &accepted, &seen, &feedback, &step, &due); err != nil {
				return apperr.Internal(err)
			}
			row := byUnit[unit]
			if row == nil {
				row = &MetricsRow{ToUnit: unit, ToName: name, ToNameEn: nameEn}
				byUnit[unit] = row
			}
			for _, m := range []*MetricsRow{row, &out.Total} {
				count(m, urgency, state, accepted, seen, feedback, step != "" && due <= db.Micro(now))
			}
			if seen != 0 {
				d := max(time.Duration(seen-sent)*time.Microsecond, 0) // a visit is entered to the minute
				visits[unit] = append(visits[unit], d)
				all = append(all, d)
			}
		}
		if err := rows.Err(); err != nil {
			return apperr.Internal(err)
		}
		for _, row := range byUnit {
			row.ToFirstVisit = summarize(visits[row.ToUnit])
			out.Rows = append(out.Rows, *row)
		}
		slices.SortFunc(out.Rows, func(a, b MetricsRow) int {
			if a.Sent != b.Sent {
				return b.Sent - a.Sent
			}
			return int(a.ToUnit - b.ToUnit)
		})
		out.Total.ToFirstVisit = summarize(all)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

func count(m *MetricsRow, urgency, state string, accepted, seen, feedback int64, overdue bool) {
	m.Sent++
	if urgency == Urgent {
		m.Urgent++
	}
	if accepted != 0 {
		m.Accepted++
	}
	if seen != 0 {
		m.Seen++
	}
	switch state {
	case Declined:
		m.Declined++
	case Closed:
		m.Closed++
		if feedback != 0 {
			m.ClosedWithFeedback++
		}
	}
	if overdue {
		m.Overdue++
	}
}

// summarize returns the count, exact median, mean and worst of ds.
func summarize(ds []time.Duration) Interval {
	n := len(ds)
	if n == 0 {
		return Interval{}
	}
	slices.Sort(ds)
	med := ds[n/2]
	if n%2 == 0 {
		med = ds[n/2-1] + (ds[n/2]-ds[n/2-1])/2
	}
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return Interval{Count: n, Median: med, Mean: sum / time.Duration(n), Worst: ds[n-1]}
}
