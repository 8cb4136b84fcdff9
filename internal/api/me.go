package api

import (
	"net/http"

	"github.com/careloop/careloop/internal/access"
)

// Me is the caller's account as the API shows it.
type Me struct {
	ID          int64               `json:"id"`
	Username    string              `json:"username"`
	DisplayName string              `json:"display_name"`
	Locale      string              `json:"locale"`
	Memberships []MembershipJSON    `json:"memberships"`
	Permissions []access.Permission `json:"permissions"`
}

// MembershipJSON is a role held in a unit.
type MembershipJSON struct {
	OrgID int64  `json:"org_id"`
	Org   string `json:"org"`
	Role  string `json:"role"`
}

// Role is a role and its permissions.
type Role struct {
	Name         string              `json:"name"`
	Permissions  []access.Permission `json:"permissions"`
	SecondFactor bool                `json:"second_factor"`
}

func (s *Server) me(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	u, err := s.People.FindUserByID(r.Context(), p, p.UserID)
	if err != nil {
		return err
	}
	out := Me{ID: u.ID, Username: u.Username, DisplayName: u.DisplayName, Locale: u.Locale,
		Memberships: []MembershipJSON{}, Permissions: []access.Permission{}}
	for _, m := range u.Memberships {
		out.Memberships = append(out.Memberships, MembershipJSON{OrgID: m.OrgID, Org: m.OrgName, Role: m.Role})
	}
	for _, perm := range access.AllPermissions() {
		if p.Can(perm) {
			out.Permissions = append(out.Permissions, perm)
		}
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}

func (s *Server) listRoles(w http.ResponseWriter, r *http.Request, p access.Principal) error {
	var out []Role
	for _, n := range access.RoleNames() {
		role := access.Roles[n]
		out = append(out, Role{Name: role.Name, Permissions: role.Permissions, SecondFactor: role.SecondFactor})
	}
	writeJSON(w, http.StatusOK, out)
	return nil
}
