//go:build !race

package sync

// allocSlack: see race_on_test.go.
const allocSlack = 1
