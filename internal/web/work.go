package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/care"
	"github.com/careloop/careloop/internal/referral"
)

// workView is the caller's work list: open alerts, follow-ups due, plans
// to review and tasks, soonest first.
type workView struct {
	Items     []care.WorkItem
	Next      string // cursor of the next page, "" at the end
	Cases     []*care.Case
	Referrals []referral.Referral // overdue or awaiting consent
	Now       time.Time
}

func (s *Server) work(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	cur := parseCursor(r.URL.Query().Get("after"))
	items, next, err := s.Care.WorkList(r.Context(), p, cur, 50)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := workView{Items: items, Now: time.Now()}
	if next != (care.Cursor{}) {
		v.Next = strconv.FormatInt(next.Due, 10) + "." + next.Kind + "." + strconv.FormatInt(next.ID, 10)
	}
	if cur == (care.Cursor{}) {
		if v.Cases, err = s.Care.FindCases(r.Context(), p, care.CaseFilter{Mine: true, Open: true, Limit: 50}); err != nil {
			s.fail(w, r, err)
			return
		}
		if v.Referrals, err = s.Referral.Due(r.Context(), p); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	pg := page{Title: "nav.work", Active: "work", Data: v}
	if r.URL.Query().Get("done") == "1" {
		pg.Flash = "work.task_done"
	}
	s.render(w, r, http.StatusOK, "work", pg)
}

func parseCursor(s string) care.Cursor {
	parts := strings.SplitN(s, ".", 3)
	if len(parts) != 3 {
		return care.Cursor{}
	}
	due, err1 := strconv.ParseInt(parts[0], 10, 64)
	id, err2 := strconv.ParseInt(parts[2], 10, 64)
	if err1 != nil || err2 != nil {
		return care.Cursor{}
	}
	return care.Cursor{Due: due, Kind: parts[1], ID: id}
}

// followUp leads to the case of a follow-up.
func (s *Server) followUp(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	caseID, err := s.Care.CaseOfFollowUp(r.Context(), principal(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/cases/"+strconv.FormatInt(caseID, 10)+"#follow-ups", http.StatusSeeOther)
}
