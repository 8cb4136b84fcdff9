package export

import (
	"context"
	"net/url"
	"strings"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/i18n"
	"github.com/careloop/careloop/internal/outreach"
)

// Venues is the venues of the caller's units with the filter of the
// venues page (venue_kind), read through outreach's scoped Venues.
type Venues struct{ S *outreach.Service }

// Permission is outreach.manage.
func (Venues) Permission() access.Permission { return access.OutreachManage }

// Header names the columns.
func (Venues) Header(l string) []string {
	var out []string
	for _, k := range []string{"venue.name", "venue.kind", "venue.unit", "venue.address", "venue.opening_hours", "venue.facilities", "venue.active"} {
		out = append(out, i18n.T(l, k))
	}
	return out
}

// Write lists the venues.
func (src Venues) Write(ctx context.Context, p access.Principal, l string, f url.Values, out Rows) error {
	list, err := src.S.Venues(ctx, p, outreach.VenueFilter{Kind: f.Get("venue_kind")})
	if err != nil {
		return err
	}
	out.Total(len(list))
	for _, v := range list {
		active := i18n.T(l, "common.no")
		if v.Active {
			active = i18n.T(l, "common.yes")
		}
		if err := out.Row(v.Name, i18n.T(l, "venue.kind."+v.Kind), v.Unit.Display(l), v.Address, v.OpeningHours,
			strings.Join(v.Facilities, "、"), active); err != nil {
			return err
		}
	}
	return nil
}
