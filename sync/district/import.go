package district

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"

	"zoufang/audit"
	"zoufang/storage"
	"zoufang/sync"
)

// Decision names what the import did with a bundle.
type Decision string

// Import decisions.
const (
	Applied     Decision = "applied"     // new, merged (201)
	Duplicate   Decision = "duplicate"   // seen before, nothing changed (200)
	Backlogged  Decision = "backlog"     // early: held until the gap is filled (202)
	Quarantined Decision = "quarantined" // kept aside for a person, not merged (403 revoked, 409, 422)
	Refused     Decision = "refused"     // not stored at all (400, 403, 408, 413, 429)
	Retry       Decision = "retry"       // the server could not decide now; nothing changed (503, Retry-After)
)

// Result is the outcome of one bundle.
type Result struct {
	Decision Decision
	// Code says why for programs (CodeOK for applied, duplicate and
	// backlog, CodeRejected for a bundle staff rejected that the stream
	// went on past, answered as a duplicate); Status is the HTTP status.
	Code   Code
	Status int
	// Device, Seq and Hash identify the bundle, when it could be read.
	Device string
	Seq    uint64
	Hash   sync.Hash
	// Message says what happened in Chinese, for staff and for the laptop.
	Message string
	// Receipt is the signed receipt for the device (not for refusals).
	Receipt []byte
	// Drained counts bundles of the same device that waited in the
	// backlog and were applied right after this one.
	Drained int
}

// Import is the one decision function for bundles from laptops, used by the
// USB import and the HTTP upload alike; ImportFile and ImportUpload are the
// same decision for a file and a stream.
//
// The bundle is scanned and its signature verified before anything else;
// then every check (device, revocation by id and key, seen before, seq and
// prev hash, quota, per-record rules) and every write for it happen in one
// SQLite write transaction, so concurrent imports in any number of
// processes decide as if one at a time. Refusals write nothing. When a
// bundle is applied, the device's waiting bundles that are now next in line
// are applied too (Drained).
func (d *District) Import(ctx context.Context, data []byte) Result {
	sc, err := sync.ScanBundle(bytes.NewReader(data), d.lim, d.checkHeader(ctx, "", 0))
	if err != nil {
		return d.refusal(Result{}, err, "import: scan")
	}
	return d.importScanned(ctx, &incoming{scan: sc, data: data})
}

// ImportFile imports a bundle file (the USB path) without reading it
// whole into memory before its signature is checked.
func (d *District) ImportFile(ctx context.Context, path string) Result {
	f, err := os.Open(path)
	if err != nil {
		return d.refusal(Result{}, &Error{Code: CodeUnreadable, Message: fmt.Sprintf("无法读取文件 %s", path), Err: err}, "")
	}
	if st, err := f.Stat(); err == nil && st.Size() > d.lim.MaxBundle {
		f.Close()
		return d.refusal(Result{}, errorf(CodeTooLarge, "文件太大：%s 有 %s，同步包最多 %s", filepath.Base(path), sizeText(st.Size()), sizeText(d.lim.MaxBundle)), "")
	}
	sc, err := sync.ScanBundle(bufio.NewReaderSize(f, 64<<10), d.lim, d.checkHeader(ctx, "", 0))
	f.Close()
	if err != nil {
		var e *Error
		if !errors.As(err, &e) {
			if _, ok := sync.Message(err); !ok {
				err = &Error{Code: CodeUnreadable, Message: fmt.Sprintf("无法读取文件 %s", path), Err: err}
			}
		}
		return d.refusal(Result{}, err, "import file: scan")
	}
	return d.importScanned(ctx, &incoming{scan: sc, path: path})
}

// incoming is a bundle that has arrived and been scanned: its bytes are in
// memory (data) or in a file (path), or come from a district_bundles row
// (stored: the drain and a release).
type incoming struct {
	scan   *sync.BundleScan
	data   []byte
	path   string
	stored bool
	// release is the quarantine row a person releases (with who and
	// why): the decision takes it out of the quarantine first.
	release    *bundleRow
	actor, why string
}

// load returns the bundle's bytes, checking they are still the bytes that
// were scanned (a file on a USB stick can change between two reads).
func (in *incoming) load() ([]byte, error) {
	if in.data != nil {
		return in.data, nil
	}
	f, err := os.Open(in.path)
	if err != nil {
		return nil, &Error{Code: CodeUnreadable, Message: "同步包文件无法再次读取", Err: err}
	}
	defer f.Close()
	data := make([]byte, in.scan.Size)
	if _, err := io.ReadFull(f, data); err != nil {
		return nil, &Error{Code: CodeUnreadable, Message: "同步包文件在导入过程中被改动或无法读取", Err: err}
	}
	if n, _ := f.Read(make([]byte, 1)); n != 0 || sync.Hash(sha256.Sum256(data)) != in.scan.Hash {
		return nil, errorf(CodeUnreadable, "同步包文件在导入过程中被改动，请重新导入")
	}
	return data, nil
}

// checkHeader returns the check ScanBundle runs on the header before the
// body is read: a down bundle, an unknown device or a key that is not the
// device's is refused after 98 bytes. wantDevice and wantSeq, when set,
// are what the upload's path names.
func (d *District) checkHeader(ctx context.Context, wantDevice string, wantSeq uint64) func(sync.Header) error {
	return func(h sync.Header) error {
		if h.Kind != sync.KindUp {
			return errorf(CodeWrongKind, "这是下发给笔记本的同步包，不能导入区级数据")
		}
		if wantDevice != "" && (h.DeviceID != wantDevice || h.Seq != wantSeq) {
			return errorf(CodeWrongPlace, "上传地址（设备 %s 第 %d 号）与同步包（设备 %s 第 %d 号）不符，未保存", wantDevice, wantSeq, h.DeviceID, h.Seq)
		}
		if h.Seq > math.MaxInt64 {
			return errorf(CodeMalformed, "同步包序号 %d 超出范围，未保存", h.Seq)
		}
		dev, err := d.device(ctx, h.DeviceID)
		if errors.Is(err, sql.ErrNoRows) {
			return errorf(CodeUnknownDevice, "设备 %s 未在本区登记，同步包未保存", h.DeviceID)
		}
		if err != nil {
			return asError(err, "import: read device")
		}
		if dev.keyID != h.SenderKeyID.String() {
			return errorf(CodeWrongKey, "同步包的签名密钥不是设备 %s 登记的密钥，未保存", h.DeviceID)
		}
		return nil
	}
}

// importScanned verifies a scanned bundle, decides, and drains the
// device's backlog after an apply.
func (d *District) importScanned(ctx context.Context, in *incoming) Result {
	h := in.scan.Header
	base := Result{Device: h.DeviceID, Seq: h.Seq, Hash: in.scan.Hash}
	dev, err := d.device(ctx, h.DeviceID)
	if errors.Is(err, sql.ErrNoRows) {
		return d.refusal(base, errorf(CodeUnknownDevice, "设备 %s 未在本区登记，同步包未保存", h.DeviceID), "")
	}
	if err != nil {
		return d.refusal(base, err, "import: read device")
	}
	if err := in.scan.Verify(dev.req.Keys.Signing); err != nil {
		return d.refusal(base, err, "import: verify")
	}
	res := d.decide(ctx, in)
	if res.Decision == Applied {
		if n, err := d.drainDevice(ctx, h.DeviceID); n > 0 {
			res.Drained = n
			if r, err := d.Receipt(ctx, h.DeviceID); err == nil {
				res.Receipt = r
			}
			res.Message += fmt.Sprintf("；另有 %d 个先到的同步包随之合并", n)
		} else if err != nil {
			d.log.Warn("drain after apply", "device", h.DeviceID, "err", err)
		}
	}
	d.log.Info("import", "device", res.Device, "seq", res.Seq, "hash", res.Hash.String()[:16], "decision", string(res.Decision), "code", string(res.Code), "status", res.Status, "drained", res.Drained)
	return res
}

// refusal turns an error into a result that stored nothing: Retry when the
// server is to blame, Refused otherwise. Internals go to the log.
func (d *District) refusal(base Result, err error, what string) Result {
	e := asError(err, what)
	if e.Err != nil && (e.Code == CodeInternal || e.Code == CodeBusy || e.Code == CodeUnreadable || e.Code == CodeUploadBroken) {
		d.log.Warn(what, "device", base.Device, "seq", base.Seq, "code", string(e.Code), "err", e.Err)
	}
	base.Decision, base.Code, base.Status, base.Message, base.Receipt = Refused, e.Code, e.Code.Status(), e.Message, nil
	if e.Code.Retryable() {
		base.Decision = Retry
	}
	return base
}

// needs says what decideTx wants before it can decide.
type needs int

const (
	needNothing needs = iota
	needBytes         // the bundle's bytes, to keep them (quarantine)
	needPayload       // the decrypted, checked payload (backlog, apply)
)

var (
	errNeedMore        = errors.New("decision needs the bundle's bytes")
	errKeepQuarantined = errors.New("released bundle refused")
)

// decide runs decideTx until it has what it needs: the bytes and the
// payload are loaded outside the write transaction (decrypting 256 MiB
// must not hold the write lock), and the decision is taken again on the
// state the next transaction sees.
func (d *District) decide(ctx context.Context, in *incoming) Result {
	h := in.scan.Header
	base := Result{Device: h.DeviceID, Seq: h.Seq, Hash: in.scan.Hash}
	var (
		raw  []byte
		p    *sync.Payload
		held bool
	)
	defer func() {
		if held {
			<-d.opening
		}
	}()
	for attempt := 0; attempt < 4; attempt++ {
		var res Result
		var need needs
		err := d.db.Update(ctx, func(tx *storage.Tx) error {
			var err error
			res, need, err = d.decideTx(tx, in, raw, p)
			if err == nil && need != needNothing {
				return errNeedMore
			}
			if err == nil && in.release != nil && res.Decision == Refused {
				// A released bundle that is refused stays in the
				// quarantine: undo taking it out.
				return errKeepQuarantined
			}
			return err
		})
		if err == nil || errors.Is(err, errKeepQuarantined) {
			return res
		}
		if !errors.Is(err, errNeedMore) {
			return d.refusal(base, err, "import: decide")
		}
		if !held {
			select {
			case d.opening <- struct{}{}:
				held = true
			case <-ctx.Done():
				return d.refusal(base, &Error{Code: CodeBusy, Message: msgBusy, Err: ctx.Err()}, "import: wait for a slot")
			}
		}
		if raw == nil {
			if raw, err = in.load(); err != nil {
				return d.refusal(base, err, "import: load")
			}
		}
		if need == needPayload && p == nil {
			payload, err := d.openPayload(raw)
			if err != nil {
				if e := asError(err, "import: open stored"); in.stored && in.release == nil && !e.Code.Retryable() {
					// It was checked when it arrived: something changed
					// (the district's keys, the stored bytes). Keep it
					// for a person instead of retrying for ever. (A
					// database error is not that: it stays waiting.)
					return d.quarantineStored(ctx, in, e)
				}
				return d.refusal(base, err, "import: open")
			}
			p = &payload
		}
	}
	return d.refusal(base, errors.New("import decision did not settle"), "import: decide")
}

// openPayload parses, verifies (again: these are the bytes now in hand)
// and decrypts a bundle, and runs the per-record rules that need no
// district state.
func (d *District) openPayload(raw []byte) (sync.Payload, error) {
	b, err := sync.ParseBundleBytes(raw, d.lim)
	if err != nil {
		return sync.Payload{}, err
	}
	dev, err := d.device(context.Background(), b.Header.DeviceID)
	if err != nil {
		return sync.Payload{}, err
	}
	if err := b.Verify(dev.req.Keys.Signing); err != nil {
		return sync.Payload{}, err
	}
	p, err := d.openBundle(context.Background(), b)
	if err != nil {
		return sync.Payload{}, err
	}
	if e := d.checkContent(p); e != nil {
		return sync.Payload{}, e
	}
	return p, nil
}

// decideTx is the import decision, inside the write transaction. It
// returns needBytes or needPayload (and writes nothing) when it cannot
// decide without them.
func (d *District) decideTx(tx *storage.Tx, in *incoming, raw []byte, p *sync.Payload) (Result, needs, error) {
	h, hash := in.scan.Header, in.scan.Hash
	res := Result{Device: h.DeviceID, Seq: h.Seq, Hash: hash}
	dev, err := deviceTx(tx, h.DeviceID)
	if errors.Is(err, sql.ErrNoRows) {
		return d.refusal(res, errorf(CodeUnknownDevice, "设备 %s 未在本区登记，同步包未保存", h.DeviceID), ""), 0, nil
	}
	if err != nil {
		return res, 0, err
	}
	if dev.keyID != h.SenderKeyID.String() {
		return d.refusal(res, errorf(CodeWrongKey, "同步包的签名密钥不是设备 %s 登记的密钥，未保存", h.DeviceID), ""), 0, nil
	}
	if in.release != nil {
		if err := releaseTx(tx, in, d.now().UTC()); err != nil {
			return res, 0, err
		}
	}
	revoked, why, err := revokedKeyTx(tx, dev)
	if err != nil {
		return res, 0, err
	}
	rows, err := bundlesAtTx(tx, dev.id, h.Seq)
	if err != nil {
		return res, 0, err
	}
	var same *bundleRow
	other := false
	for i := range rows {
		switch {
		case rows[i].hash == hash:
			same = &rows[i]
		case rows[i].state == stateApplied || rows[i].state == stateBacklog:
			other = true
		}
	}
	if same != nil {
		switch same.state {
		case stateApplied:
			res.Decision, res.Message = Duplicate, fmt.Sprintf("第 %d 号同步包已收到过，未重复导入", h.Seq)
			return d.withReceipt(tx, dev, res)
		case stateQuarantined:
			res.Decision, res.Code = Quarantined, same.code
			res.Status, res.Message = same.code.Status(), fmt.Sprintf("第 %d 号同步包此前已被隔离，等待区总工会处理（原因：%s）", h.Seq, same.reason)
			return res, 0, nil
		case stateRejected:
			if h.Seq <= dev.seq && !other {
				// Rejected as the next in its stream, which went on past
				// it: acknowledge it, so the laptop stops sending it.
				res.Decision, res.Code = Duplicate, CodeRejected
				res.Message = fmt.Sprintf("第 %d 号同步包已被区总工会拒收（%s），其内容未合并；后续同步包照常接收", h.Seq, same.reason)
				return d.withReceipt(tx, dev, res)
			}
			return d.refusal(res, errorf(CodeRejected, "第 %d 号同步包已被区总工会拒收（%s）", h.Seq, same.reason), ""), 0, nil
		case stateBacklog:
			if revoked {
				return d.quarantineTx(tx, dev, in, same, nil, CodeRevoked, "设备已停用："+why)
			}
			if h.Seq != dev.seq+1 {
				res.Decision, res.Message = Backlogged, fmt.Sprintf("第 %d 号同步包已在区总工会等待第 %d 号", h.Seq, dev.seq+1)
				return d.withReceipt(tx, dev, res)
			}
			// Next in line: apply it now (the drain, or the same file
			// delivered again).
		}
	}
	if same == nil {
		switch {
		case revoked:
			return d.quarantineTx(tx, dev, in, nil, raw, CodeRevoked, "设备已停用："+why)
		case other || h.Seq <= dev.seq:
			return d.quarantineTx(tx, dev, in, nil, raw, CodeConflict, "与区总工会已收到的同号同步包内容不同")
		case h.Seq > dev.seq+1:
			if p == nil {
				return res, needPayload, nil
			}
			if over, err := d.overQuotaTx(tx, dev.id, int64(len(raw))); err != nil || over != nil {
				if err != nil {
					return res, 0, err
				}
				return d.refusal(res, over, ""), 0, nil
			}
			if err := insertBundleTx(tx, bundleRow{device: dev.id, seq: h.Seq, hash: hash, state: stateBacklog, received: d.now(), records: h.Records, attachments: h.Attachments}, raw); err != nil {
				return res, 0, err
			}
			res.Decision, res.Message = Backlogged, fmt.Sprintf("第 %d 号同步包已保存，等待第 %d 号到达后合并", h.Seq, dev.seq+1)
			return d.withReceipt(tx, dev, res)
		}
	}
	// h.Seq == dev.seq+1: the next bundle of the stream.
	if h.Prev != dev.head {
		return d.quarantineTx(tx, dev, in, same, raw, CodePrevMismatch, fmt.Sprintf("前一包哈希与区总工会收到的第 %d 号同步包不符", dev.seq))
	}
	if p == nil {
		return res, needPayload, nil
	}
	rule, err := d.checkRecordsTx(tx, dev, *p)
	if err != nil {
		return res, 0, err
	}
	if rule == nil {
		rule, err = mergeTx(tx, *p)
		if err != nil {
			return res, 0, err
		}
	}
	if rule != nil {
		return d.quarantineTx(tx, dev, in, same, raw, CodeRule, rule.Message)
	}
	if d.afterMerge != nil {
		if err := d.afterMerge(); err != nil {
			return res, 0, err
		}
	}
	if same != nil {
		err = moveBundleTx(tx, dev.id, h.Seq, hash, stateBacklog, stateApplied, CodeOK, "")
	} else {
		// The bytes are not kept once merged: the versions are, and an
		// applied bundle row with its device must not lead back from an
		// anonymous response to a laptop.
		err = insertBundleTx(tx, bundleRow{device: dev.id, seq: h.Seq, hash: hash, state: stateApplied, received: d.now(), records: h.Records, attachments: h.Attachments}, nil)
	}
	if err != nil {
		return res, 0, err
	}
	if err := advanceTx(tx, dev.id, dev.seq, hash); err != nil {
		return res, 0, err
	}
	dev.seq, dev.head = h.Seq, hash
	res.Decision, res.Message = Applied, fmt.Sprintf("第 %d 号同步包已合并（%d 条记录）", h.Seq, len(p.Versions))
	return d.withReceipt(tx, dev, res)
}

// withReceipt completes an accepted result with its status and the
// receipt of the state the transaction leaves.
func (d *District) withReceipt(tx *storage.Tx, dev *deviceRow, res Result) (Result, needs, error) {
	res.Status = map[Decision]int{Applied: 201, Duplicate: 200, Backlogged: 202}[res.Decision]
	r, err := d.receiptTx(tx, dev)
	if err != nil {
		return res, 0, fmt.Errorf("sign receipt: %w", err)
	}
	res.Receipt = r
	return res, 0, nil
}

// mergeTx stores the payload's attachments and versions. A content
// problem storage finds (a version id or attachment id that exists with
// other content) is returned as a rule violation with everything of this
// payload undone (a savepoint), so the transaction can still quarantine
// the bundle; other errors abort the transaction.
func mergeTx(tx *storage.Tx, p sync.Payload) (*Error, error) {
	if _, err := tx.Exec(`SAVEPOINT merge_bundle`); err != nil {
		return nil, err
	}
	err := func() error {
		for _, a := range p.Attachments {
			if err := tx.PutReceivedAttachment(a.ID, a.Mime, a.Data); err != nil {
				return err
			}
		}
		if _, err := tx.PutVersions(p.Versions); err != nil {
			return err
		}
		// A team's follow-up and the district's 研判 of the same ledger
		// item merge into one version here, which goes down to the
		// laptops; the same field changed on both sides stays a conflict.
		merged, err := tx.MergeLedgerHeads()
		if err != nil {
			return err
		}
		for _, id := range merged {
			if err := audit.Record(tx, audit.Entry{At: tx.Now(), Actor: audit.System, Action: "ledger.merge", Target: id,
				Detail: fmt.Sprintf("台帐事项 %s 的区总工会研判与笔记本的跟进同时修改了不同内容，已自动合并", short(id))}); err != nil {
				return err
			}
		}
		return nil
	}()
	if err != nil {
		var se *storage.Error
		if !errors.As(err, &se) {
			return nil, err
		}
		if _, err := tx.Exec(`ROLLBACK TO merge_bundle`); err != nil {
			return nil, err
		}
		if _, err := tx.Exec(`RELEASE merge_bundle`); err != nil {
			return nil, err
		}
		return errorf(CodeRule, "%s", se.Message), nil
	}
	_, err = tx.Exec(`RELEASE merge_bundle`)
	return nil, err
}

// quarantineTx keeps a bundle aside for a person: a backlog row (same) is
// moved, a new bundle is stored with its bytes (within the device's quota;
// over it nothing is stored). The decision is logged.
func (d *District) quarantineTx(tx *storage.Tx, dev *deviceRow, in *incoming, same *bundleRow, raw []byte, code Code, reason string) (Result, needs, error) {
	h, hash := in.scan.Header, in.scan.Hash
	res := Result{Device: h.DeviceID, Seq: h.Seq, Hash: hash}
	if same != nil {
		if err := moveBundleTx(tx, dev.id, h.Seq, hash, same.state, stateQuarantined, code, reason); err != nil {
			return res, 0, err
		}
	} else {
		if raw == nil {
			return res, needBytes, nil
		}
		over, err := d.overQuotaTx(tx, dev.id, int64(len(raw)))
		if err != nil {
			return res, 0, err
		}
		if over != nil {
			if code == CodeRevoked {
				over = errorf(CodeRevoked, "设备 %s 已停用，同步包未合并；其待处理的同步包已达上限，本包未保存", dev.id)
			}
			return d.refusal(res, over, ""), 0, nil
		}
		if err := insertBundleTx(tx, bundleRow{device: dev.id, seq: h.Seq, hash: hash, state: stateQuarantined, code: code, reason: reason, received: d.now(), records: h.Records, attachments: h.Attachments}, raw); err != nil {
			return res, 0, err
		}
	}
	if err := audit.Record(tx, audit.Entry{At: d.now().UTC(), Actor: audit.System, Action: "quarantine", Target: dev.id,
		Detail: fmt.Sprintf("设备 %s 第 %d 号同步包（%s）已隔离", dev.id, h.Seq, hash.String()[:16]), Reason: reason}); err != nil {
		return res, 0, err
	}
	res.Decision, res.Code, res.Status = Quarantined, code, code.Status()
	switch code {
	case CodeRevoked:
		res.Message = fmt.Sprintf("设备 %s 已停用，第 %d 号同步包已隔离，未合并", dev.id, h.Seq)
	case CodeConflict:
		res.Message = fmt.Sprintf("设备 %s 的第 %d 号同步包与区总工会已收到的同号同步包内容不同，已隔离待人工核查", dev.id, h.Seq)
	case CodePrevMismatch:
		res.Message = fmt.Sprintf("第 %d 号同步包的前一包哈希与区总工会收到的第 %d 号不符，已隔离待人工核查", h.Seq, dev.seq)
	default:
		res.Message = fmt.Sprintf("第 %d 号同步包未合并，已隔离待人工核查：%s", h.Seq, reason)
	}
	return res, 0, nil
}

// quarantineStored moves a stored backlog bundle that can no longer be
// opened to the quarantine.
func (d *District) quarantineStored(ctx context.Context, in *incoming, e *Error) Result {
	h := in.scan.Header
	base := Result{Device: h.DeviceID, Seq: h.Seq, Hash: in.scan.Hash}
	d.log.Error("stored bundle cannot be opened", "device", h.DeviceID, "seq", h.Seq, "err", e.Err)
	var res Result
	err := d.db.Update(ctx, func(tx *storage.Tx) error {
		dev, err := deviceTx(tx, h.DeviceID)
		if err != nil {
			return err
		}
		rows, err := bundlesAtTx(tx, dev.id, h.Seq)
		if err != nil {
			return err
		}
		for i := range rows {
			if rows[i].hash == in.scan.Hash && rows[i].state == stateBacklog {
				res, _, err = d.quarantineTx(tx, dev, in, &rows[i], nil, CodeDamaged, e.Message)
				return err
			}
		}
		return errStale
	})
	if err != nil {
		return d.refusal(base, err, "quarantine stored bundle")
	}
	return res
}
