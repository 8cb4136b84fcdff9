package web

import (
	"net/http"

	"github.com/careloop/careloop/internal/referral"
)

// hospital lists the referrals sent to the caller's units.
func (s *Server) hospital(w http.ResponseWriter, r *http.Request) {
	v, err := s.referralList(r, s.Referral.FindIncoming)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "hospital", page{Title: "hospital.list", Active: "hospital", Data: v})
}

func (s *Server) hospitalReferral(w http.ResponseWriter, r *http.Request) {
	s.showReferral(w, r, http.StatusOK, page{}, referral.SideHospital)
}

func (s *Server) afterHospitalWrite(w http.ResponseWriter, r *http.Request, err error, flash string) {
	s.afterReferralWrite(w, r, err, flash, referral.SideHospital)
}

func (s *Server) hospitalAccept(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	s.afterHospitalWrite(w, r, s.Referral.Accept(r.Context(), principal(r), id), "hospital.accepted_ok")
}

func (s *Server) hospitalDecline(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	err := s.Referral.Decline(r.Context(), principal(r), id, r.PostFormValue("reason"), r.PostFormValue("note"))
	s.afterHospitalWrite(w, r, err, "hospital.declined_ok")
}

func (s *Server) hospitalAppointment(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	_ = r.ParseForm()
	err := s.Referral.SetAppointment(r.Context(), principal(r), id, formDateTime(r.PostForm, "appointment_at"))
	s.afterHospitalWrite(w, r, err, "hospital.appointment_ok")
}

func (s *Server) hospitalSeen(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	_ = r.ParseForm()
	err := s.Referral.MarkSeen(r.Context(), principal(r), id, formDateTime(r.PostForm, "seen_at"))
	s.afterHospitalWrite(w, r, err, "hospital.seen_ok")
}

func (s *Server) hospitalFeedback(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	in := referral.FeedbackInput{Recommendations: r.PostFormValue("recommendations"), Detail: r.PostFormValue("detail"),
		HospitalStay: r.PostFormValue("hospital_stay") == "1", ReturnAt: formDay(r, "return_at"), ReturnPlan: r.PostFormValue("return_plan")}
	err := s.Referral.GiveFeedback(r.Context(), principal(r), id, in)
	s.afterHospitalWrite(w, r, err, "hospital.feedback_ok")
}
