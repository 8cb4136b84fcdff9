package web

import (
	"net/http"
	"net/url"
	"strconv"
)

// exportFilters are the filters each table's export carries (the service
// checks the permission its source needs; the build reads as the caller).
var exportFilters = map[string][]string{
	"students":         {"school", "grade", "class", "q", "status"},
	"figures":          {"unit", "period", "part"},
	"alerts":           {"mine", "overdue", "all", "level"},
	"referrals":        {"all"},
	"workforce":        {"unit", "person_kind", "tier", "mark"},
	"activities":       {"unit", "activity_kind", "series", "from", "to"},
	"training":         {"unit", "from", "to"},
	"training_missing": {"unit", "from", "to"},
	"coverage":         nil,
	"coverage_gaps":    {"district"},
	"venues":           {"venue_kind"},
	"meetings":         nil,
	"letters":          {"closed"},
	"disclosures":      nil,
	"work":             nil,
	"loop":             {"unit", "from", "to"},
	"referral_metrics": {"unit", "from", "to"},
	"campaigns":        nil,
	"campaign_summary": {"campaign"},
	"hospital":         {"all"},
	"reviews":          {"unit"},
	"venue_ranking":    {"rating"},
	"attendance":       {"session"},
	"calls":            nil,
	"audit":            {"before"},
}

// requestExport queues an export of the table the form names and shows
// its progress.
func (s *Server) requestExport(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	kind := r.PostFormValue("kind")
	f := url.Values{}
	for _, k := range exportFilters[kind] {
		if v := r.PostFormValue(k); v != "" {
			f.Set(k, v)
		}
	}
	id, err := s.Exports.Request(r.Context(), principal(r), kind, localeOf(r), f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/exports/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
}

func (s *Server) exportsList(w http.ResponseWriter, r *http.Request) {
	list, err := s.Exports.Mine(r.Context(), principal(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "exports", page{Title: "export.title", Active: "exports", Data: list})
}

func (s *Server) exportPage(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	e, err := s.Exports.Find(r.Context(), principal(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg := page{Title: "export.title", Active: "exports", Data: e}
	if e.State == "queued" || e.State == "running" {
		pg.Refresh = 2
	}
	s.render(w, r, http.StatusOK, "export", pg)
}

func (s *Server) exportDownload(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	name, file, err := s.Exports.Download(r.Context(), principal(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
	w.Header().Set("Content-Disposition", `attachment; filename="`+name+`"`)
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(file)
}
