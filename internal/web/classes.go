package web

import (
	"net/http"
	"strconv"
)

// myClass is the head teacher's page: their students, and which of them
// need attention. Nothing else of the record is shown.
func (s *Server) myClass(w http.ResponseWriter, r *http.Request) {
	list, err := s.Screening.ClassAttention(r.Context(), principal(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "my_class", page{Title: "nav.my_class", Active: "my-class", Data: list})
}

// assignClass makes a head teacher responsible for a class.
func (s *Server) assignClass(w http.ResponseWriter, r *http.Request) {
	school, _ := strconv.ParseInt(r.PostFormValue("school"), 10, 64)
	grade, _ := strconv.Atoi(r.PostFormValue("grade"))
	err := s.Student.AssignClass(r.Context(), principal(r), r.PostFormValue("username"), school, grade, r.PostFormValue("class"))
	s.afterWrite(w, r, err, page{Flash: "student.class_assigned"}, func(status int, pg page) { s.listStudents(w, r, status, pg) })
}
