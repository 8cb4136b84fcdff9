package export

import (
	"context"
	"net/url"
	"strconv"
	"strings"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/i18n"
	"github.com/careloop/careloop/internal/screening"
)

// Campaigns is the list of screening campaigns the caller may see, newest
// first, read through screening's scoped FindCampaigns.
type Campaigns struct{ S *screening.Service }

// Permission is report.read, as the campaigns page.
func (Campaigns) Permission() access.Permission { return access.ReportRead }

// Header names the columns.
func (Campaigns) Header(l string) []string {
	var out []string
	for _, k := range []string{"campaign.name", "campaign.owner", "campaign.opens", "campaign.closes", "campaign.instruments"} {
		out = append(out, i18n.T(l, k))
	}
	return out
}

// Write lists the campaigns.
func (src Campaigns) Write(ctx context.Context, p access.Principal, l string, _ url.Values, out Rows) error {
	list, err := src.S.FindCampaigns(ctx, p)
	if err != nil {
		return err
	}
	titles := map[string]string{}
	for _, inst := range src.S.Instruments() {
		titles[inst.ID] = inst.Title.Get(l)
	}
	out.Total(len(list))
	for _, c := range list {
		var names []string
		for _, id := range c.Instruments {
			if t := titles[id]; t != "" {
				names = append(names, t)
			} else {
				names = append(names, id)
			}
		}
		if err := out.Row(c.Name, c.OrgName, at(c.StartsAt), at(c.EndsAt), strings.Join(names, ", ")); err != nil {
			return err
		}
	}
	return nil
}

// CampaignSummary is a campaign's tier counts by school (filter campaign),
// small counts hidden as on the summary page, read through screening's
// scoped TierSummary.
type CampaignSummary struct{ S *screening.Service }

// Permission is report.read, as the summary page.
func (CampaignSummary) Permission() access.Permission { return access.ReportRead }

// Header names the columns: the school, each tier, the screened.
func (CampaignSummary) Header(l string) []string {
	out := []string{i18n.T(l, "student.school")}
	for _, t := range screening.TierOrder {
		out = append(out, i18n.T(l, "tier."+t))
	}
	return append(out, i18n.T(l, "campaign.screened"))
}

// Write writes a row per school; a hidden count is "<5".
func (src CampaignSummary) Write(ctx context.Context, p access.Principal, l string, f url.Values, out Rows) error {
	id, _ := strconv.ParseInt(f.Get("campaign"), 10, 64)
	list, err := src.S.TierSummary(ctx, p, id)
	if err != nil {
		return err
	}
	count := func(n int) any {
		if n < 0 {
			return "<" + strconv.Itoa(screening.SmallCount)
		}
		return n
	}
	out.Total(len(list))
	for _, s := range list {
		name := s.SchoolName
		if l == "en" && s.SchoolEn != "" {
			name = s.SchoolEn
		}
		cells := []any{name}
		for _, n := range s.Counts {
			cells = append(cells, count(n))
		}
		if err := out.Row(append(cells, count(s.Screened))...); err != nil {
			return err
		}
	}
	return nil
}
