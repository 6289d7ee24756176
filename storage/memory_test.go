package storage

import (
	"bytes"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
	"testing"

	"zoufang/survey"
)

// anonResident returns the process's resident anonymous memory in bytes
// after handing free Go heap back to the OS, or -1 without /proc. SQLite's
// page caches live there, outside the Go heap.
func anonResident() int64 {
	debug.FreeOSMemory()
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return -1
	}
	for _, line := range strings.Split(string(b), "\n") {
		if f := strings.Fields(line); len(f) == 3 && f[0] == "RssAnon:" {
			kb, _ := strconv.ParseInt(f[1], 10, 64)
			return kb << 10
		}
	}
	return -1
}

// A bulk write fills the write connection's page cache (cache_size 64 MB);
// the connection hands it back after the commit instead of keeping it for
// the rest of the session.
func TestBulkWriteReleasesThePageCache(t *testing.T) {
	var buf bytes.Buffer
	if err := survey.WriteRosterCSV(&buf, survey.FakeRoster(30_000, 1), false); err != nil {
		t.Fatal(err)
	}
	db := openTest(t)
	before := anonResident()
	if before < 0 {
		t.Skip("no /proc/self/status")
	}
	if _, err := db.ImportRoster(ctx, bytes.NewReader(buf.Bytes()), "roster.csv", nil); err != nil {
		t.Fatal(err)
	}
	after := anonResident()
	t.Logf("resident anonymous memory: %.1f MB before the import, %.1f MB after", float64(before)/(1<<20), float64(after)/(1<<20))
	// Without the release the process keeps about 75 MB more here.
	if after-before > 12<<20 {
		t.Errorf("the process keeps %.1f MB more after a 30,000-row import", float64(after-before)/(1<<20))
	}
}
