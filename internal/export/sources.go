package export

import (
	"context"
	"net/url"
	"strconv"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/i18n"
	"github.com/careloop/careloop/internal/stats"
	"github.com/careloop/careloop/internal/student"
)

// Students is the student list of the caller's record.read scope, with the
// filters of the students page (school, grade, class, q, status).
type Students struct{ S *student.Service }

// Permission is record.read.
func (Students) Permission() access.Permission { return access.RecordRead }

// Header names the columns.
func (Students) Header(l string) []string {
	var out []string
	for _, k := range []string{"student.no", "student.name", "student.gender", "student.birth_date", "student.school", "student.grade", "student.class", "student.status"} {
		out = append(out, i18n.T(l, k))
	}
	return out
}

// Write streams the students.
func (src Students) Write(ctx context.Context, p access.Principal, l string, f url.Values, out Rows) error {
	filter := student.StudentFilter{Query: f.Get("q"), ClassName: f.Get("class"), Status: f.Get("status")}
	filter.SchoolID, _ = strconv.ParseInt(f.Get("school"), 10, 64)
	filter.Grade, _ = strconv.Atoi(f.Get("grade"))
	return src.S.ExportStudents(ctx, p, filter, func(st *student.Student) error {
		school := st.SchoolName
		if l == "en" && st.SchoolNameEn != "" {
			school = st.SchoolNameEn
		}
		return out.Row(st.StudentNo, st.Name, i18n.T(l, "gender."+st.Gender), st.BirthDate, school, st.Grade, st.ClassName, i18n.T(l, "student.status_"+st.Status))
	})
}

// Figures is a dashboard's table: the unit and the next level down, every
// indicator, for a period (unit, period, part), as the caller reads them.
type Figures struct {
	S   *stats.Service
	Reg *stats.Registry
}

// Permission is report.read.
func (Figures) Permission() access.Permission { return access.ReportRead }

// Header names the columns: the unit, then every indicator.
func (src Figures) Header(l string) []string {
	out := []string{i18n.T(l, "stats.unit")}
	for _, in := range src.Reg.List {
		out = append(out, in.Label(l))
	}
	return out
}

// Write writes the unit's row and its rows.
func (src Figures) Write(ctx context.Context, p access.Principal, l string, f url.Values, out Rows) error {
	unit, _ := strconv.ParseInt(f.Get("unit"), 10, 64)
	period, err := stats.ParsePeriod(f.Get("period"))
	if err != nil {
		return apperr.Invalid("form.invalid", map[string]string{"period": "stats.bad_period"})
	}
	d, err := src.S.Dashboard(ctx, p, src.Reg, unit, period, f.Get("part"))
	if err != nil {
		return err
	}
	out.Total(len(d.Rows) + 1)
	row := func(name string, figs map[string]stats.Figure) error {
		cells := []any{name}
		for _, in := range src.Reg.List {
			cells = append(cells, cell(figs[in.ID]))
		}
		return out.Row(cells...)
	}
	if err := row(d.Unit.DisplayName(l)+" "+d.Part, d.Figures); err != nil {
		return err
	}
	for _, r := range d.Rows {
		name := r.Unit.DisplayName(l)
		if r.Part != "" {
			name += " " + r.Part
		}
		if err := row(name, r.Figures); err != nil {
			return err
		}
	}
	return nil
}

// cell is a figure in a spreadsheet: a number when it is one, else its text.
func cell(f stats.Figure) any {
	if f.Hidden || f.Withheld || f.None || f.Indicator.Ratio != nil {
		return f.Text()
	}
	return int64(f.Value)
}
