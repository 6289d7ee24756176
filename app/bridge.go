package app

// bridge.go is the only file that hands work to the UI goroutine: every
// piece of work that runs off the UI goroutine hands its result back through
// the helpers below. The helpers also count work in flight so tests (and
// the screenshot mode) can wait for it.

import (
	gosync "sync"
	"sync/atomic"
	"time"

	"fyne.io/fyne/v2"
	"fyne.io/fyne/v2/container"
	"fyne.io/fyne/v2/dialog"
	"fyne.io/fyne/v2/widget"
)

// inflight counts background jobs and pending debounced calls; waitIdle
// returns when it is zero.
var inflight atomic.Int64

// toUI hands fn to the UI goroutine; with wait it returns once fn has run.
// It is fyne.Do / fyne.DoAndWait. Tests replace it with a queue that the
// test goroutine drains in waitIdle: Fyne's test driver runs fyne.Do inline
// on the calling goroutine, so without the queue a background job would
// change widgets while the test reads them.
var toUI = func(fn func(), wait bool) {
	if wait {
		fyne.DoAndWait(fn)
	} else {
		fyne.Do(fn)
	}
}

// waitIdle waits for every background job started through this file,
// including the UI updates they hand back.
var waitIdle = func() {
	for inflight.Load() > 0 {
		time.Sleep(5 * time.Millisecond)
	}
}

// onUI runs fn on the UI goroutine without waiting. Call it only from
// goroutines this package started.
func onUI(fn func()) { toUI(fn, false) }

// onUIAndWait runs fn on the UI goroutine and returns when it has run. Call
// it only from goroutines this package started.
func onUIAndWait(fn func()) { toUI(fn, true) }

// runInBackground runs work on its own goroutine, then done(err) on the UI
// goroutine. done may be nil. work must not touch widgets or anything the
// UI goroutine changes: copy what it needs before calling.
func runInBackground(work func() error, done func(error)) {
	inflight.Add(1)
	go func() {
		defer inflight.Add(-1)
		err := work()
		if done != nil {
			onUIAndWait(func() { done(err) })
		}
	}()
}

// progressFunc reports progress of long work: done of total steps (total 0
// when unknown).
type progressFunc func(done, total int)

// runWithProgress shows a modal progress dialog titled title over win while
// work runs in the background, then closes it and calls done(err) on the UI
// goroutine. Progress updates are coalesced to at most one UI update every
// 50 ms however often work reports.
func runWithProgress(win fyne.Window, title string, work func(progress progressFunc) error, done func(error)) {
	bar := widget.NewProgressBar()
	msg := widget.NewLabel("请稍候……")
	d := dialog.NewCustomWithoutButtons(title, container.NewVBox(msg, bar), win)
	d.Resize(fyne.NewSize(min(420, win.Canvas().Size().Width-40), 0))
	d.Show()

	var doneN, totalN atomic.Int64
	stop := make(chan struct{})
	ticker := time.NewTicker(50 * time.Millisecond)
	inflight.Add(1)
	go func() { // coalesces progress into UI updates
		defer inflight.Add(-1)
		defer ticker.Stop()
		for {
			select {
			case <-stop:
				return
			case <-ticker.C:
				n, t := doneN.Load(), totalN.Load()
				onUI(func() {
					if t > 0 {
						bar.SetValue(float64(n) / float64(t))
						msg.SetText(formatProgress(n, t))
					}
				})
			}
		}
	}()
	runInBackground(func() error {
		defer close(stop)
		return work(func(n, t int) {
			doneN.Store(int64(n))
			totalN.Store(int64(t))
		})
	}, func(err error) {
		d.Hide()
		if done != nil {
			done(err)
		}
	})
}

// debouncer runs the latest of a burst of calls once the burst has been
// quiet for delay, off the UI goroutine, and applies its result on the UI
// goroutine only if no newer call arrived meanwhile. Typing into the roster
// search therefore never waits for a query.
type debouncer struct {
	delay time.Duration
	mu    gosync.Mutex
	timer *time.Timer
	seq   uint64
}

func newDebouncer(delay time.Duration) *debouncer { return &debouncer{delay: delay} }

// trigger schedules work; work runs in the background and returns the UI
// update to apply (or nil). Called on the UI goroutine; it only arms a
// timer, so it returns at once.
func (d *debouncer) trigger(work func() (apply func())) {
	d.mu.Lock()
	defer d.mu.Unlock()
	d.seq++
	seq := d.seq
	if d.timer != nil && d.timer.Stop() {
		inflight.Add(-1) // the replaced call will never run
	}
	inflight.Add(1)
	d.timer = time.AfterFunc(d.delay, func() {
		defer inflight.Add(-1)
		apply := work()
		if apply == nil {
			return
		}
		onUIAndWait(func() {
			d.mu.Lock()
			latest := d.seq == seq
			d.mu.Unlock()
			if latest {
				apply()
			}
		})
	})
}
