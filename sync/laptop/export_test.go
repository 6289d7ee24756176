package laptop

import (
	"bytes"
	"os"
	"path/filepath"
	"testing"

	"zoufang/survey"
	"zoufang/sync"
)

func TestExportChainsBundlesAndResendsSameBytes(t *testing.T) {
	d := newFakeDistrict(t, "")
	l, db := enrolled(t, d, Options{})

	res, err := l.Export(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.New) != 0 || len(res.Pending) != 0 {
		t.Fatalf("empty outbox exported %+v", res)
	}

	visits := addVisits(t, db, 3) // 1 enterprise + 3 visits = 4 versions
	res, err = l.Export(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(res.New), 1; got != want {
		t.Fatalf("new bundles %d, want %d", got, want)
	}
	b1 := res.New[0]
	if got, want := res.Versions, 4; got != want {
		t.Errorf("versions %d, want %d", got, want)
	}
	data1, err := os.ReadFile(b1.Path)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := filepath.Dir(b1.Path), filepath.Join(l.Dir(), OutboxDir); got != want {
		t.Errorf("bundle written to %s, want %s", got, want)
	}
	bundle, p := d.open(t, l, data1)
	if bundle.Header.Seq != 1 || !bundle.Header.Prev.IsZero() || bundle.Header.DeviceID != l.DeviceID() {
		t.Errorf("header %+v", bundle.Header)
	}
	ids := map[string]bool{}
	for _, v := range p.Versions {
		ids[v.RecordID] = true
	}
	for _, v := range visits {
		if !ids[v.ID] {
			t.Errorf("visit %s not in the bundle", v.ID)
		}
	}

	// Nothing new: no new seq, and the pending bundle is the same file.
	res, err = l.Export(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.New) != 0 || len(res.Pending) != 1 || res.Pending[0].Hash != b1.Hash {
		t.Fatalf("second export %+v", res)
	}

	// A deleted outbox file comes back byte for byte (never re-sealed).
	os.Remove(b1.Path)
	if _, err := l.Export(ctx, db); err != nil {
		t.Fatal(err)
	}
	again, err := os.ReadFile(b1.Path)
	if err != nil || !bytes.Equal(again, data1) {
		t.Fatalf("restored outbox file differs (%v)", err)
	}

	// New data: seq 2 chained to seq 1.
	v := visits[0]
	v.Answers["team_members"] = "李明、王芳"
	if _, err := db.SaveVisit(ctx, v); err != nil {
		t.Fatal(err)
	}
	res, err = l.Export(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.New) != 1 || len(res.Pending) != 2 {
		t.Fatalf("third export %+v", res)
	}
	data2, _ := os.ReadFile(res.New[0].Path)
	b2, p2 := d.open(t, l, data2)
	if got, want := b2.Header.Seq, uint64(2); got != want {
		t.Errorf("seq %d, want %d", got, want)
	}
	if got, want := b2.Header.Prev, sync.BundleHash(data1); got != want {
		t.Errorf("prev %s, want %s", got, want)
	}
	if len(p2.Versions) != 1 || p2.Versions[0].RecordID != v.ID || len(p2.Versions[0].Parents) != 1 {
		t.Errorf("bundle 2 versions %+v", p2.Versions)
	}
}

func TestExportSplitsLargeOutbox(t *testing.T) {
	d := newFakeDistrict(t, "")
	l, db := enrolled(t, d, Options{MaxBundleVersions: 4})
	addVisits(t, db, 9) // 10 versions
	res, err := l.Export(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	var counts []int
	seen := map[string]bool{}
	prev := sync.Hash{}
	for i, b := range res.New {
		counts = append(counts, b.Versions)
		data, err := os.ReadFile(b.Path)
		if err != nil {
			t.Fatal(err)
		}
		bb, p := d.open(t, l, data)
		if bb.Header.Seq != uint64(i+1) || bb.Header.Prev != prev {
			t.Errorf("bundle %d: seq %d prev %s, want prev %s", i, bb.Header.Seq, bb.Header.Prev, prev)
		}
		prev = bb.Hash()
		for _, v := range p.Versions {
			if seen[v.VersionID] {
				t.Errorf("version %s in two bundles", v.VersionID)
			}
			seen[v.VersionID] = true
		}
	}
	if got, want := len(seen), 10; got != want {
		t.Errorf("versions exported %d, want %d (counts %v)", got, want, counts)
	}
	if got, want := len(res.New), 3; got != want {
		t.Errorf("bundles %d, want %d (counts %v)", got, want, counts)
	}
}

func TestExportCarriesSignOffPhoto(t *testing.T) {
	d := newFakeDistrict(t, "")
	l, db := enrolled(t, d, Options{})
	v := addVisits(t, db, 1)[0]
	photo := bytes.Repeat([]byte{0xff, 0xd8, 0x01}, 1000)
	v.Answers = survey.SampleVisitAnswers("2026-11-25", 1)
	v, problems, err := db.FinalizeVisit(ctx, v, visitForm(t))
	if err != nil || len(problems) > 0 {
		t.Fatalf("FinalizeVisit: %v %v", problems, err)
	}
	signed, err := db.SignOffVisit(ctx, v.ID, survey.SignOff{SignerName: "张经理", SignerTitle: "厂长", Date: "2026-11-25"}, photo, "image/jpeg")
	if err != nil {
		t.Fatal(err)
	}
	if signed.SignOff == nil || signed.SignOff.PhotoID == "" {
		t.Fatalf("saved sign-off %+v", signed.SignOff)
	}
	res, err := l.Export(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	data, _ := os.ReadFile(res.New[0].Path)
	_, p := d.open(t, l, data)
	if len(p.Attachments) != 1 || p.Attachments[0].ID != signed.SignOff.PhotoID || !bytes.Equal(p.Attachments[0].Data, photo) {
		t.Fatalf("attachments %d, want the photo %s", len(p.Attachments), signed.SignOff.PhotoID)
	}
}

func TestExportWithoutTrust(t *testing.T) {
	l, db := newLaptop(t, Options{})
	addVisits(t, db, 1)
	if _, err := l.Export(ctx, db); err != ErrNoTrust {
		t.Fatalf("Export before enrolment: %v, want ErrNoTrust", err)
	}
}

func TestExportToUSB(t *testing.T) {
	d := newFakeDistrict(t, "")
	l, db := enrolled(t, d, Options{MaxBundleVersions: 2})
	addVisits(t, db, 1) // one bundle
	file := filepath.Join(t.TempDir(), "to-district.zfb")
	_, written, err := l.ExportTo(ctx, db, file, nil)
	if err != nil {
		t.Fatal(err)
	}
	if len(written) != 1 || written[0] != file {
		t.Fatalf("written %v", written)
	}
	st, err := l.State(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := st.Bundles[0].Stage(), StageHanded; got != want {
		t.Errorf("stage %v, want %v", got.Label(), want.Label())
	}

	addVisits(t, db, 2) // two more bundles: three pending
	if _, _, err := l.ExportTo(ctx, db, file, nil); err != ErrSeveral {
		t.Fatalf("several bundles to one file: %v, want ErrSeveral", err)
	}
	usb := filepath.Join(t.TempDir(), "U盘", "走访") + string(os.PathSeparator) // created
	_, written, err = l.ExportTo(ctx, db, usb, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, want := len(written), 3; got != want {
		t.Fatalf("written %d files, want %d", got, want)
	}
	for i, w := range written {
		data, err := os.ReadFile(w)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := d.open(t, l, data)
		if b.Header.Seq != uint64(i+1) {
			t.Errorf("%s has seq %d", w, b.Header.Seq)
		}
	}
}

// Exports running at the same time (the GUI and the CLI on one data
// directory) never seal the same seq or the same version twice.
func TestConcurrentExports(t *testing.T) {
	d := newFakeDistrict(t, "")
	l, db := enrolled(t, d, Options{MaxBundleVersions: 3})
	ent := addVisits(t, db, 5)[0].EnterpriseID
	f := visitForm(t)
	errs := make(chan error, 4)
	for range 4 {
		go func() {
			for range 3 {
				if _, err := db.CreateVisit(ctx, ent, f); err != nil {
					errs <- err
					return
				}
			}
			_, err := l.Export(ctx, db)
			errs <- err
		}()
	}
	for range 4 {
		if err := <-errs; err != nil {
			t.Fatal(err)
		}
	}
	if _, err := l.Export(ctx, db); err != nil {
		t.Fatal(err)
	}
	bs, err := l.Bundles(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	prev := sync.Hash{}
	for i, b := range bs {
		data, err := os.ReadFile(b.Path)
		if err != nil {
			t.Fatal(err)
		}
		bb, p := d.open(t, l, data)
		if bb.Header.Seq != uint64(i+1) || bb.Header.Prev != prev {
			t.Fatalf("bundle %d: seq %d, prev %s, want prev %s", i, bb.Header.Seq, bb.Header.Prev, prev)
		}
		prev = bb.Hash()
		for _, v := range p.Versions {
			if seen[v.VersionID] {
				t.Errorf("version %s sealed twice", v.VersionID)
			}
			seen[v.VersionID] = true
		}
	}
	if got, want := len(seen), 6+4*3; got != want {
		t.Errorf("versions sealed %d, want %d", got, want)
	}
}

func TestExportProgress(t *testing.T) {
	d := newFakeDistrict(t, "")
	l, db := enrolled(t, d, Options{MaxBundleVersions: 2})
	addVisits(t, db, 4) // 5 versions, 3 bundles
	var calls [][2]int
	if _, _, err := l.ExportTo(ctx, db, t.TempDir(), func(done, total int) { calls = append(calls, [2]int{done, total}) }); err != nil {
		t.Fatal(err)
	}
	want := [][2]int{{0, 5}, {2, 5}, {4, 5}, {5, 5}}
	if len(calls) != len(want) {
		t.Fatalf("progress calls %v, want %v", calls, want)
	}
	for i := range want {
		if calls[i] != want[i] {
			t.Errorf("progress call %d = %v, want %v", i, calls[i], want[i])
		}
	}
}
