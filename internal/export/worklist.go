package export

import (
	"context"
	"net/url"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/care"
	"github.com/careloop/careloop/internal/i18n"
)

// Work is the caller's own work list (open alerts, follow-ups, plans to
// review, tasks), soonest first, paged through care's audited WorkList.
type Work struct{ S *care.Service }

// Permission is alert.handle, as the work page.
func (Work) Permission() access.Permission { return access.AlertHandle }

// Header names the columns.
func (Work) Header(l string) []string {
	var out []string
	for _, k := range []string{"work.kind", "alert.student", "alert.level", "alert.due", "alert.overdue"} {
		out = append(out, i18n.T(l, k))
	}
	return out
}

// Write pages through the work list.
func (src Work) Write(ctx context.Context, p access.Principal, l string, _ url.Values, out Rows) error {
	var cur care.Cursor
	for {
		list, next, err := src.S.WorkList(ctx, p, cur, page)
		if err != nil {
			return err
		}
		for _, it := range list {
			level := ""
			switch {
			case it.Level == "":
			case it.Kind == "alert":
				level = i18n.T(l, "level."+it.Level)
			default:
				level = i18n.T(l, "tier."+it.Level)
			}
			if err := out.Row(i18n.T(l, "work.kind."+it.Kind), it.StudentName, level, at(it.Due), yesNo(l, it.Overdue)); err != nil {
				return err
			}
		}
		if next == (care.Cursor{}) {
			return nil
		}
		cur = next
	}
}
