package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/outreach"
)

// criteriaRows is how many criteria the form that defines a rating offers.
const criteriaRows = 6

// venueRatingsView lists the ratings and the form that defines one.
type venueRatingsView struct {
	Ratings []outreach.Rating
	Units   []outreach.UnitName // where the caller rates
	Kinds   []string
	Crit    []critRow
	Year    int
}

// critRow is one criterion row of the form, as typed.
type critRow struct{ Zh, En, Weight, Max string }

func (s *Server) venueRatings(w http.ResponseWriter, r *http.Request) {
	s.showRatings(w, r, http.StatusOK, page{})
}

func (s *Server) showRatings(w http.ResponseWriter, r *http.Request, status int, pg page) {
	p := principal(r)
	list, err := s.Outreach.Ratings(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var units []outreach.UnitName
	if p.Can(access.VenueRate) {
		if units, err = s.Outreach.Units(r.Context(), p, access.VenueRate); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	rows := make([]critRow, criteriaRows)
	at := func(name string, i int) string {
		if vs := pg.Form[name]; i < len(vs) {
			return vs[i]
		}
		return ""
	}
	for i := range rows {
		rows[i] = critRow{at("crit_zh", i), at("crit_en", i), at("crit_weight", i), at("crit_max", i)}
	}
	pg.Title, pg.Active = "venue.ratings", "venues"
	pg.Data = venueRatingsView{Ratings: list, Units: units, Kinds: outreach.VenueKinds, Crit: rows, Year: time.Now().In(displayZone).Year()}
	s.render(w, r, status, "venue_ratings", pg)
}

func (s *Server) venueDefineRating(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	f := r.PostForm
	n := outreach.NewRating{Kind: f.Get("kind")}
	n.Unit, _ = strconv.ParseInt(f.Get("unit"), 10, 64)
	n.Year, _ = strconv.Atoi(f.Get("year"))
	zh, en, wt, mx := f["crit_zh"], f["crit_en"], f["crit_weight"], f["crit_max"]
	at := func(vs []string, i int) string {
		if i < len(vs) {
			return strings.TrimSpace(vs[i])
		}
		return ""
	}
	num := func(v string) int64 {
		if v == "" {
			return 0
		}
		n, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return -1
		}
		return n
	}
	for i := 0; i < len(zh) && i < 20; i++ {
		n.Criteria = append(n.Criteria, outreach.Criterion{NameZh: at(zh, i), NameEn: at(en, i), Weight: num(at(wt, i)), Max: num(at(mx, i))})
	}
	id, err := s.Outreach.DefineRating(r.Context(), principal(r), n)
	switch apperr.CodeOf(err) {
	case "":
		http.Redirect(w, r, "/venues/ratings/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	case apperr.EInvalid:
		s.showRatings(w, r, http.StatusUnprocessableEntity, page{Error: apperr.MessageOf(err), Fields: apperr.FieldsOf(err), Form: r.PostForm})
	default:
		s.fail(w, r, err)
	}
}

// venueRankingView is a rating's ranking and, for its raters, the score
// forms.
type venueRankingView struct {
	R *outreach.Rating
}

func (s *Server) venueRanking(w http.ResponseWriter, r *http.Request) {
	s.showRanking(w, r, http.StatusOK, page{})
}

func (s *Server) showRanking(w http.ResponseWriter, r *http.Request, status int, pg page) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	rt, err := s.Outreach.Ranking(r.Context(), principal(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg.Title, pg.Active = "venue.ranking", "venues"
	pg.Data = venueRankingView{R: rt}
	s.render(w, r, status, "venue_rating", pg)
}

func (s *Server) venueScore(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	_ = r.ParseForm()
	venue, _ := strconv.ParseInt(r.PostFormValue("venue"), 10, 64)
	scores := map[int64]int64{}
	for k, vs := range r.PostForm {
		c, found := strings.CutPrefix(k, "score_")
		cid, err := strconv.ParseInt(c, 10, 64)
		if !found || err != nil || len(vs) == 0 || strings.TrimSpace(vs[0]) == "" {
			continue
		}
		v, err := strconv.ParseInt(strings.TrimSpace(vs[0]), 10, 64)
		if err != nil {
			v = -1
		}
		scores[cid] = v
	}
	err := s.Outreach.Score(r.Context(), principal(r), id, venue, scores)
	s.afterWrite(w, r, err, page{Flash: "venue.scored"}, func(status int, pg page) { s.showRanking(w, r, status, pg) })
}

func (s *Server) venueRatingPublish(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	err := s.Outreach.Publish(r.Context(), principal(r), id)
	s.afterWrite(w, r, err, page{Flash: "venue.published_ok", Form: url.Values{}}, func(status int, pg page) { s.showRanking(w, r, status, pg) })
}
