package storage

import (
	"bufio"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"zoufang/survey"
)

const crashEnv = "ZOUFANG_CRASH_WRITER_DIR"

// TestCrashWriterProcess is the child of TestKilledWriterLosesNoAcknowledgedSave:
// it saves visit answers as fast as it can and prints each version id once
// SaveVisit has returned.
func TestCrashWriterProcess(t *testing.T) {
	dir := os.Getenv(crashEnv)
	if dir == "" {
		t.Skip("child process of TestKilledWriterLosesNoAcknowledgedSave")
	}
	db, err := OpenDir(dir, Options{DeviceID: testDevice, Author: testAuthor})
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	// Earlier rounds ran in the same directory.
	e := survey.Enterprise{Name: "崩溃测试企业", USCC: uscc("91370200163562681")}
	if found, _ := db.SearchEnterprises(ctx, EnterpriseQuery{Text: e.USCC}); len(found) == 1 {
		e = found[0]
	} else if e, err = db.SaveEnterprise(ctx, e); err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	v, err := db.CreateVisit(ctx, e.ID, visitForm(t))
	if err != nil {
		fmt.Println("error", err)
		os.Exit(1)
	}
	fmt.Println("visit", v.ID)
	for i := 1; ; i++ {
		v.Answers["difficulties_note"] = "第" + strconv.Itoa(i) + "次保存"
		if v, err = db.SaveVisit(ctx, v); err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		tip, err := db.Tip(ctx, v.ID)
		if err != nil {
			fmt.Println("error", err)
			os.Exit(1)
		}
		fmt.Println("ack", i, tip.VersionID) // stdout is unbuffered: one write per line
	}
}

// A writer killed with SIGKILL in the middle of saving loses nothing it
// acknowledged: with synchronous=FULL every returned save is on disk.
func TestKilledWriterLosesNoAcknowledgedSave(t *testing.T) {
	if testing.Short() {
		t.Skip("starts a child process")
	}
	dir := t.TempDir()
	for round := 0; round < 3; round++ {
		cmd := exec.Command(os.Args[0], "-test.run=^TestCrashWriterProcess$", "-test.count=1")
		cmd.Env = append(os.Environ(), crashEnv+"="+dir)
		out, err := cmd.StdoutPipe()
		if err != nil {
			t.Fatal(err)
		}
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		sc := bufio.NewScanner(out)
		var visitID string
		acked := map[int]string{}
		killAt := 50 + round*75
		deadline := time.Now().Add(60 * time.Second)
		for sc.Scan() {
			f := strings.Fields(sc.Text())
			switch {
			case len(f) == 2 && f[0] == "visit":
				visitID = f[1]
			case len(f) == 3 && f[0] == "ack":
				n, _ := strconv.Atoi(f[1])
				acked[n] = f[2]
			case len(f) > 0 && f[0] == "error":
				t.Fatalf("child: %s", sc.Text())
			}
			if len(acked) >= killAt || time.Now().After(deadline) {
				break
			}
		}
		// Kill while it is writing the next save.
		if err := cmd.Process.Signal(syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		cmd.Wait()
		if len(acked) < killAt {
			t.Fatalf("round %d: child acknowledged only %d saves", round, len(acked))
		}

		db, err := OpenDir(dir, Options{})
		if err != nil {
			t.Fatalf("reopen after kill: %v", err)
		}
		hist, err := db.History(ctx, visitID)
		if err != nil {
			t.Fatal(err)
		}
		have := map[string]bool{}
		for _, v := range hist {
			have[v.VersionID] = true
		}
		for n, id := range acked {
			if !have[id] {
				t.Errorf("round %d: acknowledged save %d (%s) lost", round, n, id)
			}
		}
		var check string
		db.write.QueryRow(`PRAGMA integrity_check`).Scan(&check)
		if check != "ok" {
			t.Errorf("integrity_check after kill: %s", check)
		}
		db.Close()
		t.Logf("round %d: killed after %d acknowledged saves; history has %d versions", round, len(acked), len(hist))
	}
}
