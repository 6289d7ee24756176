package district

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"zoufang/storage"
	"zoufang/sync"
)

// Code names the outcome of a district operation for programs (the HTTP
// API, the workbench, tests); the matching Message says it in Chinese for
// people. Codes are stable: they are stored with quarantined bundles.
type Code string

// The codes. Each has one HTTP status (see Status) and one way of saying
// it; internals (SQLite errors, I/O errors) never reach a message, they go
// to the log.
const (
	CodeOK              Code = ""                   // not an error
	CodeMalformed       Code = "malformed"          // not a bundle, truncated, trailing data (400)
	CodeWrongKind       Code = "wrong_kind"         // a down bundle given to the district (400)
	CodeWrongPlace      Code = "wrong_place"        // upload path names another device or seq (400)
	CodeInvalidContent  Code = "invalid_content"    // decrypts, but a record breaks the format rules (400)
	CodeTooLarge        Code = "too_large"          // over a size limit (413)
	CodeUnknownDevice   Code = "unknown_device"     // device not enrolled here (403)
	CodeWrongKey        Code = "wrong_key"          // signed with a key not enrolled for the device (403)
	CodeBadSignature    Code = "bad_signature"      // signature does not verify (403)
	CodeRevoked         Code = "revoked"            // device or its key revoked: quarantined (403)
	CodeConflict        Code = "conflict"           // same seq, other content: quarantined (409)
	CodePrevMismatch    Code = "prev_mismatch"      // prev hash is not the stored head: quarantined (409)
	CodeRejected        Code = "rejected"           // staff rejected this bundle earlier (409)
	CodeRule            Code = "record_rule"        // a record the device may not write: quarantined (422)
	CodeQuota           Code = "quota"              // device's stored-not-applied bundles over quota (429)
	CodeUploadBroken    Code = "upload_interrupted" // the client stopped sending (408)
	CodeBusy            Code = "busy"               // too many uploads or the database is locked (503)
	CodeInternal        Code = "internal"           // anything else on the server's side (503)
	CodeNotFound        Code = "not_found"          // no such device, bundle or record (404)
	CodeInvalidArgument Code = "invalid_argument"   // a person's request is incomplete (400)
	CodeStale           Code = "stale"              // someone else handled it first (409)
	CodeUnreadable      Code = "unreadable"         // a local file cannot be read (400)
	CodeDamaged         Code = "damaged"            // stored bytes no longer open (409)
	CodeAlreadyEnrolled Code = "already_enrolled"   // key or id enrolled already (409)
	CodeKeyRevoked      Code = "key_revoked"        // enrolment of a revoked key (403)
	CodeClock           Code = "clock_skew"         // a down request dated too far from the server's clock (400)
	CodeReplay          Code = "replayed"           // a down request answered before (409)
	CodeDownMismatch    Code = "down_mismatch"      // the laptop claims down bundles the district did not send (409)
)

var statusOfCode = map[Code]int{
	CodeMalformed: 400, CodeWrongKind: 400, CodeWrongPlace: 400, CodeInvalidContent: 400,
	CodeTooLarge: 413, CodeUnknownDevice: 403, CodeWrongKey: 403, CodeBadSignature: 403,
	CodeRevoked: 403, CodeConflict: 409, CodePrevMismatch: 409, CodeRejected: 409,
	CodeRule: 422, CodeQuota: 429, CodeUploadBroken: 408, CodeBusy: 503, CodeInternal: 503,
	CodeNotFound: 404, CodeInvalidArgument: 400, CodeStale: 409, CodeUnreadable: 400,
	CodeDamaged: 409, CodeAlreadyEnrolled: 409, CodeKeyRevoked: 403,
	CodeClock: 400, CodeReplay: 409, CodeDownMismatch: 409,
}

// Status is the HTTP status of a code.
func (c Code) Status() int {
	if s, ok := statusOfCode[c]; ok {
		return s
	}
	return http.StatusServiceUnavailable
}

// Retryable reports whether the same request may succeed later unchanged:
// the server was busy or failed internally, or the upload broke off. A
// laptop retries these; it never treats them as "my data is bad".
func (c Code) Retryable() bool {
	return c == CodeBusy || c == CodeInternal || c == CodeUploadBroken
}

// RetryAfter is how long a client should wait before trying again after
// an error with this code: a few seconds when the server was busy (too many
// uploads at once, the database locked by another process), longer when it
// failed; 0 when trying again unchanged cannot help.
func (c Code) RetryAfter() time.Duration {
	switch c {
	case CodeBusy, CodeUploadBroken:
		return 5 * time.Second
	case CodeInternal:
		return 30 * time.Second
	}
	return 0
}

// Error is the one error type district methods return to their callers:
// a code, a complete Chinese message for people, and the internal cause for
// the log only. Error() is the message alone, so printing it never shows
// "UNIQUE constraint failed" or "unexpected EOF".
type Error struct {
	Code    Code
	Message string
	Err     error // internal cause; for slog, never for users
}

func (e *Error) Error() string { return e.Message }
func (e *Error) Unwrap() error { return e.Err }

// Status is the HTTP status of the error's code.
func (e *Error) Status() int { return e.Code.Status() }

// errorf makes a user-facing error.
func errorf(code Code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// Message returns the Chinese text to show for any error a district method
// returned: its own message, or a generic one for anything else (whose
// detail belongs in the log).
func Message(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return asError(err, "").Message
}

// Messages of the server's own failures. They tell the person what to do,
// never what broke inside.
const (
	msgBusy     = "区总工会服务器忙，请稍后再试"
	msgInternal = "区总工会服务器暂时无法处理，请稍后再试；如一再出现，请联系区总工会管理员查看服务器日志"
)

// asError turns any error into an *Error: district errors stay as they
// are; sync format errors keep their Chinese message; storage errors with a
// Chinese message are content problems; everything else (SQLite, I/O,
// cancelled contexts) is the server's own trouble: busy when the database
// was locked, internal otherwise, with the cause kept for the log. what
// says what was being done, for the log.
func asError(err error, what string) *Error {
	var e *Error
	if errors.As(err, &e) {
		return e
	}
	if msg, ok := sync.Message(err); ok {
		return &Error{Code: syncCode(err), Message: msg, Err: err}
	}
	var se *storage.Error
	if errors.As(err, &se) {
		switch se.Code {
		case storage.ErrNotFound.Code:
			return &Error{Code: CodeNotFound, Message: se.Message, Err: err}
		case storage.ErrVersionMismatch.Code, "invalid_version":
			return &Error{Code: CodeRule, Message: se.Message, Err: err}
		case storage.ErrStale.Code:
			return &Error{Code: CodeStale, Message: se.Message, Err: err}
		}
	}
	var ke keyError
	if errors.As(err, &ke) {
		// A retired or unknown district key (trust.go): its text is Chinese.
		return &Error{Code: CodeWrongKey, Message: string(ke), Err: err}
	}
	if what != "" {
		err = fmt.Errorf("%s: %w", what, err)
	}
	if isBusy(err) {
		return &Error{Code: CodeBusy, Message: msgBusy, Err: err}
	}
	return &Error{Code: CodeInternal, Message: msgInternal, Err: err}
}

// syncCode maps the error classes of package sync to codes.
func syncCode(err error) Code {
	switch {
	case errors.Is(err, sync.ErrTooLarge):
		return CodeTooLarge
	case errors.Is(err, sync.ErrSignature):
		return CodeBadSignature
	case errors.Is(err, sync.ErrWrongKey):
		return CodeWrongKey
	case errors.Is(err, sync.ErrInvalidRecord), errors.Is(err, sync.ErrDecrypt):
		return CodeInvalidContent
	}
	return CodeMalformed
}

// IsBusy reports an error that only says the database was locked by
// another connection or process for longer than the district waits (see
// Options.BusyTimeout): the same operation can succeed later, and nothing
// was changed. Callers outside the package (the workbench) answer it
// "busy, try again" instead of blaming the request.
func IsBusy(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.Code == CodeBusy
	}
	return err != nil && isBusy(err)
}

// isBusy reports a locked database (SQLITE_BUSY, SQLITE_LOCKED and their
// extended codes) or a deadline that ran out waiting: the same request can
// succeed later.
func isBusy(err error) bool {
	var coded interface{ Code() int }
	if errors.As(err, &coded) {
		if c := coded.Code() & 0xff; c == 5 || c == 6 {
			return true
		}
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return true
	}
	s := err.Error()
	return strings.Contains(s, "database is locked") || strings.Contains(s, "SQLITE_BUSY")
}
