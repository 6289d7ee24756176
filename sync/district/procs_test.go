package district

// Tests that run the real zoufang-server binary in several processes on one
// data directory, the way district staff use it: `serve` for HTTP uploads
// while `import` reads USB sticks, processes killed with SIGKILL.

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	gosync "sync"
	"testing"
	"time"
)

var (
	serverBin     string
	serverBinErr  error
	serverBinOnce gosync.Once
	serverBinDir  string
)

func TestMain(m *testing.M) {
	code := m.Run()
	if serverBinDir != "" {
		os.RemoveAll(serverBinDir)
	}
	os.Exit(code)
}

// zoufangServer builds cmd/zoufang-server once per test binary (without
// cgo, as it ships) and returns its path.
func zoufangServer(t testing.TB) string {
	t.Helper()
	serverBinOnce.Do(func() {
		serverBinDir, serverBinErr = os.MkdirTemp("", "zoufang-server-bin")
		if serverBinErr != nil {
			return
		}
		serverBin = filepath.Join(serverBinDir, "zoufang-server")
		cmd := exec.Command("go", "build", "-o", serverBin, "zoufang/cmd/zoufang-server")
		cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
		if out, err := cmd.CombinedOutput(); err != nil {
			serverBinErr = fmt.Errorf("go build zoufang-server: %v\n%s", err, out)
		}
	})
	if serverBinErr != nil {
		t.Fatal(serverBinErr)
	}
	return serverBin
}

// server is a running `zoufang-server serve`.
type server struct {
	cmd    *exec.Cmd
	url    string
	stderr *lockedBuffer
}

type lockedBuffer struct {
	mu gosync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// freeAddr returns a loopback address with a port free right now.
func freeAddr(t testing.TB) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().String()
}

// startServe starts `zoufang-server serve` on dir and waits until it
// answers. It is stopped (SIGTERM, then SIGKILL) when the test ends.
func startServe(t testing.TB, dir string) *server {
	t.Helper()
	addr := freeAddr(t)
	s := &server{url: "http://" + addr, stderr: &lockedBuffer{}}
	s.cmd = exec.Command(zoufangServer(t), "serve", "--data", dir, "--addr", addr)
	s.cmd.Stderr = s.stderr
	s.cmd.Stdout = io.Discard
	if err := s.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { s.stop() })
	deadline := time.Now().Add(30 * time.Second)
	for {
		resp, err := http.Get(s.url + "/v1/trust")
		if err == nil {
			resp.Body.Close()
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("serve did not start: %v\n%s", err, s.stderr.String())
		}
		time.Sleep(20 * time.Millisecond)
	}
}

func (s *server) stop() {
	if s.cmd.ProcessState != nil {
		return
	}
	s.cmd.Process.Signal(os.Interrupt)
	done := make(chan struct{})
	go func() { s.cmd.Wait(); close(done) }()
	select {
	case <-done:
	case <-time.After(15 * time.Second):
		s.cmd.Process.Kill()
		<-done
	}
}

// put uploads a bundle as a laptop does, coming back while the server says
// 503 (busy), and returns the final status and body.
func (s *server) put(t testing.TB, device string, seq uint64, body []byte) (int, string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		req, _ := http.NewRequest(http.MethodPut, fmt.Sprintf("%s/v1/devices/%s/bundles/%d", s.url, device, seq), bytes.NewReader(body))
		resp, err := http.DefaultClient.Do(req)
		if err == nil {
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != http.StatusServiceUnavailable {
				return resp.StatusCode, string(b)
			}
		}
		if time.Now().After(deadline) {
			t.Errorf("upload of %s/%d: still failing after 2 minutes: %v", device, seq, err)
			return 0, ""
		}
		time.Sleep(30 * time.Millisecond)
	}
}

// runServer runs one zoufang-server command to its end.
func runServer(t testing.TB, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(zoufangServer(t), args...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	err := cmd.Run()
	return out.String(), err
}

// writeBundles writes bundles into dir as files named by index.
func writeBundles(t testing.TB, dir string, bundles [][]byte) []string {
	t.Helper()
	paths := make([]string, len(bundles))
	for i, b := range bundles {
		paths[i] = filepath.Join(dir, fmt.Sprintf("b%02d.zfb", i))
		if err := os.WriteFile(paths[i], b, 0o600); err != nil {
			t.Fatal(err)
		}
	}
	return paths
}

// firstLines keeps a failing process's output short in test logs.
func firstLines(s string, n int) string {
	sc := bufio.NewScanner(strings.NewReader(s))
	var out []string
	for sc.Scan() && len(out) < n {
		out = append(out, sc.Text())
	}
	return strings.Join(out, "\n")
}
