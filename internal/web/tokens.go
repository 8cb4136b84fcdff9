package web

import (
	"net/http"
	"strconv"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
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
	switch apperr.CodeOf(err) {
	case "":
		s.showTokens(w, r, http.StatusOK, page{Flash: "token.created"}, secret)
	case apperr.EInvalid:
		s.showTokens(w, r, http.StatusUnprocessableEntity, page{Error: apperr.MessageOf(err), Fields: apperr.FieldsOf(err), Form: r.PostForm}, "")
	default:
		s.fail(w, r, err)
	}
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
