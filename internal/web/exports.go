package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
)

// exportKinds are the tables that export, the permission asking for one
// needs (the build then reads as the caller, within their scope), and the
// filters it carries.
var exportKinds = map[string]struct {
	perm    access.Permission
	filters []string
}{
	"students":  {access.RecordRead, []string{"school", "grade", "class", "q", "status"}},
	"figures":   {access.ReportRead, []string{"unit", "period", "part"}},
	"alerts":    {access.AlertHandle, []string{"mine", "overdue", "all", "level"}},
	"referrals": {access.ReferralManage, []string{"all"}},
}

// requestExport queues an export of the table the form names and shows
// its progress.
func (s *Server) requestExport(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	kind := r.PostFormValue("kind")
	k, ok := exportKinds[kind]
	if !ok {
		s.notFound(w, r)
		return
	}
	if !principal(r).Can(k.perm) {
		s.fail(w, r, apperr.Forbidden())
		return
	}
	f := url.Values{}
	for _, k := range k.filters {
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
