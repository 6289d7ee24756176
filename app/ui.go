// Package app is the Fyne desktop GUI of zoufang: one file per screen, the
// theme, the shared widgets (widgets.go), dialogs (dialogs.go) and
// bridge.go, the only file that hands work to the UI goroutine. Screens
// never hold domain logic; they call survey, profile, storage, report and
// sync.
package app

import (
	"time"

	"fyne.io/fyne/v2"

	"zoufang/profile"
	"zoufang/storage"
	"zoufang/survey"
)

// ui holds what every screen needs; one per window.
type ui struct {
	app      fyne.App
	win      fyne.Window
	db       *storage.DB
	forms    *survey.FormSet  // built in and received from the district (registry)
	campaign *survey.Campaign // in force: the newest the district sent, else built in
	registry *storage.Registry
	now      func() time.Time
	profile  profile.Profile // changed only on the UI goroutine: copy it before handing it to background work
	device   identity        // this laptop's sync identity
	dataDir  string          // the data directory (device key, sync state); "" in some tests
	nav      *navigator      // show(title, content) with back; fullScreen(content) for questionnaire mode
	dialogs  []*appDialog    // open dialogs, the top one last: Enter and Esc go to it
	// printTo overrides printDir (tests); lastPrint is the last PDF written.
	printTo, lastPrint, lastPrintText string
	home                              *homeScreen // the root page
	// open opens a file or folder with the system's program (openPath;
	// tests record instead).
	open func(path string) error
}

// who is the investigator line of the top bar.
func (u *ui) who() string {
	if u.profile.Name == "" {
		return ""
	}
	return u.profile.Name + " · " + u.profile.District
}
