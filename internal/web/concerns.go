package web

import (
	"net/http"
	"strconv"

	"github.com/careloop/careloop/internal/student"
	"github.com/careloop/careloop/internal/warning"
)

// concernView is the concern report form (重点摸排).
type concernView struct {
	StudentID int64
	Signs     []string
	Factors   []string
	Today     string
}

func (s *Server) concernForm(w http.ResponseWriter, r *http.Request) {
	s.showConcernForm(w, r, http.StatusOK, page{})
}

func (s *Server) showConcernForm(w http.ResponseWriter, r *http.Request, status int, pg page) {
	id, _ := strconv.ParseInt(r.FormValue("student"), 10, 64)
	pg.Title, pg.Active = "concern.new", "concern"
	pg.Data = concernView{StudentID: id, Signs: warning.ConcernSigns, Factors: student.RiskFactorKinds, Today: s.today().Format("2006-01-02")}
	s.render(w, r, status, "concern", pg)
}

func (s *Server) reportConcern(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	id, _ := strconv.ParseInt(r.PostFormValue("student"), 10, 64)
	c := warning.ConcernReport{StudentID: id, StudentNo: r.PostFormValue("student_no"), Signs: r.PostForm["signs"],
		Since: r.PostFormValue("since"), Factors: r.PostForm["factors"], Description: r.PostFormValue("description")}
	_, _, err := s.Warning.ReportConcern(r.Context(), principal(r), c, student.RiskFactorKinds)
	s.afterWrite(w, r, err, page{Flash: "concern.filed"}, func(status int, pg page) {
		if status == http.StatusOK {
			pg.Form = nil
		}
		s.showConcernForm(w, r, status, pg)
	})
}
