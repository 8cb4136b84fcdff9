package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/careloop/careloop/internal/warning"
)

// alertsView is the alert list with its filter.
type alertsView struct {
	Alerts []*warning.Alert
	Filter warning.AlertFilter
	Query  string // the filter as a query string, for "more"
	Next   int64
	Now    time.Time
}

func (s *Server) alerts(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	f := warning.AlertFilter{Mine: q.Get("mine") == "1", Open: q.Get("all") != "1", Overdue: q.Get("overdue") == "1", Level: q.Get("level"), Limit: 50}
	f.After, _ = strconv.ParseInt(q.Get("after"), 10, 64)
	list, err := s.Warning.FindAlerts(r.Context(), principal(r), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := alertsView{Alerts: list, Filter: f, Now: time.Now()}
	q.Del("after")
	v.Query = q.Encode()
	if len(list) == f.Limit {
		v.Next = list[len(list)-1].ID
	}
	s.render(w, r, http.StatusOK, "alerts", page{Title: "alert.list", Active: "alerts", Data: v})
}

// alertView is one alert with what the caller may do.
type alertView struct {
	*warning.AlertDetail
	Decisions []string
	Now       time.Time
	CanCase   bool
}

func (s *Server) alert(w http.ResponseWriter, r *http.Request) {
	s.showAlert(w, r, http.StatusOK, page{})
}

func (s *Server) showAlert(w http.ResponseWriter, r *http.Request, status int, pg page) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	d, err := s.Warning.FindAlert(r.Context(), principal(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg.Title, pg.Active = "alert.detail", "alerts"
	pg.Data = alertView{AlertDetail: d, Decisions: warning.Decisions, Now: time.Now(), CanCase: s.Care != nil}
	s.render(w, r, status, "alert", pg)
}

func (s *Server) acknowledgeAlert(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	err := s.Warning.Acknowledge(r.Context(), principal(r), id)
	s.afterWrite(w, r, err, page{Flash: "alert.acknowledged"}, func(status int, pg page) { s.showAlert(w, r, status, pg) })
}

func (s *Server) contactAlert(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	err := s.Warning.RecordContact(r.Context(), principal(r), id)
	s.afterWrite(w, r, err, page{Flash: "alert.contacted"}, func(status int, pg page) { s.showAlert(w, r, status, pg) })
}

func (s *Server) closeAlert(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	err := s.Warning.Close(r.Context(), principal(r), id, warning.Closing{Decision: r.PostFormValue("decision"), Note: r.PostFormValue("note")})
	s.afterWrite(w, r, err, page{Flash: "alert.closed_ok"}, func(status int, pg page) { s.showAlert(w, r, status, pg) })
}
