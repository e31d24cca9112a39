// Package apperr defines the typed errors that domain services return and that the
// transports (GraphQL, back office) translate once, at the edge, into what a user sees.
//
// A service returns an *Error for anything the caller can act on (bad input, not found,
// conflict, not allowed). Anything else is an internal error: logged with the request id
// and shown as a generic message, never raw.
package apperr

import (
	"errors"
	"fmt"
)

// Code classifies an error for the transports.
type Code string

const (
	CodeInvalid         Code = "INVALID"
	CodeNotFound        Code = "NOT_FOUND"
	CodeConflict        Code = "CONFLICT"
	CodeForbidden       Code = "FORBIDDEN"
	CodeUnauthenticated Code = "UNAUTHENTICATED"
	CodeRateLimited     Code = "RATE_LIMITED"
	CodeInternal        Code = "INTERNAL"
)

// Error is an application error with a code, a message safe to show to the user and,
// for validation errors, the input field it concerns.
type Error struct {
	Code    Code
	Message string
	// Field is the path of the offending input field (e.g. ["variants", "0", "barcode"]).
	Field []string
	// Reason is a finer machine-readable code for clients (e.g. DUPLICATE, BAD_CHECK_DIGIT);
	// empty means Code is the whole story.
	Reason string
	// Err is the underlying cause, logged but never shown.
	Err error
}

func (e *Error) Error() string {
	msg := string(e.Code) + ": " + e.Message
	if e.Err != nil {
		msg += ": " + e.Err.Error()
	}
	return msg
}

func (e *Error) Unwrap() error { return e.Err }

// ClientCode is the code clients see in userErrors: the finer Reason when set.
func (e *Error) ClientCode() string {
	if e.Reason != "" {
		return e.Reason
	}
	return string(e.Code)
}

// Invalid reports bad input on field (a dotted path, or empty for the whole input).
func Invalid(field, format string, args ...any) *Error {
	return &Error{Code: CodeInvalid, Message: fmt.Sprintf(format, args...), Field: splitField(field)}
}

// NotFound reports that the named thing does not exist (or is not visible to the actor).
func NotFound(format string, args ...any) *Error {
	return &Error{Code: CodeNotFound, Message: fmt.Sprintf(format, args...)}
}

// Conflict reports that the request clashes with the current state (a duplicate, a stale
// version, an idempotency key reused with different content).
func Conflict(field, format string, args ...any) *Error {
	return &Error{Code: CodeConflict, Message: fmt.Sprintf(format, args...), Field: splitField(field)}
}

// Forbidden reports that the actor may not do this.
func Forbidden(format string, args ...any) *Error {
	return &Error{Code: CodeForbidden, Message: fmt.Sprintf(format, args...)}
}

// Unauthenticated reports that the request needs a signed-in actor.
func Unauthenticated(format string, args ...any) *Error {
	return &Error{Code: CodeUnauthenticated, Message: fmt.Sprintf(format, args...)}
}

// RateLimited reports too many attempts; the message says when to try again.
func RateLimited(format string, args ...any) *Error {
	return &Error{Code: CodeRateLimited, Message: fmt.Sprintf(format, args...)}
}

// WithReason returns a copy of e with a finer client code.
func (e *Error) WithReason(reason string) *Error {
	c := *e
	c.Reason = reason
	return &c
}

// As returns the *Error in err's chain, if any.
func As(err error) (*Error, bool) {
	var e *Error
	ok := errors.As(err, &e)
	return e, ok
}

// CodeOf returns the code of err: its *Error's code (the first one of a List), or
// CodeInternal.
func CodeOf(err error) Code {
	if errs, ok := Errors(err); ok && len(errs) > 0 {
		return errs[0].Code
	}
	return CodeInternal
}

// List collects several validation errors so a form can show them all at once.
type List []*Error

func (l List) Error() string {
	if len(l) == 0 {
		return "no errors"
	}
	msg := l[0].Error()
	if len(l) > 1 {
		msg += fmt.Sprintf(" (and %d more)", len(l)-1)
	}
	return msg
}

// Err returns nil when the list is empty, else the list.
func (l List) Err() error {
	if len(l) == 0 {
		return nil
	}
	return l
}

// Errors flattens err into its user-facing errors: the members of a List, or the single
// *Error. ok is false when err holds no application error (an internal error).
func Errors(err error) (errs []*Error, ok bool) {
	var l List
	if errors.As(err, &l) {
		return l, true
	}
	if e, ok := As(err); ok {
		return []*Error{e}, true
	}
	return nil, false
}

func splitField(field string) []string {
	if field == "" {
		return nil
	}
	var parts []string
	start := 0
	for i := 0; i < len(field); i++ {
		if field[i] == '.' {
			parts = append(parts, field[start:i])
			start = i + 1
		}
	}
	return append(parts, field[start:])
}
