package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/careloop/careloop/internal/access"
)

func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "error.invalid")
		return
	}
	var perms []access.Permission
	for _, p := range r.PostForm["permissions"] {
		perms = append(perms, access.Permission(p))
	}
	days, err := strconv.Atoi(r.PostFormValue("days"))
	if err != nil {
		days = 0
	}
	secret, err := s.People.CreateToken(r.Context(), principal(r), r.PostFormValue("name"), perms, time.Duration(days)*24*time.Hour)
	s.afterWrite(w, r, err, page{Flash: "token.created"}, func(status int, pg page) {
		if status != http.StatusOK {
			secret = ""
		}
		s.showTokens(w, r, status, pg, secret)
	})
}

func (s *Server) revokeToken(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	if err := s.People.RevokeToken(r.Context(), principal(r), id); err != nil {
		s.fail(w, r, err)
		return
	}
	s.showTokens(w, r, http.StatusOK, page{Flash: "token.revoked"}, "")
}
