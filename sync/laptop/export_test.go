package laptop

import (
	"bytes"
	"crypto/rand"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"zoufang/storage"
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

// signedWithPhoto finalizes and signs off a visit with photo as the
// signed sheet's picture.
func signedWithPhoto(t *testing.T, db *storage.DB, v survey.Visit, photo []byte) {
	t.Helper()
	v.Answers = survey.SampleVisitAnswers("2026-11-25", 1)
	v, problems, err := db.FinalizeVisit(ctx, v, visitForm(t))
	if err != nil || len(problems) > 0 {
		t.Fatalf("FinalizeVisit: %v %v", problems, err)
	}
	if _, err := db.SignOffVisit(ctx, v.ID, survey.SignOff{SignerName: "张经理", SignerTitle: "厂长", Date: "2026-11-25"}, photo, "image/jpeg"); err != nil {
		t.Fatal(err)
	}
}

// noise is n incompressible bytes (a photo compresses no further).
func noise(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

// Follow-up of issue 10: the cap on an up bundle was checked once per
// chunk of 500 versions, before the chunk's records and photos were
// added, so a bundle could exceed it by up to 500 records and their
// photos (here: one bundle of about 1 MB under a 400 KB cap). Records go
// in one by one now: every bundle file is within the cap, each is as full
// as the cap allows (the next record would not have fitted), and every
// record is in exactly one bundle.
func TestExportBundlesStayWithinTheCap(t *testing.T) {
	const maxBytes = 400 << 10
	d := newFakeDistrict(t, "")
	l, db := enrolled(t, d, Options{MaxBundleBytes: maxBytes})
	vs := addVisits(t, db, 14)
	for i, v := range vs {
		if i%5 != 4 { // some visits without a photo
			signedWithPhoto(t, db, v, noise(t, 20<<10+i*9<<10))
		}
	}
	want, err := db.OutboxCount(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	res, err := l.Export(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	if len(res.New) < 2 {
		t.Fatalf("%d bundles: the test does not reach the cap", len(res.New))
	}
	seen := map[string]bool{}
	var payloads []sync.Payload
	for i, b := range res.New {
		data, err := os.ReadFile(b.Path)
		if err != nil {
			t.Fatal(err)
		}
		t.Logf("bundle %d: %d versions, %d photos, %d bytes (cap %d)", i+1, b.Versions, b.Attachments, len(data), maxBytes)
		if len(data) > maxBytes {
			t.Errorf("bundle %d is %d bytes, over the cap of %d", i+1, len(data), maxBytes)
		}
		_, p := d.open(t, l, data)
		for _, v := range p.Versions {
			if seen[v.VersionID] {
				t.Errorf("version %s in two bundles", v.VersionID)
			}
			seen[v.VersionID] = true
		}
		payloads = append(payloads, p)
	}
	if len(seen) != want {
		t.Errorf("%d versions exported, %d in the outbox", len(seen), want)
	}
	// Full: the first version of the next bundle, with the photos it
	// brings, would have taken the bundle over the cap.
	for i := 0; i+1 < len(payloads); i++ {
		plain := sync.PayloadBaseSize
		ids := map[string]bool{}
		for _, v := range payloads[i].Versions {
			n, _ := sync.VersionSize(v)
			plain += n
		}
		for _, a := range payloads[i].Attachments {
			plain += sync.AttachmentSize(a)
			ids[a.ID] = true
		}
		next := payloads[i+1].Versions[0]
		n, _ := sync.VersionSize(next)
		for _, ref := range attachmentRefs(next) {
			for _, a := range payloads[i+1].Attachments {
				if a.ID == ref && !ids[ref] {
					n += sync.AttachmentSize(a)
				}
			}
		}
		if sync.MaxSealedSize(plain+n) <= maxBytes {
			t.Errorf("bundle %d stopped early: the next version would have fitted (%d of %d bytes)", i+1, sync.MaxSealedSize(plain+n), maxBytes)
		}
	}
}

// A record whose photo alone makes a bundle larger than the cap: export
// says so in Chinese, seals nothing after the records before it, and loses
// nothing: with a larger cap the same laptop exports it.
func TestExportRefusesARecordLargerThanABundle(t *testing.T) {
	const maxBytes = 400 << 10
	d := newFakeDistrict(t, "")
	l, db := enrolled(t, d, Options{MaxBundleBytes: maxBytes})
	vs := addVisits(t, db, 3)
	signedWithPhoto(t, db, vs[1], noise(t, 450<<10))
	res, err := l.Export(ctx, db)
	var tooLarge *TooLargeError
	if !errors.As(err, &tooLarge) || !strings.Contains(err.Error(), "超过一个同步包的上限 400 KB") || !strings.Contains(err.Error(), "未丢失任何数据") {
		t.Fatalf("export with a 450 KB photo under a 400 KB cap: %v", err)
	}
	t.Log(err)
	// The records before it went into a bundle; the rest wait.
	sealed := 0
	for _, b := range res.New {
		sealed += b.Versions
	}
	left, err := db.OutboxCount(ctx, 0)
	if err != nil {
		t.Fatal(err)
	}
	if sealed == 0 || sealed >= left {
		t.Errorf("%d versions sealed before the large one, of %d", sealed, left)
	}
	if _, err := l.Export(ctx, db); !errors.As(err, &tooLarge) {
		t.Errorf("second export: %v", err)
	}

	l2, err := Open(l.dir, Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err = l2.Export(ctx, db)
	if err != nil {
		t.Fatalf("export with the default cap: %v", err)
	}
	for _, b := range res.New {
		sealed += b.Versions
	}
	if sealed != left {
		t.Errorf("%d versions sealed in all, %d made", sealed, left)
	}
}
