package web

import (
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/training"
)

// trainingView is the training home: courses, upcoming sessions and the
// form that adds a course.
type trainingView struct {
	Courses  []training.Course
	Upcoming []training.Session
	Units    []org.Unit
	Kinds    []string
	Roles    []string
}

func (s *Server) trainingHome(w http.ResponseWriter, r *http.Request) {
	s.showTrainingHome(w, r, http.StatusOK, page{})
}

func (s *Server) showTrainingHome(w http.ResponseWriter, r *http.Request, status int, pg page) {
	p := principal(r)
	courses, err := s.Training.Courses(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	up, err := s.Training.UpcomingSessions(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	units, err := s.unitsWith(r, p, access.TrainingManage)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg.Title, pg.Active = "training.nav", "training"
	pg.Data = trainingView{Courses: courses, Upcoming: up, Units: units, Kinds: training.Kinds, Roles: access.RoleNames()}
	s.render(w, r, status, "training", pg)
}

func trainingFloat(v string) float64 {
	f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
	if err != nil {
		return -1
	}
	return f
}

func trainingInt(v string) int {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return -1
	}
	return n
}

func (s *Server) trainingCreateCourse(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	f := r.PostForm
	unit, _ := strconv.ParseInt(f.Get("unit"), 10, 64)
	req := 0
	if v := f.Get("required_sessions"); v != "" {
		req = trainingInt(v)
	}
	n := training.NewCourse{UnitID: unit, Title: f.Get("title"), TitleEn: f.Get("title_en"), Kind: f.Get("kind"), Level: f.Get("level"),
		RequiredSessions: req, Hours: trainingFloat(f.Get("hours")), RequiredFor: f["required_for"]}
	id, err := s.Training.CreateCourse(r.Context(), principal(r), n)
	switch apperr.CodeOf(err) {
	case "":
		http.Redirect(w, r, "/training/courses/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	case apperr.EInvalid:
		s.showTrainingHome(w, r, http.StatusUnprocessableEntity, page{Error: apperr.MessageOf(err), Fields: apperr.FieldsOf(err), Form: r.PostForm})
	default:
		s.fail(w, r, err)
	}
}

// trainingCourseView is a course with its sessions and the session form.
type trainingCourseView struct {
	C        *training.Course
	Sessions []training.Session
	Today    string
}

func (s *Server) trainingCourse(w http.ResponseWriter, r *http.Request) {
	s.showTrainingCourse(w, r, http.StatusOK, page{})
}

func (s *Server) showTrainingCourse(w http.ResponseWriter, r *http.Request, status int, pg page) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	c, sessions, err := s.Training.FindCourse(r.Context(), principal(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg.Title, pg.Active = "training.course", "training"
	pg.Data = trainingCourseView{C: c, Sessions: sessions, Today: time.Now().In(displayZone).Format("2006-01-02")}
	s.render(w, r, status, "training_course", pg)
}

// trainingTime reads a datetime-local field (China time).
func trainingTime(v string) time.Time {
	for _, layout := range []string{"2006-01-02T15:04", "2006-01-02T15:04:05", "2006-01-02 15:04"} {
		if t, err := time.ParseInLocation(layout, strings.TrimSpace(v), displayZone); err == nil {
			return t
		}
	}
	return time.Time{}
}

func (s *Server) trainingSchedule(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	_ = r.ParseForm()
	f := r.PostForm
	hours := 0.0
	if v := f.Get("hours"); v != "" {
		hours = trainingFloat(v)
	}
	n := training.NewSession{CourseID: id, StartsAt: trainingTime(f.Get("starts_at")), EndsAt: trainingTime(f.Get("ends_at")),
		Place: f.Get("place"), OnlineURL: f.Get("online_url"), Trainers: f.Get("trainers"), Capacity: trainingInt(f.Get("capacity")), Hours: hours}
	sid, err := s.Training.ScheduleSession(r.Context(), principal(r), n)
	switch apperr.CodeOf(err) {
	case "":
		http.Redirect(w, r, "/training/sessions/"+strconv.FormatInt(sid, 10), http.StatusSeeOther)
	case apperr.EInvalid:
		s.showTrainingCourse(w, r, http.StatusUnprocessableEntity, page{Error: apperr.MessageOf(err), Fields: apperr.FieldsOf(err), Form: r.PostForm})
	default:
		s.fail(w, r, err)
	}
}
