package export

import (
	"context"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/hotline/letter"
	"github.com/careloop/careloop/internal/i18n"
)

// at formats a time for a spreadsheet ("" when unset).
func at(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.In(zone).Format("2006-01-02 15:04")
}

// yesNo is a yes or no in locale.
func yesNo(l string, b bool) string {
	if b {
		return i18n.T(l, "common.yes")
	}
	return i18n.T(l, "common.no")
}

// Letters is the station's letter list with the filter of the letters
// page (closed), read through letter's scoped, audited FindLetters: no
// letter's text, as on the page.
type Letters struct{ S *letter.Service }

// Permission is hotline.contact, as the letters page.
func (Letters) Permission() access.Permission { return access.HotlineContact }

// Header names the columns.
func (Letters) Header(l string) []string {
	var out []string
	for _, k := range []string{"letter.number", "letter.station", "letter.received", "letter.due", "letter.overdue", "letter.flagged",
		"letter.state", "letter.assignee", "letter.source"} {
		out = append(out, i18n.T(l, k))
	}
	return out
}

// Write lists the letters.
func (src Letters) Write(ctx context.Context, p access.Principal, l string, f url.Values, out Rows) error {
	list, err := src.S.FindLetters(ctx, p, letter.Filter{Closed: f.Get("closed") == "1"})
	if err != nil {
		return err
	}
	out.Total(len(list))
	for _, x := range list {
		if err := out.Row("#"+strconv.FormatInt(x.ID, 10), x.Station(l), at(x.ReceivedAt), at(x.DueAt), yesNo(l, x.Overdue),
			yesNo(l, len(x.Flags) > 0), i18n.T(l, "letter.state."+x.State), x.AssigneeName, i18n.T(l, "letter.source."+x.Source)); err != nil {
			return err
		}
	}
	return nil
}

// joinT is codes translated under prefix, joined.
func joinT(l, prefix string, codes []string) string {
	var out []string
	for _, c := range codes {
		out = append(out, i18n.T(l, prefix+c))
	}
	return strings.Join(out, "、")
}
