package main

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
)

// TestCLIPrintsNoFyneLocaleError runs the real binary's help with the
// POSIX locale of containers and minimal shells (LANG=C.UTF-8): Fyne used
// to log "Fyne error: Error parsing user locale C" before every command.
func TestCLIPrintsNoFyneLocaleError(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "zoufang")
	args := []string{"build", "-o", bin}
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-tags" && s.Value != "" {
				args = append(args, "-tags", s.Value)
			}
		}
	}
	if out, err := exec.Command("go", append(args, ".")...).CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	for _, env := range [][]string{{"LANG=C.UTF-8"}, {"LANG=C"}, {"LC_ALL=C.UTF-8", "LANG=en_US.UTF-8"}, {"LANG=de_DE.UTF-8"}} {
		cmd := exec.Command(bin, "help")
		cmd.Env = append(os.Environ(), "LANGUAGE=", "LC_ALL=", "LC_MESSAGES=")
		cmd.Env = append(cmd.Env, env...)
		var stdout, stderr bytes.Buffer
		cmd.Stdout, cmd.Stderr = &stdout, &stderr
		if err := cmd.Run(); err != nil {
			t.Fatalf("%v help: %v\n%s", env, err, stderr.String())
		}
		if stderr.Len() > 0 {
			t.Errorf("%v help printed on stderr:\n%s", env, stderr.String())
		}
		if !strings.Contains(stdout.String(), "用法: zoufang") {
			t.Errorf("%v help: %q", env, stdout.String())
		}
	}
}
