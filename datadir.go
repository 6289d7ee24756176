//go:build !windows

package main

import (
	"os"
	"path/filepath"
)

// defaultDataDir is the per-user configuration directory + zoufang
// (~/.config/zoufang), or ./zoufang-data when the system has none.
func defaultDataDir() string {
	dir, err := os.UserConfigDir()
	if err != nil {
		return "zoufang-data"
	}
	return filepath.Join(dir, "zoufang")
}

// attachConsole does nothing outside Windows: the terminal is already
// there.
func attachConsole() {}
