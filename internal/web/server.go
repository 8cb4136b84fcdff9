// Package web is careloop's server-rendered interface: html/template pages,
// htmx vendored and embedded, Chinese first and English. Handlers are thin:
// they read the form, call a service with the caller's Principal, and
// render. Every route of the interface is listed in routes.go.
package web

import (
	"log/slog"
	"net/http"
	"time"

	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/care"
	"github.com/careloop/careloop/internal/crisis"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/export"
	"github.com/careloop/careloop/internal/family"
	"github.com/careloop/careloop/internal/hotline"
	"github.com/careloop/careloop/internal/hotline/chat"
	"github.com/careloop/careloop/internal/hotline/letter"
	"github.com/careloop/careloop/internal/hotline/phone"
	"github.com/careloop/careloop/internal/hotline/station"
	"github.com/careloop/careloop/internal/hotline/wechat"
	"github.com/careloop/careloop/internal/httpx"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/outreach"
	"github.com/careloop/careloop/internal/people"
	"github.com/careloop/careloop/internal/referral"
	"github.com/careloop/careloop/internal/research"
	"github.com/careloop/careloop/internal/screening"
	"github.com/careloop/careloop/internal/sharing"
	"github.com/careloop/careloop/internal/stats"
	"github.com/careloop/careloop/internal/student"
	"github.com/careloop/careloop/internal/training"
	"github.com/careloop/careloop/internal/warning"
	"github.com/careloop/careloop/internal/workforce"
)

// Server holds the services the pages use.
type Server struct {
	Org           *org.Service
	People        *people.Service
	Student       *student.Service
	Screening     *screening.Service
	Warning       *warning.Service
	Care          *care.Service
	Hotline       *hotline.Service
	Chat          *chat.Service
	WeChat        *wechat.Service
	Phone         *phone.Service
	Letters       *letter.Service
	Station       *station.Service
	Crisis        *crisis.Service
	Referral      *referral.Service
	Sharing       *sharing.Service
	Workforce     *workforce.Service
	Training      *training.Service
	Outreach      *outreach.Service
	Family        *family.Service
	Research      *research.Service
	Stats         *stats.Service
	Indicators    *stats.Registry
	Exports       *export.Service
	Audit         *audit.Log
	DB            *db.DB
	Log           *slog.Logger
	SecureCookies bool
	Demo          bool

	pages      *pages
	signinIP   *httpx.Limiter
	signinUser *httpx.Limiter
	imports    *importJobs
}

// SessionCookie is the name of the session cookie.
const SessionCookie = "careloop_session"

// LangCookie remembers the language chosen before signing in.
const LangCookie = "careloop_lang"

// Handler returns the interface's handler: routes, sessions, language,
// cross-origin protection on every unsafe method.
func (s *Server) Handler() (http.Handler, error) {
	p, err := loadPages()
	if err != nil {
		return nil, err
	}
	s.pages = p
	s.imports = newImportJobs()
	s.signinIP = httpx.NewLimiter(6*time.Second, 10)
	s.signinUser = httpx.NewLimiter(time.Minute, 5)
	mux := http.NewServeMux()
	s.routes(mux)
	cop := http.NewCrossOriginProtection()
	cop.SetDenyHandler(http.HandlerFunc(s.forbiddenOrigin))
	return cop.Handler(s.withSession(mux)), nil
}

// today is the current date in China Standard Time, for ages.
func (s *Server) today() time.Time { return time.Now().In(displayZone) }
