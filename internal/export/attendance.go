package export

import (
	"context"
	"net/url"
	"strconv"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/i18n"
	"github.com/careloop/careloop/internal/training"
)

// Attendance is the attendance list of one training session (filter
// session), read through training's scoped FindSession.
type Attendance struct{ S *training.Service }

// Permission is training.manage, as the session page.
func (Attendance) Permission() access.Permission { return access.TrainingManage }

// Header names the columns.
func (Attendance) Header(l string) []string {
	var out []string
	for _, k := range []string{"training.person", "training.username", "training.unit", "training.how", "training.present",
		"training.attended_how", "training.attended_at", "training.hours"} {
		out = append(out, i18n.T(l, k))
	}
	return out
}

// Write writes a row per person enrolled.
func (src Attendance) Write(ctx context.Context, p access.Principal, l string, f url.Values, out Rows) error {
	id, _ := strconv.ParseInt(f.Get("session"), 10, 64)
	s, err := src.S.FindSession(ctx, p, id)
	if err != nil {
		return err
	}
	out.Total(len(s.Enrolments))
	for _, e := range s.Enrolments {
		var how, when, hrs any = "", "", ""
		if e.Attended {
			how, when, hrs = i18n.T(l, "training.by."+e.AttendedHow), at(e.AttendedAt), hours(e.Minutes)
		}
		if err := out.Row(e.Name, e.Username, e.Unit.Display(l), i18n.T(l, "training.how."+e.How), yesNo(l, e.Attended), how, when, hrs); err != nil {
			return err
		}
	}
	return nil
}
