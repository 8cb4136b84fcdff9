// Package apperr defines careloop's one error type. Every service returns
// *apperr.Error for failures a caller may act on; the HTTP surfaces map the
// code to a status once, and show only the client-safe message.
package apperr

import (
	"errors"
	"fmt"
)

// Code classifies an error for callers and for the HTTP mapping.
type Code string

// The codes a service may return.
const (
	EInvalid      Code = "invalid"      // bad input; Message says what to fix
	ENotFound     Code = "not_found"    // no such record in the caller's scope
	EForbidden    Code = "forbidden"    // authenticated but not allowed
	EUnauthorized Code = "unauthorized" // not signed in, or bad credentials
	EConflict     Code = "conflict"     // duplicate or stale state
	ETooMany      Code = "too_many"     // rate limited or locked out
	EInternal     Code = "internal"     // a bug or an outage; details are only logged
)

// Error carries a code, a message that is safe to show to the user (a
// translation key or a plain sentence without personal data), optional
// field-level problems, and the underlying error that is only logged.
type Error struct {
	Code    Code
	Message string            // client-safe; may be an i18n key
	Fields  map[string]string // field name -> client-safe problem
	Err     error             // internal cause, never shown to a user
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// New returns an error with a code and client-safe message.
func New(code Code, msg string) *Error { return &Error{Code: code, Message: msg} }

// Invalid returns an EInvalid error with per-field problems.
func Invalid(msg string, fields map[string]string) *Error {
	return &Error{Code: EInvalid, Message: msg, Fields: fields}
}

// Internal wraps an unexpected error; the user sees only a generic message.
// Internal(nil) is nil, so it can wrap rows.Err() directly. An error that is
// already an *Error passes through unchanged.
func Internal(err error) error {
	if err == nil {
		return nil
	}
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Code: EInternal, Message: "error.internal", Err: err}
}

// Forbidden is the error for a denied action.
func Forbidden() *Error { return &Error{Code: EForbidden, Message: "error.forbidden"} }

// NotFound is the error for a record that does not exist in the caller's scope.
func NotFound() *Error { return &Error{Code: ENotFound, Message: "error.not_found"} }

// CodeOf returns the code of err, EInternal for foreign errors and "" for nil.
func CodeOf(err error) Code {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EInternal
}

// MessageOf returns the client-safe message of err; foreign errors give the
// generic internal message, so a driver's text never reaches a user.
func MessageOf(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != EInternal {
		return e.Message
	}
	return "error.internal"
}

// FieldsOf returns the per-field problems of err, if any.
func FieldsOf(err error) map[string]string {
	var e *Error
	if errors.As(err, &e) {
		return e.Fields
	}
	return nil
}
