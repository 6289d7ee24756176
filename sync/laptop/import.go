package laptop

import (
	"bytes"
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"zoufang/storage"
	"zoufang/sync"
)

// ImportResult says what Import did with one file.
type ImportResult struct {
	Kind sync.FileKind
	// Delivered counts bundles a receipt marked delivered.
	Delivered int
	// Down is set for a district down bundle.
	Down *DownResult
	// Trust is set for a trust file; TrustChanged is false when it was the
	// file already stored.
	Trust        *sync.Trust
	TrustChanged bool
}

// DownResult describes an applied down bundle.
type DownResult struct {
	Seq         uint64
	Duplicate   bool // this bundle had been imported before; nothing changed
	Versions    int
	Attachments int
	Put         storage.PutResult
	// Summary is what the bundle carried (zero for a duplicate).
	Summary DownSummary
}

// Message is a one-line plain-language summary for the investigator.
func (r ImportResult) Message() string {
	switch r.Kind {
	case sync.FileReceipt:
		if r.Delivered == 0 {
			return "回执有效，没有新的同步包被确认"
		}
		return fmt.Sprintf("回执有效：%d 个同步包已送达区总工会", r.Delivered)
	case sync.FileBundle:
		if r.Down == nil {
			return ""
		}
		if r.Down.Duplicate {
			return fmt.Sprintf("区总工会下发包第 %d 号以前已导入，没有变化", r.Down.Seq)
		}
		return fmt.Sprintf("已导入区总工会下发包第 %d 号：%d 条记录（新 %d，已有 %d，等待前序版本 %d）；%s",
			r.Down.Seq, r.Down.Versions, r.Down.Put.Applied, r.Down.Put.Duplicate, r.Down.Put.Backlogged, r.Down.Summary.Text())
	case sync.FileTrust:
		if !r.TrustChanged {
			return "信任文件与本机已有的相同，没有变化"
		}
		return fmt.Sprintf("已导入%s的信任文件（第 %d 版，有效期至 %s），请核对区总工会指纹 %s",
			r.Trust.District, r.Trust.Version, r.Trust.Expires.Local().Format("2006-01-02"), r.Trust.Keys.Fingerprint())
	}
	return ""
}

// Import takes one file handed to the laptop and routes it by its content
// (sync.SniffFile): a receipt marks bundles delivered, a district down
// bundle is verified, opened and merged, a trust file is accepted as by
// AcceptTrust. Anything else is refused with a Chinese message. Nothing is
// written unless the whole file is accepted.
func (l *Laptop) Import(ctx context.Context, db *storage.DB, data []byte) (ImportResult, error) {
	res := ImportResult{Kind: sync.SniffFile(data)}
	var err error
	switch res.Kind {
	case sync.FileReceipt:
		res.Delivered, err = l.ApplyReceipt(ctx, db, data)
	case sync.FileBundle:
		res.Down, err = l.importDown(ctx, db, data)
	case sync.FileTrust:
		res.Trust, res.TrustChanged, err = l.AcceptTrust(data)
	case sync.FileEnrollRequest:
		err = errors.New("这是设备登记申请文件，应交给区总工会导入，不能在笔记本上导入")
	default:
		err = errors.New("无法识别的文件：不是回执、区总工会下发包或信任文件")
	}
	return res, err
}

// GapError refuses a down bundle that arrived before an earlier one: the
// district has to send the missing ones first (zoufang-server export-down
// --resend), then this one imports.
type GapError struct {
	Seq  uint64 // the bundle refused
	Have uint64 // the highest down bundle imported here (0: none)
}

func (e *GapError) Error() string {
	missing := fmt.Sprintf("第 %d 号", e.Have+1)
	if e.Seq-e.Have > 2 {
		missing = fmt.Sprintf("第 %d 至 %d 号", e.Have+1, e.Seq-1)
	}
	have := "本机还没有导入过区总工会的下发包"
	if e.Have > 0 {
		have = fmt.Sprintf("本机只导入到第 %d 号", e.Have)
	}
	return fmt.Sprintf("这是区总工会的第 %d 号下发包，但%s，缺少%s：请先导入%s下发包（可请区总工会重新导出），再导入这一个。本包未导入，本机数据没有改动",
		e.Seq, have, missing, missing)
}

// importDown verifies a district down bundle with the district's signing
// key, opens it with this device's sealing key and merges its versions and
// attachments in one transaction.
func (l *Laptop) importDown(ctx context.Context, db *storage.DB, data []byte) (*DownResult, error) {
	trust, err := l.ValidTrust()
	if err != nil {
		return nil, err
	}
	b, err := sync.ParseBundle(bytes.NewReader(data), l.opt.Limits)
	if err != nil {
		return nil, fmt.Errorf("下发包无效：%w", err)
	}
	h := b.Header
	if h.Kind != sync.KindDown {
		return nil, errors.New("这是笔记本发出的同步包，应交给区总工会导入，不能在笔记本上导入")
	}
	if h.DeviceID != l.id {
		return nil, fmt.Errorf("这个下发包是发给其他设备（%s）的，不是本机的", h.DeviceID)
	}
	key, err := l.downKey(trust, h)
	if err != nil {
		return nil, err
	}
	if err := b.Verify(key); err != nil {
		return nil, fmt.Errorf("下发包不是区总工会签发的或已被改动：%w", err)
	}
	p, err := b.Open(l.keys.Sealing, l.opt.Limits)
	if err != nil {
		return nil, fmt.Errorf("下发包无法打开：%w", err)
	}
	hash := b.Hash().String()
	res := &DownResult{Seq: h.Seq, Versions: len(p.Versions), Attachments: len(p.Attachments)}
	err = db.Update(ctx, func(tx *storage.Tx) error {
		var known string
		err := tx.QueryRow(`SELECT hash FROM laptop_down WHERE seq = ?`, int64(h.Seq)).Scan(&known)
		switch {
		case err == nil && known == hash:
			res.Duplicate = true
			return nil
		case err == nil:
			return fmt.Errorf("区总工会的第 %d 号下发包与本机以前导入的不一致，拒绝导入，请联系区总工会", h.Seq)
		case !errors.Is(err, sql.ErrNoRows):
			return fmt.Errorf("import down bundle: %w", err)
		}
		// Down bundles apply in order: a gap (seq 3 when only 1 is here)
		// is refused, not applied out of order, so nothing of a later
		// bundle lands before what an earlier one carries.
		var last int64
		if err := tx.QueryRow(`SELECT coalesce(max(seq), 0) FROM laptop_down`).Scan(&last); err != nil {
			return fmt.Errorf("import down bundle: %w", err)
		}
		if h.Seq > uint64(last)+1 {
			return &GapError{Seq: h.Seq, Have: uint64(last)}
		}
		if h.Seq > 1 {
			var prev string
			err := tx.QueryRow(`SELECT hash FROM laptop_down WHERE seq = ?`, int64(h.Seq-1)).Scan(&prev)
			if err == nil && prev != h.Prev.String() {
				return fmt.Errorf("区总工会的第 %d 号下发包与第 %d 号接不上，拒绝导入，请联系区总工会", h.Seq, h.Seq-1)
			}
			if err != nil && !errors.Is(err, sql.ErrNoRows) {
				return fmt.Errorf("import down bundle: %w", err)
			}
		}
		var next string
		err = tx.QueryRow(`SELECT prev FROM laptop_down WHERE seq = ?`, int64(h.Seq+1)).Scan(&next)
		if err == nil && next != hash {
			return fmt.Errorf("区总工会的第 %d 号下发包与已导入的第 %d 号接不上，拒绝导入，请联系区总工会", h.Seq, h.Seq+1)
		}
		if err != nil && !errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("import down bundle: %w", err)
		}
		for _, a := range p.Attachments {
			if len(a.Data) > storage.MaxAttachment {
				return fmt.Errorf("下发包中的附件 %s 太大", a.ID)
			}
			// The same attachment again is a no-op; the same id with other
			// bytes is refused (the district never changes an attachment).
			if err := tx.PutReceivedAttachment(a.ID, a.Mime, a.Data); err != nil {
				return fmt.Errorf("导入下发包失败：%w", err)
			}
		}
		if res.Put, err = tx.PutVersions(p.Versions); err != nil {
			return fmt.Errorf("导入下发包失败：%w", err)
		}
		_, err = tx.Exec(`INSERT INTO laptop_down (seq, hash, prev, received, versions, applied, duplicate, backlogged) VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
			int64(h.Seq), hash, h.Prev.String(), l.now().UTC().Format(time.RFC3339), len(p.Versions), res.Put.Applied, res.Put.Duplicate, res.Put.Backlogged)
		if err != nil {
			return fmt.Errorf("import down bundle: %w", err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if !res.Duplicate {
		res.Summary = summarize(p.Versions, l.id)
	}
	return res, nil
}
