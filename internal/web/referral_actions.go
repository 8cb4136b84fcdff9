package web

import (
	"net/http"
	"net/url"
	"strconv"

	"github.com/careloop/careloop/internal/i18n"
	"github.com/careloop/careloop/internal/referral"
)

func (s *Server) closeReferral(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	err := s.Referral.Close(r.Context(), principal(r), id, r.PostFormValue("reason"), r.PostFormValue("note"))
	s.afterReferralWrite(w, r, err, "referral.closed_ok", referral.SideSender)
}

func (s *Server) recordReferralConsent(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	_ = r.ParseForm()
	err := s.Referral.RecordConsent(r.Context(), principal(r), id, consentForm(r.PostForm))
	s.afterReferralWrite(w, r, err, "referral.consent_recorded", referral.SideSender)
}

func (s *Server) withdrawReferralDetail(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	err := s.Referral.WithdrawDetail(r.Context(), principal(r), id)
	s.afterReferralWrite(w, r, err, "referral.detail_withdrawn_ok", referral.SideSender)
}

func (s *Server) addReferralDocuments(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	_, docs, err := readReferralForm(w, r)
	switch {
	case err == errUploadTooBig:
		s.showReferral(w, r, http.StatusRequestEntityTooLarge, page{Error: "referral.upload_too_big"}, referral.SideSender)
		return
	case err != nil:
		s.showReferral(w, r, http.StatusBadRequest, page{Error: "form.invalid"}, referral.SideSender)
		return
	}
	err = s.Referral.AddDocuments(r.Context(), principal(r), id, docs)
	s.afterReferralWrite(w, r, err, "referral.documents_added", referral.SideSender)
}

// adoptReturnPlan puts a feedback's return-to-school plan into the
// student's support plan, under a heading in the caller's language.
func (s *Server) adoptReturnPlan(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	fid, _ := pathID(r, "fid")
	heading := i18n.T(localeOf(r), "referral.return_plan_heading", strconv.FormatInt(id, 10), s.today().Format("2006-01-02"))
	_, _, err := s.Referral.AdoptReturnPlan(r.Context(), principal(r), id, fid, heading)
	s.afterReferralWrite(w, r, err, "referral.return_plan_adopted_ok", referral.SideSender)
}

func (s *Server) referralDocument(w http.ResponseWriter, r *http.Request) {
	s.sendDocument(w, r, referral.SideSender)
}

func (s *Server) hospitalDocument(w http.ResponseWriter, r *http.Request) {
	s.sendDocument(w, r, referral.SideHospital)
}

// sendDocument downloads a referral's document; the service audits the
// read first. It is always an attachment, never shown inline.
func (s *Server) sendDocument(w http.ResponseWriter, r *http.Request, side string) {
	id, ok1 := pathID(r, "id")
	doc, ok2 := pathID(r, "doc")
	if !ok1 || !ok2 {
		s.notFound(w, r)
		return
	}
	f, err := s.Referral.OpenDocument(r.Context(), principal(r), side, id, doc)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.ContentType)
	h.Set("Content-Length", strconv.Itoa(len(f.Body)))
	h.Set("Content-Disposition", "attachment; filename=\"document-"+strconv.FormatInt(f.ID, 10)+"\"; filename*=UTF-8''"+url.PathEscape(f.Name))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(f.Body)
}
