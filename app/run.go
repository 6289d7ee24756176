package app

import (
	"context"
	"fmt"
	"image"
	"image/png"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"strings"
	gosync "sync"
	"time"

	"fyne.io/fyne/v2"
	fyneapp "fyne.io/fyne/v2/app"
	"fyne.io/fyne/v2/canvas"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/driver/desktop"
	"fyne.io/fyne/v2/driver/software"

	"zoufang/profile"
	"zoufang/storage"
	"zoufang/survey"
)

// Options configures Run.
type Options struct {
	// DataDir holds zoufang.db and the device key.
	DataDir string
	// Demo fills a fictional roster and visits when the database is empty
	// and sets up a demo profile (PIN 1234) when none exists.
	Demo bool
	// Screenshot, when set, renders the first frame of the home screen to
	// this PNG file and exits.
	Screenshot string
	// ScreenshotPage picks the page to capture: "" or "home", "roster",
	// "ledger", "settings", "sync", or "visit" (the visit form of the
	// first enterprise, resuming its draft or starting one).
	ScreenshotPage string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// WindowSize is the window's starting size, "1024x600" for example
	// (screenshots of small laptops); "" picks one that fits the screen.
	WindowSize string
}

// Run opens the data directory and runs the GUI until the window closes.
func Run(opt Options) error {
	start := time.Now()
	// Laptops are old and shared with other programs: let the collector
	// work harder rather than double the heap. Most of the heap lives for
	// the whole session (the two font faces, the roster index), so the
	// default GOGC=100 lets a 50 MB live heap take 100-120 MB from the OS;
	// at 30 it takes about 80 MB. With 100,000 enterprises the peak
	// resident memory goes from 254-262 MB to 225 MB while start-up CPU
	// time (1.7-1.9 s) and first frame do not change measurably, and a
	// roster import is 2% slower. The soft limit caps what a long session
	// can reach. GOGC and GOMEMLIMIT in the environment still win.
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(30)
	}
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(150 << 20)
	}
	if opt.Now == nil {
		opt.Now = time.Now
	}
	ctx := context.Background()
	id, err := loadIdentity(opt.DataDir)
	if err != nil {
		return err
	}
	db, err := storage.OpenDir(opt.DataDir, storage.Options{Now: opt.Now, DeviceID: id.DeviceID})
	if err != nil {
		return fmt.Errorf("open data: %w", err)
	}
	defer db.Close()
	if opt.Demo {
		if err := prepareDemo(ctx, db, opt.Now); err != nil {
			return err
		}
	}

	a := fyneapp.NewWithID("cn.zoufang.app")
	u, err := newUI(a, db, opt.Now)
	if err != nil {
		return err
	}
	u.device, u.dataDir = id, opt.DataDir
	u.win.Resize(initialWindowSize(opt.WindowSize))
	u.start()
	if err := u.openPage(opt.ScreenshotPage); err != nil {
		return err
	}
	if opt.Screenshot != "" {
		painted := addFramePainted(u.win)
		a.Lifecycle().SetOnStarted(func() {
			go captureFirstFrame(u, opt.Screenshot, start, painted)
		})
	}
	u.win.ShowAndRun()
	return nil
}

// newUI builds the window and its navigator around an open database; it
// shows nothing yet (start does). Tests call it with a test app.
func newUI(a fyne.App, db *storage.DB, now func() time.Time) (*ui, error) {
	ctx := context.Background()
	// Forms and campaign: the built-in ones and those the district sent.
	reg := storage.NewRegistry(db)
	forms, err := reg.Forms(ctx)
	if err != nil {
		return nil, fmt.Errorf("load forms: %w", err)
	}
	camp, err := reg.Campaign(ctx)
	if err != nil {
		return nil, fmt.Errorf("load campaign: %w", err)
	}
	p, err := profile.Load(ctx, db)
	if err != nil {
		return nil, err
	}
	useChineseForFyne()
	a.Settings().SetTheme(newTheme(p.LargeFont))
	a.SetIcon(appIcon)
	win := a.NewWindow("职工走访调查")
	u := &ui{app: a, win: win, db: db, forms: forms, campaign: camp, registry: reg, now: now, profile: p, open: openPath}
	u.nav = newNavigator(win)
	win.SetMaster()
	// Ctrl+S is what people press out of habit; everything autosaves, so
	// it only confirms that.
	win.Canvas().AddShortcut(&desktop.CustomShortcut{KeyName: fyne.KeyS, Modifier: fyne.KeyModifierShortcutDefault}, func(fyne.Shortcut) {
		u.nav.say("已自动保存，无需手动保存")
	})
	// Enter and Esc reach the canvas when no input has the focus; they
	// answer the open dialog, if any.
	win.Canvas().SetOnTypedKey(u.onTypedKey)
	return u, nil
}

// start shows the first screen: profile setup on first run, else home.
func (u *ui) start() {
	if !u.profile.Complete() {
		showSetup(u)
		return
	}
	u.showHome()
}

// showHome makes the home screen the root page.
func (u *ui) showHome() {
	h := newHomeScreen(u)
	u.home = h
	u.nav.setRoot("首页", h.content, h.refresh)
	u.nav.setWho(u.who())
	h.refresh()
}

// openPage shows one of the main pages on top of home, for screenshots.
func (u *ui) openPage(name string) error {
	switch name {
	case "", "home":
	case "roster":
		showRoster(u)
	case "ledger":
		showLedger(u).selectFirst = true
	case "settings":
		showSettings(u)
	case "sync":
		showSync(u)
	case "visit":
		return u.openFirstVisit()
	case "returned":
		return u.openReturnedVisit()
	case "long-answer":
		return u.openRefusedPaste()
	default:
		return fmt.Errorf("unknown page %q", name)
	}
	return nil
}

// openFirstVisit opens the visit form of the first enterprise in the
// roster, resuming its newest draft or creating one.
func (u *ui) openFirstVisit() error {
	_, err := u.firstVisit()
	return err
}

// openRefusedPaste opens the first visit at its first demand with a
// document pasted into 诉求内容 and refused for its length: the page that
// shows the length limit (screenshot "long-answer").
func (u *ui) openRefusedPaste() error {
	s, err := u.firstVisit()
	if err != nil {
		return err
	}
	fv := s.fv
	fv.showSection(fv.sectionByName(survey.FieldDemands))
	path := survey.FieldDemands + "[0]." + survey.FieldDemandText
	if _, ok := fv.widgets[path]; !ok {
		if b := fv.addBtns[survey.FieldDemands]; b != nil {
			b.OnTapped()
		}
	}
	e, ok := fv.widgets[path].(*entry)
	if !ok {
		return fmt.Errorf("open long answer: no entry at %s", path)
	}
	if e.Text == "" {
		e.SetText("三月份工资推迟发放十天，职工反映强烈。")
	}
	doc := strings.Repeat("关于我厂三月份以来工资推迟发放、加班费计算和社保缴纳情况的说明。", 75)
	e.TypedShortcut(&fyne.ShortcutPaste{Clipboard: textClipboard(doc)})
	fv.focusPath(path)
	return nil
}

// textClipboard is a clipboard holding one text (a staged paste).
type textClipboard string

func (c textClipboard) Content() string   { return string(c) }
func (c textClipboard) SetContent(string) {}

// firstVisit is openFirstVisit returning the screen.
func (u *ui) firstVisit() (*visitScreen, error) {
	ctx := context.Background()
	ents, err := u.db.SearchEnterprises(ctx, storage.EnterpriseQuery{Limit: 1})
	if err != nil {
		return nil, fmt.Errorf("open visit: %w", err)
	}
	if len(ents) == 0 {
		return nil, fmt.Errorf("open visit: the roster is empty")
	}
	e := ents[0]
	drafts, err := u.db.Visits(ctx, storage.VisitFilter{EnterpriseID: e.ID, Status: survey.VisitDraft})
	if err != nil {
		return nil, fmt.Errorf("open visit: %w", err)
	}
	var v survey.Visit
	if len(drafts) > 0 {
		v = drafts[0]
	} else {
		f, ok := u.forms.Latest(u.campaign.Forms.Visit.ID)
		if !ok {
			return nil, fmt.Errorf("open visit: no form %q", u.campaign.Forms.Visit.ID)
		}
		if v, err = u.db.CreateVisit(ctx, e.ID, f); err != nil {
			return nil, fmt.Errorf("open visit: %w", err)
		}
	}
	return openVisit(u, e, v), nil
}

// prepareDemo fills demo data into an empty database and creates the demo
// profile when there is none.
func prepareDemo(ctx context.Context, db *storage.DB, now func() time.Time) error {
	if err := storage.FillDemo(ctx, db); err != nil {
		return fmt.Errorf("demo data: %w", err)
	}
	p, err := profile.Load(ctx, db)
	if err != nil {
		return err
	}
	if p.Complete() {
		return nil
	}
	if p, err = profile.Demo(p); err != nil {
		return err
	}
	return profile.Save(ctx, db, p)
}

// addFramePainted adds an invisible one-pixel raster to the window whose
// generator runs when the GL painter draws it, that is while the first frame
// is being painted; the returned channel closes then.
func addFramePainted(win fyne.Window) <-chan struct{} {
	painted := make(chan struct{})
	var once gosync.Once
	probe := canvas.NewRaster(func(w, h int) image.Image {
		once.Do(func() { close(painted) })
		return image.NewNRGBA(image.Rect(0, 0, 1, 1))
	})
	probe.Resize(fyne.NewSize(1, 1))
	win.SetContent(container.NewStack(win.Content(), container.NewWithoutLayout(probe)))
	return painted
}

// captureFirstFrame waits for the first painted frame and reports the time
// since start on stderr, lets background loading finish, reports the peak
// memory so far, saves the window to path as PNG and quits. It runs on its
// own goroutine.
//
// The image is the GL canvas capture where the driver can read the front
// buffer; where it cannot (Mesa on Xvfb returns zeros), the same widget
// tree is rendered at the window's size by Fyne's software painter, with
// the same theme and font.
func captureFirstFrame(u *ui, path string, start time.Time, painted <-chan struct{}) {
	defer onUI(u.app.Quit)
	select {
	case <-painted:
	case <-time.After(30 * time.Second):
		fmt.Fprintln(os.Stderr, "截图失败：窗口没有绘制内容")
		return
	}
	fmt.Fprintf(os.Stderr, "first frame after %d ms\n", time.Since(start).Milliseconds())
	waitIdle()
	// Let the loaded data be painted, and give the driver a few frames:
	// rows that wrap (flowLayout, wrapped labels) learn their height at
	// their real width on the first layout and settle on the next.
	for range 3 {
		onUIAndWait(func() { canvas.Refresh(u.win.Content()) })
		time.Sleep(100 * time.Millisecond)
	}
	// The peak is taken here, after the background loading (roster index,
	// counts) the first frame does not wait for, and before the capture,
	// which a user never runs.
	if hwm := peakMemory(); hwm != "" {
		var ms runtime.MemStats
		runtime.ReadMemStats(&ms)
		fmt.Fprintf(os.Stderr, "%s (Go runtime %d MB from the OS)\n", hwm, ms.Sys>>20)
	}
	var img image.Image
	onUIAndWait(func() { img = u.win.Canvas().Capture() })
	if img == nil || blankImage(img) {
		fmt.Fprintln(os.Stderr, "GL capture unavailable; rendering the window content with the software painter")
		onUIAndWait(func() {
			c := software.NewCanvas()
			c.SetScale(u.win.Canvas().Scale())
			// Sized before the content is set, so the content is laid out
			// once, at the window's size (set first, it would be laid out
			// at its minimum size, and rows that wrap would keep the
			// height they had there).
			size := u.win.Canvas().Size()
			c.Resize(size)
			c.SetContent(u.win.Content())
			// Two more layouts, as the GL driver's next frames would:
			// wrapped labels know their height at a width only after
			// they were laid out at it.
			c.Resize(size.AddWidthHeight(0, 1))
			c.Resize(size)
			img = c.Capture()
		})
	}
	if err := writePNG(path, img); err != nil {
		fmt.Fprintln(os.Stderr, "截图保存失败:", err)
	}
}

// peakMemory returns the VmHWM line of /proc/self/status (peak resident
// memory), or "" where there is no /proc.
func peakMemory() string {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return ""
	}
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "VmHWM:") {
			return line
		}
	}
	return ""
}

// blankImage reports whether every sampled pixel has the same colour.
func blankImage(img image.Image) bool {
	b := img.Bounds()
	if b.Empty() {
		return true
	}
	first := img.At(b.Min.X, b.Min.Y)
	r0, g0, b0, _ := first.RGBA()
	for y := b.Min.Y; y < b.Max.Y; y += 3 {
		for x := b.Min.X; x < b.Max.X; x += 3 {
			r, g, bb, _ := img.At(x, y).RGBA()
			if r != r0 || g != g0 || bb != b0 {
				return false
			}
		}
	}
	return true
}

// writePNG encodes img to path atomically.
func writePNG(path string, img image.Image) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return fmt.Errorf("write png: %w", err)
	}
	f, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("write png: %w", err)
	}
	tmp := f.Name()
	err = png.Encode(f, img)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp, path)
	}
	if err != nil {
		os.Remove(tmp)
		return fmt.Errorf("write png: %w", err)
	}
	return nil
}

// defaultWindow is the window size on a large screen.
var defaultWindow = fyne.NewSize(1200, 800)

// initialWindowSize parses spec ("1024x600"); for "" it is defaultWindow,
// shrunk to the screen's work area where the system tells it (Windows), so
// the window starts on screen on a 1024×600 laptop.
func initialWindowSize(spec string) fyne.Size {
	var w, h int
	if _, err := fmt.Sscanf(strings.ToLower(spec), "%dx%d", &w, &h); err == nil && w > 0 && h > 0 {
		return fyne.NewSize(float32(w), float32(h))
	}
	size := defaultWindow
	if sw, sh := screenWorkArea(); sw > 0 && sh > 0 {
		size = fyne.NewSize(min(size.Width, float32(sw)), min(size.Height, float32(sh)))
	}
	return size
}
