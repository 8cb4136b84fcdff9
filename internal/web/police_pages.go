package web

import (
	"net/http"
	"strconv"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/crisis"
	"github.com/careloop/careloop/internal/org"
)

// policeView is the police liaison's view: the incidents handed to their
// unit (List), or one of them (One), with nothing of the child's record.
type policeView struct {
	List []crisis.PoliceView
	One  *crisis.PoliceView
}

// LevelClass is the colour of a risk level.
func (policeView) LevelClass(level string) string { return levelClass(level) }

// UnitName is the handling unit in the locale.
func (policeView) UnitName(l string, v crisis.PoliceView) string {
	return org.Unit{Name: v.UnitName, NameEn: v.UnitNameEn}.DisplayName(l)
}

func (s *Server) policeList(w http.ResponseWriter, r *http.Request) {
	list, err := s.Crisis.PoliceList(r.Context(), principal(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "police", page{Title: "police.list", Active: "police", Data: policeView{List: list}})
}

func (s *Server) policeIncident(w http.ResponseWriter, r *http.Request) {
	s.showPoliceIncident(w, r, http.StatusOK, page{})
}

func (s *Server) showPoliceIncident(w http.ResponseWriter, r *http.Request, status int, pg page) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	v, err := s.Crisis.PoliceFind(r.Context(), principal(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg.Title, pg.Active, pg.Data = "police.incident", "police", policeView{One: v}
	s.render(w, r, status, "police_incident", pg)
}

// policeStep records a police step and shows the incident again.
func (s *Server) policeStep(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	_, err := s.Crisis.PoliceAdvance(r.Context(), principal(r), id, crisis.StepInput{To: r.PostFormValue("to"),
		PoliceRef: r.PostFormValue("police_ref"), Note: r.PostFormValue("note")})
	switch apperr.CodeOf(err) {
	case "":
		http.Redirect(w, r, "/police/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	case apperr.EInvalid, apperr.EConflict:
		s.showPoliceIncident(w, r, http.StatusUnprocessableEntity, page{Error: apperr.MessageOf(err), Fields: apperr.FieldsOf(err), Form: r.PostForm})
	default:
		s.fail(w, r, err)
	}
}
