//go:build race

package cli

// memSlack widens the peak-memory bounds of the real-process tests under
// the race detector, whose shadow memory adds to every process (up to
// 109 MB refusing /dev/zero); the bound still catches a file read whole.
const memSlack = 2
