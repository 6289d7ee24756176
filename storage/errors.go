package storage

import (
	"errors"
	"fmt"
)

// ErrNotFound is returned (wrapped) when a record does not exist.
var ErrNotFound = &Error{Code: "not_found", Message: "记录不存在"}

// ErrVersionMismatch means a version id arrived again with different
// content: a forged or corrupted record. The whole write is refused.
var ErrVersionMismatch = &Error{Code: "version_mismatch", Message: "同一版本编号的内容不一致"}

// ErrTooLarge matches (errors.Is) a write refused because the record
// version would exceed survey.MaxRecordBytes: it could never be synchronised.
var ErrTooLarge = &Error{Code: "too_large", Message: "记录超过能同步的上限"}

// Error is an error with a stable code and a message for the user in
// Chinese. Internal causes are kept in Err for logs.
type Error struct {
	Code    string
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return e.Message + "：" + e.Err.Error()
	}
	return e.Message
}

func (e *Error) Unwrap() error { return e.Err }

// Is matches errors by code, so wrapped copies of the sentinels match.
func (e *Error) Is(target error) bool {
	t, ok := target.(*Error)
	return ok && t.Code == e.Code
}

// ErrorMessage returns the Chinese text to show for err: the message of the
// first *Error in its chain, or a generic one.
func ErrorMessage(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Message
	}
	return "操作失败：" + err.Error()
}

// wrapUser wraps err with a Chinese message for the user.
func wrapUser(err error, code, format string, args ...any) error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...), Err: err}
}

// notFound returns ErrNotFound naming what was missing.
func notFound(what, id string) error {
	return &Error{Code: ErrNotFound.Code, Message: fmt.Sprintf("找不到%s %s", what, id)}
}
