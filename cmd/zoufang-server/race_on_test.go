//go:build race

package main

// memSlack widens the peak-memory bound of TestServerRefusesHugeFiles under
// the race detector, whose shadow memory adds to every process (169 MB
// refusing a 2 GB file); the bound still catches a file read whole.
const memSlack = 2
