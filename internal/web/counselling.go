package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/care"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/student"
)

// counsellingView is a counsellor's calendar and the session forms.
type counsellingView struct {
	Units        []org.Unit
	Appointments []care.Appointment
	Today        string
}

func (s *Server) counselling(w http.ResponseWriter, r *http.Request) {
	s.showCounselling(w, r, http.StatusOK, page{})
}

func (s *Server) showCounselling(w http.ResponseWriter, r *http.Request, status int, pg page) {
	p := principal(r)
	units, err := s.unitsWith(r, p, access.CaseManage)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	now := time.Now()
	list, err := s.Care.Calendar(r.Context(), p, p.UserID, now.Add(-24*time.Hour), now.AddDate(0, 0, 28))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg.Title, pg.Active = "counselling.title", "counselling"
	pg.Data = counsellingView{Units: units, Appointments: list, Today: s.today().Format("2006-01-02")}
	s.render(w, r, status, "counselling", pg)
}

// formTime reads a date and a time field in China time.
func formTime(r *http.Request, date, clock string) time.Time {
	t, err := time.ParseInLocation("2006-01-02 15:04", r.PostFormValue(date)+" "+r.PostFormValue(clock), displayZone)
	if err != nil {
		return time.Time{}
	}
	return t
}

// studentsByNumber resolves student numbers (one per line or separated by
// spaces or commas) within the caller's reach.
func (s *Server) studentsByNumber(r *http.Request, text string) ([]int64, error) {
	var ids []int64
	for _, no := range strings.FieldsFunc(text, func(c rune) bool { return c == ',' || c == '，' || c == ' ' || c == '\n' || c == '\r' || c == '\t' }) {
		list, err := s.Student.FindStudents(r.Context(), principal(r), student.StudentFilter{Query: no, Limit: 5})
		if err != nil {
			return nil, err
		}
		found := int64(0)
		for _, st := range list {
			if st.StudentNo == no {
				found = st.ID
			}
		}
		if found == 0 {
			return nil, apperr.Invalid("counselling.unknown_student_no", map[string]string{"students": "counselling.unknown_student_no"})
		}
		ids = append(ids, found)
	}
	return ids, nil
}

func (s *Server) requestAppointment(w http.ResponseWriter, r *http.Request) {
	unit, _ := strconv.ParseInt(r.PostFormValue("unit"), 10, 64)
	minutes, _ := strconv.Atoi(r.PostFormValue("minutes"))
	a := care.Appointment{CounsellorID: principal(r).UserID, OrgUnitID: unit, RequestedBy: r.PostFormValue("requested_by"),
		StartsAt: formTime(r, "date", "time"), Minutes: minutes}
	var err error
	if no := strings.TrimSpace(r.PostFormValue("student_no")); no != "" {
		var ids []int64
		if ids, err = s.studentsByNumber(r, no); err == nil && len(ids) > 0 {
			a.StudentID = ids[0]
		}
	}
	if err == nil {
		_, err = s.Care.RequestAppointment(r.Context(), principal(r), a)
	}
	s.afterWrite(w, r, err, page{Flash: "counselling.booked"}, func(status int, pg page) { s.showCounselling(w, r, status, pg) })
}

func (s *Server) setAppointment(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	err := s.Care.SetAppointmentState(r.Context(), principal(r), id, r.PostFormValue("state"))
	s.afterWrite(w, r, err, page{Flash: "counselling.updated"}, func(status int, pg page) { s.showCounselling(w, r, status, pg) })
}

func (s *Server) recordSession(w http.ResponseWriter, r *http.Request) {
	unit, _ := strconv.ParseInt(r.PostFormValue("unit"), 10, 64)
	minutes, _ := strconv.Atoi(r.PostFormValue("minutes"))
	in := care.Session{Kind: r.PostFormValue("kind"), OrgUnitID: unit, HeldAt: formTime(r, "date", "time"), Minutes: minutes,
		Topic: r.PostFormValue("topic"), Notes: r.PostFormValue("notes")}
	ids, err := s.studentsByNumber(r, r.PostFormValue("students"))
	if err == nil {
		in.Attendees = ids
		_, err = s.Care.RecordSession(r.Context(), principal(r), in)
	}
	s.afterWrite(w, r, err, page{Flash: "counselling.recorded"}, func(status int, pg page) { s.showCounselling(w, r, status, pg) })
}
