package web

import (
	"html/template"
	"net/http"
	"net/url"
	"strconv"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/people"
)

type roleRow struct {
	Role  access.Role
	Perms map[access.Permission]bool
}

type rolesView struct {
	Permissions []access.Permission
	Rows        []roleRow
}

// roles shows every role's powers: the access table as security
// administrators and auditors see it.
func (s *Server) roles(w http.ResponseWriter, r *http.Request) {
	v := rolesView{Permissions: access.AllPermissions()}
	for _, n := range access.RoleNames() {
		role := access.Roles[n]
		row := roleRow{Role: role, Perms: map[access.Permission]bool{}}
		for _, p := range role.Permissions {
			row.Perms[p] = true
		}
		v.Rows = append(v.Rows, row)
	}
	s.render(w, r, http.StatusOK, "roles", page{Title: "nav.roles", Active: "roles", Data: v})
}

type auditView struct {
	Entries []audit.Entry
	Filter  url.Values   // the search, without paging: for the form, the next page and the export
	Next    template.URL // the next page, with the search ("" on the last page)
	Checked bool
	Good    int64
	Problem *audit.Problem
}

// auditObjectTypes are offered as the audit search's object types (any
// other may be typed).
var auditObjectTypes = []string{"student", "alert", "incident", "referral", "contact", "letter", "conversation", "phone_recording",
	"research_extract", "export", "user", "api_token"}

// auditTrail shows the newest entries that match the search, 100 a page;
// reading the trail is itself audited.
func (s *Server) auditTrail(w http.ResponseWriter, r *http.Request) {
	s.showAudit(w, r, auditView{})
}

func (s *Server) showAudit(w http.ResponseWriter, r *http.Request, v auditView) {
	p := principal(r)
	m, _ := p.Grant(access.AuditRead)
	q := r.URL.Query()
	v.Filter = url.Values{}
	for _, k := range []string{"object_type", "object_id", "actor", "action", "from", "to"} {
		if x := q.Get(k); x != "" {
			v.Filter.Set(k, x)
		}
	}
	f, err := audit.ParseFilter(q, displayZone)
	if err != nil {
		s.render(w, r, http.StatusUnprocessableEntity, "audit", page{Title: "nav.audit", Active: "audit", Data: v,
			Error: apperr.MessageOf(err), Fields: apperr.FieldsOf(err)})
		return
	}
	f.Limit = 100
	entries, err := audit.FindEntries(r.Context(), s.DB, s.Audit, audit.Entry{ActorUserID: p.UserID, ActorRole: m.Role, ActorOrgID: m.OrgID}, f)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v.Entries = entries
	if len(entries) == f.Limit {
		next := f.Query(displayZone)
		next.Set("before", strconv.FormatInt(entries[len(entries)-1].Seq, 10))
		v.Next = template.URL("/audit?" + next.Encode()) // encoded by url.Values: safe in an href
	}
	if f.Before > 0 {
		v.Filter.Set("before", strconv.FormatInt(f.Before, 10))
	}
	s.render(w, r, http.StatusOK, "audit", page{Title: "nav.audit", Active: "audit", Data: v})
}

func (s *Server) auditVerify(w http.ResponseWriter, r *http.Request) {
	good, problem, err := audit.Verify(r.Context(), s.DB)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.showAudit(w, r, auditView{Checked: true, Good: good, Problem: problem})
}

func (s *Server) home(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	units, err := s.Org.Roots(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "home", page{Title: "nav.home", Active: "home", Data: units})
}

type tokensView struct {
	Tokens      []people.APIToken
	Permissions []access.Permission
	Secret      string
}

func (s *Server) tokens(w http.ResponseWriter, r *http.Request) {
	s.showTokens(w, r, http.StatusOK, page{}, "")
}

func (s *Server) showTokens(w http.ResponseWriter, r *http.Request, status int, pg page, secret string) {
	p := principal(r)
	list, err := s.People.FindTokens(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v := tokensView{Tokens: list, Secret: secret}
	for _, perm := range access.AllPermissions() {
		if p.Can(perm) {
			v.Permissions = append(v.Permissions, perm)
		}
	}
	pg.Title, pg.Active, pg.Data = "token.title", "account", v
	s.render(w, r, status, "tokens", pg)
}
