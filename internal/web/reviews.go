package web

import (
	"net/http"
	"slices"
	"strconv"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/care"
	"github.com/careloop/careloop/internal/org"
)

// reviewsView lists a unit's risk reviews and prepares the next one.
type reviewsView struct {
	Units     []org.Unit
	Unit      int64
	Reviews   []care.Review
	Agenda    *care.Agenda
	Students  []care.AgendaItem // each student of the agenda once, for a decision
	Decisions []string
	Tiers     []string
	Today     string
	Staff     []care.StaffMember
}

func (s *Server) reviews(w http.ResponseWriter, r *http.Request) {
	s.showReviews(w, r, http.StatusOK, page{})
}

func (s *Server) showReviews(w http.ResponseWriter, r *http.Request, status int, pg page) {
	p := principal(r)
	units, err := s.unitsWith(r, p, access.ReviewManage)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := reviewsView{Units: units, Decisions: care.ReviewDecisions, Tiers: []string{"green", "yellow", "orange", "red"},
		Today: s.today().Format("2006-01-02")}
	v.Unit, _ = strconv.ParseInt(r.FormValue("unit"), 10, 64)
	if v.Unit == 0 && len(units) > 0 {
		v.Unit = units[0].ID
	}
	if v.Unit != 0 {
		if v.Reviews, err = s.Care.FindReviews(r.Context(), p, v.Unit); err != nil {
			s.fail(w, r, err)
			return
		}
		if v.Staff, err = s.Care.Staff(r.Context(), p, v.Unit); err != nil {
			s.fail(w, r, err)
			return
		}
		if v.Agenda, err = s.Care.ReviewAgenda(r.Context(), p, v.Unit); err != nil {
			s.fail(w, r, err)
			return
		}
		seen := map[int64]bool{}
		for _, l := range [][]care.AgendaItem{v.Agenda.Alerts, v.Agenda.Students, v.Agenda.Overdue, v.Agenda.PlansDue} {
			for _, it := range l {
				if !seen[it.StudentID] {
					seen[it.StudentID] = true
					v.Students = append(v.Students, it)
				}
			}
		}
	}
	pg.Title, pg.Active, pg.Data = "review.list", "reviews", v
	s.render(w, r, status, "reviews", pg)
}

// holdReview records a review: attendees, sealed minutes and a decision
// per student of the agenda (students left at "keep" need no task).
func (s *Server) holdReview(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	unit, _ := strconv.ParseInt(r.PostFormValue("unit"), 10, 64)
	rv := care.Review{OrgUnitID: unit, Kind: r.PostFormValue("kind"), HeldAt: time.Now(), Minutes: r.PostFormValue("minutes")}
	for _, a := range r.PostForm["attendees"] {
		if id, err := strconv.ParseInt(a, 10, 64); err == nil {
			rv.Attendees = append(rv.Attendees, id)
		}
	}
	if !slices.Contains(rv.Attendees, principal(r).UserID) {
		rv.Attendees = append(rv.Attendees, principal(r).UserID) // the one who records it attended
	}
	for _, sid := range r.PostForm["student"] {
		id, err := strconv.ParseInt(sid, 10, 64)
		if err != nil {
			continue
		}
		d := care.ReviewDecision{StudentID: id, Decision: r.PostFormValue("decision_" + sid), NewTier: r.PostFormValue("tier_" + sid)}
		if d.Decision == "" {
			d.Decision = "keep"
		}
		d.TaskOwner, _ = strconv.ParseInt(r.PostFormValue("owner_"+sid), 10, 64)
		d.TaskDue = formDate(r, "due_"+sid)
		rv.Decisions = append(rv.Decisions, d)
	}
	_, err := s.Care.HoldReview(r.Context(), principal(r), rv)
	s.afterWrite(w, r, err, page{Flash: "review.held"}, func(status int, pg page) { s.showReviews(w, r, status, pg) })
}

func (s *Server) riskReview(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	rv, err := s.Care.FindReview(r.Context(), principal(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "review_record", page{Title: "review.record", Active: "reviews", Data: rv})
}

func (s *Server) completeTask(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	if err := s.Care.CompleteTask(r.Context(), principal(r), id); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/work?done=1", http.StatusSeeOther)
}
