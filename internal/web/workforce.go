package web

import (
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/training"
	"github.com/careloop/careloop/internal/workforce"
)

// workforceListView is the registry list, its filters and the add form.
type workforceListView struct {
	People []workforce.Person
	Units  []workforce.UnitName
	Kinds  []string
	Tiers  []string
	Marks  []string
	Filter url.Values
}

func (s *Server) workforceList(w http.ResponseWriter, r *http.Request) {
	s.showWorkforceList(w, r, http.StatusOK, page{})
}

func (s *Server) showWorkforceList(w http.ResponseWriter, r *http.Request, status int, pg page) {
	p := principal(r)
	q := r.URL.Query()
	f := workforce.Filter{Inactive: q.Get("inactive") == "1"}
	f.UnitID, _ = strconv.ParseInt(q.Get("unit"), 10, 64)
	for _, c := range []struct {
		v    *string
		name string
		of   []string
	}{{&f.Kind, "kind", workforce.Kinds}, {&f.Tier, "tier", workforce.Tiers}, {&f.Mark, "mark", workforce.Marks}} {
		for _, x := range c.of {
			if q.Get(c.name) == x {
				*c.v = x
			}
		}
	}
	list, err := s.Workforce.People(r.Context(), p, f)
	if apperr.CodeOf(err) == apperr.EInvalid { // an unknown unit in the address: the whole scope
		f.UnitID = 0
		list, err = s.Workforce.People(r.Context(), p, f)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	units, err := s.Workforce.ManagedUnits(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg.Title, pg.Active = "workforce.title", "workforce"
	pg.Data = workforceListView{People: list, Units: units, Kinds: workforce.Kinds, Tiers: workforce.Tiers, Marks: workforce.Marks, Filter: q}
	s.render(w, r, status, "workforce", pg)
}

// entryFromForm reads a registry entry from a posted form.
func entryFromForm(r *http.Request) workforce.Entry {
	unit, _ := strconv.ParseInt(r.PostFormValue("unit"), 10, 64)
	return workforce.Entry{UnitID: unit, Name: r.PostFormValue("name"), Kind: r.PostFormValue("kind"), Tier: r.PostFormValue("tier"),
		Username: r.PostFormValue("username"), Qualifications: workforce.ParseQualifications(r.PostFormValue("qualifications")),
		Active: r.PostFormValue("inactive") == ""}
}

func (s *Server) workforceAdd(w http.ResponseWriter, r *http.Request) {
	_ = r.ParseForm()
	id, err := s.Workforce.AddPerson(r.Context(), principal(r), entryFromForm(r))
	switch apperr.CodeOf(err) {
	case "":
		http.Redirect(w, r, "/workforce/people/"+strconv.FormatInt(id, 10), http.StatusSeeOther)
	case apperr.EInvalid:
		s.showWorkforceList(w, r, http.StatusUnprocessableEntity, page{Error: apperr.MessageOf(err), Fields: apperr.FieldsOf(err), Form: r.PostForm})
	default:
		s.fail(w, r, err)
	}
}

// workforcePersonView is one record: details, certifications, training,
// and (to its managers) the forms that change it.
type workforcePersonView struct {
	P        *workforce.Person
	Mine     bool // the caller's own record
	Training *training.Summary
	Levels   []workforce.Level
	Units    []workforce.UnitName
	Kinds    []string
	Tiers    []string
	Today    string
}

// LevelName is a level's name in l, from its code.
func (v workforcePersonView) LevelName(l, code string) string {
	for _, lv := range v.Levels {
		if lv.Code == code {
			return lv.Display(l)
		}
	}
	return code
}

// Hours shows the training hours with one decimal.
func (v workforcePersonView) Hours() string {
	if v.Training == nil {
		return "—"
	}
	return strconv.FormatFloat(v.Training.Hours, 'f', 1, 64)
}

func (s *Server) workforcePerson(w http.ResponseWriter, r *http.Request) {
	s.showWorkforcePerson(w, r, http.StatusOK, page{})
}

func (s *Server) workforceMine(w http.ResponseWriter, r *http.Request) {
	pr, err := s.Workforce.Mine(r.Context(), principal(r))
	if apperr.CodeOf(err) == apperr.ENotFound {
		s.render(w, r, http.StatusOK, "workforce_person", page{Title: "workforce.mine", Data: workforcePersonView{Mine: true}})
		return
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderWorkforcePerson(w, r, http.StatusOK, page{}, pr)
}

func (s *Server) showWorkforcePerson(w http.ResponseWriter, r *http.Request, status int, pg page) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	pr, err := s.Workforce.FindPerson(r.Context(), principal(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderWorkforcePerson(w, r, status, pg, pr)
}

func (s *Server) renderWorkforcePerson(w http.ResponseWriter, r *http.Request, status int, pg page, pr *workforce.Person) {
	p := principal(r)
	v := workforcePersonView{P: pr, Mine: pr.UserID != 0 && pr.UserID == p.UserID, Kinds: workforce.Kinds, Tiers: workforce.Tiers,
		Today: time.Now().In(displayZone).Format("2006-01-02")}
	var err error
	if v.Levels, err = s.Workforce.Levels(r.Context()); err != nil {
		s.fail(w, r, err)
		return
	}
	if pr.Manage {
		if v.Units, err = s.Workforce.ManagedUnits(r.Context(), p); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if pr.UserID != 0 && s.Training != nil {
		sum, err := s.Training.Summary(r.Context(), p, pr.UserID)
		switch apperr.CodeOf(err) {
		case "":
			v.Training = &sum
		case apperr.EInternal:
			s.fail(w, r, err)
			return
		}
	}
	pg.Title, pg.Active, pg.Data = "workforce.person", "workforce", v
	if v.Mine {
		pg.Title = "workforce.mine"
	}
	s.render(w, r, status, "workforce_person", pg)
}

func (s *Server) afterWorkforcePersonWrite(w http.ResponseWriter, r *http.Request, err error, flash string) {
	s.afterWrite(w, r, err, page{Flash: flash}, func(status int, pg page) { s.showWorkforcePerson(w, r, status, pg) })
}

func (s *Server) workforceEdit(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	_ = r.ParseForm()
	s.afterWorkforcePersonWrite(w, r, s.Workforce.UpdatePerson(r.Context(), principal(r), id, entryFromForm(r)), "workforce.saved")
}

func (s *Server) workforceAddCert(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	_, err := s.Workforce.AddCert(r.Context(), principal(r), id, workforce.NewCert{Level: r.PostFormValue("level"), Body: r.PostFormValue("body"),
		Issued: formDay(r, "issued"), Expires: formDay(r, "expires")})
	s.afterWorkforcePersonWrite(w, r, err, "workforce.cert_added")
}

func (s *Server) workforceEndCert(w http.ResponseWriter, r *http.Request) {
	cert, ok := pathID(r, "cert")
	if !ok {
		s.notFound(w, r)
		return
	}
	s.afterWorkforcePersonWrite(w, r, s.Workforce.EndCert(r.Context(), principal(r), cert), "workforce.cert_ended")
}

// Window is the argument of the warning window's sentence.
func (v workforcePersonView) Window() []any {
	if v.P == nil {
		return nil
	}
	return []any{v.P.WarnDays}
}
