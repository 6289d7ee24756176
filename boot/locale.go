// Package locale makes the zoufang binary Chinese for Fyne before Fyne
// looks at the system locale. Import it for its side effect, from main only.
//
// Fyne's lang package reads the locale while the program initialises and,
// for the POSIX locale "C.UTF-8" that containers and minimal shells set,
// logs "Fyne error: Error parsing user locale C" to stderr: every CLI
// subcommand of the laptop binary printed it before doing anything. Nothing
// in main runs early enough to prevent that. Go initialises packages in
// the order of their import paths (the Go spec since Go 1.21: "sorted by
// import path"), so this package lives in its own small module whose path,
// boot.zoufang/locale, sorts before fyne.io/...; its init sets LANGUAGE,
// which the locale lookup Fyne uses (github.com/jeandeaual/go-locale)
// prefers over LANG on Unix, to Simplified Chinese. The GUI adds its own
// Chinese text for Fyne's words on top (app/lang.go), which also covers
// Windows, where the locale comes from the system, not the environment.
package locale

import "os"

func init() {
	// LC_ALL or LC_MESSAGES set to exactly C or POSIX make the lookup
	// ignore LANGUAGE and report no locale at all, which Fyne accepts
	// silently; anything else (C.UTF-8, en_US.UTF-8, unset) ends with
	// LANGUAGE.
	os.Setenv("LANGUAGE", "zh_CN")
}
