//go:build !race

package cli

// memSlack: see race_on_test.go.
const memSlack = 1
