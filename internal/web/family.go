package web

import (
	"net/http"
	"sync"
	"time"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/family"
	"github.com/careloop/careloop/internal/httpx"
)

// FamilyCookie holds a guardian's portal session (no staff account): the
// server keeps only its SHA-256.
const FamilyCookie = "careloop_family"

// familyLimits are the portal's per-address limits of one server: code
// requests, and wrong codes. The per-phone limits live in the database
// (internal/family), so they hold across instances and restarts.
type familyLimits struct {
	codes *httpx.Limiter // code requests per address: 10 at once, then one per 30 s
	wrong *httpx.Limiter // wrong codes per address: 20 at once, then one per 6 s
}

var familyLimiters sync.Map // *Server -> *familyLimits

func (s *Server) familyLimits() *familyLimits {
	if l, ok := familyLimiters.Load(s); ok {
		return l.(*familyLimits)
	}
	l, _ := familyLimiters.LoadOrStore(s, &familyLimits{codes: httpx.NewLimiter(30*time.Second, 10), wrong: httpx.NewLimiter(6*time.Second, 20)})
	return l.(*familyLimits)
}

func (s *Server) setFamilyCookie(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: FamilyCookie, Value: token, Path: "/family", HttpOnly: true,
		Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode})
}

func (s *Server) clearFamilyCookie(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: FamilyCookie, Value: "", Path: "/family", HttpOnly: true,
		Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: -1, Expires: time.Unix(0, 0)})
}

// guardian returns the request's guardian session, or answers the request
// (back to the sign-in page) and returns nil. Every portal page but the
// sign-in steps starts with it.
func (s *Server) guardian(w http.ResponseWriter, r *http.Request) *family.Session {
	c, err := r.Cookie(FamilyCookie)
	if err == nil && c.Value != "" {
		se, err := s.Family.Authenticate(r.Context(), c.Value)
		if err == nil {
			return se
		}
		if apperr.CodeOf(err) != apperr.EUnauthorized {
			s.serverError(w, r, err)
			return nil
		}
		s.clearFamilyCookie(w)
	}
	if r.Method == http.MethodGet {
		http.Redirect(w, r, "/family", http.StatusSeeOther)
		return nil
	}
	s.familyPage(w, r, http.StatusUnauthorized, "family_signin", page{Title: "family.title", Error: "family.signin_again", Data: familySignIn{}})
	return nil
}

// familyPage renders a portal page (no staff header).
func (s *Server) familyPage(w http.ResponseWriter, r *http.Request, status int, name string, pg page) {
	pg.Family = true
	s.render(w, r, status, name, pg)
}

// familySignIn is the sign-in steps' data.
type familySignIn struct {
	Phone string
	Sent  bool // the code step
}

func (s *Server) familySignInForm(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(FamilyCookie); err == nil && c.Value != "" {
		if _, err := s.Family.Authenticate(r.Context(), c.Value); err == nil {
			http.Redirect(w, r, "/family/home", http.StatusSeeOther)
			return
		}
	}
	s.familyPage(w, r, http.StatusOK, "family_signin", page{Title: "family.title", Data: familySignIn{}})
}

// familyRequestCode sends a code when the phone is a guardian's; the
// answer is the same whether or not it is.
func (s *Server) familyRequestCode(w http.ResponseWriter, r *http.Request) {
	raw := r.PostFormValue("phone")
	if !s.familyLimits().codes.Allow(clientKey(r)) {
		s.familyPage(w, r, http.StatusTooManyRequests, "family_signin", page{Title: "family.title", Error: "family.too_many",
			Data: familySignIn{Phone: raw}})
		return
	}
	err := s.Family.RequestCode(r.Context(), raw, localeOf(r))
	switch apperr.CodeOf(err) {
	case "":
	case apperr.EInvalid, apperr.ETooMany:
		s.familyPage(w, r, httpx.Status(err), "family_signin", page{Title: "family.title", Error: apperr.MessageOf(err),
			Fields: apperr.FieldsOf(err), Data: familySignIn{Phone: raw}})
		return
	default:
		s.serverError(w, r, err)
		return
	}
	phone, _ := family.NormalizePhone(raw)
	s.familyPage(w, r, http.StatusOK, "family_signin", page{Title: "family.title", Flash: "family.code_sent",
		FlashArgs: []any{family.MaskPhone(phone)}, Data: familySignIn{Phone: phone, Sent: true}})
}

func (s *Server) familySignIn(w http.ResponseWriter, r *http.Request) {
	phone := r.PostFormValue("phone")
	v := familySignIn{Phone: phone, Sent: true}
	lim := s.familyLimits().wrong
	if lim.Blocked(clientKey(r)) {
		s.familyPage(w, r, http.StatusTooManyRequests, "family_signin", page{Title: "family.title", Error: "family.too_many", Data: v})
		return
	}
	token, err := s.Family.SignIn(r.Context(), phone, r.PostFormValue("code"))
	if err != nil {
		if apperr.CodeOf(err) == apperr.EInternal {
			s.serverError(w, r, err)
			return
		}
		lim.Fail(clientKey(r))
		s.familyPage(w, r, http.StatusUnauthorized, "family_signin", page{Title: "family.title", Error: apperr.MessageOf(err), Data: v})
		return
	}
	s.setFamilyCookie(w, token)
	http.Redirect(w, r, "/family/home", http.StatusSeeOther)
}

func (s *Server) familySignOut(w http.ResponseWriter, r *http.Request) {
	if c, err := r.Cookie(FamilyCookie); err == nil && c.Value != "" {
		if err := s.Family.SignOut(r.Context(), c.Value); err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	s.clearFamilyCookie(w)
	s.familyPage(w, r, http.StatusOK, "family_signin", page{Title: "family.title", Flash: "family.signed_out", Data: familySignIn{}})
}
