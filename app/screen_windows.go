//go:build windows

package app

import "golang.org/x/sys/windows"

var getSystemMetrics = windows.NewLazySystemDLL("user32.dll").NewProc("GetSystemMetrics")

// screenWorkArea is the size a maximised window's client area gets
// (SM_CXFULLSCREEN, SM_CYFULLSCREEN: the screen less the task bar), in
// pixels.
func screenWorkArea() (w, h int) {
	const smCxFullScreen, smCyFullScreen = 16, 17
	if getSystemMetrics.Find() != nil {
		return 0, 0
	}
	x, _, _ := getSystemMetrics.Call(smCxFullScreen)
	y, _, _ := getSystemMetrics.Call(smCyFullScreen)
	return int(x), int(y)
}
