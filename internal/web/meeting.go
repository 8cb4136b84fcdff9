package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/sharing"
)

// meetingsView is the list of joint meetings, the overdue action items and
// the form that schedules a meeting.
type meetingsView struct {
	Meetings []sharing.JointMeeting
	Overdue  []sharing.ActionItem
	Units    []org.Unit         // where the caller convenes
	Partners []sharing.UnitName // who may be a member
	Today    string
}

func (s *Server) meetings(w http.ResponseWriter, r *http.Request) {
	s.showMeetings(w, r, http.StatusOK, page{})
}

func (s *Server) showMeetings(w http.ResponseWriter, r *http.Request, status int, pg page) {
	p := principal(r)
	list, err := s.Sharing.Meetings(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	overdue, err := s.Sharing.OverdueActions(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	units, err := s.unitsWith(r, p, access.MeetingManage)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	partners, err := s.Sharing.Partners(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg.Title, pg.Active = "meeting.list", "meetings"
	pg.Data = meetingsView{Meetings: list, Overdue: overdue, Units: units, Partners: partners, Today: time.Now().In(displayZone).Format("2006-01-02")}
	s.render(w, r, status, "meetings", pg)
}

func formIDs(vs []string) []int64 {
	var out []int64
	for _, v := range vs {
		if n, err := strconv.ParseInt(v, 10, 64); err == nil && n > 0 {
			out = append(out, n)
		}
	}
	return out
}

func (s *Server) createMeeting(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	f := r.PostForm
	unit, _ := strconv.ParseInt(f.Get("convening_unit"), 10, 64)
	n := sharing.NewMeeting{ConveningUnit: unit, Title: f.Get("title"), Members: formIDs(f["members"])}
	if t, err := time.ParseInLocation("2006-01-02", f.Get("held_at"), displayZone); err == nil {
		n.HeldAt = t
	}
	id, err := s.Sharing.CreateMeeting(r.Context(), principal(r), n)
	switch apperr.CodeOf(err) {
	case "":
		http.Redirect(w, r, "/meetings/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	case apperr.EInvalid:
		s.showMeetings(w, r, http.StatusUnprocessableEntity, page{Error: apperr.MessageOf(err), Fields: apperr.FieldsOf(err), Form: r.PostForm})
	default:
		s.fail(w, r, err)
	}
}

// meetingView is one meeting with the choices of its forms.
type meetingView struct {
	M           *sharing.JointMeeting
	People      []sharing.Person
	Attendances []string
	Bases       []string
	Today       string
}

func (s *Server) meeting(w http.ResponseWriter, r *http.Request) {
	s.showMeeting(w, r, http.StatusOK, page{})
}

func (s *Server) showMeeting(w http.ResponseWriter, r *http.Request, status int, pg page) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	p := principal(r)
	mt, err := s.Sharing.FindMeeting(r.Context(), p, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	var people []sharing.Person
	if mt.Mine {
		if people, err = s.Sharing.Candidates(r.Context(), p, id); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	pg.Title, pg.Active = "meeting.title", "meetings"
	pg.Data = meetingView{M: mt, People: people, Attendances: sharing.Attendances, Bases: sharing.MeetingBases,
		Today: time.Now().In(displayZone).Format("2006-01-02")}
	s.render(w, r, status, "meeting", pg)
}

func (s *Server) afterMeetingWrite(w http.ResponseWriter, r *http.Request, err error, flash string) {
	s.afterWrite(w, r, err, page{Flash: flash}, func(status int, pg page) { s.showMeeting(w, r, status, pg) })
}

func (s *Server) meetingAttendance(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	_ = r.ParseForm()
	att := map[int64]string{}
	for k, v := range r.PostForm {
		if u, ok := strings.CutPrefix(k, "att_"); ok {
			if n, err := strconv.ParseInt(u, 10, 64); err == nil && len(v) > 0 {
				att[n] = v[0]
			}
		}
	}
	s.afterMeetingWrite(w, r, s.Sharing.SetAttendance(r.Context(), principal(r), id, att), "meeting.saved")
}

func (s *Server) meetingDecisions(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	s.afterMeetingWrite(w, r, s.Sharing.SetDecisions(r.Context(), principal(r), id, r.PostFormValue("decisions")), "meeting.saved")
}

func (s *Server) meetingItem(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	_, err := s.Sharing.AddItem(r.Context(), principal(r), id, sharing.NewItem{Body: r.PostFormValue("body"),
		StudentNo: r.PostFormValue("student_no"), Basis: r.PostFormValue("basis")})
	s.afterMeetingWrite(w, r, err, "meeting.item_added")
}

func (s *Server) meetingAction(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	owner, unit := int64(0), int64(0)
	// The owner field carries "user:unit", from the list of candidates.
	if u, o, ok := strings.Cut(r.PostFormValue("owner"), ":"); ok {
		owner, _ = strconv.ParseInt(u, 10, 64)
		unit, _ = strconv.ParseInt(o, 10, 64)
	}
	_, err := s.Sharing.AddAction(r.Context(), principal(r), id, sharing.NewAction{Body: r.PostFormValue("body"), OwnerID: owner,
		OwningUnit: unit, Due: formDate(r, "due")})
	s.afterMeetingWrite(w, r, err, "meeting.action_added")
}

// myMeetingActions lists the caller's own action items.
func (s *Server) myMeetingActions(w http.ResponseWriter, r *http.Request) {
	s.showMyActions(w, r, http.StatusOK, page{})
}

func (s *Server) showMyActions(w http.ResponseWriter, r *http.Request, status int, pg page) {
	list, err := s.Sharing.MyActions(r.Context(), principal(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg.Title, pg.Active, pg.Data = "meeting.my_actions", "meetings", list
	s.render(w, r, status, "meeting_actions", pg)
}

func (s *Server) completeMeetingAction(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	err := s.Sharing.CompleteAction(r.Context(), principal(r), id, r.PostFormValue("note"))
	back := func(status int, pg page) { s.showMyActions(w, r, status, pg) }
	if m, _ := strconv.ParseInt(r.PostFormValue("meeting"), 10, 64); m > 0 && apperr.CodeOf(err) == "" {
		http.Redirect(w, r, "/meetings/"+strconv.FormatInt(m, 10), http.StatusSeeOther)
		return
	}
	s.afterWrite(w, r, err, page{Flash: "meeting.action_done"}, back)
}
