package web

import (
	"encoding/json"
	"net/http"
	"strconv"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/screening"
	"github.com/careloop/careloop/internal/student"
)

type studentsView struct {
	Students []student.Student
	Filter   student.StudentFilter
	Schools  []org.Unit
	CanWrite bool
	Searched bool
}

// students lists and searches the students in the caller's scope. Nothing
// is listed before the caller filters or searches, so that opening the page
// does not read a whole district's identities.
func (s *Server) students(w http.ResponseWriter, r *http.Request) {
	s.listStudents(w, r, http.StatusOK, page{})
}

func (s *Server) listStudents(w http.ResponseWriter, r *http.Request, status int, pg page) {
	p, q := principal(r), r.URL.Query()
	f := student.StudentFilter{Query: q.Get("q"), ClassName: q.Get("class"), Status: q.Get("status"), Limit: 200}
	f.SchoolID, _ = strconv.ParseInt(q.Get("school"), 10, 64)
	f.Grade, _ = strconv.Atoi(q.Get("grade"))
	v := studentsView{Filter: f, CanWrite: p.Can(access.RecordWrite)}
	var err error
	if v.Schools, err = s.Org.FindUnits(r.Context(), p, org.UnitFilter{Kind: org.School, Limit: 500}); err != nil {
		s.fail(w, r, err)
		return
	}
	if f.Query != "" || f.SchoolID != 0 {
		v.Searched = true
		if v.Students, err = s.Student.FindStudents(r.Context(), p, f); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	pg.Title, pg.Active, pg.Data = "student.list", "students", v
	s.render(w, r, status, "students", pg)
}

type recordView struct {
	Record     *student.Record
	Screenings []screening.ScreeningResult
	Status     *screening.StudentStatus
	Trend      string // JSON for the trend chart: instrument → [[date, total], ...]
	CanWrite   bool
	RiskKinds  []string
	Schools    []org.Unit
	AgeToday   int
}

func (s *Server) studentRecord(w http.ResponseWriter, r *http.Request) {
	s.showRecord(w, r, http.StatusOK, page{})
}

func (s *Server) showRecord(w http.ResponseWriter, r *http.Request, status int, pg page) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	p := principal(r)
	rec, err := s.Student.FindRecord(r.Context(), p, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := recordView{Record: rec, RiskKinds: student.RiskFactorKinds}
	if _, ok := p.At(access.RecordWrite, rec.Student.SchoolPath); ok {
		v.CanWrite = true
		if v.Schools, err = s.Org.FindUnits(r.Context(), p, org.UnitFilter{Kind: org.School, Limit: 500}); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	v.AgeToday = rec.Student.Age(s.today())
	if v.Screenings, v.Status, err = s.Screening.History(r.Context(), p, id); err != nil {
		s.fail(w, r, err)
		return
	}
	v.Trend = trendJSON(v.Screenings)
	pg.Title, pg.Active, pg.Data, pg.Charts = "student.record", "students", v, len(v.Screenings) > 0
	s.render(w, r, status, "student", pg)
}

// afterRecordWrite shows the record again with a flash (and any notice,
// such as a new code), or the form error.
func (s *Server) afterRecordWrite(w http.ResponseWriter, r *http.Request, err error, flash string, notice ...string) {
	s.afterWrite(w, r, err, page{Flash: flash, Notice: notice}, func(status int, pg page) { s.showRecord(w, r, status, pg) })
}

func (s *Server) addRiskFactor(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	err := s.Student.AddRiskFactor(r.Context(), principal(r), id, r.PostFormValue("kind"), r.PostFormValue("note"), r.PostFormValue("since"))
	s.afterRecordWrite(w, r, err, "student.risk_added")
}

func (s *Server) endRiskFactor(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	fid, _ := pathID(r, "fid")
	err := s.Student.EndRiskFactor(r.Context(), principal(r), id, fid)
	s.afterRecordWrite(w, r, err, "student.risk_ended")
}

func (s *Server) transferStudent(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	to, _ := strconv.ParseInt(r.PostFormValue("school"), 10, 64)
	grade, _ := strconv.Atoi(r.PostFormValue("grade"))
	err := s.Student.Transfer(r.Context(), principal(r), id, to, grade, r.PostFormValue("class"))
	if err == nil {
		// The record may now be outside the caller's scope: go back to the list.
		http.Redirect(w, r, "/students?transferred=1", http.StatusSeeOther)
		return
	}
	s.afterRecordWrite(w, r, err, "")
}

func (s *Server) setStudentStatus(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	err := s.Student.SetStatus(r.Context(), principal(r), id, r.PostFormValue("status"))
	s.afterRecordWrite(w, r, err, "student.status_changed")
}

// promoteSchool runs the year-end promotion of one school.
func (s *Server) promoteSchool(w http.ResponseWriter, r *http.Request) {
	school, _ := strconv.ParseInt(r.PostFormValue("school"), 10, 64)
	final, _ := strconv.Atoi(r.PostFormValue("final_grade"))
	promoted, graduated, err := s.Student.Promote(r.Context(), principal(r), school, final)
	s.afterWrite(w, r, err, page{Flash: "student.promoted", FlashArgs: []any{promoted, graduated}},
		func(status int, pg page) { s.listStudents(w, r, status, pg) })
}

// trendJSON shapes screening totals per instrument for the trend chart.
func trendJSON(rs []screening.ScreeningResult) string {
	series := map[string][][2]any{}
	for _, r := range rs {
		series[r.Instrument] = append(series[r.Instrument], [2]any{r.SubmittedAt.In(displayZone).Format("2006-01-02"), r.Total})
	}
	b, err := json.Marshal(series)
	if err != nil {
		return "{}"
	}
	return string(b)
}

// offerRescreen gives a student with a flagged response a new attempt and
// shows the new one-time code once.
func (s *Server) offerRescreen(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	campaign, _ := strconv.ParseInt(r.PostFormValue("campaign"), 10, 64)
	code, err := s.Screening.OfferRescreen(r.Context(), principal(r), campaign, id)
	s.afterRecordWrite(w, r, err, "student.rescreen_offered", code)
}
