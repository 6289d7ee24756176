package main

import (
	"fmt"
	"io"
	"os"

	"zoufang/storage"
	"zoufang/sync"
)

// readMerged reads the JSON file of a merged record (resolve --merged),
// no larger than one record may be in a bundle.
func readMerged(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return sync.ReadLimited(f, sync.DefaultMaxRecordBytes, path)
}

// printRosterReport lists the rejected rows, then the cells that could not
// be read.
func printRosterReport(w io.Writer, rep storage.ImportReport) {
	for _, l := range rep.Details() {
		fmt.Fprintln(w, l)
	}
}
