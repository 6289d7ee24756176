//go:build race

package sync

// allocSlack widens the allocation bounds of the bomb tests under the race
// detector, whose bookkeeping allocates as well (a 64 MiB bomb refused
// with about 9 MiB allocated); the bounds still catch a bomb read whole.
const allocSlack = 2
