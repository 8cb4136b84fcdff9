package wechat

import (
	"errors"
	"io"
	"net/http"

	"github.com/careloop/careloop/internal/apperr"
)

// MaxBody is the largest push body taken. A text message is at most a few
// kilobytes; an encrypted one about a third more; compatible mode about
// three times as much.
const MaxBody = 64 << 10

// ServeHTTP is the callback address WeChat pushes to: GET verifies the
// address (echoes echostr), POST delivers a message and is answered
// "success" at once (an empty passive reply: counsellors answer later
// through Reply). Refusals get their status and a short reason in plain
// text; a failure of the database or the chat queue gets 500, and WeChat
// delivers the message again. Nothing about the sender or the message is
// logged, nor the query (it holds the openid).
func (s *Service) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.Header().Set("Cache-Control", "no-store")
	switch r.Method {
	case http.MethodGet:
		echo, err := s.Verify(r.URL.Query())
		if err != nil {
			s.refuse(w, r, err)
			return
		}
		_, _ = io.WriteString(w, echo)
	case http.MethodPost:
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxBody))
		if err != nil {
			var tooLarge *http.MaxBytesError
			if errors.As(err, &tooLarge) {
				err = ErrTooLarge
			} else {
				err = ErrMalformed
			}
			s.refuse(w, r, err)
			return
		}
		out, err := s.Push(r.Context(), r.URL.Query(), body)
		if err != nil {
			s.refuse(w, r, err)
			return
		}
		s.log().Debug("wechat push taken", "outcome", string(out))
		_, _ = io.WriteString(w, "success")
	default:
		w.Header().Set("Allow", "GET, POST")
		http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
	}
}

// refuse answers a refused or failed push, logging the reason only.
func (s *Service) refuse(w http.ResponseWriter, r *http.Request, err error) {
	var re *routeError
	var rej *Rejection
	switch {
	case errors.As(err, &re): // before Rejection: the router's own errors are not ours to answer with
		s.log().Error("wechat push not routed", "err", re.Error())
	case errors.As(err, &rej):
		s.log().Warn("wechat push refused", "method", r.Method, "reason", rej.Reason, "status", rej.Status)
		http.Error(w, rej.Reason, rej.Status)
		return
	default:
		s.log().Error("wechat push failed", "code", string(apperr.CodeOf(err)), "err", err)
	}
	http.Error(w, "temporary failure; deliver again", http.StatusInternalServerError)
}
