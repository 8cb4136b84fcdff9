package web

import (
	"net/http"
	"strconv"
	"strings"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/crisis"
	"github.com/careloop/careloop/internal/org"
)

// crisisListView is the list of incidents with the one short form that
// opens one (not on the co-signers' list).
type crisisListView struct {
	Incidents []crisis.Summary
	Which     string
	Cosign    bool // the co-signers' list of steps waiting for them
	Units     []org.Unit
	RiskItems []crisis.RiskItem
}

// LevelClass is the colour of a risk level.
func (crisisListView) LevelClass(level string) string { return levelClass(level) }

// UnitName is a summary's handling unit in the locale.
func (crisisListView) UnitName(l string, sm crisis.Summary) string {
	return org.Unit{Name: sm.UnitName, NameEn: sm.UnitNameEn}.DisplayName(l)
}

func levelClass(level string) string {
	switch level {
	case "imminent", "high":
		return "red"
	case "moderate":
		return "orange"
	case "low":
		return "yellow"
	}
	return "green"
}

func (s *Server) crisisList(w http.ResponseWriter, r *http.Request) {
	s.showCrisisList(w, r, http.StatusOK, page{})
}

func (s *Server) showCrisisList(w http.ResponseWriter, r *http.Request, status int, pg page) {
	p := principal(r)
	which := r.URL.Query().Get("list")
	if which != crisis.ListClosed {
		which = crisis.ListOpen
	}
	list, err := s.Crisis.List(r.Context(), p, which, 200)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	units, err := s.unitsWith(r, p, access.CrisisHandle)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg.Title, pg.Active = "crisis.list", "crisis"
	pg.Data = crisisListView{Incidents: list, Which: which, Units: units, RiskItems: crisis.RiskItems}
	s.render(w, r, status, "crisis", pg)
}

func (s *Server) crisisCosignList(w http.ResponseWriter, r *http.Request) {
	list, err := s.Crisis.List(r.Context(), principal(r), crisis.ListPending, 200)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "crisis", page{Title: "crisis.cosign_list", Active: "crisis",
		Data: crisisListView{Incidents: list, Which: crisis.ListPending, Cosign: true}})
}

// riskForm reads the six risk items of a form.
func riskForm(r *http.Request) crisis.Risk {
	return crisis.Risk{Ideation: r.PostFormValue("risk_ideation"), Intent: r.PostFormValue("risk_intent"), Plan: r.PostFormValue("risk_plan"),
		Means: r.PostFormValue("risk_means"), Timeframe: r.PostFormValue("risk_timeframe"), Behaviour: r.PostFormValue("risk_behaviour")}
}

func detailsForm(r *http.Request) crisis.Details {
	return crisis.Details{Location: r.PostFormValue("location"), Description: r.PostFormValue("description"),
		Callback: r.PostFormValue("callback"), Risk: riskForm(r)}
}

// openIncident opens an incident from the short form, or from a button on
// a contact, an alert or a follow-up (source and source_id), and goes to
// its page.
func (s *Server) openIncident(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	unit, _ := strconv.ParseInt(r.PostFormValue("unit"), 10, 64)
	sourceID, _ := strconv.ParseInt(r.PostFormValue("source_id"), 10, 64)
	source := r.PostFormValue("source")
	if source == "" {
		source = "duty"
	}
	id, err := s.Crisis.Open(r.Context(), principal(r), crisis.NewIncident{UnitID: unit, Source: source, SourceID: sourceID,
		StudentNo: strings.TrimSpace(r.PostFormValue("student_no")), Details: detailsForm(r)})
	switch apperr.CodeOf(err) {
	case "":
		http.Redirect(w, r, "/crisis/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	case apperr.EInvalid:
		s.showCrisisList(w, r, http.StatusUnprocessableEntity, page{Error: apperr.MessageOf(err), Fields: apperr.FieldsOf(err), Form: r.PostForm})
	default:
		s.fail(w, r, err)
	}
}
