package web

import (
	"context"
	"net/http"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/i18n"
	"github.com/careloop/careloop/internal/people"
)

type ctxKey int

const (
	sessionKey ctxKey = iota
	localeKey
)

// withSession resolves the session cookie (if any) and the locale of every
// request: the user's own choice, else the language cookie, else the
// browser's Accept-Language.
func (s *Server) withSession(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		ctx := r.Context()
		locale := ""
		if c, err := r.Cookie(SessionCookie); err == nil && c.Value != "" {
			info, err := s.People.Authenticate(ctx, c.Value)
			switch {
			case err == nil:
				ctx = context.WithValue(ctx, sessionKey, info)
				if info.Stage == people.StageFull {
					locale = info.User.Locale
				}
			case apperr.CodeOf(err) == apperr.EUnauthorized:
				s.clearSession(w)
			default:
				s.serverError(w, r.WithContext(ctx), err)
				return
			}
		}
		if locale == "" {
			locale = anonymousLocale(r)
		}
		ctx = context.WithValue(ctx, localeKey, locale)
		next.ServeHTTP(w, r.WithContext(ctx))
	})
}

func sessionOf(r *http.Request) *people.SessionInfo {
	info, _ := r.Context().Value(sessionKey).(*people.SessionInfo)
	return info
}

// localeOf is the locale of a request; before withSession has run (the
// cross-origin refusal) it is the anonymous choice.
func localeOf(r *http.Request) string {
	if l, _ := r.Context().Value(localeKey).(string); l != "" {
		return l
	}
	return anonymousLocale(r)
}

// anonymousLocale is the language cookie's choice, else the browser's.
func anonymousLocale(r *http.Request) string {
	if c, err := r.Cookie(LangCookie); err == nil && i18n.Valid(c.Value) {
		return c.Value
	}
	return i18n.Match(r.Header.Get("Accept-Language"))
}

// principal returns the caller of a guarded route.
func principal(r *http.Request) access.Principal {
	if info := sessionOf(r); info != nil && info.Stage == people.StageFull {
		return info.Principal
	}
	return access.Principal{}
}

// require guards a route: a full session, no pending password change, and
// perm (when not ""). Anonymous callers go to the sign-in page; signed-in
// callers without the permission get 403.
func (s *Server) require(perm access.Permission, h http.HandlerFunc) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		info := sessionOf(r)
		if info == nil || info.Stage != people.StageFull {
			if r.Method == http.MethodGet {
				http.Redirect(w, r, "/login?next="+safeNext(r.URL.RequestURI()), http.StatusSeeOther)
				return
			}
			s.errorPage(w, r, http.StatusUnauthorized, "signin.expired")
			return
		}
		if info.User.MustChangePassword && r.URL.Path != "/account/password" {
			http.Redirect(w, r, "/account/password", http.StatusSeeOther)
			return
		}
		if perm != "" && !info.Principal.Can(perm) {
			s.errorPage(w, r, http.StatusForbidden, "error.forbidden")
			return
		}
		h(w, r)
	})
}

func (s *Server) setSession(w http.ResponseWriter, token string) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: token, Path: "/", HttpOnly: true,
		Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode})
}

func (s *Server) clearSession(w http.ResponseWriter) {
	http.SetCookie(w, &http.Cookie{Name: SessionCookie, Value: "", Path: "/", HttpOnly: true,
		Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode, MaxAge: -1, Expires: time.Unix(0, 0)})
}

// safeNext keeps a post-sign-in redirect on this site.
func safeNext(next string) string {
	if len(next) == 0 || next[0] != '/' || (len(next) > 1 && (next[1] == '/' || next[1] == '\\')) {
		return "/"
	}
	return next
}
