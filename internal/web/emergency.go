package web

import (
	"html/template"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/sharing"
)

// emergencyView is the break-the-glass page: the form and the caller's
// own grants.
type emergencyView struct {
	Grants []sharing.Grant
	Hours  float64
	Now    time.Time
}

func (s *Server) emergency(w http.ResponseWriter, r *http.Request) {
	s.showEmergency(w, r, http.StatusOK, page{})
}

func (s *Server) showEmergency(w http.ResponseWriter, r *http.Request, status int, pg page) {
	grants, err := s.Sharing.MyGrants(r.Context(), principal(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	hours := sharing.DefaultEmergencyFor.Hours()
	if s.Sharing.EmergencyFor > 0 {
		hours = s.Sharing.EmergencyFor.Hours()
	}
	pg.Title, pg.Active = "emergency.title", "emergency"
	pg.Data = emergencyView{Grants: grants, Hours: hours, Now: time.Now()}
	s.render(w, r, status, "emergency", pg)
}

// startEmergency breaks the glass and opens the record's page at once.
func (s *Server) startEmergency(w http.ResponseWriter, r *http.Request) {
	req := sharing.EmergencyRequest{StudentNo: r.PostFormValue("student_no"), Reason: r.PostFormValue("reason"),
		LifeException: r.PostFormValue("life_exception") == "1"}
	id, err := s.Sharing.StartEmergency(r.Context(), principal(r), req)
	switch apperr.CodeOf(err) {
	case "":
		http.Redirect(w, r, "/emergency/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	case apperr.EInvalid:
		s.showEmergency(w, r, http.StatusUnprocessableEntity, page{Error: apperr.MessageOf(err), Fields: apperr.FieldsOf(err), Form: r.PostForm})
	case apperr.EConflict:
		s.showEmergency(w, r, http.StatusConflict, page{Error: apperr.MessageOf(err), Form: r.PostForm})
	default:
		s.fail(w, r, err)
	}
}

// emergencyRecord is the read-only page of the one record; every load is
// a read, checked against the grant and audited.
func (s *Server) emergencyRecord(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "grant")
	if !ok {
		s.notFound(w, r)
		return
	}
	v, err := s.Sharing.EmergencyRecord(r.Context(), principal(r), id)
	if apperr.CodeOf(err) == apperr.EConflict {
		s.showEmergency(w, r, http.StatusGone, page{Error: apperr.MessageOf(err)})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "emergency_record", page{Title: "emergency.record", Active: "emergency", Data: emergencyRecordView{v}})
}

// emergencyRecordView lets the page dial a guardian from a phone.
type emergencyRecordView struct{ *sharing.EmergencyView }

// Tel is a tel: link for a phone number, keeping only digits and a
// leading plus.
func (emergencyRecordView) Tel(phone string) template.URL {
	var b strings.Builder
	for i, r := range phone {
		if (r >= '0' && r <= '9') || (r == '+' && i == 0) {
			b.WriteRune(r)
		}
	}
	return template.URL("tel:" + b.String())
}

func (s *Server) endEmergency(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "grant")
	if !ok {
		s.notFound(w, r)
		return
	}
	err := s.Sharing.EndEmergency(r.Context(), principal(r), id)
	s.afterWrite(w, r, err, page{Flash: "emergency.ended_now"}, func(status int, pg page) { s.showEmergency(w, r, status, pg) })
}

// reviewEmergency shows a grant to a supervisor or school leader alerted of it.
func (s *Server) reviewEmergency(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "grant")
	if !ok {
		s.notFound(w, r)
		return
	}
	g, err := s.Sharing.ReviewGrant(r.Context(), principal(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "emergency_review", page{Title: "emergency.review", Data: struct {
		G   *sharing.Grant
		Now time.Time
	}{g, time.Now()}})
}
