package app

import (
	"bytes"
	"fmt"
	"image"
	"image/png"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime/debug"
	"strconv"
	"testing"
	"time"
)

// buildBinary builds the real zoufang binary (main package at the module
// root) into a temporary directory.
func buildBinary(tb testing.TB) string {
	tb.Helper()
	bin := filepath.Join(tb.TempDir(), "zoufang")
	cmd := exec.Command("go", "build", "-tags", buildTags(), "-o", bin, "zoufang")
	cmd.Dir = ".."
	if out, err := cmd.CombinedOutput(); err != nil {
		tb.Fatalf("go build: %v\n%s", err, out)
	}
	return bin
}

// buildTags returns the -tags this test binary was built with (make test
// and make bench pass no_emoji), so the binary under test is built the way
// the Makefile ships it.
func buildTags() string {
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, s := range bi.Settings {
			if s.Key == "-tags" {
				return s.Value
			}
		}
	}
	return ""
}

// shotResult is what one --screenshot run reports on stderr.
type shotResult struct {
	firstFrame time.Duration // in-process, from Run to the first non-blank frame
	wall       time.Duration // exec to exit, measured here
	hwmKB      int           // peak resident memory of the child
}

var (
	firstFrameRE = regexp.MustCompile(`first frame after (\d+) ms`)
	hwmRE        = regexp.MustCompile(`VmHWM:\s*(\d+) kB`)
)

// runScreenshot runs bin with --screenshot and returns the decoded PNG.
func runScreenshot(tb testing.TB, bin, data, page, out string, demo bool, extra ...string) (image.Image, shotResult) {
	tb.Helper()
	args := append([]string{"--data", data, "--screenshot", out, "--screenshot-page", page}, extra...)
	if demo {
		args = append(args, "--demo")
	}
	cmd := exec.Command(bin, args...)
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	start := time.Now()
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	done := make(chan error, 1)
	go func() { done <- cmd.Wait() }()
	var err error
	select {
	case err = <-done:
	case <-time.After(90 * time.Second):
		cmd.Process.Kill()
		tb.Fatalf("screenshot run hung; stderr:\n%s", stderr.String())
	}
	res := shotResult{wall: time.Since(start)}
	if err != nil {
		tb.Fatalf("screenshot run: %v\n%s", err, stderr.String())
	}
	if m := firstFrameRE.FindSubmatch(stderr.Bytes()); m != nil {
		ms, _ := strconv.Atoi(string(m[1]))
		res.firstFrame = time.Duration(ms) * time.Millisecond
	} else {
		tb.Fatalf("no first frame reported; stderr:\n%s", stderr.String())
	}
	if m := hwmRE.FindSubmatch(stderr.Bytes()); m != nil {
		res.hwmKB, _ = strconv.Atoi(string(m[1]))
	}
	f, err := os.Open(out)
	if err != nil {
		tb.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		tb.Fatalf("decode %s: %v", out, err)
	}
	return img, res
}

// inkRatio is the share of pixels much darker than the background: text,
// borders and icons. A window whose font failed to load or whose content is
// missing has almost none.
func inkRatio(img image.Image) float64 {
	b := img.Bounds()
	dark, total := 0, 0
	for y := b.Min.Y; y < b.Max.Y; y += 2 {
		for x := b.Min.X; x < b.Max.X; x += 2 {
			r, g, bl, _ := img.At(x, y).RGBA()
			lum := (299*r + 587*g + 114*bl) / 1000 >> 8
			if lum < 110 {
				dark++
			}
			total++
		}
	}
	return float64(dark) / float64(total)
}

// TestScreenshots renders the main pages in a real window (GL driver,
// embedded font) on demo data at 1024x600, the smallest laptop screen,
// and checks the images are not blank. With ZOUFANG_UPDATE_SCREENSHOTS=1
// it writes them to docs/screenshots/ for the README.
func TestScreenshots(t *testing.T) {
	if os.Getenv("DISPLAY") == "" {
		t.Skip("no DISPLAY: run under Xvfb (make test does)")
	}
	bin := buildBinary(t)
	data := t.TempDir()
	for _, page := range []string{"home", "visit", "ledger", "roster"} {
		t.Run(page, func(t *testing.T) {
			out := filepath.Join(t.TempDir(), page+".png")
			img, res := runScreenshot(t, bin, data, page, out, true, "--window", "1024x600")
			b := img.Bounds()
			if b.Dx() != 1024 || b.Dy() != 600 {
				t.Errorf("screenshot %dx%d, want 1024x600: the page asked for a larger window", b.Dx(), b.Dy())
			}
			if blankImage(img) {
				t.Fatal("screenshot is blank")
			}
			if r := inkRatio(img); r < 0.004 {
				t.Errorf("only %.2f%% dark pixels: text missing?", r*100)
			}
			t.Logf("%s: first frame %v, wall %v, VmHWM %d kB", page, res.firstFrame, res.wall, res.hwmKB)
			if os.Getenv("ZOUFANG_UPDATE_SCREENSHOTS") == "1" {
				dst := filepath.Join("..", "docs", "screenshots", page+".png")
				if err := writePNG(dst, img); err != nil {
					t.Fatal(err)
				}
				fmt.Println("wrote", dst)
			}
		})
	}
}
