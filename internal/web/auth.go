package web

import (
	"encoding/base64"
	"html/template"
	"net/http"
	"strings"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/httpx"
	"github.com/careloop/careloop/internal/i18n"
	"github.com/careloop/careloop/internal/people"
)

func cookieToken(r *http.Request) string {
	c, err := r.Cookie(SessionCookie)
	if err != nil {
		return ""
	}
	return c.Value
}

func (s *Server) loginForm(w http.ResponseWriter, r *http.Request) {
	if info := sessionOf(r); info != nil && info.Stage == people.StageFull {
		http.Redirect(w, r, "/", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "login", page{Title: "signin.title", Form: r.URL.Query()})
}

func (s *Server) login(w http.ResponseWriter, r *http.Request) {
	username := strings.ToLower(strings.TrimSpace(r.PostFormValue("username")))
	password := r.PostFormValue("password")
	form := r.PostForm
	form.Del("password") // never echoed back into the page
	if !s.signinIP.Allow(clientKey(r)) || !s.signinUser.Allow("u:"+username) {
		s.render(w, r, http.StatusTooManyRequests, "login", page{Title: "signin.title", Error: "signin.too_many", Form: form})
		return
	}
	res, err := s.People.SignIn(r.Context(), username, password)
	if err != nil {
		if apperr.CodeOf(err) == apperr.EInternal {
			s.serverError(w, r, err)
			return
		}
		status := http.StatusUnauthorized
		if apperr.CodeOf(err) == apperr.ETooMany {
			status = http.StatusTooManyRequests
		}
		s.render(w, r, status, "login", page{Title: "signin.title", Error: apperr.MessageOf(err), Form: form})
		return
	}
	s.setSession(w, res.Token)
	if res.Stage == people.StageFull {
		s.adoptLanguage(r, res.Token)
	}
	next := safeNext(r.PostFormValue("next"))
	switch {
	case res.NeedsTOTP:
		http.Redirect(w, r, "/login/second-factor?next="+next, http.StatusSeeOther)
	case res.NeedsEnrol:
		http.Redirect(w, r, "/login/enrol?next="+next, http.StatusSeeOther)
	default:
		http.Redirect(w, r, next, http.StatusSeeOther)
	}
}

// pending returns true when the request carries a first-stage session.
func pending(r *http.Request) bool {
	info := sessionOf(r)
	return info != nil && info.Stage == people.StagePassword
}

func (s *Server) secondFactorForm(w http.ResponseWriter, r *http.Request) {
	if !pending(r) {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	s.render(w, r, http.StatusOK, "second_factor", page{Title: "totp.title", Form: r.URL.Query()})
}

func (s *Server) secondFactor(w http.ResponseWriter, r *http.Request) {
	s.verifyCode(w, r, false)
}

func (s *Server) enrolForm(w http.ResponseWriter, r *http.Request) {
	if !pending(r) {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	e, err := s.People.BeginEnrolment(r.Context(), cookieToken(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, http.StatusOK, "enrol", page{Title: "totp.enrol_title", Form: r.URL.Query(), Data: enrolView(e)})
}

func (s *Server) enrol(w http.ResponseWriter, r *http.Request) {
	s.verifyCode(w, r, true)
}

func (s *Server) verifyCode(w http.ResponseWriter, r *http.Request, enrolling bool) {
	if !pending(r) {
		http.Redirect(w, r, "/login", http.StatusSeeOther)
		return
	}
	if !s.signinIP.Allow(clientKey(r)) {
		s.render(w, r, http.StatusTooManyRequests, "second_factor", page{Title: "totp.title", Error: "signin.too_many", Form: r.PostForm})
		return
	}
	code := r.PostFormValue("code")
	full, err := s.People.VerifySecondFactor(r.Context(), cookieToken(r), code, enrolling)
	if err != nil {
		if apperr.CodeOf(err) == apperr.EInternal {
			s.serverError(w, r, err)
			return
		}
		if apperr.MessageOf(err) == "signin.expired" || !pending(r) {
			http.Redirect(w, r, "/login", http.StatusSeeOther)
			return
		}
		form := r.PostForm
		form.Del("code")
		if enrolling {
			e, eerr := s.People.BeginEnrolment(r.Context(), cookieToken(r))
			if eerr != nil {
				http.Redirect(w, r, "/login", http.StatusSeeOther)
				return
			}
			s.render(w, r, http.StatusUnauthorized, "enrol", page{Title: "totp.enrol_title", Error: apperr.MessageOf(err), Form: form, Data: enrolView(e)})
			return
		}
		s.render(w, r, http.StatusUnauthorized, "second_factor", page{Title: "totp.title", Error: apperr.MessageOf(err), Form: form})
		return
	}
	s.setSession(w, full)
	s.adoptLanguage(r, full)
	http.Redirect(w, r, safeNext(r.PostFormValue("next")), http.StatusSeeOther)
}

func (s *Server) logout(w http.ResponseWriter, r *http.Request) {
	if t := cookieToken(r); t != "" {
		if err := s.People.SignOut(r.Context(), t); err != nil {
			s.serverError(w, r, err)
			return
		}
	}
	s.clearSession(w)
	http.Redirect(w, r, "/login", http.StatusSeeOther)
}

// setLanguage switches the interface language: stored on the account when
// signed in, and in a cookie for the sign-in pages.
func (s *Server) setLanguage(w http.ResponseWriter, r *http.Request) {
	l := r.PostFormValue("lang")
	if !i18n.Valid(l) {
		s.errorPage(w, r, http.StatusUnprocessableEntity, "user.locale_unknown")
		return
	}
	http.SetCookie(w, &http.Cookie{Name: LangCookie, Value: l, Path: "/", MaxAge: 365 * 24 * 3600,
		HttpOnly: true, Secure: s.SecureCookies, SameSite: http.SameSiteLaxMode})
	if p := principal(r); p.UserID != 0 {
		if err := s.People.SetLocale(r.Context(), p, l); err != nil {
			s.fail(w, r, err)
			return
		}
	}
	http.Redirect(w, r, safeNext(r.PostFormValue("back")), http.StatusSeeOther)
}

func (s *Server) account(w http.ResponseWriter, r *http.Request) {
	pg := page{Title: "account.title", Active: "account"}
	if r.URL.Query().Get("changed") == "1" {
		pg.Flash = "password.changed"
	}
	s.render(w, r, http.StatusOK, "account", pg)
}

func (s *Server) passwordForm(w http.ResponseWriter, r *http.Request) {
	s.render(w, r, http.StatusOK, "password", page{Title: "password.title", Active: "account"})
}

func (s *Server) changePassword(w http.ResponseWriter, r *http.Request) {
	if r.PostFormValue("new_password") != r.PostFormValue("confirm_password") {
		s.render(w, r, http.StatusUnprocessableEntity, "password", page{Title: "password.title", Active: "account",
			Error: "error.invalid", Fields: map[string]string{"confirm_password": "password.mismatch"}})
		return
	}
	token, err := s.People.ChangePassword(r.Context(), principal(r), r.PostFormValue("old_password"), r.PostFormValue("new_password"))
	if err != nil {
		if apperr.CodeOf(err) == apperr.EInvalid {
			s.render(w, r, http.StatusUnprocessableEntity, "password", page{Title: "password.title", Active: "account",
				Error: apperr.MessageOf(err), Fields: apperr.FieldsOf(err)})
			return
		}
		s.fail(w, r, err)
		return
	}
	s.setSession(w, token)
	http.Redirect(w, r, "/account?changed=1", http.StatusSeeOther)
}

// clientKey is the rate-limit key of a request.
func clientKey(r *http.Request) string { return "ip:" + httpx.ClientNet(r) }

// enrolPage is what the enrolment page shows: the secret and the QR code as
// a data URL (trusted: careloop made the image itself).
type enrolPage struct {
	Secret string
	QR     template.URL
}

func enrolView(e *people.Enrolment) enrolPage {
	return enrolPage{Secret: e.Secret, QR: template.URL("data:image/png;base64," + base64.StdEncoding.EncodeToString(e.QRPNG))}
}

// adoptLanguage keeps the language chosen on the sign-in pages: once the
// session is complete, a language picked there becomes the account's.
func (s *Server) adoptLanguage(r *http.Request, token string) {
	c, err := r.Cookie(LangCookie)
	if err != nil || !i18n.Valid(c.Value) {
		return
	}
	info, err := s.People.Authenticate(r.Context(), token)
	if err != nil || info.User.Locale == c.Value {
		return
	}
	if err := s.People.SetLocale(r.Context(), info.Principal, c.Value); err != nil {
		s.Log.Warn("keep sign-in language", "err", err, "request_id", httpx.RequestID(r.Context()))
	}
}
