package web

import (
	"net/http"
	"strings"

	"github.com/careloop/careloop/internal/apperr"
)

// linkContact links the contact to a student by student number.
func (s *Server) linkContact(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	err := s.Hotline.LinkStudentNo(r.Context(), principal(r), id, strings.TrimSpace(r.PostFormValue("student_no")))
	s.afterEscalation(w, r, err, page{Flash: "contact.linked"})
}

// raiseContactAlert raises an early-warning alert for the linked student.
func (s *Server) raiseContactAlert(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	alert, err := s.Hotline.RaiseAlert(r.Context(), principal(r), id)
	pg := page{Flash: "contact.alert_raised", FlashArgs: []any{alert}}
	if err == nil && alert == 0 {
		pg = page{Flash: "contact.alert_joined"}
	}
	s.afterEscalation(w, r, err, pg)
}

// escalateContact calls the supervisors on duty to a crisis.
func (s *Server) escalateContact(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	told, err := s.Hotline.EscalateCrisis(r.Context(), principal(r), id)
	s.afterEscalation(w, r, err, page{Flash: "contact.crisis_escalated", FlashArgs: []any{told}})
}

func (s *Server) afterEscalation(w http.ResponseWriter, r *http.Request, err error, ok page) {
	switch apperr.CodeOf(err) {
	case "":
		s.showContact(w, r, http.StatusOK, ok, nil)
	case apperr.EInvalid, apperr.EConflict:
		s.showContact(w, r, http.StatusUnprocessableEntity, page{Error: apperr.MessageOf(err), Fields: apperr.FieldsOf(err), Form: r.PostForm}, nil)
	default:
		s.fail(w, r, err)
	}
}
