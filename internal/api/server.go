// Package api is careloop's JSON API under /api/v1. It calls the same
// services as the web pages, authenticates with personal API tokens
// (Authorization: Bearer ...), and describes itself in an OpenAPI 3
// document built from the same route table that registers the handlers.
package api

import (
	"encoding/json"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"strings"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/httpx"
	"github.com/careloop/careloop/internal/i18n"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/people"
	"github.com/careloop/careloop/internal/screening"
)

// Server holds the services the API uses.
type Server struct {
	Org       *org.Service
	People    *people.Service
	Screening *screening.Service
	Log       *slog.Logger
}

// Handler returns the API's handler with every route of routes.go.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	for _, rt := range s.routes() {
		mux.Handle(rt.Method+" "+rt.Path, s.guard(rt))
	}
	mux.HandleFunc("/api/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, apperr.NotFound())
	})
	return mux
}

// guard authenticates the bearer token (unless the route is public) and
// checks the route's permission before the handler runs.
func (s *Server) guard(rt route) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		httpx.NoteRoute(r)
		var p access.Principal
		if !rt.Public {
			scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
			token = strings.TrimSpace(token)
			if !strings.EqualFold(scheme, "Bearer") || token == "" {
				writeError(w, apperr.New(apperr.EUnauthorized, "token.invalid"))
				return
			}
			info, err := s.People.AuthenticateToken(r.Context(), token)
			if err != nil {
				s.fail(w, r, err)
				return
			}
			p = info.Principal
			if rt.Permission != "" && !p.Can(rt.Permission) {
				writeError(w, apperr.Forbidden())
				return
			}
		}
		if err := rt.Handler(w, r, p); err != nil {
			s.fail(w, r, err)
		}
	})
}

// fail logs internal errors with the request id and writes the error body.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if apperr.CodeOf(err) == apperr.EInternal {
		s.Log.Error("api internal error", "err", err, "request_id", httpx.RequestID(r.Context()))
	}
	writeError(w, err)
}

// errorBody is the JSON shape of every error: a code, a client-safe message
// key with its English text, and per-field problems.
type errorBody struct {
	Error struct {
		Code    apperr.Code       `json:"code"`
		Key     string            `json:"key"`
		Message string            `json:"message"`
		Fields  map[string]string `json:"fields,omitempty"`
	} `json:"error"`
}

func writeError(w http.ResponseWriter, err error) {
	if apperr.CodeOf(err) == apperr.EUnauthorized {
		w.Header().Set("WWW-Authenticate", `Bearer realm="careloop"`)
	}
	var b errorBody
	b.Error.Code = apperr.CodeOf(err)
	b.Error.Key = apperr.MessageOf(err)
	b.Error.Message = i18n.T("en", b.Error.Key)
	b.Error.Fields = apperr.FieldsOf(err)
	writeJSON(w, httpx.Status(err), b)
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	_ = json.NewEncoder(w).Encode(v)
}

// decode reads a JSON body of at most 1 MiB into v, refusing unknown fields.
func decode(r *http.Request, v any) error {
	dec := json.NewDecoder(io.LimitReader(r.Body, 1<<20))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		if errors.As(err, &se) || errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return apperr.Invalid("api.bad_json", nil)
		}
		return apperr.Invalid("api.bad_json", map[string]string{"body": "api.bad_json"})
	}
	return nil
}
