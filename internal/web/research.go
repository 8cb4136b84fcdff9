package web

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/careloop/careloop/internal/research"
)

// researchView is the definer's page: the extracts, their builds and the
// form of a new extract.
type researchView struct {
	Extracts    []research.Extract
	Units       []research.Option
	Researchers []research.Option
	Kinds       []string
	Fields      map[string][]string
	Bases       []string
	DefaultK    int
	MinK, MaxK  int
	Busy        bool // a build is under way: the list refreshes itself
	From, To    string
}

// Has reports whether list holds code.
func (researchView) Has(list []string, code string) bool { return slices.Contains(list, code) }

func (s *Server) researchPage(w http.ResponseWriter, r *http.Request) {
	s.showResearch(w, r, http.StatusOK, page{})
}

func (s *Server) showResearch(w http.ResponseWriter, r *http.Request, status int, pg page) {
	p := principal(r)
	list, err := s.Research.Extracts(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	units, err := s.Research.Units(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	researchers, err := s.Research.Researchers(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := researchView{Extracts: list, Units: units, Researchers: researchers, Kinds: research.Kinds, Fields: research.Fields,
		Bases: research.Bases, DefaultK: research.DefaultK, MinK: research.MinK, MaxK: research.MaxK}
	for _, e := range list {
		if e.State == "pending" || e.State == "building" {
			v.Busy = true
		}
	}
	now := time.Now().In(displayZone)
	v.From, v.To = now.AddDate(-1, 0, 0).Format("2006-01-02"), now.Format("2006-01-02")
	pg.Title, pg.Active, pg.Data = "research.title", "research", v
	s.render(w, r, status, "research", pg)
}

func (s *Server) defineResearch(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	f := r.PostForm
	n := research.NewExtract{Kinds: f["kinds"], Fields: f["fields"], Basis: f.Get("basis"), Purpose: f.Get("purpose")}
	n.UnitID, _ = strconv.ParseInt(f.Get("unit"), 10, 64)
	n.ResearcherID, _ = strconv.ParseInt(f.Get("researcher"), 10, 64)
	if k, err := strconv.Atoi(f.Get("k")); err == nil {
		n.K = k
	} else if f.Get("k") != "" {
		n.K = -1 // not a number: refused as out of range
	}
	if t, err := time.ParseInLocation("2006-01-02", f.Get("from"), displayZone); err == nil {
		n.From = t
	}
	if t, err := time.ParseInLocation("2006-01-02", f.Get("to"), displayZone); err == nil {
		n.To = t.AddDate(0, 0, 1) // through the end of that day
	}
	_, err := s.Research.Define(r.Context(), principal(r), n)
	s.afterWrite(w, r, err, page{Flash: "research.defined"}, func(status int, pg page) { s.showResearch(w, r, status, pg) })
}

// researchExtracts is the researcher's page: the extracts addressed to
// them that are ready.
func (s *Server) researchExtracts(w http.ResponseWriter, r *http.Request) {
	list, err := s.Research.Addressed(r.Context(), principal(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "research_extracts", page{Title: "research.downloads", Active: "research-extracts",
		Data: researchView{Extracts: list, Fields: research.Fields}})
}

// researchDownload sends one extract file; the service audits it.
func (s *Server) researchDownload(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	f, err := s.Research.Download(r.Context(), principal(r), id, r.PathValue("format"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	w.Header().Set("Content-Type", f.ContentType)
	w.Header().Set("Content-Disposition", `attachment; filename="`+f.Name+`"`)
	w.Header().Set("Content-Length", strconv.Itoa(len(f.Body)))
	w.Header().Set("Cache-Control", "no-store")
	_, _ = w.Write(f.Body)
}
