package export

import (
	"context"
	"net/url"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/i18n"
	"github.com/careloop/careloop/internal/sharing"
)

// Meetings is the list of joint meetings the caller may see, latest
// first, read through sharing's scoped Meetings.
type Meetings struct{ S *sharing.Service }

// Permission is meeting.manage.
func (Meetings) Permission() access.Permission { return access.MeetingManage }

// Header names the columns.
func (Meetings) Header(l string) []string {
	var out []string
	for _, k := range []string{"meeting.date", "meeting.title_field", "meeting.convening"} {
		out = append(out, i18n.T(l, k))
	}
	return out
}

// Write lists the meetings.
func (src Meetings) Write(ctx context.Context, p access.Principal, l string, _ url.Values, out Rows) error {
	list, err := src.S.Meetings(ctx, p)
	if err != nil {
		return err
	}
	out.Total(len(list))
	for _, m := range list {
		if err := out.Row(m.HeldAt.In(zone).Format("2006-01-02"), m.Title, m.Convening.Display(l)); err != nil {
			return err
		}
	}
	return nil
}
