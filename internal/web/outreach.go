package web

import (
	"errors"
	"net/http"
	"net/url"
	"strconv"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/outreach"
)

// outreachListView is the list of activities with its filters and totals.
type outreachListView struct {
	List      []outreach.Activity
	Totals    outreach.Totals
	Units     []outreach.UnitName
	Series    []outreach.Series
	Kinds     []string
	Truncated bool
}

// outreachFilter reads the list's filters from the query.
func outreachFilter(q url.Values) outreach.Filter {
	f := outreach.Filter{Kind: q.Get("kind")}
	f.Unit, _ = strconv.ParseInt(q.Get("unit"), 10, 64)
	f.SeriesID, _ = strconv.ParseInt(q.Get("series"), 10, 64)
	if t, err := time.ParseInLocation("2006-01-02", q.Get("from"), displayZone); err == nil {
		f.From = t
	}
	if t, err := time.ParseInLocation("2006-01-02", q.Get("to"), displayZone); err == nil {
		f.To = t.AddDate(0, 0, 1) // the last day is included
	}
	return f
}

func (s *Server) outreachList(w http.ResponseWriter, r *http.Request) {
	p := principal(r)
	list, tot, err := s.Outreach.Activities(r.Context(), p, outreachFilter(r.URL.Query()))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	units, err := s.Outreach.Units(r.Context(), p, access.OutreachManage)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	series, err := s.Outreach.SeriesList(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg := page{Title: "outreach.list", Active: "outreach", Form: r.URL.Query()}
	pg.Data = outreachListView{List: list, Totals: tot, Units: units, Series: series, Kinds: outreach.Kinds,
		Truncated: int64(len(list)) < tot.Activities}
	s.render(w, r, http.StatusOK, "outreach", pg)
}

// outreachFormView is the form that records or changes an activity.
type outreachFormView struct {
	ID        int64 // 0 for a new activity
	Units     []outreach.UnitName
	Venues    []outreach.Venue
	Series    []outreach.Series
	Kinds     []string
	Audiences []string
	Checked   map[string]bool // audiences ticked
}

func (s *Server) outreachNew(w http.ResponseWriter, r *http.Request) {
	now := time.Now().In(displayZone)
	form := url.Values{"starts_at": {now.Format("2006-01-02") + "T14:00"}, "attendance": {"0"}}
	s.showOutreachForm(w, r, http.StatusOK, 0, page{Form: form})
}

func (s *Server) outreachEdit(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	a, err := s.Outreach.FindActivity(r.Context(), principal(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	form := url.Values{"unit": {strconv.FormatInt(a.Unit.ID, 10)}, "kind": {a.Kind}, "title": {a.Title},
		"starts_at": {a.StartsAt.In(displayZone).Format("2006-01-02T15:04")}, "venue": {strconv.FormatInt(a.VenueID, 10)},
		"place": {a.Place}, "audiences": a.Audiences, "attendance": {strconv.FormatInt(a.Attendance, 10)}, "series": {a.Series}}
	s.showOutreachForm(w, r, http.StatusOK, id, page{Form: form})
}

func (s *Server) showOutreachForm(w http.ResponseWriter, r *http.Request, status int, id int64, pg page) {
	p := principal(r)
	units, err := s.Outreach.Units(r.Context(), p, access.OutreachManage)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	venues, err := s.Outreach.Venues(r.Context(), p, outreach.VenueFilter{ActiveOnly: true})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	series, err := s.Outreach.SeriesList(r.Context(), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	checked := map[string]bool{}
	for _, a := range pg.Form["audiences"] {
		checked[a] = true
	}
	pg.Title, pg.Active = "outreach.new", "outreach"
	if id != 0 {
		pg.Title = "outreach.edit"
	}
	pg.Data = outreachFormView{ID: id, Units: units, Venues: venues, Series: series, Kinds: outreach.Kinds, Audiences: outreach.Audiences, Checked: checked}
	s.render(w, r, status, "outreach_form", pg)
}

// activityForm reads an activity form. A number that does not parse is
// -1, which the service refuses.
func activityForm(r *http.Request) outreach.NewActivity {
	_ = r.ParseForm()
	f := r.PostForm
	n := outreach.NewActivity{Kind: f.Get("kind"), Title: f.Get("title"), StartsAt: formDateTime(f, "starts_at"), Place: f.Get("place"),
		Audiences: f["audiences"], Series: f.Get("series")}
	n.Unit, _ = strconv.ParseInt(f.Get("unit"), 10, 64)
	n.VenueID, _ = strconv.ParseInt(f.Get("venue"), 10, 64)
	var err error
	if n.Attendance, err = strconv.ParseInt(f.Get("attendance"), 10, 64); err != nil {
		n.Attendance = -1
	}
	return n
}

func (s *Server) outreachCreate(w http.ResponseWriter, r *http.Request) {
	id, err := s.Outreach.CreateActivity(r.Context(), principal(r), activityForm(r))
	s.afterActivityForm(w, r, 0, id, err)
}

func (s *Server) outreachUpdate(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	s.afterActivityForm(w, r, id, id, s.Outreach.UpdateActivity(r.Context(), principal(r), id, activityForm(r)))
}

func (s *Server) afterActivityForm(w http.ResponseWriter, r *http.Request, formID, id int64, err error) {
	switch apperr.CodeOf(err) {
	case "":
		http.Redirect(w, r, "/outreach/"+strconv.FormatInt(id, 10)+"?saved=1", http.StatusSeeOther)
	case apperr.EInvalid:
		s.showOutreachForm(w, r, http.StatusUnprocessableEntity, formID, page{Error: apperr.MessageOf(err), Fields: apperr.FieldsOf(err), Form: r.PostForm})
	default:
		s.fail(w, r, err)
	}
}

// outreachActivityView is one activity with its attachments.
type outreachActivityView struct {
	A        *outreach.Activity
	HelpArgs []any // the size limit in MiB
}

func (s *Server) outreachActivity(w http.ResponseWriter, r *http.Request) {
	pg := page{}
	if r.URL.Query().Get("saved") == "1" {
		pg.Flash = "outreach.saved"
	}
	s.showActivity(w, r, http.StatusOK, pg)
}

func (s *Server) showActivity(w http.ResponseWriter, r *http.Request, status int, pg page) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	a, err := s.Outreach.FindActivity(r.Context(), principal(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	pg.Title, pg.Active = "outreach.activity", "outreach"
	pg.Data = outreachActivityView{A: a, HelpArgs: []any{outreach.MaxAttachmentBytes >> 20}}
	s.render(w, r, status, "outreach_activity", pg)
}

// outreachUpload stores one photo or material of an activity.
func (s *Server) outreachUpload(w http.ResponseWriter, r *http.Request) {
	id, ok := pathID(r, "id")
	if !ok {
		s.notFound(w, r)
		return
	}
	r.Body = http.MaxBytesReader(w, r.Body, outreach.MaxAttachmentBytes+1<<20)
	if err := r.ParseMultipartForm(1 << 20); err != nil {
		var tooBig *http.MaxBytesError
		if errors.As(err, &tooBig) {
			s.showActivity(w, r, http.StatusRequestEntityTooLarge, page{Error: "outreach.file_too_big"})
			return
		}
		s.showActivity(w, r, http.StatusBadRequest, page{Error: "form.invalid"})
		return
	}
	defer func() { _ = r.MultipartForm.RemoveAll() }()
	file, head, err := r.FormFile("file")
	if err != nil {
		s.showActivity(w, r, http.StatusUnprocessableEntity, page{Error: "form.invalid", Fields: map[string]string{"file": "outreach.file_empty"}})
		return
	}
	defer file.Close()
	body := make([]byte, 0, head.Size)
	buf := make([]byte, 32<<10)
	for len(body) <= outreach.MaxAttachmentBytes {
		n, rerr := file.Read(buf)
		body = append(body, buf[:n]...)
		if rerr != nil {
			break
		}
	}
	_, err = s.Outreach.AddAttachment(r.Context(), principal(r), id, head.Filename, body)
	s.afterWrite(w, r, err, page{Flash: "outreach.file_added"}, func(status int, pg page) { s.showActivity(w, r, status, pg) })
}

// outreachAttachment downloads an attachment; the service audits the read
// first. It is always an attachment, never shown inline.
func (s *Server) outreachAttachment(w http.ResponseWriter, r *http.Request) {
	id, ok1 := pathID(r, "id")
	att, ok2 := pathID(r, "att")
	if !ok1 || !ok2 {
		s.notFound(w, r)
		return
	}
	f, err := s.Outreach.OpenAttachment(r.Context(), principal(r), id, att)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", f.ContentType)
	h.Set("Content-Length", strconv.Itoa(len(f.Body)))
	h.Set("Content-Disposition", "attachment; filename=\"attachment-"+strconv.FormatInt(f.ID, 10)+"\"; filename*=UTF-8''"+url.PathEscape(f.Name))
	h.Set("Cache-Control", "no-store")
	h.Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(http.StatusOK)
	_, _ = w.Write(f.Body)
}
