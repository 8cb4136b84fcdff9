package web

import (
	"context"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/care"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/referral"
)

// referralsView is a list of referrals (sent, or received by a hospital).
type referralsView struct {
	List []referral.Referral
	All  bool // closed and declined ones included
	Next int64
}

// referrals lists the referrals the caller follows, overdue ones marked.
func (s *Server) referrals(w http.ResponseWriter, r *http.Request) {
	v, err := s.referralList(r, s.Referral.FindSent)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "referrals", page{Title: "referral.list", Active: "referrals", Data: v})
}

func (s *Server) referralList(r *http.Request, find func(ctx context.Context, p access.Principal, f referral.Filter) ([]referral.Referral, error)) (referralsView, error) {
	q := r.URL.Query()
	after, _ := strconv.ParseInt(q.Get("after"), 10, 64)
	v := referralsView{All: q.Get("all") == "1"}
	list, err := find(r.Context(), principal(r), referral.Filter{Open: !v.All, After: after, Limit: 50})
	if err != nil {
		return v, err
	}
	v.List = list
	if len(list) == 50 {
		v.Next = list[len(list)-1].ID
	}
	return v, nil
}

// referralFormView is the form that sends a referral.
type referralFormView struct {
	Case      *care.CaseDetail // the case or plan referred from, when given
	Units     []referral.Unit  // where to refer
	FromUnits []org.Unit       // an incident's units
	Sources   []string
	Urgencies []string
	By, How   []string
	Genders   []string
	Now       string // datetime-local, China time
}

func (s *Server) referralForm(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	source := q.Get("source")
	if source == "" {
		source = referral.SourceCase
	}
	form := url.Values{"source": {source}, "source_id": {q.Get("id")}, "urgency": {referral.Routine}}
	s.showReferralForm(w, r, http.StatusOK, page{Form: form})
}

func (s *Server) showReferralForm(w http.ResponseWriter, r *http.Request, status int, pg page) {
	p := principal(r)
	v := referralFormView{Sources: referral.Sources, Urgencies: referral.Urgencies, By: referral.ConsentBy, How: referral.ConsentHow,
		Genders: referral.Genders, Now: s.today().Format("2006-01-02T15:04")}
	if pg.Form == nil {
		pg.Form = url.Values{}
	}
	if id, _ := strconv.ParseInt(pg.Form.Get("source_id"), 10, 64); id > 0 && pg.Form.Get("source") != referral.SourceIncident {
		c, err := s.Care.FindCase(r.Context(), p, id)
		switch apperr.CodeOf(err) {
		case "":
			v.Case = c
		case apperr.ENotFound:
			if pg.Fields == nil {
				pg.Fields = map[string]string{}
			}
			pg.Fields["source_id"] = "referral.case_unknown"
		default:
			s.fail(w, r, err)
			return
		}
	}
	var err error
	if v.Units, err = s.Referral.ReceivingUnits(r.Context(), p); err != nil {
		s.fail(w, r, err)
		return
	}
	if v.FromUnits, err = s.unitsWith(r, p, access.ReferralManage); err != nil {
		s.fail(w, r, err)
		return
	}
	pg.Title, pg.Active, pg.Data = "referral.new", "referrals", v
	s.render(w, r, status, "referral_new", pg)
}

// sendReferral sends a referral with its documents and shows it.
func (s *Server) sendReferral(w http.ResponseWriter, r *http.Request) {
	f, docs, err := readReferralForm(w, r)
	switch {
	case err == errUploadTooBig:
		s.showReferralForm(w, r, http.StatusRequestEntityTooLarge, page{Error: "referral.upload_too_big", Form: f})
		return
	case err != nil:
		s.showReferralForm(w, r, http.StatusBadRequest, page{Error: "form.invalid", Form: f})
		return
	}
	id, err := s.Referral.Send(r.Context(), principal(r), newReferralForm(f, docs))
	switch apperr.CodeOf(err) {
	case "":
		http.Redirect(w, r, "/referrals/"+strconv.FormatInt(id, 10)+"?sent=1", http.StatusSeeOther)
	case apperr.EInvalid:
		s.showReferralForm(w, r, http.StatusUnprocessableEntity, page{Error: apperr.MessageOf(err), Fields: apperr.FieldsOf(err), Form: f})
	default:
		s.fail(w, r, err)
	}
}

// referralView is one referral on either side, with the choices of its forms.
type referralView struct {
	*referral.Detail
	Base           string // /referrals/{id} or /hospital/{id}
	DeclineReasons []string
	CloseReasons   []string
	By, How        []string
	Now            string // datetime-local, China time
	Today          string
}

// Can reports whether the caller's side may take action now.
func (v referralView) Can(action string) bool {
	for _, a := range v.Actions {
		if a == action {
			return true
		}
	}
	return false
}

// Hospital reports whether the page is the receiving side's.
func (v referralView) Hospital() bool { return v.Side == referral.SideHospital }

func (s *Server) referral(w http.ResponseWriter, r *http.Request) {
	pg := page{}
	if r.URL.Query().Get("sent") == "1" {
		pg.Flash = "referral.sent"
	}
	s.showReferral(w, r, http.StatusOK, pg, referral.SideSender)
}

// showReferral renders referral {id} for side.
func (s *Server) showReferral(w http.ResponseWriter, r *http.Request, status int, pg page, side string) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	get, base, active := s.Referral.Sent, "/referrals/", "referrals"
	if side == referral.SideHospital {
		get, base, active = s.Referral.Received, "/hospital/", "hospital"
	}
	d, err := get(r.Context(), principal(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	now := s.today()
	pg.Title, pg.Active = "referral.referral", active
	pg.Data = referralView{Detail: d, Base: base + strconv.FormatInt(id, 10), DeclineReasons: referral.DeclineReasons,
		CloseReasons: referral.CloseReasons, By: referral.ConsentBy, How: referral.ConsentHow, Now: now.Format("2006-01-02T15:04"),
		Today: now.Format("2006-01-02")}
	s.render(w, r, status, "referral", pg)
}

// afterReferralWrite shows the referral again after an act by side: with
// the flash on success, with the form's problems on a validation error.
func (s *Server) afterReferralWrite(w http.ResponseWriter, r *http.Request, err error, flash, side string) {
	s.afterWrite(w, r, err, page{Flash: flash}, func(status int, pg page) { s.showReferral(w, r, status, pg, side) })
}

// formDay reads a YYYY-MM-DD field as the start of that day, China time.
func formDay(r *http.Request, name string) time.Time {
	t, err := time.ParseInLocation("2006-01-02", r.PostFormValue(name), displayZone)
	if err != nil {
		return time.Time{}
	}
	return t
}
