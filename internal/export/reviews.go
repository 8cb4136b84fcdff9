package export

import (
	"context"
	"net/url"
	"strconv"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/care"
	"github.com/careloop/careloop/internal/i18n"
)

// Reviews is the risk reviews held by a unit and its subtree (filter
// unit), newest first, read through care's scoped FindReviews: no
// minutes, as on the page.
type Reviews struct{ S *care.Service }

// Permission is review.manage, as the reviews page.
func (Reviews) Permission() access.Permission { return access.ReviewManage }

// Header names the columns.
func (Reviews) Header(l string) []string {
	return []string{i18n.T(l, "review.held_at"), i18n.T(l, "review.kind"), i18n.T(l, "review.attendees"), i18n.T(l, "review.decisions")}
}

// Write lists the reviews.
func (src Reviews) Write(ctx context.Context, p access.Principal, l string, f url.Values, out Rows) error {
	unit, _ := strconv.ParseInt(f.Get("unit"), 10, 64)
	list, err := src.S.FindReviews(ctx, p, unit)
	if err != nil {
		return err
	}
	out.Total(len(list))
	for _, r := range list {
		if err := out.Row(at(r.HeldAt), i18n.T(l, "review.kind_"+r.Kind), len(r.Attendees), r.DecisionCount); err != nil {
			return err
		}
	}
	return nil
}
