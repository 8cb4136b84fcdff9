package web

import (
	"bytes"
	"embed"
	"fmt"
	"html/template"
	"io/fs"
	"math"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/httpx"
	"github.com/careloop/careloop/internal/i18n"
	"github.com/careloop/careloop/internal/notify"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/people"
	"github.com/careloop/careloop/internal/screening"
	"github.com/careloop/careloop/internal/screening/instrument"
)

//go:embed templates/*.html
var templateFS embed.FS

// pages holds one parsed template set per page, each with the layout.
type pages struct{ byName map[string]*template.Template }

// page is the data every template receives.
type page struct {
	L         string // locale
	Title     string // i18n key of the page title
	User      *people.User
	Nav       []navItem
	Active    string
	Flash     string   // i18n key of a success message
	FlashArgs []any    // values for {0}, {1}, ... in the flash
	Notice    []string // extra text shown with the flash (e.g. a one-time password)
	Error     string   // i18n key of an error summary
	Fields    map[string]string
	Form      url.Values
	Data      any
	Demo      bool
	Child     bool            // a student's questionnaire: larger text, no staff header
	Family    bool            // the parent portal: the brand leads to the guardian's home
	Refresh   int             // reload the page every so many seconds (work in progress)
	Charts    bool            // load ECharts and the chart script
	Perms     map[string]bool // permissions the caller holds anywhere, for templates
	Here      string          // this page\'s URL, to come back to after switching language
	Unread    int             // the caller's unread notifications
}

func funcs() template.FuncMap {
	return template.FuncMap{
		"t":      i18n.T,
		"tf":     func(l, key string, args []any) string { return i18n.T(l, key, args...) },
		"static": staticURL,
		"date": func(t time.Time) string {
			if t.IsZero() {
				return "—"
			}
			return t.In(displayZone).Format("2006-01-02 15:04")
		},
		"at": func(micro int64) string {
			if micro == 0 {
				return "—"
			}
			return time.UnixMicro(micro).In(displayZone).Format("2006-01-02 15:04")
		},
		"dur":              duration,
		"roleKey":          func(r string) string { return "role." + r },
		"auditObjectTypes": func() []string { return auditObjectTypes },
		"permKey":          func(p access.Permission) string { return "perm." + string(p) },
		"kindKey":          func(k org.Kind) string { return "kind." + string(k) },
		"field":            func(fields map[string]string, name string) string { return fields[name] },
		"value":            func(form url.Values, name string) string { return form.Get(name) },
		"join":             strings.Join,
		"fields":           strings.Fields,
		// tx picks an instrument text in the locale, falling back to Chinese.
		"tx": func(l string, t instrument.Text) string { return t.Get(l) },
		"answered": func(a screening.Answers, inst, item string, v int) bool {
			got, ok := a[inst][item]
			return ok && got == v
		},
	}
}

// displayZone is China Standard Time; times are stored in UTC.
var displayZone = time.FixedZone("CST", 8*3600)

func loadPages() (*pages, error) {
	names, err := fs.Glob(templateFS, "templates/*.html")
	if err != nil {
		return nil, err
	}
	partials, err := fs.Glob(templateFS, "templates/partial_*.html")
	if err != nil {
		return nil, err
	}
	p := &pages{byName: map[string]*template.Template{}}
	for _, n := range names {
		base := strings.TrimSuffix(strings.TrimPrefix(n, "templates/"), ".html")
		if base == "layout" || strings.HasPrefix(base, "partial_") {
			continue
		}
		files := append([]string{"templates/layout.html", n}, partials...)
		t, err := template.New(base).Funcs(funcs()).ParseFS(templateFS, files...)
		if err != nil {
			return nil, err
		}
		p.byName[base] = t
	}
	return p, nil
}

// render writes page name with status. The body is rendered to a buffer
// first, so a template error becomes a clean 500 and never half a page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, status int, name string, pg page) {
	s.renderPart(w, r, status, name, "layout", pg)
}

// renderPart writes one named template of page name: "layout" for a whole
// page, or a partial (for an htmx swap).
func (s *Server) renderPart(w http.ResponseWriter, r *http.Request, status int, name, part string, pg page) {
	pg.L = localeOf(r)
	pg.Demo = s.Demo
	pg.Here = "/"
	switch {
	case r.Method == http.MethodGet:
		pg.Here = safeNext(r.URL.RequestURI())
	case strings.HasPrefix(r.URL.Path, "/login"):
		// a sign-in form shown again after a POST: the same step, same next page
		pg.Here = r.URL.Path + "?next=" + url.QueryEscape(safeNext(r.PostFormValue("next")))
	}
	if info := sessionOf(r); info != nil && info.Stage == people.StageFull {
		u := info.User
		pg.User = &u
		pg.Nav = navFor(info.Principal)
		if n, err := notify.Unread(r.Context(), s.DB, u.ID); err == nil {
			pg.Unread = n
		}
		pg.Perms = map[string]bool{}
		for _, perm := range access.AllPermissions() {
			pg.Perms[string(perm)] = info.Principal.Can(perm)
		}
	}
	t, ok := s.pages.byName[name]
	if !ok {
		s.Log.Error("unknown page", "page", name, "request_id", httpx.RequestID(r.Context()))
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	var buf bytes.Buffer
	if err := t.ExecuteTemplate(&buf, part, pg); err != nil {
		s.Log.Error("render", "page", name, "err", err, "request_id", httpx.RequestID(r.Context()))
		http.Error(w, http.StatusText(http.StatusInternalServerError), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_, _ = buf.WriteTo(w)
}

// errorPage renders a translated error page; the message is an i18n key.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, key string) {
	s.render(w, r, status, "error", page{Title: "error.title", Error: key, Data: status})
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.errorPage(w, r, http.StatusNotFound, "error.not_found")
}

func (s *Server) forbiddenOrigin(w http.ResponseWriter, r *http.Request) {
	s.errorPage(w, r, http.StatusForbidden, "error.cross_origin")
}

// serverError logs err with the request id and shows a generic page.
func (s *Server) serverError(w http.ResponseWriter, r *http.Request, err error) {
	s.Log.Error("internal error", "err", err, "request_id", httpx.RequestID(r.Context()))
	s.errorPage(w, r, http.StatusInternalServerError, "error.internal")
}

// fail shows err: a form error re-renders the form (done by the caller);
// other codes get an error page. Internal details are only logged.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if apperr.CodeOf(err) == apperr.EInternal {
		s.serverError(w, r, err)
		return
	}
	s.errorPage(w, r, httpx.Status(err), apperr.MessageOf(err))
}

// afterWrite answers a form submission: on success show renders the page
// with ok (its flash); a validation error re-renders it with the field
// problems and the submitted values; any other error gets an error page.
func (s *Server) afterWrite(w http.ResponseWriter, r *http.Request, err error, ok page, show func(status int, pg page)) {
	switch apperr.CodeOf(err) {
	case "":
		show(http.StatusOK, ok)
	case apperr.EInvalid:
		show(http.StatusUnprocessableEntity, page{Error: apperr.MessageOf(err), Fields: apperr.FieldsOf(err), Form: r.PostForm})
	default:
		s.fail(w, r, err)
	}
}

// duration shows a span of time in plain units: minutes under two hours,
// hours under two days, days beyond.
func duration(l string, d time.Duration) string {
	switch {
	case d <= 0:
		return "—"
	case d < 2*time.Hour:
		return i18n.T(l, "unit.minutes", fmt.Sprintf("%.0f", math.Ceil(d.Minutes())))
	case d < 48*time.Hour:
		return i18n.T(l, "unit.hours", fmt.Sprintf("%.1f", d.Hours()))
	}
	return i18n.T(l, "unit.days", fmt.Sprintf("%.1f", d.Hours()/24))
}
