//go:build windows

package main

import (
	"os"
	"path/filepath"

	"golang.org/x/sys/windows"
)

// defaultDataDir is %LOCALAPPDATA%\zoufang: per user, on this machine (a
// roaming profile would copy the database around), where Windows programs
// keep their data.
func defaultDataDir() string {
	if dir, err := windows.KnownFolderPath(windows.FOLDERID_LocalAppData, 0); err == nil {
		return filepath.Join(dir, "zoufang")
	}
	if dir := os.Getenv("LOCALAPPDATA"); dir != "" {
		return filepath.Join(dir, "zoufang")
	}
	return "zoufang-data"
}

// procAttachConsole is kernel32's AttachConsole, which x/sys/windows does
// not wrap.
var procAttachConsole = windows.NewLazySystemDLL("kernel32.dll").NewProc("AttachConsole")

// attachConsole connects a subcommand's output to the console it was
// started from. The binary is linked as a GUI program (-H windowsgui, so
// double-clicking it opens no console window), and Windows gives such a
// program no standard handles: "zoufang.exe help" in cmd.exe printed
// nothing. Attaching to the parent's console (AttachConsole with
// ATTACH_PARENT_PROCESS) and reopening CONOUT$/CONIN$ fixes that; output
// already redirected to a file or pipe is left alone.
func attachConsole() {
	const attachParentProcess = ^uint32(0) // (DWORD)-1
	if ok, _, _ := procAttachConsole.Call(uintptr(attachParentProcess)); ok == 0 {
		return // started from Explorer, or already has a console
	}
	reopen := func(std **os.File, handle uint32, name string, mode int) {
		if h, err := windows.GetStdHandle(handle); err == nil && h != 0 && h != windows.InvalidHandle {
			if t, err := windows.GetFileType(h); err == nil && t != windows.FILE_TYPE_UNKNOWN {
				return // redirected by the caller: keep it
			}
		}
		f, err := os.OpenFile(name, mode, 0)
		if err != nil {
			return
		}
		*std = f
		_ = windows.SetStdHandle(handle, windows.Handle(f.Fd()))
	}
	reopen(&os.Stdout, windows.STD_OUTPUT_HANDLE, "CONOUT$", os.O_WRONLY)
	reopen(&os.Stderr, windows.STD_ERROR_HANDLE, "CONOUT$", os.O_WRONLY)
	reopen(&os.Stdin, windows.STD_INPUT_HANDLE, "CONIN$", os.O_RDONLY)
}
