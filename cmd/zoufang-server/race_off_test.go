//go:build !race

package main

// memSlack: see race_on_test.go.
const memSlack = 1
