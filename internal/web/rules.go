package web

import (
	"errors"
	"net/http"
	"strconv"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/i18n"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/warning"
)

// rulesView lists the warning rules that apply in the caller's reach and
// offers a form for the units where the caller may add rules.
type rulesView struct {
	Rules     []warning.Rule
	Units     []org.Unit // where the caller holds rule.manage
	Variables []string
	Edit      *warning.Rule
	Problem   string // a compile error in plain words
	Preview   *warning.PreviewResult
	Deadlines map[string]warning.Deadlines
	CanCity   bool // holds rule.manage at the top unit: may change deadlines
}

func (s *Server) rules(w http.ResponseWriter, r *http.Request) {
	s.showRules(w, r, http.StatusOK, page{})
}

func (s *Server) showRules(w http.ResponseWriter, r *http.Request, status int, pg page) {
	p := principal(r)
	list, err := s.Warning.FindRules(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, _ := pg.Data.(rulesView)
	v.Rules, v.Variables = list, warning.Variables
	if v.Units, err = s.unitsWith(r, p, access.RuleManage); err != nil {
		s.fail(w, r, err)
		return
	}
	for _, u := range v.Units {
		v.CanCity = v.CanCity || u.ParentID == 0
	}
	if v.Deadlines, err = s.Warning.AllDeadlines(r.Context()); err != nil {
		s.fail(w, r, err)
		return
	}
	if id, err := strconv.ParseInt(r.URL.Query().Get("edit"), 10, 64); err == nil && v.Edit == nil {
		for i := range list {
			if list[i].ID == id {
				v.Edit = &list[i]
			}
		}
	}
	pg.Title, pg.Active, pg.Data = "rule.list", "rules", v
	s.render(w, r, status, "rules", pg)
}

// unitsWith are the units where the caller holds perm (the tops of its
// scope for perm), for a page's unit picker.
func (s *Server) unitsWith(r *http.Request, p access.Principal, perm access.Permission) ([]org.Unit, error) {
	var out []org.Unit
	seen := map[int64]bool{}
	for _, m := range p.Memberships {
		if !access.Has(m.Role, perm) || seen[m.OrgID] {
			continue
		}
		seen[m.OrgID] = true
		u, err := s.Org.FindUnitByID(r.Context(), p, m.OrgID)
		if err != nil {
			return nil, err
		}
		out = append(out, *u)
	}
	return out, nil
}

func (s *Server) ruleFromForm(r *http.Request) warning.Rule {
	unit, _ := strconv.ParseInt(r.PostFormValue("unit"), 10, 64)
	return warning.Rule{OrgUnitID: unit, Name: r.PostFormValue("name"), Level: r.PostFormValue("level"),
		Expression: r.PostFormValue("expression"), TitleZH: r.PostFormValue("title_zh"), TitleEN: r.PostFormValue("title_en"),
		Source: r.PostFormValue("source"), Active: r.PostFormValue("inactive") == ""}
}

// problem renders a rule compile error in the caller's language.
func problem(r *http.Request, err error) string {
	var re *warning.RuleError
	if errors.As(err, &re) {
		return i18n.T(localeOf(r), re.Key, append(re.Args, re.Column)...)
	}
	return ""
}

func (s *Server) saveRule(w http.ResponseWriter, r *http.Request) {
	rule := s.ruleFromForm(r)
	_, err := s.Warning.SaveRule(r.Context(), principal(r), rule)
	if apperr.CodeOf(err) == apperr.EInvalid {
		pg := page{Error: apperr.MessageOf(err), Fields: apperr.FieldsOf(err), Form: r.PostForm, Data: rulesView{Edit: &rule, Problem: problem(r, err)}}
		if pg.Data.(rulesView).Problem != "" {
			pg.Error = "form.invalid" // the words with their values are shown at the field
		}
		s.showRules(w, r, http.StatusUnprocessableEntity, pg)
		return
	}
	s.afterWrite(w, r, err, page{Flash: "rule.saved", FlashArgs: []any{rule.Name}}, func(status int, pg page) { s.showRules(w, r, status, pg) })
}

// previewRule runs a draft rule over recent screenings (htmx swaps the
// result in; without JavaScript the whole page comes back with it).
func (s *Server) previewRule(w http.ResponseWriter, r *http.Request) {
	rule := s.ruleFromForm(r)
	res, err := s.Warning.Preview(r.Context(), principal(r), rule.OrgUnitID, rule.Expression, 90)
	pg := page{Form: r.PostForm, Data: rulesView{Edit: &rule, Preview: res}}
	status := http.StatusOK
	switch apperr.CodeOf(err) {
	case "":
	case apperr.EInvalid:
		status = http.StatusUnprocessableEntity
		pg.Error, pg.Fields = "form.invalid", apperr.FieldsOf(err)
		pg.Data = rulesView{Edit: &rule, Problem: problem(r, err)}
	default:
		s.fail(w, r, err)
		return
	}
	if r.Header.Get("HX-Request") == "true" {
		pg.Title = "rule.list"
		s.renderPart(w, r, http.StatusOK, "rules", "preview", pg)
		return
	}
	s.showRules(w, r, status, pg)
}

func (s *Server) ruleHistory(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	list, err := s.Warning.RuleHistory(r.Context(), principal(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "rule", page{Title: "rule.history", Active: "rules", Data: list})
}
