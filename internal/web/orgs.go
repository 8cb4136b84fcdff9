package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/org"
)

// orgView is the data of the unit page.
type orgView struct {
	Unit      *org.Unit
	Ancestors []org.Unit
	Children  []org.Unit
	History   []org.Change
	CanManage bool
	Kinds     []org.Kind
	Targets   []org.Unit // units the unit may be moved under
}

// orgsView is the data of the network page: the caller's top units, or
// search results.
type orgsView struct {
	Units []org.Unit
	Query string
}

func pathID(r *http.Request, name string) (int64, bool) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	return id, err == nil && id > 0
}

func (s *Server) orgs(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	q := r.URL.Query().Get("q")
	var units []org.Unit
	var err error
	if q != "" {
		units, err = s.Org.FindUnits(r.Context(), p, org.UnitFilter{Query: q, Limit: 100})
	} else {
		units, err = s.Org.Roots(r.Context(), p)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	part := "layout"
	if r.Header.Get("HX-Request") == "true" {
		part = "org_results"
	}
	s.renderPart(w, r, http.StatusOK, "orgs", part, page{Title: "org.network", Active: "network", Data: orgsView{Units: units, Query: q}})
}

func (s *Server) orgUnit(w http.ResponseWriter, r *http.Request) {
	s.showUnit(w, r, http.StatusOK, page{})
}

// showUnit renders the unit page; pg carries a flash or form errors.
func (s *Server) showUnit(w http.ResponseWriter, r *http.Request, status int, pg page) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	p, ctx := principal(r), r.Context()
	u, err := s.Org.FindUnitByID(ctx, p, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := orgView{Unit: u}
	for _, k := range org.Kinds {
		if org.MayHold(u.Kind, k) {
			v.Kinds = append(v.Kinds, k)
		}
	}
	if v.Ancestors, err = s.Org.Ancestors(ctx, p, u); err == nil {
		v.Children, err = s.Org.FindUnits(ctx, p, org.UnitFilter{ParentID: u.ID, IncludeInactive: true})
	}
	if err == nil {
		v.History, err = s.Org.History(ctx, p, u.ID)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if _, ok := p.At(access.OrgManage, u.Path); ok {
		v.CanManage = true
		if v.Targets, err = s.moveTargets(r, u); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	pg.Title, pg.Active, pg.Data = "org.unit", "network", v
	s.render(w, r, status, "org", pg)
}

// moveTargets lists the units u may be moved under: of a kind that may hold
// it, in the caller's scope, not u's own parent nor inside u.
func (s *Server) moveTargets(r *http.Request, u *org.Unit) ([]org.Unit, error) {
	if u.ParentID == 0 {
		return nil, nil
	}
	var out []org.Unit
	for _, k := range org.Kinds {
		if !org.MayHold(k, u.Kind) {
			continue
		}
		units, err := s.Org.FindUnits(r.Context(), principal(r), org.UnitFilter{Kind: k, Limit: 200})
		if err != nil {
			return nil, err
		}
		for _, t := range units {
			if t.ID != u.ParentID && !strings.HasPrefix(t.Path, u.Path) {
				out = append(out, t)
			}
		}
	}
	return out, nil
}

// afterUnitWrite shows the unit again with a flash, or the form error.
func (s *Server) afterUnitWrite(w http.ResponseWriter, r *http.Request, err error, flash string) {
	s.afterWrite(w, r, err, page{Flash: flash}, func(status int, pg page) { s.showUnit(w, r, status, pg) })
}

func (s *Server) createUnit(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	_, err := s.Org.CreateUnit(r.Context(), principal(r), org.NewUnit{ParentID: id, Kind: org.Kind(r.PostFormValue("kind")),
		Name: r.PostFormValue("name"), NameEn: r.PostFormValue("name_en"), Code: r.PostFormValue("code")})
	s.afterUnitWrite(w, r, err, "org.created")
}

func (s *Server) renameUnit(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	_, err := s.Org.RenameUnit(r.Context(), principal(r), id, r.PostFormValue("name"), r.PostFormValue("name_en"))
	s.afterUnitWrite(w, r, err, "org.renamed")
}

func (s *Server) moveUnit(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	parent, err := strconv.ParseInt(r.PostFormValue("parent"), 10, 64)
	if !ok {
		s.notFound(w, r)
		return
	}
	if err != nil {
		s.afterUnitWrite(w, r, apperr.Invalid("error.invalid", map[string]string{"parent": "org.parent_required"}), "")
		return
	}
	_, err = s.Org.MoveUnit(r.Context(), principal(r), id, parent)
	s.afterUnitWrite(w, r, err, "org.moved")
}

func (s *Server) setUnitActive(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	active := r.PostFormValue("active") == "1"
	_, err := s.Org.SetUnitActive(r.Context(), principal(r), id, active)
	s.afterUnitWrite(w, r, err, map[bool]string{true: "org.reactivated", false: "org.deactivated"}[active])
}
