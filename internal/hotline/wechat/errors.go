package wechat

import (
	"fmt"

	"github.com/careloop/careloop/internal/apperr"
)

// Rejection is why a push was refused, with the HTTP status WeChat (or
// whoever sent it) gets. A refused push changes nothing.
type Rejection struct {
	Status int
	Reason string // safe to show and to log: no openid, no text
}

func (r *Rejection) Error() string { return "wechat: " + r.Reason }

// The refusals of a push.
var (
	ErrBadQuery     = &Rejection{400, "missing or malformed signature parameters"}
	ErrStale        = &Rejection{403, "timestamp outside the accepted window"}
	ErrBadSignature = &Rejection{403, "bad signature"}
	ErrReplayed     = &Rejection{409, "push already received"}
	ErrMalformed    = &Rejection{400, "malformed message"}
	ErrNotEncrypted = &Rejection{400, "this account accepts encrypted pushes only"}
	ErrNoAESKey     = &Rejection{400, "encrypted push, but no EncodingAESKey is configured"}
	ErrBadCipher    = &Rejection{400, "cannot decrypt the message"}
	ErrWrongApp     = &Rejection{403, "message for another AppID"}
	ErrTooLarge     = &Rejection{413, "body too large"}
)

// routeError is the router's refusal of a message. Its text names only
// the error's code, since the router's own error might quote the message.
type routeError struct{ err error }

func (e *routeError) Error() string {
	return fmt.Sprintf("wechat: the chat queue refused the message (%s)", apperr.CodeOf(e.err))
}

func (e *routeError) Unwrap() error { return e.err }

// APIError is an errcode from WeChat's API. Its text holds the operation
// and the code only: never the token, the secret, the recipient or the
// message.
type APIError struct {
	Op   string // "token", "send"
	Code int
}

func (e *APIError) Error() string { return fmt.Sprintf("wechat: %s: errcode %d", e.Op, e.Code) }
