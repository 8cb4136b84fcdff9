package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/warning"
)

// dutyView is the duty roster of the caller's units and the deadlines.
type dutyView struct {
	Units      []org.Unit
	Unit       int64
	Candidates []warning.DutyCandidate
	Shifts     []warning.DutyShift
	Today      string
}

func (s *Server) duty(w http.ResponseWriter, r *http.Request) {
	s.showDuty(w, r, http.StatusOK, page{})
}

func (s *Server) showDuty(w http.ResponseWriter, r *http.Request, status int, pg page) {
	p := principal(r)
	units, err := s.unitsWith(r, p, access.DutyManage)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := dutyView{Units: units, Today: s.today().Format("2006-01-02")}
	v.Unit, _ = strconv.ParseInt(r.FormValue("unit"), 10, 64)
	if v.Unit == 0 && len(units) > 0 {
		v.Unit = units[0].ID
	}
	if v.Unit != 0 {
		if v.Candidates, err = s.Warning.DutyCandidates(r.Context(), p, v.Unit); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if v.Shifts, err = s.Warning.Shifts(r.Context(), p, time.Now()); err != nil {
		s.fail(w, r, err)
		return
	}
	pg.Title, pg.Active, pg.Data = "duty.title", "duty", v
	s.render(w, r, status, "duty", pg)
}

func (s *Server) addShift(w http.ResponseWriter, r *http.Request) {
	unit, _ := strconv.ParseInt(r.PostFormValue("unit"), 10, 64)
	user, _ := strconv.ParseInt(r.PostFormValue("user"), 10, 64)
	d := warning.DutyShift{OrgUnitID: unit, UserID: user, Start: formTime(r, "start_date", "start_time"), End: formTime(r, "end_date", "end_time"),
		Purpose: r.PostFormValue("purpose")}
	_, err := s.Warning.AddShift(r.Context(), principal(r), d)
	s.afterWrite(w, r, err, page{Flash: "duty.added"}, func(status int, pg page) { s.showDuty(w, r, status, pg) })
}

func (s *Server) endShift(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	err := s.Warning.EndShift(r.Context(), principal(r), id)
	s.afterWrite(w, r, err, page{Flash: "duty.ended"}, func(status int, pg page) { s.showDuty(w, r, status, pg) })
}

// setDeadlines changes one level's deadlines (the city only).
func (s *Server) setDeadlines(w http.ResponseWriter, r *http.Request) {
	ack, _ := strconv.Atoi(r.PostFormValue("ack"))
	contact, _ := strconv.Atoi(r.PostFormValue("contact"))
	err := s.Warning.SetDeadlines(r.Context(), principal(r), r.PostFormValue("level"),
		warning.Deadlines{Ack: time.Duration(ack) * time.Minute, Contact: time.Duration(contact) * time.Minute})
	s.afterWrite(w, r, err, page{Flash: "deadline.saved"}, func(status int, pg page) { s.showRules(w, r, status, pg) })
}
