package web

import (
	"net/http"
	"strconv"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/people"
)

type usersView struct {
	Users     []people.User
	Query     string
	CanCreate bool
}

type userView struct {
	User      *people.User
	CanManage bool
	CanAssign bool
	Roles     []string
	Units     []org.Unit
	Self      bool
}

func (s *Server) users(w http.ResponseWriter, r *http.Request) {
	s.listUsers(w, r, http.StatusOK, page{})
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request, status int, pg page) {
	p := principal(r)
	q := r.URL.Query().Get("q")
	list, err := s.People.FindUsers(r.Context(), p, people.UserFilter{Query: q})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg.Title, pg.Active = "user.list", "users"
	pg.Data = usersView{Users: list, Query: q, CanCreate: p.Can(access.UserManage)}
	s.render(w, r, status, "users", pg)
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	_, pw, err := s.People.CreateUser(r.Context(), principal(r), people.NewUser{Username: r.PostFormValue("username"),
		DisplayName: r.PostFormValue("display_name"), Email: r.PostFormValue("email"), Locale: r.PostFormValue("locale")})
	s.afterWrite(w, r, err, page{Flash: "user.created", Notice: []string{pw}}, func(status int, pg page) { s.listUsers(w, r, status, pg) })
}

func (s *Server) user(w http.ResponseWriter, r *http.Request) {
	s.showUser(w, r, http.StatusOK, page{})
}

func (s *Server) showUser(w http.ResponseWriter, r *http.Request, status int, pg page) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	p := principal(r)
	u, err := s.People.FindUserByID(r.Context(), p, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := userView{User: u, CanManage: p.Can(access.UserManage), CanAssign: p.Can(access.RoleAssign), Self: u.ID == p.UserID}
	if v.CanAssign {
		v.Roles = access.RoleNames()
		if v.Units, err = s.Org.FindUnits(r.Context(), p, org.UnitFilter{Limit: 500}); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	pg.Title, pg.Active, pg.Data = "user.detail", "users", v
	s.render(w, r, status, "user", pg)
}

// afterUserWrite shows the user again with a flash, or the form error.
func (s *Server) afterUserWrite(w http.ResponseWriter, r *http.Request, err error, ok page) {
	s.afterWrite(w, r, err, ok, func(status int, pg page) { s.showUser(w, r, status, pg) })
}

func (s *Server) grantRole(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	orgID, err := strconv.ParseInt(r.PostFormValue("org"), 10, 64)
	if err != nil {
		s.afterUserWrite(w, r, apperr.Invalid("error.invalid", map[string]string{"org": "user.org_required"}), page{})
		return
	}
	err = s.People.GrantRole(r.Context(), principal(r), id, orgID, r.PostFormValue("role"))
	s.afterUserWrite(w, r, err, page{Flash: "user.role_granted"})
}

func (s *Server) revokeRole(w http.ResponseWriter, r *http.Request) {
	mid, ok := pathID(r, "mid")
	if !ok {
		s.notFound(w, r)
		return
	}
	err := s.People.RevokeRole(r.Context(), principal(r), mid)
	s.afterUserWrite(w, r, err, page{Flash: "user.role_revoked"})
}

func (s *Server) setUserActive(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	active := r.PostFormValue("active") == "1"
	err := s.People.SetUserActive(r.Context(), principal(r), id, active)
	s.afterUserWrite(w, r, err, page{Flash: map[bool]string{true: "user.reactivated", false: "user.deactivated"}[active]})
}

func (s *Server) resetPassword(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	pw, err := s.People.ResetPassword(r.Context(), principal(r), id)
	s.afterUserWrite(w, r, err, page{Flash: "user.password_reset", Notice: []string{pw}})
}

func (s *Server) resetSecondFactor(w http.ResponseWriter, r *http.Request) {
	id, _ := pathID(r, "id")
	err := s.People.ResetSecondFactor(r.Context(), principal(r), id)
	s.afterUserWrite(w, r, err, page{Flash: "user.second_factor_reset"})
}
