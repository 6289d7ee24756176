package district

import (
	"bytes"
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"net/http"
	"time"

	"zoufang/audit"
	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync"
)

// Decision names what Import did with a bundle.
type Decision string

// Import decisions.
const (
	Applied     Decision = "applied"     // new, merged (201)
	Duplicate   Decision = "duplicate"   // seen before, nothing changed (200)
	Backlogged  Decision = "backlog"     // early: held until the gap is filled (202)
	Quarantined Decision = "quarantined" // kept aside for a person, not merged (409, or 403 when revoked)
	Refused     Decision = "refused"     // not stored at all (400, 403, 413)
)

// Result is the outcome of one bundle.
type Result struct {
	Decision Decision
	Status   int    // the HTTP status this decision maps to
	Device   string // the header's device id, when it could be read
	Seq      uint64
	Message  string // Chinese, for staff and for the laptop
	Receipt  []byte // signed receipt for the device (not for refusals)
}

// Import is the one decision function for bundles from laptops, used by the
// USB import and the HTTP upload alike. Every refusal writes nothing: the
// signature is verified before anything is decrypted, and a bundle is merged
// in one transaction with the advance of its device's seq and head.
func (d *District) Import(ctx context.Context, data []byte) Result {
	d.mu.Lock()
	defer d.mu.Unlock()
	res := d.decide(ctx, data)
	if res.Status == 0 {
		res.Status = statusOf(res.Decision)
	}
	return res
}

func statusOf(dec Decision) int {
	switch dec {
	case Applied:
		return http.StatusCreated
	case Duplicate:
		return http.StatusOK
	case Backlogged:
		return http.StatusAccepted
	case Quarantined:
		return http.StatusConflict
	}
	return http.StatusBadRequest
}

func refuse(status int, format string, args ...any) Result {
	return Result{Decision: Refused, Status: status, Message: fmt.Sprintf(format, args...)}
}

type deviceRow struct {
	req     *sync.EnrollRequest
	revoked string
	seq     uint64
	head    sync.Hash
}

func (d *District) device(ctx context.Context, id string) (*deviceRow, error) {
	var req, head []byte
	var r deviceRow
	err := d.db.QueryRow(ctx, `SELECT request, revoked, seq, head FROM district_devices WHERE id = ?`, id).Scan(&req, &r.revoked, &r.seq, &head)
	if err != nil {
		return nil, err
	}
	if r.req, err = sync.ParseEnrollRequest(req); err != nil {
		return nil, err
	}
	copy(r.head[:], head)
	return &r, nil
}

func (d *District) decide(ctx context.Context, data []byte) Result {
	b, err := sync.ParseBundle(bytes.NewReader(data), d.lim)
	if err != nil {
		if errors.Is(err, sync.ErrTooLarge) {
			return refuse(http.StatusRequestEntityTooLarge, "同步包超过大小限制：%v", err)
		}
		return refuse(http.StatusBadRequest, "同步包无法读取：%v", err)
	}
	h := b.Header
	if h.Kind != sync.KindUp {
		return refuse(http.StatusBadRequest, "这是下发给笔记本的同步包，不能导入区级数据")
	}
	dev, err := d.device(ctx, h.DeviceID)
	if errors.Is(err, sql.ErrNoRows) {
		return refuse(http.StatusForbidden, "设备 %s 未在本区登记", h.DeviceID)
	}
	if err != nil {
		return refuse(http.StatusInternalServerError, "读取设备信息失败：%v", err)
	}
	if dev.req.Keys.SigningKeyID() != h.SenderKeyID {
		return refuse(http.StatusForbidden, "同步包的签名密钥不是设备 %s 登记的密钥", h.DeviceID)
	}
	if err := b.Verify(dev.req.Keys.Signing); err != nil {
		return refuse(http.StatusForbidden, "同步包签名无效：%v", err)
	}
	res := Result{Device: h.DeviceID, Seq: h.Seq}
	hash := b.Hash()
	if dev.revoked != "" {
		if err := d.quarantine(ctx, h, hash, data, "设备已停用"); err != nil {
			return refuse(http.StatusInternalServerError, "%v", err)
		}
		return Result{Decision: Quarantined, Status: http.StatusForbidden, Device: h.DeviceID, Seq: h.Seq, Message: "设备已停用，同步包已隔离，未合并"}
	}

	// Seen before?
	rows, err := d.db.Query(ctx, `SELECT hash, state FROM district_bundles WHERE device_id = ? AND seq = ? AND state <> 'quarantined'`, h.DeviceID, h.Seq)
	if err != nil {
		return refuse(http.StatusInternalServerError, "%v", err)
	}
	var sameState string
	other := false
	for rows.Next() {
		var hh []byte
		var st string
		rows.Scan(&hh, &st)
		if bytes.Equal(hh, hash[:]) {
			sameState = st
		} else {
			other = true
		}
	}
	rows.Close()
	switch {
	case sameState == "applied":
		res.Decision, res.Message = Duplicate, fmt.Sprintf("第 %d 号同步包已收到过，未重复导入", h.Seq)
		res.Receipt, err = d.receipt(ctx, h.DeviceID)
		return withErr(res, err)
	case sameState == "backlog":
		res.Decision, res.Message = Backlogged, fmt.Sprintf("第 %d 号同步包已在等待前面的包", h.Seq)
		res.Receipt, err = d.receipt(ctx, h.DeviceID)
		return withErr(res, err)
	case other || h.Seq <= dev.seq:
		if err := d.quarantine(ctx, h, hash, data, "同一序号内容不同"); err != nil {
			return refuse(http.StatusInternalServerError, "%v", err)
		}
		res.Decision = Quarantined
		res.Message = fmt.Sprintf("设备 %s 的第 %d 号同步包与已收到的同号包内容不同，已隔离待人工核查", h.DeviceID, h.Seq)
		return res
	}

	// Decrypt and check every record before storing anything.
	p, err := d.openBundle(ctx, b)
	if err != nil {
		if errors.Is(err, sync.ErrWrongKey) {
			return refuse(http.StatusForbidden, "%v", err)
		}
		if errors.Is(err, sync.ErrTooLarge) {
			return refuse(http.StatusRequestEntityTooLarge, "同步包内容超过限制：%v", err)
		}
		return refuse(http.StatusBadRequest, "同步包内容无效：%v", err)
	}
	if h.Seq != dev.seq+1 {
		err := d.db.Update(ctx, func(tx *storage.Tx) error {
			_, err := tx.Exec(`INSERT INTO district_bundles (device_id, seq, hash, state, received, data, records, attachments) VALUES (?, ?, ?, 'backlog', ?, ?, ?, ?)`,
				h.DeviceID, h.Seq, hash[:], d.now().UTC().Format(time.RFC3339), data, h.Records, h.Attachments)
			return err
		})
		if err != nil {
			return refuse(http.StatusInternalServerError, "%v", err)
		}
		res.Decision = Backlogged
		res.Message = fmt.Sprintf("第 %d 号同步包先到，等待第 %d 号", h.Seq, dev.seq+1)
		res.Receipt, err = d.receipt(ctx, h.DeviceID)
		return withErr(res, err)
	}
	if h.Prev != dev.head {
		return refuse(http.StatusConflict, "第 %d 号同步包的前序哈希与已收到的第 %d 号不符，拒绝导入", h.Seq, dev.seq)
	}
	if err := d.apply(ctx, b, p, nil); err != nil {
		return refuse(http.StatusBadRequest, "同步包未能合并（未写入任何内容）：%s", storage.ErrorMessage(err))
	}
	res.Decision, res.Message = Applied, fmt.Sprintf("第 %d 号同步包已合并", h.Seq)
	d.drainBacklog(ctx, h.DeviceID)
	res.Receipt, err = d.receipt(ctx, h.DeviceID)
	return withErr(res, err)
}

func withErr(r Result, err error) Result {
	if err != nil {
		return refuse(http.StatusInternalServerError, "签发回执失败：%v", err)
	}
	return r
}

// apply merges one verified, next-in-line bundle in one transaction: its
// attachments and versions, its row, and the device's seq and head.
// failAfter, for tests, fails the transaction after the merge to prove that
// nothing partial remains.
func (d *District) apply(ctx context.Context, b *sync.Bundle, p sync.Payload, failAfter func() error) error {
	h, hash := b.Header, b.Hash()
	return d.db.Update(ctx, func(tx *storage.Tx) error {
		for _, a := range p.Attachments {
			sum := sha256.Sum256(a.Data)
			if _, err := tx.Exec(`INSERT OR IGNORE INTO attachments (id, media_type, sha256, data, created) VALUES (?, ?, ?, ?, ?)`,
				a.ID, a.Mime, hex.EncodeToString(sum[:]), a.Data, tx.Now().Format(time.RFC3339)); err != nil {
				return err
			}
		}
		if _, err := tx.PutVersions(p.Versions); err != nil {
			return err
		}
		if _, err := tx.Exec(`DELETE FROM district_bundles WHERE device_id = ? AND seq = ? AND hash = ?`, h.DeviceID, h.Seq, hash[:]); err != nil {
			return err
		}
		// The bytes are not kept once merged: the versions are, and an
		// applied bundle row with its device must not lead back from an
		// anonymous response to a laptop.
		if _, err := tx.Exec(`INSERT INTO district_bundles (device_id, seq, hash, state, received, records, attachments) VALUES (?, ?, ?, 'applied', ?, ?, ?)`,
			h.DeviceID, h.Seq, hash[:], tx.Now().Format(time.RFC3339), h.Records, h.Attachments); err != nil {
			return err
		}
		if _, err := tx.Exec(`UPDATE district_devices SET seq = ?, head = ? WHERE id = ?`, h.Seq, hash[:], h.DeviceID); err != nil {
			return err
		}
		if failAfter != nil {
			return failAfter()
		}
		return nil
	})
}

// drainBacklog applies held bundles of a device that are now next in line.
func (d *District) drainBacklog(ctx context.Context, deviceID string) {
	for {
		dev, err := d.device(ctx, deviceID)
		if err != nil {
			return
		}
		var data []byte
		err = d.db.QueryRow(ctx, `SELECT data FROM district_bundles WHERE device_id = ? AND seq = ? AND state = 'backlog'`, deviceID, dev.seq+1).Scan(&data)
		if err != nil {
			return
		}
		b, err := sync.ParseBundle(bytes.NewReader(data), d.lim)
		if err == nil {
			err = b.Verify(dev.req.Keys.Signing)
		}
		if err == nil && b.Header.Prev != dev.head {
			err = errors.New("前序哈希不符")
		}
		if err == nil {
			var p sync.Payload
			if p, err = d.openBundle(ctx, b); err == nil {
				err = d.apply(ctx, b, p, nil)
			}
		}
		if err != nil {
			hash := sync.BundleHash(data)
			d.db.Update(ctx, func(tx *storage.Tx) error {
				_, err := tx.Exec(`UPDATE district_bundles SET state = 'quarantined', reason = ? WHERE device_id = ? AND seq = ? AND hash = ?`,
					"等待中的包无法合并："+err.Error(), deviceID, dev.seq+1, hash[:])
				return err
			})
			return
		}
	}
}

func (d *District) quarantine(ctx context.Context, h sync.Header, hash sync.Hash, data []byte, reason string) error {
	return d.db.Update(ctx, func(tx *storage.Tx) error {
		_, err := tx.Exec(`INSERT OR IGNORE INTO district_bundles (device_id, seq, hash, state, reason, received, data, records, attachments) VALUES (?, ?, ?, 'quarantined', ?, ?, ?, ?, ?)`,
			h.DeviceID, h.Seq, hash[:], reason, d.now().UTC().Format(time.RFC3339), data, h.Records, h.Attachments)
		if err != nil {
			return err
		}
		return audit.Record(tx, audit.Entry{At: d.now().UTC(), Actor: audit.System, Action: "quarantine", Target: h.DeviceID,
			Detail: fmt.Sprintf("设备 %s 第 %d 号同步包已隔离：%s", h.DeviceID, h.Seq, reason)})
	})
}

// Receipt returns the signed receipt of a device's current state, for the
// USB path back to the laptop.
func (d *District) Receipt(ctx context.Context, deviceID string) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.receipt(ctx, deviceID)
}

func (d *District) receipt(ctx context.Context, deviceID string) ([]byte, error) {
	dev, err := d.device(ctx, deviceID)
	if err != nil {
		return nil, fmt.Errorf("设备 %s 未登记", deviceID)
	}
	rows, err := d.db.Query(ctx, `SELECT hash FROM district_bundles WHERE device_id = ? AND state IN ('applied', 'backlog') ORDER BY seq`, deviceID)
	if err != nil {
		return nil, err
	}
	var acc []sync.Hash
	for rows.Next() {
		var hh []byte
		var x sync.Hash
		rows.Scan(&hh)
		copy(x[:], hh)
		acc = append(acc, x)
	}
	rows.Close()
	var head sync.Hash
	if dev.seq > 0 {
		head = dev.head
	}
	return d.signReceipt(ctx, sync.Receipt{DeviceID: deviceID, Seq: dev.seq, Head: head, Accepted: acc, Created: d.now().UTC()})
}

var _ = survey.KindVisit
