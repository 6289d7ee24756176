package storage

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"testing"

	"zoufang/survey"
)

// holdOpen is the child process of TestDatabaseFilesPrivateUnderUmask: it
// sets the umask, opens the database in dir, writes, says "ready" and keeps
// the database open (so its -wal and -shm files exist) until stdin closes.
func holdOpen(dir string) int {
	if u, err := strconv.ParseUint(os.Getenv("ZOUFANG_STORAGE_UMASK"), 8, 32); err == nil {
		setUmask(int(u))
	}
	db, err := OpenDir(dir, Options{DeviceID: testDevice, Author: "李明"})
	if err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	defer db.Close()
	if _, err := db.SaveEnterprise(ctx, survey.Enterprise{Name: "青岛海信电器股份有限公司", USCC: "91370200163562681G", Phone: "13800000000"}); err != nil {
		fmt.Fprintln(os.Stderr, err)
		return 1
	}
	fmt.Println("ready")
	io.Copy(io.Discard, os.Stdin)
	return 0
}

// Finding 11 of issue 10: zoufang.db was created 0644 in a pre-existing
// 0755 directory. A real process under umask 022, then 000, creates the
// database in such a directory and keeps it open; the directory becomes
// 0700 and the database with its -wal and -shm files (which SQLite creates
// itself) 0600.
func TestDatabaseFilesPrivateUnderUmask(t *testing.T) {
	if runtime.GOOS == "windows" {
		t.Skip("no Unix permission bits on Windows")
	}
	for _, umask := range []string{"022", "000"} {
		t.Run("umask "+umask, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "data")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			os.Chmod(dir, 0o755)
			cmd := exec.Command(os.Args[0])
			cmd.Env = append(os.Environ(), "ZOUFANG_STORAGE_CHILD="+dir, "ZOUFANG_STORAGE_UMASK="+umask)
			stdin, _ := cmd.StdinPipe()
			stdout, _ := cmd.StdoutPipe()
			cmd.Stderr = os.Stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			line, _ := bufio.NewReader(stdout).ReadString('\n')
			if line != "ready\n" {
				stdin.Close()
				cmd.Wait()
				t.Fatalf("child said %q", line)
			}
			want := map[string]os.FileMode{".": 0o700, FileName: 0o600, FileName + "-wal": 0o600, FileName + "-shm": 0o600}
			for name, mode := range want {
				st, err := os.Stat(filepath.Join(dir, name))
				if err != nil {
					t.Errorf("%s: %v", name, err)
					continue
				}
				if st.Mode().Perm() != mode {
					t.Errorf("%s: mode %04o, want %04o", name, st.Mode().Perm(), mode)
				}
			}
			stdin.Close()
			if err := cmd.Wait(); err != nil {
				t.Errorf("child: %v", err)
			}
		})
	}
}
