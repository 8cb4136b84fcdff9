package export

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/i18n"
	"github.com/careloop/careloop/internal/outreach"
	"github.com/careloop/careloop/internal/workforce"
)

// Registry is the counsellor registry of the caller's units, with the
// filters of the registry page (unit, person_kind, tier, mark).
type Registry struct{ S *workforce.Service }

// Permission is workforce.manage.
func (Registry) Permission() access.Permission { return access.WorkforceManage }

// Header names the columns.
func (Registry) Header(l string) []string {
	var out []string
	for _, k := range []string{"workforce.name", "workforce.unit", "workforce.kind", "workforce.tier", "workforce.certs"} {
		out = append(out, i18n.T(l, k))
	}
	return out
}

// Write lists the registry.
func (src Registry) Write(ctx context.Context, p access.Principal, l string, f url.Values, out Rows) error {
	filter := workforce.Filter{Kind: f.Get("person_kind"), Tier: f.Get("tier"), Mark: f.Get("mark")}
	filter.UnitID, _ = strconv.ParseInt(f.Get("unit"), 10, 64)
	list, err := src.S.People(ctx, p, filter)
	if err != nil {
		return err
	}
	out.Total(len(list))
	for _, pr := range list {
		var certs []string
		for _, c := range pr.Certs {
			name := c.Level.Name
			if l == "en" && c.Level.NameEn != "" {
				name = c.Level.NameEn
			}
			certs = append(certs, name+" "+c.Issued.In(zone).Format("2006-01-02")+"–"+c.Expires.In(zone).Format("2006-01-02"))
		}
		if err := out.Row(pr.Name, pr.Unit.Display(l), i18n.T(l, "workforce.kind."+pr.Kind), i18n.T(l, "workforce.tier."+pr.Tier),
			strings.Join(certs, "; ")); err != nil {
			return err
		}
	}
	return nil
}

// Activities is the outreach activities of the caller's units, with the
// filters of the activities page (unit, activity_kind, series, from, to).
type Activities struct{ S *outreach.Service }

// Permission is outreach.manage.
func (Activities) Permission() access.Permission { return access.OutreachManage }

// Header names the columns.
func (Activities) Header(l string) []string {
	var out []string
	for _, k := range []string{"outreach.date", "outreach.title_field", "outreach.kind", "outreach.series", "outreach.where", "outreach.attendance"} {
		out = append(out, i18n.T(l, k))
	}
	return out
}

// Write lists the activities.
func (src Activities) Write(ctx context.Context, p access.Principal, l string, f url.Values, out Rows) error {
	filter := outreach.Filter{Kind: f.Get("activity_kind")}
	filter.Unit, _ = strconv.ParseInt(f.Get("unit"), 10, 64)
	filter.SeriesID, _ = strconv.ParseInt(f.Get("series"), 10, 64)
	if t, err := time.ParseInLocation("2006-01-02", f.Get("from"), zone); err == nil {
		filter.From = t
	}
	if t, err := time.ParseInLocation("2006-01-02", f.Get("to"), zone); err == nil {
		filter.To = t
	}
	list, _, err := src.S.Activities(ctx, p, filter)
	if err != nil {
		return err
	}
	out.Total(len(list))
	for _, a := range list {
		if err := out.Row(a.StartsAt.In(zone).Format("2006-01-02 15:04"), a.Title, i18n.T(l, "outreach.kind."+a.Kind), a.Series, a.Where(), a.Attendance); err != nil {
			return err
		}
	}
	return nil
}
