package web

import (
	"net/http"
	"slices"
	"strconv"
	"strings"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/hotline"
	"github.com/careloop/careloop/internal/hotline/station"
	"github.com/careloop/careloop/internal/hotline/taxonomy"
)

// supervisionView is the supervisor's page: a sample to review, contacts
// waiting for a debrief, and the reviews and debriefs of the period.
type supervisionView struct {
	Stations  []station.Station
	Station   int64
	From, To  string
	N         int
	Sample    []station.ContactRef
	Drawn     bool
	Due       []station.ContactRef
	Reviews   []station.Review
	Debriefs  []station.Debrief
	Rubric    *station.Rubric
	Taxonomy  []taxonomy.Category
	MaxSample int
}

// Cats labels a contact's categories in the locale.
func (v supervisionView) Cats(l string, codes []string) string {
	out := make([]string, len(codes))
	for i, c := range codes {
		out[i] = taxonomy.Label(v.Taxonomy, c, l)
	}
	return strings.Join(out, "、")
}

// Criterion labels a criterion code in the locale.
func (v supervisionView) Criterion(l, code string) string { return criterionLabel(v.Rubric, l, code) }

func criterionLabel(ru *station.Rubric, l, code string) string {
	for _, c := range ru.Criteria {
		if c.Code == code {
			return c.Label(l)
		}
	}
	return code
}

func (s *Server) rubric() *station.Rubric {
	if r := s.Station.Rubric; r != nil {
		return r
	}
	return station.DefaultRubric()
}

func (s *Server) taxonomy() []taxonomy.Category {
	if s.Hotline.Taxonomy != nil {
		return s.Hotline.Taxonomy
	}
	tax, _ := taxonomy.Default()
	return tax
}

func (s *Server) supervision(w http.ResponseWriter, r *http.Request) {
	s.showSupervision(w, r, http.StatusOK, page{}, nil)
}

// showSupervision renders the supervision page; sample, when not nil, is
// a sample just drawn.
func (s *Server) showSupervision(w http.ResponseWriter, r *http.Request, status int, pg page, sample []station.ContactRef) {
	p := principal(r)
	svc := s.Station
	list, err := svc.Stations(r.Context(), p, access.HotlineSupervise)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	per, problem := s.stationPeriod(r)
	if pg.Error == "" {
		pg.Error = problem
	}
	v := supervisionView{Stations: list, Station: pickStation(r, list), From: per.First(), To: per.Last(), N: 5,
		Sample: sample, Drawn: sample != nil, Rubric: s.rubric(), Taxonomy: s.taxonomy(), MaxSample: station.MaxSample}
	if n, err := strconv.Atoi(r.FormValue("n")); err == nil {
		v.N = n
	}
	if v.Station != 0 {
		if v.Due, err = svc.DebriefsDue(r.Context(), p, v.Station); err != nil {
			s.fail(w, r, err)
			return
		}
		if v.Reviews, v.Debriefs, err = svc.Supervision(r.Context(), p, v.Station, per); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	pg.Title, pg.Active, pg.Data = "station.supervision", "station", v
	s.render(w, r, status, "station_supervision", pg)
}

// drawSample draws a random sample of finished contacts not yet reviewed.
func (s *Server) drawSample(w http.ResponseWriter, r *http.Request) {
	id, _ := strconv.ParseInt(r.PostFormValue("station"), 10, 64)
	n, _ := strconv.Atoi(r.PostFormValue("n"))
	per, err := station.Days(r.PostFormValue("from"), r.PostFormValue("to"))
	var sample []station.ContactRef
	if err == nil {
		sample, err = s.Station.Sample(r.Context(), principal(r), id, per, n)
	}
	switch apperr.CodeOf(err) {
	case "":
		if sample == nil {
			sample = []station.ContactRef{}
		}
		s.showSupervision(w, r, http.StatusOK, page{Flash: "station.sample_drawn", FlashArgs: []any{len(sample)}}, sample)
	case apperr.EInvalid:
		s.showSupervision(w, r, http.StatusUnprocessableEntity, page{Error: apperr.MessageOf(err), Fields: apperr.FieldsOf(err), Form: r.PostForm}, nil)
	default:
		s.fail(w, r, err)
	}
}

// reviewView is one contact to review: the record and the rubric.
type reviewView struct {
	C        *hotline.Contact
	Rubric   *station.Rubric
	Taxonomy []taxonomy.Category
	Debrief  bool // the contact's risk level needs a debrief
	Scores   map[string]int
}

// Cat labels a category code in the locale.
func (v reviewView) Cat(l, code string) string { return taxonomy.Label(v.Taxonomy, code, l) }

// Scored reports whether criterion code was given score n in the form.
func (v reviewView) Scored(code string, n int) bool { return v.Scores[code] == n }

func (s *Server) reviewForm(w http.ResponseWriter, r *http.Request) {
	s.showReview(w, r, http.StatusOK, page{})
}

// showReview renders the review page of a contact; reading the contact is
// audited by the hotline service.
func (s *Server) showReview(w http.ResponseWriter, r *http.Request, status int, pg page) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	p := principal(r)
	c, err := s.Hotline.FindContact(r.Context(), p, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if _, ok := p.At(access.HotlineSupervise, c.StationPath); !ok {
		s.notFound(w, r)
		return
	}
	v := reviewView{C: c, Rubric: s.rubric(), Taxonomy: s.taxonomy(), Debrief: slices.Contains(station.DebriefLevels, c.RiskLevel),
		Scores: formScores(r, s.rubric())}
	pg.Title, pg.Active, pg.Data = "station.review", "station", v
	s.render(w, r, status, "station_review", pg)
}

// formScores reads score_<code> fields of the review form.
func formScores(r *http.Request, ru *station.Rubric) map[string]int {
	out := map[string]int{}
	for _, c := range ru.Criteria {
		if n, err := strconv.Atoi(r.PostFormValue("score_" + c.Code)); err == nil {
			out[c.Code] = n
		}
	}
	return out
}

func (s *Server) saveReview(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	_, err := s.Station.Review(r.Context(), principal(r), station.NewReview{ContactID: id,
		Scores: formScores(r, s.rubric()), Comment: strings.TrimSpace(r.PostFormValue("comment"))})
	s.afterSupervisionWrite(w, r, err, "station.review_saved")
}

func (s *Server) saveDebrief(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	_, err := s.Station.RecordDebrief(r.Context(), principal(r), id, r.PostFormValue("note"))
	s.afterSupervisionWrite(w, r, err, "station.debrief_saved")
}

// afterSupervisionWrite shows the supervision page after a saved review
// or debrief, or the review page again with what was typed and why it was
// refused.
func (s *Server) afterSupervisionWrite(w http.ResponseWriter, r *http.Request, err error, flash string) {
	switch apperr.CodeOf(err) {
	case "":
		s.showSupervision(w, r, http.StatusOK, page{Flash: flash}, nil)
	case apperr.EInvalid:
		s.showReview(w, r, http.StatusUnprocessableEntity, page{Error: apperr.MessageOf(err), Fields: apperr.FieldsOf(err), Form: r.PostForm})
	case apperr.EConflict, apperr.EForbidden:
		s.showReview(w, r, httpStatus(err), page{Error: apperr.MessageOf(err), Form: r.PostForm})
	default:
		s.fail(w, r, err)
	}
}

// myReviewsView is a counsellor's own reviews and debriefs.
type myReviewsView struct {
	Reviews  []station.Review
	Debriefs []station.Debrief
	Rubric   *station.Rubric
	Taxonomy []taxonomy.Category
}

// Criterion labels a criterion code in the locale.
func (v myReviewsView) Criterion(l, code string) string { return criterionLabel(v.Rubric, l, code) }

// Cats labels a contact's categories in the locale.
func (v myReviewsView) Cats(l string, codes []string) string {
	return supervisionView{Taxonomy: v.Taxonomy}.Cats(l, codes)
}

func (s *Server) myReviews(w http.ResponseWriter, r *http.Request) {
	rs, ds, err := s.Station.MyReviews(r.Context(), principal(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "station_my_reviews", page{Title: "station.my_reviews", Active: "station",
		Data: myReviewsView{Reviews: rs, Debriefs: ds, Rubric: s.rubric(), Taxonomy: s.taxonomy()}})
}
