package app

import (
	"time"
)

// uiJob is one piece of work handed to the UI goroutine in tests.
type uiJob struct {
	fn   func()
	done chan struct{} // closed after fn ran; nil when nobody waits
}

// uiQueue holds the UI work of background jobs until the test goroutine,
// which plays the UI goroutine, runs it in waitIdle.
var uiQueue = make(chan uiJob, 4096)

func init() {
	toUI = func(fn func(), wait bool) {
		j := uiJob{fn: fn}
		if wait {
			j.done = make(chan struct{})
		}
		uiQueue <- j
		if wait {
			<-j.done
		}
	}
	waitIdle = pumpUntilIdle
}

// pumpUntilIdle runs queued UI work on the calling (test) goroutine until no
// background job is in flight and nothing is queued.
func pumpUntilIdle() {
	for {
		select {
		case j := <-uiQueue:
			runJob(j)
			continue
		default:
		}
		if inflight.Load() == 0 && len(uiQueue) == 0 {
			return
		}
		select {
		case j := <-uiQueue:
			runJob(j)
		case <-time.After(2 * time.Millisecond):
		}
	}
}

func runJob(j uiJob) {
	j.fn()
	if j.done != nil {
		close(j.done)
	}
}
