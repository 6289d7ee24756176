package main

import (
	"os"

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
