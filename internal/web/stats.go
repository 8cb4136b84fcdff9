package web

import (
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/careloop/careloop/internal/stats"
)

// dashboardView is a unit's dashboard with the choices of its filters.
type dashboardView struct {
	D       *stats.Dashboard
	Groups  []dashboardGroup
	Columns []stats.Indicator // the figures shown beside each row
	Periods []stats.Period
	Trend   string // JSON for charts.js: {"name": [["2026-01", v], ...]}
}

// dashboardGroup is one section of the unit's figures.
type dashboardGroup struct {
	Key     string
	Figures []stats.Figure
}

// statsColumns are the figures beside each unit of the next level down.
var statsColumns = []string{"students_enrolled", "screening_coverage", "tier_red", "alerts_raised", "alert_in_time_share",
	"cases_open", "counselling_individual", "hotline_contacts", "crises_opened", "referrals_sent"}

// PartLabel names a school's grade ("g7") or class ("g7/1班").
func (dashboardView) PartLabel(part string) string {
	g, class, ok := cutPart(part)
	if ok {
		return g + " · " + class
	}
	return g
}

func cutPart(part string) (grade, class string, ok bool) {
	for i := 0; i < len(part); i++ {
		if part[i] == '/' {
			return part[1:i], part[i+1:], true
		}
	}
	if len(part) > 1 {
		return part[1:], "", false
	}
	return part, "", false
}

func (s *Server) statsDashboard(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	unit, _ := strconv.ParseInt(q.Get("unit"), 10, 64)
	now := time.Now()
	period := stats.Containing(now)[0]
	if v := q.Get("period"); v != "" {
		p, err := stats.ParsePeriod(v)
		if err != nil {
			s.notFound(w, r)
			return
		}
		period = p
	}
	d, err := s.Stats.Dashboard(r.Context(), principal(r), s.Indicators, unit, period, q.Get("part"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := dashboardView{D: d}
	l := localeOf(r)
	for _, g := range stats.Groups {
		var figs []stats.Figure
		for _, in := range s.Indicators.List {
			if in.Group == g && in.Unit != "minutes" && in.Unit != "days" || in.Group == g && in.Ratio != nil {
				figs = append(figs, d.Figures[in.ID])
			}
		}
		if len(figs) > 0 {
			v.Groups = append(v.Groups, dashboardGroup{Key: g, Figures: figs})
		}
	}
	for _, id := range statsColumns {
		if in, ok := s.Indicators.Get(id); ok {
			v.Columns = append(v.Columns, in)
		}
	}
	for _, m := range stats.Months(now, 24) {
		v.Periods = append([]stats.Period{m}, v.Periods...)
	}
	for _, y := range []int{now.Year(), now.Year() - 1} {
		for q := 4; q >= 1; q-- {
			v.Periods = append(v.Periods, stats.Quarter(y, q))
		}
		v.Periods = append(v.Periods, stats.Year(y))
	}
	series := map[string][]any{}
	for _, id := range stats.TrendIndicators {
		in, _ := s.Indicators.Get(id)
		var pts []any
		for _, p := range d.Trend[id] {
			if p.Hidden {
				pts = append(pts, []any{p.Period, nil})
			} else {
				pts = append(pts, []any{p.Period, p.Value})
			}
		}
		series[in.Label(l)] = pts
	}
	b, _ := json.Marshal(series)
	v.Trend = string(b)
	s.render(w, r, http.StatusOK, "stats", page{Title: "stats.title", Active: "stats", Data: v, Charts: true})
}

// statsIndicators lists every indicator with its definition.
func (s *Server) statsIndicators(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "stats_indicators", page{Title: "stats.definitions", Active: "stats", Data: s.Indicators.List})
}
