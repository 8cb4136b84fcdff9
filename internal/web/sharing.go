package web

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/sharing"
	"github.com/careloop/careloop/internal/student"
)

// sharingView is the agreements page: the list and the form.
type sharingView struct {
	Agreements []sharing.Agreement
	From       []org.Unit         // units where the caller keeps agreements
	To         []sharing.UnitName // units of the network that may receive data
	DataCodes  []string
	Purposes   []string
	Bases      []string
	Today      string
	Now        time.Time
}

// Has reports whether list holds code.
func (sharingView) Has(list []string, code string) bool { return slices.Contains(list, code) }

func (s *Server) sharingAgreements(w http.ResponseWriter, r *http.Request) {
	s.showAgreements(w, r, http.StatusOK, page{})
}

func (s *Server) showAgreements(w http.ResponseWriter, r *http.Request, status int, pg page) {
	p := principal(r)
	list, err := s.Sharing.Agreements(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	from, err := s.unitsWith(r, p, access.SharingManage)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	to, err := s.Sharing.Partners(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	now := time.Now()
	pg.Title, pg.Active = "sharing.agreements", "sharing"
	pg.Data = sharingView{Agreements: list, From: from, To: to, DataCodes: sharing.DataCodes, Purposes: sharing.Purposes,
		Bases: sharing.LegalBases, Today: now.In(displayZone).Format("2006-01-02"), Now: now}
	s.render(w, r, status, "sharing", pg)
}

func (s *Server) createAgreement(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	f := r.PostForm
	from, _ := strconv.ParseInt(f.Get("from_unit"), 10, 64)
	to, _ := strconv.ParseInt(f.Get("to_unit"), 10, 64)
	n := sharing.NewAgreement{FromUnit: from, ToUnit: to, Data: f["data"], Purpose: f.Get("purpose"), LegalBasis: f.Get("legal_basis"),
		LegalRef: f.Get("legal_ref"), DocumentRef: f.Get("document_ref")}
	if t, err := time.ParseInLocation("2006-01-02", f.Get("valid_from"), displayZone); err == nil {
		n.ValidFrom = t
	}
	if t, err := time.ParseInLocation("2006-01-02", f.Get("valid_to"), displayZone); err == nil {
		n.ValidTo = t.Add(24 * time.Hour) // through the end of that day
	}
	_, err := s.Sharing.CreateAgreement(r.Context(), principal(r), n)
	s.afterWrite(w, r, err, page{Flash: "sharing.agreement_saved"}, func(status int, pg page) { s.showAgreements(w, r, status, pg) })
}

func (s *Server) endAgreement(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	err := s.Sharing.EndAgreement(r.Context(), principal(r), id)
	s.afterWrite(w, r, err, page{Flash: "sharing.agreement_ended"}, func(status int, pg page) { s.showAgreements(w, r, status, pg) })
}

// disclosuresView is a disclosure log: a unit's, or one student's.
type disclosuresView struct {
	Child *sharing.Child
	Rows  []sharing.LoggedDisclosure
}

func (s *Server) unitDisclosures(w http.ResponseWriter, r *http.Request) {
	rows, err := s.Sharing.UnitDisclosures(r.Context(), principal(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "sharing_disclosures", page{Title: "sharing.disclosures", Active: "sharing", Data: disclosuresView{Rows: rows}})
}

func (s *Server) studentDisclosures(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	c, rows, err := s.Sharing.StudentDisclosures(r.Context(), principal(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "sharing_disclosures", page{Title: "sharing.student_disclosures", Active: "students",
		Data: disclosuresView{Child: c, Rows: rows}})
}

// consentsView is a student's consent page.
type consentsView struct {
	Child     *sharing.Child
	Consents  []sharing.Consent
	Kinds     []string
	Scopes    []string
	Methods   []string
	Relations []string
	Today     string
	Now       time.Time
}

// Has reports whether list holds code.
func (consentsView) Has(list []string, code string) bool { return slices.Contains(list, code) }

func (s *Server) sharingConsents(w http.ResponseWriter, r *http.Request) {
	s.showConsents(w, r, http.StatusOK, page{})
}

func (s *Server) showConsents(w http.ResponseWriter, r *http.Request, status int, pg page) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	c, list, err := s.Sharing.Consents(r.Context(), principal(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	now := time.Now()
	pg.Title, pg.Active = "sharing.consents", "students"
	pg.Data = consentsView{Child: c, Consents: list, Kinds: sharing.ConsentKinds, Scopes: sharing.Scopes, Methods: sharing.ConsentMethods,
		Relations: append(append([]string{}, student.Relations...), sharing.Self), Today: now.In(displayZone).Format("2006-01-02"), Now: now}
	s.render(w, r, status, "sharing_consents", pg)
}

func (s *Server) sharingRecordConsent(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	_ = r.ParseForm()
	f := r.PostForm
	n := sharing.NewConsent{Kind: f.Get("kind"), Scope: f["scope"], TextVersion: f.Get("text_version"), GivenByName: f.Get("given_by_name"),
		Relation: f.Get("relation"), Method: f.Get("method")}
	if t, err := time.ParseInLocation("2006-01-02", f.Get("given_at"), displayZone); err == nil {
		n.GivenAt = t
	}
	_, err := s.Sharing.RecordConsent(r.Context(), principal(r), id, n)
	s.afterWrite(w, r, err, page{Flash: "sharing.consent_saved"}, func(status int, pg page) { s.showConsents(w, r, status, pg) })
}

func (s *Server) sharingWithdrawConsent(w http.ResponseWriter, r *http.Request) {
	id, ok1 := pathID(r, "id")
	cid, ok2 := pathID(r, "cid")
	if !ok1 || !ok2 {
		s.notFound(w, r)
		return
	}
	err := s.Sharing.WithdrawConsent(r.Context(), principal(r), id, cid, r.PostFormValue("withdrawn_by"))
	s.afterWrite(w, r, err, page{Flash: "sharing.consent_withdrawn"}, func(status int, pg page) { s.showConsents(w, r, status, pg) })
}
