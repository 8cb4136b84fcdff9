package export

import (
	"context"
	"math"
	"net/url"
	"strconv"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/i18n"
	"github.com/careloop/careloop/internal/training"
)

// trainingReport reads the training report of the filters of the reports
// page (unit, from, to: YYYY-MM-DD, China time, to inclusive; the page's
// defaults when absent) through training's scoped, audited Report.
func trainingReport(ctx context.Context, s *training.Service, p access.Principal, f url.Values) (*training.Report, error) {
	now := time.Now().In(zone)
	from, to := f.Get("from"), f.Get("to")
	if from == "" {
		from = time.Date(now.Year(), 1, 1, 0, 0, 0, 0, zone).Format("2006-01-02")
	}
	if to == "" {
		to = now.Format("2006-01-02")
	}
	a, ferr := time.ParseInLocation("2006-01-02", from, zone)
	b, terr := time.ParseInLocation("2006-01-02", to, zone)
	if ferr != nil || terr != nil {
		return nil, apperr.Invalid("form.invalid", map[string]string{"to": "training.bad_period"})
	}
	unit, _ := strconv.ParseInt(f.Get("unit"), 10, 64)
	return s.Report(ctx, p, unit, a, b.AddDate(0, 0, 1))
}

// hours is minutes as hours with one decimal, a number in the sheet.
func hours(minutes int64) float64 { return math.Round(float64(minutes)/6) / 10 }

// Training is the training report of a unit for a period: sessions held,
// person-times, people and hours per child unit, the unit's own, and the
// total, with the filters of the reports page (unit, from, to).
type Training struct{ S *training.Service }

// Permission is training.manage.
func (Training) Permission() access.Permission { return access.TrainingManage }

// Header names the columns.
func (Training) Header(l string) []string {
	var out []string
	for _, k := range []string{"training.unit", "training.sessions_held", "training.person_times", "training.people", "training.hours"} {
		out = append(out, i18n.T(l, k))
	}
	return out
}

// Write writes a row per unit of the report, then the total.
func (src Training) Write(ctx context.Context, p access.Principal, l string, f url.Values, out Rows) error {
	rep, err := trainingReport(ctx, src.S, p, f)
	if err != nil {
		return err
	}
	out.Total(len(rep.Rows) + 1)
	for _, r := range rep.Rows {
		name := r.Unit.Display(l)
		if r.Own {
			name += " (" + i18n.T(l, "training.own_unit") + ")"
		}
		if err := out.Row(name, r.Sessions, r.PersonTimes, r.People, hours(r.Minutes)); err != nil {
			return err
		}
	}
	t := rep.Total
	return out.Row(i18n.T(l, "training.total"), t.Sessions, t.PersonTimes, t.People, hours(t.Minutes))
}

// TrainingMissing is the report's list of who still lacks a required
// training, with the filters of the reports page (unit, from, to).
type TrainingMissing struct{ S *training.Service }

// Permission is training.manage.
func (TrainingMissing) Permission() access.Permission { return access.TrainingManage }

// Header names the columns.
func (TrainingMissing) Header(l string) []string {
	var out []string
	for _, k := range []string{"training.person", "training.username", "training.unit", "training.role", "training.course"} {
		out = append(out, i18n.T(l, k))
	}
	return out
}

// Write writes a row per person and course lacking.
func (src TrainingMissing) Write(ctx context.Context, p access.Principal, l string, f url.Values, out Rows) error {
	rep, err := trainingReport(ctx, src.S, p, f)
	if err != nil {
		return err
	}
	out.Total(len(rep.Missing))
	for _, m := range rep.Missing {
		if err := out.Row(m.Name, m.Username, m.Unit.Display(l), i18n.T(l, "role."+m.Role), m.CourseTitle(l)); err != nil {
			return err
		}
	}
	return nil
}
