package web

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/careloop/careloop/internal/i18n"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/workforce"
)

// coverageView is the per-district table, and the chart's figures.
type coverageView struct {
	C *workforce.Coverage
}

// Series is the chart's data: the share covered per district and the
// target, in percent, as charts.js reads it.
func (v coverageView) Series(l string) string {
	covered, target := [][]any{}, [][]any{}
	for _, d := range v.C.Districts {
		share := 0.0
		if d.Schools > 0 {
			share = float64(int(float64(d.Covered())*1000/float64(d.Schools))) / 10
		}
		covered = append(covered, []any{d.District.Display(l), share})
		target = append(target, []any{d.District.Display(l), v.C.Target})
	}
	b, _ := json.Marshal(map[string][][]any{i18n.T(l, "coverage.share"): covered, i18n.T(l, "coverage.target"): target})
	return string(b)
}

func (s *Server) workforceCoverage(w http.ResponseWriter, r *http.Request) {
	c, err := s.Workforce.Coverage(r.Context(), principal(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "workforce_coverage", page{Title: "coverage.title", Active: "workforce", Data: coverageView{C: c}, Charts: len(c.Districts) > 0})
}

// gapsView lists the schools without a psychology teacher.
type gapsView struct {
	District int64
	Schools  []workforce.School
}

func (s *Server) workforceGaps(w http.ResponseWriter, r *http.Request) {
	d, _ := strconv.ParseInt(r.URL.Query().Get("district"), 10, 64)
	list, err := s.Workforce.Uncovered(r.Context(), principal(r), d)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "workforce_gaps", page{Title: "coverage.gaps", Active: "workforce", Data: gapsView{District: d, Schools: list}})
}

// workforceSettingsView holds the settings of the caller's units and the
// certification levels.
type workforceSettingsView struct {
	Units  []workforce.Settings
	Levels []workforce.Level
}

func (s *Server) workforceSettings(w http.ResponseWriter, r *http.Request) {
	s.showWorkforceSettings(w, r, http.StatusOK, page{})
}

func (s *Server) showWorkforceSettings(w http.ResponseWriter, r *http.Request, status int, pg page) {
	set, err := s.Workforce.UnitSettings(r.Context(), principal(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	levels, err := s.Workforce.Levels(r.Context())
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg.Title, pg.Active, pg.Data = "workforce.settings", "workforce", workforceSettingsView{Units: set, Levels: levels}
	s.render(w, r, status, "workforce_settings", pg)
}

func (s *Server) workforceSaveSettings(w http.ResponseWriter, r *http.Request) {
	unit, _ := strconv.ParseInt(r.PostFormValue("unit"), 10, 64)
	days, err := strconv.Atoi(r.PostFormValue("warn_days"))
	if err != nil {
		days = 0
	}
	err = s.Workforce.SaveSettings(r.Context(), principal(r), unit, r.PostFormValue("bar_lapsed") == "1", days)
	s.afterWrite(w, r, err, page{Flash: "workforce.saved"}, func(status int, pg page) { s.showWorkforceSettings(w, r, status, pg) })
}

func (s *Server) workforceAddLevel(w http.ResponseWriter, r *http.Request) {
	rank, _ := strconv.Atoi(r.PostFormValue("seniority"))
	err := s.Workforce.AddLevel(r.Context(), principal(r), workforce.Level{Code: r.PostFormValue("code"), Name: r.PostFormValue("level_name"),
		NameEn: r.PostFormValue("level_name_en"), Seniority: rank})
	if apperr.CodeOf(err) == apperr.EForbidden {
		s.fail(w, r, err)
		return
	}
	s.afterWrite(w, r, err, page{Flash: "workforce.level_added"}, func(status int, pg page) { s.showWorkforceSettings(w, r, status, pg) })
}

// TargetArgs is the argument of the introduction's sentence.
func (v coverageView) TargetArgs() []any { return []any{v.C.Target} }
