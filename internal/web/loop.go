package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/care"
	"github.com/careloop/careloop/internal/org"
)

// loopView shows the loop's figures for a unit and period.
type loopView struct {
	Units    []org.Unit
	Unit     int64
	From, To string
	M        *care.Metrics
	Levels   []string
}

// loopMetrics shows how the loop ran for a unit over a period (default:
// the last 30 days).
func (s *Server) loopMetrics(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	units, err := s.unitsWith(r, p, access.ReportRead)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := r.URL.Query()
	v := loopView{Units: units, Levels: []string{"red", "orange", "yellow"}}
	v.Unit, _ = strconv.ParseInt(q.Get("unit"), 10, 64)
	if v.Unit == 0 && len(units) > 0 {
		v.Unit = units[0].ID
	}
	today := s.today()
	from, err1 := time.ParseInLocation("2006-01-02", q.Get("from"), displayZone)
	to, err2 := time.ParseInLocation("2006-01-02", q.Get("to"), displayZone)
	if err2 != nil {
		to = time.Date(today.Year(), today.Month(), today.Day(), 0, 0, 0, 0, displayZone)
	}
	if err1 != nil || !from.Before(to.AddDate(0, 0, 1)) {
		from = to.AddDate(0, 0, -30)
	}
	v.From, v.To = from.Format("2006-01-02"), to.Format("2006-01-02")
	if v.Unit != 0 {
		if v.M, err = s.Care.LoopMetrics(r.Context(), p, v.Unit, from, to.AddDate(0, 0, 1)); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	s.render(w, r, http.StatusOK, "loop", page{Title: "loop.title", Active: "loop", Data: v})
}
