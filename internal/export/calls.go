package export

import (
	"context"
	"net/url"
	"strconv"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/hotline/phone"
	"github.com/careloop/careloop/internal/i18n"
)

// Calls is the page of calls the phone page shows (the latest of the
// caller's stations, at most 100, or those before filter before), read
// through phone's scoped FindCalls: no caller number, no recording.
type Calls struct{ S *phone.Service }

// Permission is hotline.contact, as the phone page.
func (Calls) Permission() access.Permission { return access.HotlineContact }

// Header names the columns.
func (Calls) Header(l string) []string {
	var out []string
	for _, k := range []string{"phone.offered_at", "phone.station", "phone.state", "phone.end_reason", "phone.wait_seconds", "phone.talk_seconds",
		"phone.transfers", "phone.contact"} {
		out = append(out, i18n.T(l, k))
	}
	return out
}

// Write lists the calls.
func (src Calls) Write(ctx context.Context, p access.Principal, l string, f url.Values, out Rows) error {
	list, err := src.S.FindCalls(ctx, p, f.Get("before"))
	if err != nil {
		return err
	}
	out.Total(len(list))
	for _, c := range list {
		station := c.Station
		if l == "en" && c.StationEn != "" {
			station = c.StationEn
		}
		reason, contact := "", ""
		if c.EndReason != "" {
			reason = i18n.T(l, "phone.reason."+c.EndReason)
		}
		if c.ContactID != 0 {
			contact = "#" + strconv.FormatInt(c.ContactID, 10)
		}
		if err := out.Row(at(c.OfferedAt), station, i18n.T(l, "phone.state."+c.State), reason, int64(c.Wait().Seconds()),
			int64(c.Talk().Seconds()), c.Transfers, contact); err != nil {
			return err
		}
	}
	return nil
}
