//go:build !windows

package app

// screenWorkArea is unknown here (Fyne does not tell the screen size before
// the window opens); 0, 0 keeps the default window size, which window
// managers fit to the screen.
func screenWorkArea() (w, h int) { return 0, 0 }
