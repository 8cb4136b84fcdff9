package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/crisis"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/referral"
)

// incidentView is an incident with the choices of its forms.
type incidentView struct {
	D             *crisis.Detail
	Police        []crisis.Partner
	Hospitals     []crisis.Partner
	RiskItems     []crisis.RiskItem
	HandOvers     []string
	FollowUpKinds []string
	Schools       []crisis.Partner    // where an anonymous child may be identified
	Referrals     []referral.Referral // sent from this incident, that the caller follows
	Now           string              // for datetime-local inputs
}

// LevelClass is the colour of a risk level.
func (incidentView) LevelClass(level string) string { return levelClass(level) }

// UnitName is the handling unit in the locale.
func (v incidentView) UnitName(l string) string {
	return org.Unit{Name: v.D.UnitName, NameEn: v.D.UnitNameEn}.DisplayName(l)
}

// Code reads one code of a step's detail (police_ref, to, ...).
func (incidentView) Code(detail, key string) string {
	for _, f := range strings.Fields(detail) {
		if k, v, ok := strings.Cut(f, "="); ok && k == key {
			return v
		}
	}
	return ""
}

func (s *Server) incident(w http.ResponseWriter, r *http.Request) {
	s.showIncident(w, r, http.StatusOK, page{})
}

func (s *Server) showIncident(w http.ResponseWriter, r *http.Request, status int, pg page) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	d, err := s.Crisis.Find(r.Context(), principal(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := incidentView{D: d, RiskItems: crisis.RiskItems, HandOvers: crisis.HandOvers, FollowUpKinds: crisis.FollowUpKinds,
		Now: time.Now().In(displayZone).Format("2006-01-02T15:04")}
	if d.Handler {
		if v.Police, err = s.Crisis.Partners(r.Context(), string(org.Police)); err == nil {
			v.Hospitals, err = s.Crisis.Partners(r.Context(), string(org.Hospital))
		}
		if err == nil && d.StudentID == 0 && d.State != crisis.Closed {
			v.Schools, err = s.Crisis.Partners(r.Context(), string(org.School))
		}
		if err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if principal(r).Can(access.ReferralManage) {
		if v.Referrals, err = s.Referral.FindSent(r.Context(), principal(r), referral.Filter{Incident: id}); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	pg.Title, pg.Active, pg.Data = "crisis.incident", "crisis", v
	s.render(w, r, status, "crisis_incident", pg)
}

// afterIncident answers a form on the incident's page: on success back to
// the page (a fresh GET); a refused step or bad input shows the page again
// with the problem; anything else an error page.
func (s *Server) afterIncident(w http.ResponseWriter, r *http.Request, err error) {
	id, _ := pathID(r, "id")
	switch apperr.CodeOf(err) {
	case "":
		http.Redirect(w, r, "/crisis/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	case apperr.EInvalid, apperr.EConflict:
		s.showIncident(w, r, http.StatusUnprocessableEntity, page{Error: apperr.MessageOf(err), Fields: apperr.FieldsOf(err), Form: r.PostForm})
	default:
		s.fail(w, r, err)
	}
}

// localTime reads a datetime-local value in China Standard Time.
func localTime(v string) time.Time {
	t, err := time.ParseInLocation("2006-01-02T15:04", strings.TrimSpace(v), displayZone)
	if err != nil {
		return time.Time{}
	}
	return t
}

// stepForm reads a step and what it carries.
func stepForm(r *http.Request) crisis.StepInput {
	_ = r.ParseForm()
	police, _ := strconv.ParseInt(r.PostFormValue("police_unit"), 10, 64)
	to, _ := strconv.ParseInt(r.PostFormValue("to_unit"), 10, 64)
	return crisis.StepInput{To: r.PostFormValue("to"), Note: r.PostFormValue("note"), PoliceUnitID: police,
		PoliceRef: r.PostFormValue("police_ref"), HandedTo: r.PostFormValue("handed_to"), ToUnitID: to,
		FollowUpKind: r.PostFormValue("follow_up_kind"), FollowUpDue: localTime(r.PostFormValue("follow_up_due")),
		Review: crisis.Review{WhatHappened: r.PostFormValue("what_happened"), WhatWorked: r.PostFormValue("what_worked"),
			WhatToChange: r.PostFormValue("what_to_change")}}
}

func (s *Server) incidentStep(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	_, err := s.Crisis.Advance(r.Context(), principal(r), id, stepForm(r))
	s.afterIncident(w, r, err)
}

func (s *Server) incidentDetails(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	s.afterIncident(w, r, s.Crisis.UpdateDetails(r.Context(), principal(r), id, detailsForm(r)))
}

func (s *Server) incidentGuardian(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	g := crisis.GuardianDecision{Notified: r.PostFormValue("notified") == "yes", NotifiedAt: localTime(r.PostFormValue("notified_at")),
		WhyNot: r.PostFormValue("why_not")}
	if r.PostFormValue("notified") == "" {
		s.afterIncident(w, r, apperr.Invalid("form.invalid", map[string]string{"notified": "form.required"}))
		return
	}
	s.afterIncident(w, r, s.Crisis.RecordGuardian(r.Context(), principal(r), id, g))
}

func (s *Server) incidentCosign(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	sid, _ := pathID(r, "sid")
	decision := crisis.Declined
	if r.PostFormValue("decision") == crisis.Signed {
		decision = crisis.Signed
	}
	err := s.Crisis.Cosign(r.Context(), principal(r), id, sid, decision, r.PostFormValue("note"))
	if err == nil {
		http.Redirect(w, r, "/crisis/"+strconv.FormatInt(id, 10)+"/cosign", http.StatusSeeOther)
		return
	}
	s.afterIncident(w, r, err)
}

func (s *Server) incidentWithdraw(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	sid, _ := pathID(r, "sid")
	s.afterIncident(w, r, s.Crisis.Cosign(r.Context(), principal(r), id, sid, crisis.Withdrawn, r.PostFormValue("note")))
}

func (s *Server) incidentCorrect(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	sid, _ := pathID(r, "sid")
	_, err := s.Crisis.Correct(r.Context(), principal(r), id, sid, r.PostFormValue("note"), r.PostFormValue("void") == "1")
	s.afterIncident(w, r, err)
}

// identifyIncident links an anonymous incident to a student: the child's
// school and name, with the grade and class when asked for.
func (s *Server) identifyIncident(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	_ = r.ParseForm()
	school, _ := strconv.ParseInt(r.PostFormValue("school"), 10, 64)
	grade, _ := strconv.Atoi(r.PostFormValue("grade"))
	s.afterIncident(w, r, s.Crisis.Identify(r.Context(), principal(r), id, crisis.Identity{SchoolID: school,
		Name: r.PostFormValue("name"), Grade: grade, Class: r.PostFormValue("class")}))
}
