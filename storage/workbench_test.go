package storage

import (
	"fmt"
	"strings"
	"testing"

	"zoufang/survey"
)

// The overview's per-device progress, checked against a count kept while
// the visits are made. The assignments are made by a second handle on the
// same database (the `zoufang-server assign` command beside `serve`), and
// some of them after the first progress was read: ProgressByDevice takes
// the assignments from the search index, which must notice them.
func TestProgressByDeviceMatchesACount(t *testing.T) {
	dir := t.TempDir()
	serve, err := OpenDir(dir, Options{DeviceID: testDevice, Author: testAuthor})
	if err != nil {
		t.Fatal(err)
	}
	defer serve.Close()
	cli, err := OpenDir(dir, Options{DeviceID: testDevice, Author: testAuthor})
	if err != nil {
		t.Fatal(err)
	}
	defer cli.Close()
	var roster strings.Builder
	if err := survey.WriteRosterCSV(&roster, survey.FakeRoster(40, 7), false); err != nil {
		t.Fatal(err)
	}
	if _, err := cli.ImportRoster(ctx, strings.NewReader(roster.String()), "名录.csv", nil); err != nil {
		t.Fatal(err)
	}
	all, err := serve.SearchEnterprises(ctx, EnterpriseQuery{})
	if err != nil || len(all) != 40 {
		t.Fatalf("%d enterprises, %v", len(all), err)
	}
	devices := []string{"", "device-a", "device-b", "device-c"}
	want := map[string]Progress{}
	assign := func(e survey.Enterprise, dev string) {
		t.Helper()
		if err := cli.Update(ctx, func(tx *Tx) error {
			_, _, err := tx.AssignEnterprise(e.ID, dev)
			return err
		}); err != nil {
			t.Fatal(err)
		}
	}
	f := visitForm(t)
	// Enterprise i gets device i%4 (none for 0) and, by i%5: no visit, a
	// draft, a finalized visit, a signed one, a draft and a signed one.
	for i, e := range all[:36] {
		dev := devices[i%4]
		assign(e, dev)
		p := want[dev]
		p.Assigned++
		visits := [][]survey.VisitStatus{nil, {survey.VisitDraft}, {survey.VisitFinalized}, {survey.VisitSigned}, {survey.VisitDraft, survey.VisitSigned}}[i%5]
		for _, st := range visits {
			v, err := serve.CreateVisit(ctx, e.ID, f)
			if err != nil {
				t.Fatal(err)
			}
			if st == survey.VisitDraft {
				continue
			}
			v.Answers = survey.SampleVisitAnswers("2026-04-15", 1)
			if _, problems, err := serve.FinalizeVisit(ctx, v, f); err != nil || len(problems) > 0 {
				t.Fatalf("finalize: %v %v", problems, err)
			}
			if st == survey.VisitSigned {
				if _, err := serve.SignOffVisit(ctx, v.ID, survey.SignOff{SignerName: "王强", SignerTitle: "人事经理", Date: "2026-04-16"}, []byte("\x89PNG"), "image/png"); err != nil {
					t.Fatal(err)
				}
			}
		}
		if len(visits) > 0 {
			p.Visited++
		}
		switch visits := fmt.Sprint(visits); {
		case strings.Contains(visits, string(survey.VisitSigned)):
			p.Signed++
			p.Finalized++
		case strings.Contains(visits, string(survey.VisitFinalized)):
			p.Finalized++
		}
		want[dev] = p
	}
	delete(want, "")
	check := func(when string) {
		t.Helper()
		got, err := serve.ProgressByDevice(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("%s: progress %v, want %v", when, got, want)
		}
	}
	check("after the visits")

	// The other process moves enterprise 1 (a draft, device-a) to
	// device-c, and assigns two unvisited enterprises to device-b.
	assign(all[1], "device-c")
	want["device-a"] = Progress{Assigned: want["device-a"].Assigned - 1, Visited: want["device-a"].Visited - 1, Finalized: want["device-a"].Finalized, Signed: want["device-a"].Signed}
	want["device-c"] = Progress{Assigned: want["device-c"].Assigned + 1, Visited: want["device-c"].Visited + 1, Finalized: want["device-c"].Finalized, Signed: want["device-c"].Signed}
	for _, e := range all[36:38] {
		assign(e, "device-b")
		p := want["device-b"]
		p.Assigned++
		want["device-b"] = p
	}
	check("after the other process's assignments")
}
