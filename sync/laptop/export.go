package laptop

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync"
)

// Caps on one up bundle. A larger outbox is split over several bundles
// (consecutive seqs), so a district with default limits always accepts them.
// MaxBundleBytes caps the bundle file itself: records and their
// attachments go in one by one while the sealed file stays within it
// (sync.MaxSealedSize).
const (
	DefaultMaxBundleVersions = 20_000
	DefaultMaxBundleBytes    = 64 << 20 // the sealed bundle file
	outboxChunk              = 500
)

// ExportResult says what Export did.
type ExportResult struct {
	// New lists the bundles sealed by this call.
	New []Bundle
	// Pending lists every bundle not yet acknowledged by a receipt
	// (including New), oldest first: what has to reach the district.
	Pending []Bundle
	// Versions counts the record versions in New.
	Versions int
}

// Export seals every record version made on this laptop that is not yet in
// a bundle into new up bundles (next per-device seq, prev = hash of the
// previous bundle, sealed to the district's key from the trust file) and
// writes each atomically into <data>/outbox/. The sealed bytes are recorded
// in the database before the file is written, so a seq is sealed once and
// the same file is re-sent until a receipt arrives. Bundles sealed earlier
// whose outbox file went missing are written again from the recorded bytes.
func (l *Laptop) Export(ctx context.Context, db *storage.DB) (ExportResult, error) {
	return l.export(ctx, db, nil)
}

// export is Export reporting progress (record versions sealed, versions to
// seal) after each bundle when progress is not nil.
func (l *Laptop) export(ctx context.Context, db *storage.DB, progress func(done, total int)) (ExportResult, error) {
	var res ExportResult
	trust, err := l.ValidTrust()
	if err != nil {
		return res, err
	}
	total := 0
	if progress != nil {
		if total, err = l.unsent(ctx, db); err != nil {
			return res, err
		}
		progress(0, total)
	}
	for {
		b, data, err := l.sealNext(ctx, db, trust)
		var unsendable *unsendableError
		if errors.As(err, &unsendable) {
			// Stored over the limit by an older version of the program:
			// if the person already saved a shortened version, the old
			// one (never sent, known nowhere else) leaves the history and
			// the export goes on; otherwise the error names what to
			// shorten.
			dropped := false
			if err := db.Update(ctx, func(tx *storage.Tx) error {
				var err error
				dropped, err = tx.DropUnsendable(unsendable.version.VersionID, unsendable.afterSeq)
				return err
			}); err != nil {
				return res, fmt.Errorf("export: %w", err)
			}
			if dropped {
				continue
			}
			err = l.recordTooLarge(ctx, db, unsendable.version)
		}
		if err != nil {
			return res, err
		}
		if b == nil {
			break
		}
		if err := l.writeOutbox(b.Path, data); err != nil {
			return res, err
		}
		res.New = append(res.New, *b)
		res.Versions += b.Versions
		if progress != nil {
			progress(min(res.Versions, total), total)
		}
	}
	if res.Pending, err = l.Undelivered(ctx, db); err != nil {
		return res, err
	}
	for _, b := range res.Pending {
		if err := l.ensureOutboxFile(ctx, db, b); err != nil {
			return res, err
		}
	}
	return res, nil
}

// sealNext seals the next bundle from the outbox in one write transaction
// (which also serialises concurrent exports); nil when nothing is left.
func (l *Laptop) sealNext(ctx context.Context, db *storage.DB, trust *sync.Trust) (*Bundle, []byte, error) {
	var (
		out  *Bundle
		data []byte
	)
	err := db.Update(ctx, func(tx *storage.Tx) error {
		var (
			lastSeq, lastOutbox int64
			lastHash            string
		)
		err := tx.QueryRow(`SELECT seq, hash, last_outbox FROM laptop_bundles ORDER BY seq DESC LIMIT 1`).Scan(&lastSeq, &lastHash, &lastOutbox)
		switch {
		case errors.Is(err, sql.ErrNoRows):
			lastHash = sync.Hash{}.String()
		case err != nil:
			return fmt.Errorf("export: last bundle: %w", err)
		}
		prev, err := sync.ParseHash(lastHash)
		if err != nil {
			return fmt.Errorf("export: last bundle: %w", err)
		}
		p, first, last, err := l.collect(ctx, db, lastOutbox)
		if err != nil {
			return err
		}
		if len(p.Versions) == 0 {
			return nil
		}
		seq := uint64(lastSeq) + 1
		h := sync.Header{Kind: sync.KindUp, DeviceID: l.id, Seq: seq, Prev: prev, Created: l.now()}
		data, err = sync.Seal(h, p, l.keys.Signing, trust.Keys.Sealing)
		if err != nil {
			return fmt.Errorf("无法生成同步包：%w", err)
		}
		b := &Bundle{
			Seq: seq, Hash: sync.BundleHash(data), Prev: prev, Versions: len(p.Versions),
			Attachments: len(p.Attachments), Size: int64(len(data)), Created: l.now().UTC().Truncate(time.Second),
		}
		rel := filepath.Join(OutboxDir, fmt.Sprintf("up-%06d.zfb", seq))
		b.Path = l.abs(rel)
		if _, err := tx.Exec(`INSERT INTO laptop_bundles (seq, hash, prev, path, first_outbox, last_outbox, versions, attachments, size, created, data)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			int64(seq), b.Hash.String(), prev.String(), filepath.ToSlash(rel), first, last, b.Versions, b.Attachments, b.Size,
			b.Created.Format(time.RFC3339), data); err != nil {
			return fmt.Errorf("export: record bundle %d: %w", seq, err)
		}
		out = b
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return out, data, nil
}

// collect reads outbox versions after afterSeq up to the bundle caps and the
// attachments they refer to. first and last are the local seqs covered.
// Versions go in one at a time, each with the attachments it brings that
// the bundle does not carry yet, as long as the sealed file stays within
// maxBytes; the rest waits for the next bundle. A version that does not
// fit even alone is refused with *TooLargeError (nothing is sealed, it
// stays in the outbox).
func (l *Laptop) collect(ctx context.Context, db *storage.DB, afterSeq int64) (p sync.Payload, first, last int64, err error) {
	maxV, maxB := l.maxVersions(), int64(l.maxBytes())
	last = afterSeq
	plain := sync.PayloadBaseSize
	seen := map[string]bool{}
	for len(p.Versions) < maxV {
		vs, upTo, err := db.Outbox(ctx, last, min(outboxChunk, maxV-len(p.Versions)))
		if err != nil {
			return p, 0, 0, fmt.Errorf("export: %w", err)
		}
		if len(vs) == 0 {
			break
		}
		if first == 0 {
			first = afterSeq + 1
		}
		for i, v := range vs {
			size, err := sync.VersionSize(v)
			if err != nil {
				return p, 0, 0, fmt.Errorf("无法生成同步包：%w", err)
			}
			if size-4 > sync.DefaultMaxRecordBytes {
				// No bundle can carry it: seal what comes before it,
				// then stop at it (Export deals with it).
				if len(p.Versions) == 0 {
					return p, 0, 0, &unsendableError{version: v, afterSeq: last}
				}
				if i > 0 {
					if _, last, err = db.Outbox(ctx, last, i); err != nil {
						return p, 0, 0, fmt.Errorf("export: %w", err)
					}
				}
				return p, first, last, nil
			}
			var atts []sync.Attachment
			for _, id := range attachmentRefs(v) {
				if seen[id] {
					continue
				}
				data, mime, err := db.Attachment(ctx, id)
				if errors.Is(err, storage.ErrNotFound) {
					continue // the record names a photo that is not here; the record still travels
				}
				if err != nil {
					return p, 0, 0, fmt.Errorf("export: %w", err)
				}
				a := sync.Attachment{ID: id, Mime: mime, Data: data}
				atts = append(atts, a)
				size += sync.AttachmentSize(a)
			}
			if sync.MaxSealedSize(plain+size) > maxB {
				if len(p.Versions) == 0 {
					return p, 0, 0, &TooLargeError{RecordID: v.RecordID, Kind: v.Kind, Size: sync.MaxSealedSize(plain + size), Max: maxB}
				}
				if i > 0 {
					// The bundle ends inside this chunk: it covers the
					// outbox up to the seq of the chunk's i-th version.
					if _, last, err = db.Outbox(ctx, last, i); err != nil {
						return p, 0, 0, fmt.Errorf("export: %w", err)
					}
				}
				return p, first, last, nil
			}
			plain += size
			p.Versions = append(p.Versions, v)
			for _, a := range atts {
				seen[a.ID] = true
				p.Attachments = append(p.Attachments, a)
			}
		}
		last = upTo
	}
	return p, first, last, nil
}

// TooLargeError refuses an export: one record with the attachments it
// brings would make a bundle larger than the cap on its own. Nothing of it
// or after it was sealed and nothing is lost: it stays in the outbox.
type TooLargeError struct {
	RecordID string
	Kind     survey.RecordKind
	Size     int64 // the bundle it alone would make, at most
	Max      int64
}

func (e *TooLargeError) Error() string {
	what := "记录 " + e.RecordID
	if e.Kind == survey.KindVisit {
		what = "走访记录 " + e.RecordID + " 连同签字照片"
	}
	return fmt.Sprintf("无法导出：%s有 %s，超过一个同步包的上限 %s，放不进任何同步包。这条记录及其后的记录未导出，仍保留在本机，未丢失任何数据。请检查这条记录的照片是否过大，或联系区总工会。",
		what, sizeText(e.Size), sizeText(e.Max))
}

// unsendableError is collect meeting, first in the outbox, a version no
// bundle may carry (over sync.DefaultMaxRecordBytes); afterSeq is the
// outbox position before it.
type unsendableError struct {
	version  survey.Version
	afterSeq int64
}

func (e *unsendableError) Error() string { return "unsendable version " + e.version.VersionID }

// RecordTooLargeError refuses an export: a record version stored by an
// older version of the program is larger than any bundle may carry
// (sync.DefaultMaxRecordBytes) and the record has no shorter version
// since. Nothing of it or after it was sealed and nothing is lost; once the
// person shortens what it names (a new, smaller version of the record),
// the next export drops the old version and goes on.
type RecordTooLargeError struct {
	RecordID string
	Kind     survey.RecordKind
	// Title says which record for people: the enterprise's name for a
	// visit, ledger item or questionnaire, else the record id.
	Title   string
	Size    int
	Biggest string // the label of its longest text
	Runes   int
}

func (e *RecordTooLargeError) Error() string {
	what := map[survey.RecordKind]string{survey.KindVisit: "走访记录", survey.KindLedger: "台帐事项", survey.KindResponse: "问卷"}[e.Kind]
	if what == "" {
		what = "记录"
	}
	msg := fmt.Sprintf("无法导出：%s（%s）有 %s，超过一条记录能同步的上限 %s（早期版本保存时没有字数限制）。",
		what, e.Title, sizeText(int64(e.Size)), sizeText(sync.DefaultMaxRecordBytes))
	if e.Biggest != "" {
		msg += fmt.Sprintf("请打开这条记录，把“%s”（现有 %d 字）缩短，保存后再同步。", e.Biggest, e.Runes)
	}
	return msg + "这条记录及其后的记录暂未导出，仍保留在本机，未丢失任何数据。"
}

// recordTooLarge describes the unsendable version v for people.
func (l *Laptop) recordTooLarge(ctx context.Context, db *storage.DB, v survey.Version) error {
	size, _ := sync.VersionSize(v)
	e := &RecordTooLargeError{RecordID: v.RecordID, Kind: v.Kind, Title: v.RecordID, Size: size - 4}
	var f *survey.Form
	if v.FormID != "" {
		f, _ = db.Forms().Get(v.FormID, v.FormVersion)
	}
	e.Biggest, e.Runes = survey.LongestText(v.Payload, f)
	var rec struct {
		EnterpriseID string `json:"enterprise_id"`
	}
	if json.Unmarshal(v.Payload, &rec) == nil && rec.EnterpriseID != "" {
		if ent, err := db.Enterprise(ctx, rec.EnterpriseID); err == nil {
			e.Title = ent.Name
		}
	}
	return e
}

// sizeText says a size for people: MB from 1 MB on, KB below.
func sizeText(n int64) string {
	if n >= 1<<20 {
		return fmt.Sprintf("%.1f MB", float64(n)/(1<<20))
	}
	return fmt.Sprintf("%.0f KB", float64(n)/(1<<10))
}

// attachmentRefs returns the attachment ids a version's payload refers to:
// the photo of the signed visit sheet.
func attachmentRefs(v survey.Version) []string {
	if v.Kind != survey.KindVisit || !bytes.Contains(v.Payload, []byte(`"photo_id"`)) {
		return nil
	}
	var p struct {
		SignOff *struct {
			PhotoID string `json:"photo_id"`
		} `json:"sign_off"`
	}
	if json.Unmarshal(v.Payload, &p) != nil || p.SignOff == nil || p.SignOff.PhotoID == "" {
		return nil
	}
	return []string{p.SignOff.PhotoID}
}

func (l *Laptop) maxVersions() int {
	if l.opt.MaxBundleVersions > 0 {
		return l.opt.MaxBundleVersions
	}
	return DefaultMaxBundleVersions
}

func (l *Laptop) maxBytes() int {
	if l.opt.MaxBundleBytes > 0 {
		return l.opt.MaxBundleBytes
	}
	return DefaultMaxBundleBytes
}

// abs resolves a path recorded relative to the data directory.
func (l *Laptop) abs(rel string) string {
	if filepath.IsAbs(rel) {
		return rel
	}
	return filepath.Join(l.dir, filepath.FromSlash(rel))
}

// writeOutbox writes a sealed bundle into the outbox atomically.
func (l *Laptop) writeOutbox(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return fmt.Errorf("无法创建发件箱目录：%w", err)
	}
	if err := sync.WriteFileAtomic(path, data, 0o600); err != nil {
		return fmt.Errorf("无法写入同步包 %s：%w", path, err)
	}
	return nil
}

// ensureOutboxFile rewrites an undelivered bundle's outbox file from the
// recorded bytes when it is missing or damaged.
func (l *Laptop) ensureOutboxFile(ctx context.Context, db *storage.DB, b Bundle) error {
	if got, err := os.ReadFile(b.Path); err == nil && sync.BundleHash(got) == b.Hash {
		return nil
	}
	data, err := bundleData(ctx, db, b.Seq)
	if err != nil {
		return err
	}
	if sync.BundleHash(data) != b.Hash {
		return fmt.Errorf("本机保存的第 %d 号同步包已损坏", b.Seq)
	}
	return l.writeOutbox(b.Path, data)
}
