//go:build unix

package storage

import "syscall"

func setUmask(m int) { syscall.Umask(m) }
