package web

import (
	"bytes"
	"net/http"
	"strconv"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/stats"
)

// briefingsView is the list of briefings and the form that drafts one.
type briefingsView struct {
	List    []stats.BriefingSummary
	Units   []org.Unit
	Periods []stats.Period
}

func (s *Server) briefings(w http.ResponseWriter, r *http.Request) {
	s.showBriefings(w, r, http.StatusOK, page{})
}

func (s *Server) showBriefings(w http.ResponseWriter, r *http.Request, status int, pg page) {
	p := principal(r)
	list, err := s.Stats.Briefings(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	units, err := s.unitsWith(r, p, access.ReportRead)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg.Title, pg.Active = "stats.briefings", "briefings"
	pg.Data = briefingsView{List: list, Units: units, Periods: periodChoices(time.Now())}
	s.render(w, r, status, "briefings", pg)
}

// periodChoices are the periods offered: the last 24 months, then the
// quarters and years of this year and the last, latest first.
func periodChoices(now time.Time) []stats.Period {
	var out []stats.Period
	for _, m := range stats.Months(now, 24) {
		out = append([]stats.Period{m}, out...)
	}
	for _, y := range []int{now.Year(), now.Year() - 1} {
		for q := 4; q >= 1; q-- {
			out = append(out, stats.Quarter(y, q))
		}
		out = append(out, stats.Year(y))
	}
	return out
}

func (s *Server) draftBriefing(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	unit, _ := strconv.ParseInt(r.PostFormValue("unit"), 10, 64)
	period, err := stats.ParsePeriod(r.PostFormValue("period"))
	if err != nil {
		s.showBriefings(w, r, http.StatusUnprocessableEntity, page{Error: "form.invalid", Fields: map[string]string{"period": "stats.bad_period"}, Form: r.PostForm})
		return
	}
	id, err := s.Stats.DraftBriefing(r.Context(), principal(r), s.Indicators, unit, period, r.PostFormValue("language"))
	switch apperr.CodeOf(err) {
	case "":
		http.Redirect(w, r, "/briefings/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	case apperr.EInvalid:
		s.showBriefings(w, r, http.StatusUnprocessableEntity, page{Error: apperr.MessageOf(err), Fields: apperr.FieldsOf(err), Form: r.PostForm})
	default:
		s.fail(w, r, err)
	}
}

// briefingView is one briefing: its rendered sections and, for its
// author, the narrative to edit.
type briefingView struct {
	B *stats.Briefing
}

// Records returns the list page behind a figure when the reader may
// follow it ("" otherwise).
func (v briefingView) Records(f stats.Figure, perms map[string]bool) string {
	if !v.B.Records || len(f.Indicator.Records) != 2 || !perms[f.Indicator.Records[1]] {
		return ""
	}
	return f.Indicator.Records[0]
}

func (s *Server) briefing(w http.ResponseWriter, r *http.Request) {
	s.showBriefing(w, r, http.StatusOK, page{}, "briefing")
}

func (s *Server) printBriefing(w http.ResponseWriter, r *http.Request) {
	s.showBriefing(w, r, http.StatusOK, page{}, "briefing_print")
}

func (s *Server) showBriefing(w http.ResponseWriter, r *http.Request, status int, pg page, tmpl string) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	b, err := s.Stats.Briefing(r.Context(), principal(r), s.Indicators, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if r.URL.Query().Get("saved") == "1" && pg.Error == "" {
		pg.Flash = "stats.briefing_saved"
	}
	pg.Title, pg.Active, pg.Data = "stats.briefing", "briefings", briefingView{B: b}
	s.render(w, r, status, tmpl, pg)
}

func (s *Server) saveBriefing(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	_ = r.ParseForm()
	e := stats.BriefingEdit{Title: r.PostFormValue("title")}
	titles, texts := r.PostForm["section_title"], r.PostForm["section_text"]
	for i := range titles {
		if i < len(texts) {
			e.Sections = append(e.Sections, stats.Section{Title: titles[i], Text: texts[i]})
		}
	}
	s.afterBriefing(w, r, s.Stats.EditBriefing(r.Context(), principal(r), s.Indicators, id, e))
}

func (s *Server) retakeBriefing(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	s.afterBriefing(w, r, s.Stats.RetakeFigures(r.Context(), principal(r), s.Indicators, id))
}

func (s *Server) afterBriefing(w http.ResponseWriter, r *http.Request, err error) {
	id, _ := pathID(r, "id")
	switch apperr.CodeOf(err) {
	case "":
		http.Redirect(w, r, "/briefings/"+strconv.FormatInt(id, 10)+"?saved=1", http.StatusSeeOther)
	case apperr.EInvalid:
		s.showBriefing(w, r, http.StatusUnprocessableEntity, page{Error: apperr.MessageOf(err), Fields: apperr.FieldsOf(err), Form: r.PostForm}, "briefing")
	default:
		s.fail(w, r, err)
	}
}

// briefingDocx sends the briefing as a Word document.
func (s *Server) briefingDocx(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	b, err := s.Stats.Briefing(r.Context(), principal(r), s.Indicators, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var buf bytes.Buffer
	if err := b.Docx(b.Locale, &buf); err != nil {
		s.serverError(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.wordprocessingml.document")
	w.Header().Set("Content-Disposition", `attachment; filename="briefing-`+strconv.FormatInt(id, 10)+`-`+b.Period.String()+`.docx"`)
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(buf.Bytes())
}
