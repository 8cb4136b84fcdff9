package web

import (
	"encoding/json"
	"net/http"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/hotline/phone"
	"github.com/careloop/careloop/internal/httpx"
	"github.com/careloop/careloop/internal/i18n"
)

// The PBX's side: JSON events and recording uploads, authenticated by an
// API token of an account holding hotline.telephony (role
// telephony_gateway). Answers are JSON; errors have the JSON API's shape
// ({"error": {"code", "key", "message", "fields"}}), and none changes
// anything.

// phoneEventBody is an event as the PBX sends it.
type phoneEventBody struct {
	Event     string    `json:"event"`      // offered, answered, transferred, ended
	CallRef   string    `json:"call_ref"`   // the PBX's id of the call
	StationID int64     `json:"station_id"` // required with offered
	Seq       *int64    `json:"seq"`        // the event's sequence number, if the PBX numbers them
	At        time.Time `json:"at"`         // RFC 3339; absent: on receipt
	Caller    string    `json:"caller"`     // offered: the caller's number (hashed at once, never stored)
	UserID    int64     `json:"user_id"`    // answered: who; transferred: to whom; offered: who is rung
	Extension string    `json:"extension"`  // or the agent's extension
	Reason    string    `json:"reason"`     // ended: caller_hangup, agent_hangup, timeout, failed, other
}

// phoneGateway authenticates the PBX: a bearer token whose account holds
// hotline.telephony. A cookie session is not accepted.
func (s *Server) phoneGateway(w http.ResponseWriter, r *http.Request) (access.Principal, bool) {
	scheme, token, _ := strings.Cut(r.Header.Get("Authorization"), " ")
	token = strings.TrimSpace(token)
	if !strings.EqualFold(scheme, "Bearer") || token == "" {
		s.phoneError(w, r, apperr.New(apperr.EUnauthorized, "token.invalid"))
		return access.Principal{}, false
	}
	info, err := s.People.AuthenticateToken(r.Context(), token)
	if err != nil {
		s.phoneError(w, r, err)
		return access.Principal{}, false
	}
	if !info.Principal.Can(access.HotlineTelephony) {
		s.phoneError(w, r, apperr.Forbidden())
		return access.Principal{}, false
	}
	return info.Principal, true
}

func (s *Server) phoneEvent(w http.ResponseWriter, r *http.Request) {
	p, ok := s.phoneGateway(w, r)
	if !ok {
		return
	}
	var b phoneEventBody
	dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, 64<<10))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&b); err != nil || dec.More() {
		writeJSONStatus(w, http.StatusBadRequest, phoneErrorBody(apperr.Invalid("phone.bad_json", nil)))
		return
	}
	out, err := s.Phone.Report(r.Context(), p, phone.Event{Event: b.Event, CallRef: b.CallRef, StationID: b.StationID, Seq: b.Seq,
		At: b.At, Caller: b.Caller, UserID: b.UserID, Extension: b.Extension, Reason: b.Reason})
	if err != nil {
		s.phoneError(w, r, err)
		return
	}
	writeJSONStatus(w, http.StatusOK, map[string]any{"call_id": out.CallID, "state": out.State, "contact_id": out.ContactID, "result": out.Result})
}

// phoneUpload stores a call's recording: the body is the audio, its
// Content-Type an audio type; ?recording= names it for repeated uploads.
func (s *Server) phoneUpload(w http.ResponseWriter, r *http.Request) {
	p, ok := s.phoneGateway(w, r)
	if !ok {
		return
	}
	body := http.MaxBytesReader(w, r.Body, s.Phone.UploadLimit())
	rec, dup, err := s.Phone.StoreRecording(r.Context(), p, phone.NewRecording{CallRef: r.PathValue("call"),
		Ref: r.URL.Query().Get("recording"), ContentType: r.Header.Get("Content-Type"), Audio: body})
	if err != nil {
		s.phoneError(w, r, err)
		return
	}
	status := http.StatusCreated
	if dup {
		status = http.StatusOK
	}
	writeJSONStatus(w, status, map[string]any{"recording_id": rec.ID, "bytes": rec.Bytes, "duplicate": dup})
}

func (s *Server) phoneError(w http.ResponseWriter, r *http.Request, err error) {
	status := httpx.Status(err)
	switch {
	case apperr.CodeOf(err) == apperr.EInternal:
		s.Log.Error("phone gateway internal error", "err", err, "request_id", httpx.RequestID(r.Context()))
	case apperr.MessageOf(err) == "phone.recording_too_large":
		status = http.StatusRequestEntityTooLarge
	case apperr.CodeOf(err) == apperr.EUnauthorized:
		w.Header().Set("WWW-Authenticate", `Bearer realm="careloop"`)
	}
	writeJSONStatus(w, status, phoneErrorBody(err))
}

func phoneErrorBody(err error) map[string]any {
	key := apperr.MessageOf(err)
	e := map[string]any{"code": apperr.CodeOf(err), "key": key, "message": i18n.T("en", key)}
	if f := apperr.FieldsOf(err); len(f) > 0 {
		e["fields"] = f
	}
	return map[string]any{"error": e}
}
