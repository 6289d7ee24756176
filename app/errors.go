package app

// errors.go is the one way the GUI shows an error: userText turns any error
// into Chinese for the user, showError puts it in a dialog (or a screen puts
// userText in its own message line), and the full error goes to the log.

import (
	"context"
	"errors"
	"io/fs"
	"log"
	"net"
	"os/exec"
	"strings"
	"unicode"

	"zoufang/storage"
)

// userText is err as the user reads it: the Chinese parts of its chain
// (the domain packages say what went wrong in Chinese), without the
// internal details they wrap ("dial tcp …", "unexpected EOF", SQLite
// codes). An error with no Chinese part is named by its kind.
func userText(err error) string {
	if err == nil {
		return ""
	}
	var se *storage.Error
	if errors.As(err, &se) {
		return se.Message
	}
	var parts []string
	for e := err; e != nil; e = errors.Unwrap(e) {
		own := e.Error()
		if next := errors.Unwrap(e); next != nil {
			own = strings.TrimSuffix(own, next.Error())
		}
		own = strings.TrimRight(strings.TrimSpace(own), ":：")
		if hasHan(own) {
			parts = append(parts, strings.TrimSpace(own))
		}
	}
	if len(parts) > 0 {
		return strings.Join(parts, "：")
	}
	return kindText(err)
}

// kindText names an error without a Chinese message by what it is.
func kindText(err error) string {
	var ne net.Error
	var ee *exec.Error
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		return "操作超时，请稍后再试"
	case errors.Is(err, context.Canceled):
		return "操作已取消"
	case errors.As(err, &ee):
		return "本机找不到打开这类文件的程序"
	case errors.As(err, &ne):
		return "无法连接网络，请检查网络连接"
	case errors.Is(err, fs.ErrNotExist):
		return "文件或文件夹不存在"
	case errors.Is(err, fs.ErrPermission):
		return "没有权限读写这个文件或文件夹"
	}
	return "操作失败（详细原因已记录在日志中）"
}

func hasHan(s string) bool {
	for _, r := range s {
		if unicode.Is(unicode.Han, r) {
			return true
		}
	}
	return false
}

// showError tells the user that what failed and why, in a dialog, and logs
// the whole error.
func (u *ui) showError(what string, err error) *appDialog {
	logError(what, err)
	text := what
	if err != nil {
		text += "：" + userText(err)
	}
	return u.inform("出错了", text)
}

// logError keeps the internals of an error for whoever reads the log.
func logError(what string, err error) {
	if err != nil {
		log.Printf("%s: %v", what, err)
	}
}
