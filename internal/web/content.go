package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/family"
)

// contentEditView is the form of a guidance item.
type contentEditView struct {
	Item    *family.Item // nil: a new one
	Units   []family.SlotUnit
	Kinds   []string
	Targets map[int64]bool
}

func (s *Server) contentList(w http.ResponseWriter, r *http.Request) {
	items, err := s.Family.Items(r.Context(), principal(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "content", page{Title: "content.title", Active: "content", Data: items})
}

func (s *Server) contentNew(w http.ResponseWriter, r *http.Request) {
	s.showContentEdit(w, r, nil, http.StatusOK, page{Form: url.Values{"kind": {"article"}}})
}

func (s *Server) showContentEdit(w http.ResponseWriter, r *http.Request, it *family.Item, status int, pg page) {
	units, err := s.Family.TargetUnits(r.Context(), principal(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if pg.Form == nil && it != nil {
		pg.Form = url.Values{"kind": {it.Kind}, "unit": {strconv.FormatInt(it.UnitID, 10)}, "title_zh": {it.TitleZH},
			"title_en": {it.TitleEN}, "body_zh": {it.BodyZH}, "body_en": {it.BodyEN}, "place": {it.Place}}
		if it.EventAt != 0 {
			pg.Form.Set("event_at", time.UnixMicro(it.EventAt).In(displayZone).Format("2006-01-02T15:04"))
		}
		for _, t := range it.Targets {
			pg.Form.Add("targets", strconv.FormatInt(t.UnitID, 10))
		}
	}
	targets := map[int64]bool{}
	for _, t := range pg.Form["targets"] {
		if n, err := strconv.ParseInt(t, 10, 64); err == nil {
			targets[n] = true
		}
	}
	pg.Title, pg.Active = "content.edit", "content"
	if it == nil {
		pg.Title = "content.new"
	}
	pg.Data = contentEditView{Item: it, Units: units, Kinds: family.ItemKinds, Targets: targets}
	s.render(w, r, status, "content_edit", pg)
}

func contentForm(f url.Values) family.NewItem {
	n := family.NewItem{UnitID: formInt(f, "unit"), Kind: f.Get("kind"), TitleZH: f.Get("title_zh"), TitleEN: f.Get("title_en"),
		BodyZH: f.Get("body_zh"), BodyEN: f.Get("body_en"), Place: f.Get("place"), EventAt: formDateTime(f, "event_at")}
	for _, t := range f["targets"] {
		if id, err := strconv.ParseInt(strings.TrimSpace(t), 10, 64); err == nil && id > 0 {
			n.Targets = append(n.Targets, id)
		}
	}
	return n
}

func (s *Server) contentCreate(w http.ResponseWriter, r *http.Request) {
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "error.invalid")
		return
	}
	id, err := s.Family.SaveItem(r.Context(), principal(r), 0, contentForm(r.PostForm))
	if err != nil {
		s.contentFailed(w, r, nil, err)
		return
	}
	http.Redirect(w, r, "/content/"+strconv.FormatInt(id, 10)+"?saved=1", http.StatusSeeOther)
}

func (s *Server) contentFailed(w http.ResponseWriter, r *http.Request, it *family.Item, err error) {
	if apperr.CodeOf(err) == apperr.EInvalid {
		s.showContentEdit(w, r, it, http.StatusUnprocessableEntity, page{Error: apperr.MessageOf(err), Fields: apperr.FieldsOf(err), Form: r.PostForm})
		return
	}
	s.fail(w, r, err)
}

func (s *Server) contentItem(w http.ResponseWriter, r *http.Request) *family.Item {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return nil
	}
	it, err := s.Family.FindItem(r.Context(), principal(r), id)
	if err != nil {
		s.fail(w, r, err)
		return nil
	}
	return it
}

func (s *Server) contentEdit(w http.ResponseWriter, r *http.Request) {
	it := s.contentItem(w, r)
	if it == nil {
		return
	}
	pg := page{}
	if r.URL.Query().Get("saved") == "1" {
		pg.Flash = "content.saved"
	}
	s.showContentEdit(w, r, it, http.StatusOK, pg)
}

func (s *Server) contentSave(w http.ResponseWriter, r *http.Request) {
	it := s.contentItem(w, r)
	if it == nil {
		return
	}
	if err := r.ParseForm(); err != nil {
		s.errorPage(w, r, http.StatusBadRequest, "error.invalid")
		return
	}
	if _, err := s.Family.SaveItem(r.Context(), principal(r), it.ID, contentForm(r.PostForm)); err != nil {
		s.contentFailed(w, r, it, err)
		return
	}
	http.Redirect(w, r, "/content/"+strconv.FormatInt(it.ID, 10)+"?saved=1", http.StatusSeeOther)
}

func (s *Server) contentState(w http.ResponseWriter, r *http.Request) {
	it := s.contentItem(w, r)
	if it == nil {
		return
	}
	if err := s.Family.SetItemState(r.Context(), principal(r), it.ID, r.PostFormValue("state")); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/content/"+strconv.FormatInt(it.ID, 10)+"?saved=1", http.StatusSeeOther)
}
