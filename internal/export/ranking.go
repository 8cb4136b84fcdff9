package export

import (
	"context"
	"math"
	"net/url"
	"strconv"
	"strings"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/i18n"
	"github.com/careloop/careloop/internal/outreach"
)

// VenueRanking is the whole ranking of one venue rating (filter rating),
// read through outreach's scoped Ranking: a row per venue, its score on
// each criterion in one cell ("—" where not scored).
type VenueRanking struct{ S *outreach.Service }

// Permission is outreach.manage, as the ranking page.
func (VenueRanking) Permission() access.Permission { return access.OutreachManage }

// Header names the columns.
func (VenueRanking) Header(l string) []string {
	var out []string
	for _, k := range []string{"venue.rank", "venue.name", "venue.unit", "venue.scores", "venue.total", "venue.percent"} {
		out = append(out, i18n.T(l, k))
	}
	return out
}

// Write writes a row per ranked venue.
func (src VenueRanking) Write(ctx context.Context, p access.Principal, l string, f url.Values, out Rows) error {
	id, _ := strconv.ParseInt(f.Get("rating"), 10, 64)
	r, err := src.S.Ranking(ctx, p, id)
	if err != nil {
		return err
	}
	out.Total(len(r.Rows))
	for _, row := range r.Rows {
		var scores []string
		for i, c := range r.Criteria {
			v := "—"
			if i < len(row.Scores) && row.Scores[i] >= 0 {
				v = strconv.FormatInt(row.Scores[i], 10)
			}
			scores = append(scores, c.Display(l)+" "+v)
		}
		if err := out.Row(row.Rank, row.Venue.Name, row.Venue.Unit.Display(l), strings.Join(scores, "; "), row.Total,
			math.Round(row.Percent*10)/10); err != nil {
			return err
		}
	}
	return nil
}
