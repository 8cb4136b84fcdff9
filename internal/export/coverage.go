package export

import (
	"context"
	"net/url"
	"strconv"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/i18n"
	"github.com/careloop/careloop/internal/workforce"
)

// Coverage is the coverage of schools by psychology teachers per district
// and its total, read through workforce's scoped, audited Coverage.
type Coverage struct{ S *workforce.Service }

// Permission is report.read, as the coverage page.
func (Coverage) Permission() access.Permission { return access.ReportRead }

// Header names the columns.
func (Coverage) Header(l string) []string {
	var out []string
	for _, k := range []string{"coverage.district", "coverage.schools", "coverage.full", "coverage.part_only", "coverage.none", "coverage.share", "coverage.target"} {
		out = append(out, i18n.T(l, k))
	}
	return out
}

// Write writes a row per district, then the total.
func (src Coverage) Write(ctx context.Context, p access.Principal, l string, _ url.Values, out Rows) error {
	c, err := src.S.Coverage(ctx, p)
	if err != nil {
		return err
	}
	out.Total(len(c.Districts) + 1)
	row := func(name string, d workforce.DistrictCoverage) error {
		met := i18n.T(l, "coverage.not_met")
		if d.Met() {
			met = i18n.T(l, "coverage.met")
		}
		return out.Row(name, d.Schools, d.Full, d.PartOnly, d.None, d.Share(), met)
	}
	for _, d := range c.Districts {
		if err := row(d.District.Display(l), d); err != nil {
			return err
		}
	}
	return row(i18n.T(l, "coverage.total"), c.Total)
}

// CoverageGaps is the list of schools without a psychology teacher, of a
// district (filter district) or the whole scope, read through workforce's
// scoped, audited Uncovered.
type CoverageGaps struct{ S *workforce.Service }

// Permission is report.read, as the page of gaps.
func (CoverageGaps) Permission() access.Permission { return access.ReportRead }

// Header names the columns.
func (CoverageGaps) Header(l string) []string {
	return []string{i18n.T(l, "coverage.school"), i18n.T(l, "coverage.district")}
}

// Write writes a row per school.
func (src CoverageGaps) Write(ctx context.Context, p access.Principal, l string, f url.Values, out Rows) error {
	district, _ := strconv.ParseInt(f.Get("district"), 10, 64)
	list, err := src.S.Uncovered(ctx, p, district)
	if err != nil {
		return err
	}
	out.Total(len(list))
	for _, sc := range list {
		if err := out.Row(sc.Unit.Display(l), sc.District.Display(l)); err != nil {
			return err
		}
	}
	return nil
}
