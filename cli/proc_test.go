//go:build unix

package cli

import (
	"bytes"
	"os"
	"os/exec"
	"strconv"
	"syscall"
	"testing"
)

// The test binary doubles as the zoufang CLI: started with ZOUFANG_CLI_CHILD
// set, it runs its arguments as a subcommand under the umask in
// ZOUFANG_CLI_UMASK and exits. Tests use it for what only a real process
// shows: file modes under a umask, peak memory (getrusage).
func TestMain(m *testing.M) {
	if os.Getenv("ZOUFANG_CLI_CHILD") == "1" {
		if u, err := strconv.ParseUint(os.Getenv("ZOUFANG_CLI_UMASK"), 8, 32); err == nil {
			syscall.Umask(int(u))
		}
		os.Exit(Run(os.Args[1:], os.Stdout, os.Stderr))
	}
	os.Exit(m.Run())
}

// childResult is what a CLI child process did.
type childResult struct {
	code           int
	stdout, stderr string
	maxRSSKB       int64 // peak resident memory (getrusage ru_maxrss, kB on Linux)
}

// runChild runs the CLI in a new process with the given umask (octal).
func runChild(t *testing.T, umask string, args ...string) childResult {
	t.Helper()
	cmd := exec.Command(os.Args[0], args...)
	cmd.Env = append(os.Environ(), "ZOUFANG_CLI_CHILD=1", "ZOUFANG_CLI_UMASK="+umask)
	var o, e bytes.Buffer
	cmd.Stdout, cmd.Stderr = &o, &e
	err := cmd.Run()
	res := childResult{stdout: o.String(), stderr: e.String()}
	if ee, ok := err.(*exec.ExitError); ok {
		res.code = ee.ExitCode()
	} else if err != nil {
		t.Fatalf("start %v: %v", args, err)
	}
	if ru, ok := cmd.ProcessState.SysUsage().(*syscall.Rusage); ok {
		res.maxRSSKB = int64(ru.Maxrss)
	}
	return res
}
