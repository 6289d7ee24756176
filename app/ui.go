// Package app is the Fyne desktop GUI of zoufang: one file per screen, the
// theme, and bridge.go, the only file that calls fyne.Do. Screens never hold
// domain logic; they call survey, storage, report and sync.
package app

import (
	"time"

	"fyne.io/fyne/v2"

	"zoufang/storage"
	"zoufang/survey"
)

// ui holds what every screen needs; one per window.
type ui struct {
	app      fyne.App
	win      fyne.Window
	db       *storage.DB
	forms    *survey.FormSet
	campaign *survey.Campaign
	now      func() time.Time
	profile  profile    // investigator name, district, team, PIN hash, large font
	nav      *navigator // show(title, content) with back; fullScreen(content) for questionnaire mode
}
