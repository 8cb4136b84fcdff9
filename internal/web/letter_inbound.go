package web

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"strconv"
	"strings"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/httpx"
)

// maxInboundMail is the largest message the e-mail intake reads.
const maxInboundMail = 10 << 20

// receiveLetter is the e-mail intake: a mail gateway (an MTA pipe, or a
// mail service's inbound webhook) POSTs one raw RFC 5322 message as the
// body, with
//
//	Authorization: Bearer clt_...    (an API token holding hotline.contact)
//	POST /letters/inbound?station=ID (optional: else the top station the token reaches)
//
// It answers JSON: 201 {"letter": id} for a new letter, 200 with
// "duplicate": true for a message taken in before (same Message-ID), 401
// for a bad token, 403 without hotline.contact, 404 for a station out of
// reach, 413 for a message over 10 MiB, 422 {"error": ..., "problem": ...}
// for a message that cannot be read (nothing is stored). The route is
// public in the route table because the token, not a session, guards it;
// failed tokens count against the address like failed sign-ins.
func (s *Server) receiveLetter(w http.ResponseWriter, r *http.Request) {
	key := "token:" + clientKey(r)
	if s.signinIP.Blocked(key) {
		letterJSON(w, http.StatusTooManyRequests, map[string]any{"error": "signin.too_many"})
		return
	}
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		w.Header().Set("WWW-Authenticate", `Bearer realm="careloop"`)
		letterJSON(w, http.StatusUnauthorized, map[string]any{"error": "token.invalid"})
		return
	}
	info, err := s.People.AuthenticateToken(r.Context(), token)
	if err != nil {
		if apperr.CodeOf(err) == apperr.EInternal {
			s.Log.Error("letter intake", "err", err, "request_id", httpx.RequestID(r.Context()))
		} else {
			s.signinIP.Fail(key)
		}
		w.Header().Set("WWW-Authenticate", `Bearer realm="careloop"`)
		letterJSON(w, httpx.Status(err), map[string]any{"error": apperr.MessageOf(err)})
		return
	}
	p := info.Principal
	if !p.Can(access.HotlineContact) {
		letterJSON(w, http.StatusForbidden, map[string]any{"error": "error.forbidden"})
		return
	}
	var station int64
	if v := r.URL.Query().Get("station"); v != "" {
		if station, err = strconv.ParseInt(v, 10, 64); err != nil || station <= 0 {
			letterJSON(w, http.StatusNotFound, map[string]any{"error": "error.not_found"})
			return
		}
	}
	raw, err := io.ReadAll(http.MaxBytesReader(w, r.Body, maxInboundMail))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		letterJSON(w, http.StatusRequestEntityTooLarge, map[string]any{"error": "letter.mail_too_large"})
		return
	case err != nil:
		letterJSON(w, http.StatusBadRequest, map[string]any{"error": "error.invalid"})
		return
	}
	got, err := s.Letters.Receive(r.Context(), p, station, raw)
	switch apperr.CodeOf(err) {
	case "":
	case apperr.EInternal:
		s.Log.Error("letter intake", "err", err, "request_id", httpx.RequestID(r.Context()))
		letterJSON(w, http.StatusInternalServerError, map[string]any{"error": "error.internal"})
		return
	default:
		body := map[string]any{"error": apperr.MessageOf(err)}
		if problem := apperr.FieldsOf(err)["message"]; problem != "" {
			body["problem"] = problem
		}
		letterJSON(w, httpx.Status(err), body)
		return
	}
	if got.Duplicate {
		letterJSON(w, http.StatusOK, map[string]any{"letter": got.ID, "duplicate": true})
		return
	}
	letterJSON(w, http.StatusCreated, map[string]any{"letter": got.ID})
}

func letterJSON(w http.ResponseWriter, status int, body map[string]any) {
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(body)
}
