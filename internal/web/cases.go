package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/care"
)

// openCase opens a case from an alert (or joins the student's open case);
// the alert closes with the decision "case" in the same transaction.
func (s *Server) openCase(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	p := principal(r)
	a, err := s.Warning.FindAlert(r.Context(), p, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	caseID, err := s.Care.OpenCase(r.Context(), p, a.StudentID, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/cases/"+strconv.FormatInt(caseID, 10)+"?opened=1", http.StatusSeeOther)
}

// caseView is a case with the choices its forms offer.
type caseView struct {
	*care.CaseDetail
	Frequencies  []string
	Measures     []string
	CloseReasons []string
	Today        string
	Tiers        []string
}

func (s *Server) caseDetail(w http.ResponseWriter, r *http.Request) {
	pg := page{}
	if r.URL.Query().Get("opened") == "1" {
		pg.Flash = "case.opened"
	}
	s.showCase(w, r, http.StatusOK, pg)
}

func (s *Server) showCase(w http.ResponseWriter, r *http.Request, status int, pg page) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	d, err := s.Care.FindCase(r.Context(), principal(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg.Title, pg.Active = "case.case", "work"
	pg.Data = caseView{CaseDetail: d, Frequencies: care.PlanFrequencies, Measures: care.PlanMeasures, CloseReasons: care.CloseReasons,
		Today: s.today().Format("2006-01-02"), Tiers: []string{"green", "yellow", "orange", "red"}}
	s.render(w, r, status, "case", pg)
}

func (s *Server) afterCaseWrite(w http.ResponseWriter, r *http.Request, err error, flash string) {
	s.afterWrite(w, r, err, page{Flash: flash}, func(status int, pg page) { s.showCase(w, r, status, pg) })
}

// formDate reads a YYYY-MM-DD field as the end of that day, China time
// (a follow-up due "on the 5th" is due by the end of the 5th).
func formDate(r *http.Request, name string) time.Time {
	t, err := time.ParseInLocation("2006-01-02", r.PostFormValue(name), displayZone)
	if err != nil {
		return time.Time{}
	}
	return t.Add(24*time.Hour - time.Minute)
}

func (s *Server) savePlan(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	_ = r.ParseForm()
	var responsible []int64
	for _, v := range strings.Fields(strings.ReplaceAll(r.PostFormValue("responsible"), ",", " ")) {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil {
			responsible = append(responsible, n)
		}
	}
	in := care.PlanInput{Concern: r.PostFormValue("concern"), Goals: r.PostFormValue("goals"), MeasureNotes: r.PostFormValue("measure_notes"),
		Measures: r.PostForm["measures"], Frequency: r.PostFormValue("frequency"), Responsible: responsible, NextReview: formDate(r, "next_review")}
	_, err := s.Care.SavePlan(r.Context(), principal(r), id, in)
	s.afterCaseWrite(w, r, err, "case.plan_saved")
}

func (s *Server) planFollowUp(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	_, err := s.Care.PlanFollowUp(r.Context(), principal(r), id, r.PostFormValue("kind"), formDate(r, "due"))
	s.afterCaseWrite(w, r, err, "case.follow_up_planned")
}

func (s *Server) recordFollowUp(w http.ResponseWriter, r *http.Request) {
	fid, _ := pathID(r, "fid")
	err := s.Care.RecordFollowUp(r.Context(), principal(r), fid, care.FollowUpRecord{Notes: r.PostFormValue("notes"), TierChange: r.PostFormValue("tier")})
	s.afterCaseWrite(w, r, err, "case.follow_up_recorded")
}

func (s *Server) requestCloseCase(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	err := s.Care.RequestClose(r.Context(), principal(r), id, r.PostFormValue("reason"), r.PostFormValue("note"))
	s.afterCaseWrite(w, r, err, "case.close_requested")
}

func (s *Server) signOffCase(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	err := s.Care.SignOff(r.Context(), principal(r), id)
	s.afterCaseWrite(w, r, err, "case.closed_ok")
}

func (s *Server) reopenCase(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	err := s.Care.Reopen(r.Context(), principal(r), id, r.PostFormValue("why"))
	s.afterCaseWrite(w, r, err, "case.reopened_ok")
}
