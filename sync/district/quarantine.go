package district

// The quarantine, for people: list what was kept aside and why, look
// inside a bundle (read-only), release it (the import decision runs again,
// as if it had just arrived) or reject it for good. Release and reject
// name who and why in the audit log, in the same transaction as the
// change. The workbench and `zoufang-server quarantine` call these.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"zoufang/audit"
	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync"
)

// QuarantinedBundle is a bundle kept aside for a person.
type QuarantinedBundle struct {
	// ID names the bundle in Inspect, Release and Reject: its hash in hex
	// (a unique prefix of at least 8 digits is enough).
	ID                   string
	DeviceID, DeviceName string
	Seq                  uint64
	// Code and Reason say why it was kept aside.
	Code     Code
	Reason   string
	Received time.Time
	Size     int64
	// Records and Attachments are the counts its signed header declares.
	Records, Attachments int
}

// QuarantineDetail is what is inside a quarantined bundle, read without
// changing anything.
type QuarantineDetail struct {
	QuarantinedBundle
	Header sync.Header
	// Verified says its signature checks with the device's enrolled key;
	// Opened that it decrypted and its records are well-formed; Problem
	// says in Chinese why not, when one of them is false.
	Verified, Opened bool
	Problem          string
	Versions         []survey.Version
	Attachments      []AttachmentInfo
}

// AttachmentInfo describes an attachment inside a bundle.
type AttachmentInfo struct {
	ID, Mime string
	Size     int
}

// Quarantined lists the bundles kept aside, oldest first.
func (d *District) Quarantined(ctx context.Context) ([]QuarantinedBundle, error) {
	rows, err := d.db.Query(ctx, `SELECT `+prefixed("b.", bundleCols)+`, ifnull(dv.name, '')
		FROM district_bundles b LEFT JOIN district_devices dv ON dv.id = b.device_id
		WHERE b.state = 'quarantined' ORDER BY b.received, b.device_id, b.seq`)
	if err != nil {
		return nil, d.fail(err, "quarantine list")
	}
	defer rows.Close()
	var out []QuarantinedBundle
	for rows.Next() {
		var name string
		r, err := scanBundle(scanFunc(func(dst ...any) error { return rows.Scan(append(dst, &name)...) }))
		if err != nil {
			return nil, d.fail(err, "quarantine list")
		}
		out = append(out, quarantinedOf(r, name))
	}
	if err := rows.Err(); err != nil {
		return nil, d.fail(err, "quarantine list")
	}
	return out, nil
}

type scanFunc func(dst ...any) error

func (f scanFunc) Scan(dst ...any) error { return f(dst...) }

func quarantinedOf(r bundleRow, name string) QuarantinedBundle {
	return QuarantinedBundle{
		ID: r.hash.String(), DeviceID: r.device, DeviceName: name, Seq: r.seq, Code: r.code, Reason: r.reason,
		Received: r.received, Size: r.size, Records: int(r.records), Attachments: int(r.attachments),
	}
}

// findQuarantined resolves an id (hash or unique prefix) to one
// quarantined bundle.
func (d *District) findQuarantined(ctx context.Context, id string) (bundleRow, string, error) {
	id = strings.ToLower(strings.TrimSpace(id))
	if len(id) < 8 || strings.Trim(id, "0123456789abcdef") != "" {
		return bundleRow{}, "", errorf(CodeInvalidArgument, "隔离包编号 %q 无效：请写出编号的至少前 8 位（见 quarantine list）", id)
	}
	rows, err := d.db.Query(ctx, `SELECT `+prefixed("b.", bundleCols)+`, ifnull(dv.name, '')
		FROM district_bundles b LEFT JOIN district_devices dv ON dv.id = b.device_id
		WHERE b.state = 'quarantined' AND lower(hex(b.hash)) LIKE ?`, id+"%")
	if err != nil {
		return bundleRow{}, "", d.fail(err, "quarantine find")
	}
	defer rows.Close()
	var found []bundleRow
	var name string
	for rows.Next() {
		r, err := scanBundle(scanFunc(func(dst ...any) error { return rows.Scan(append(dst, &name)...) }))
		if err != nil {
			return bundleRow{}, "", d.fail(err, "quarantine find")
		}
		found = append(found, r)
	}
	switch len(found) {
	case 0:
		return bundleRow{}, "", errorf(CodeNotFound, "没有编号为 %s 的隔离同步包（可能已被放行或拒收）", id)
	case 1:
		return found[0], name, nil
	}
	return bundleRow{}, "", errorf(CodeInvalidArgument, "编号 %s 对应多个隔离同步包，请多写几位", id)
}

// InspectQuarantined shows what is inside a quarantined bundle: its
// header and, when it verifies and decrypts, its records (read-only;
// nothing is stored or changed).
func (d *District) InspectQuarantined(ctx context.Context, id string) (*QuarantineDetail, error) {
	r, name, err := d.findQuarantined(ctx, id)
	if err != nil {
		return nil, err
	}
	data, err := d.bundleData(ctx, r.device, r.seq, r.hash)
	if err != nil {
		return nil, d.fail(err, "quarantine inspect")
	}
	det := &QuarantineDetail{QuarantinedBundle: quarantinedOf(r, name)}
	b, err := sync.ParseBundleBytes(data, d.lim)
	if err != nil {
		det.Problem = Message(err)
		return det, nil
	}
	det.Header = b.Header
	dev, err := d.device(ctx, r.device)
	if err != nil {
		det.Problem = "设备未在本区登记"
		return det, nil
	}
	if err := b.Verify(dev.req.Keys.Signing); err != nil {
		det.Problem = Message(err)
		return det, nil
	}
	det.Verified = true
	p, err := d.openBundle(ctx, b)
	if err != nil {
		det.Problem = Message(err)
		return det, nil
	}
	det.Opened = true
	det.Versions = p.Versions
	for _, a := range p.Attachments {
		det.Attachments = append(det.Attachments, AttachmentInfo{ID: a.ID, Mime: a.Mime, Size: len(a.Data)})
	}
	return det, nil
}

// ReleaseQuarantined runs the import decision again on a quarantined
// bundle, as if it had just arrived: it is applied (and the device's
// waiting bundles after it), waits in the backlog, or is quarantined again
// with the reason it still cannot be merged (Result says which). Release
// is for a cause that has gone away: an enterprise assigned since, a key
// question settled; a revoked device stays revoked. actor and reason are
// recorded in the audit log.
func (d *District) ReleaseQuarantined(ctx context.Context, id, actor, reason string) (Result, error) {
	if strings.TrimSpace(actor) == "" || strings.TrimSpace(reason) == "" {
		return Result{}, errorf(CodeInvalidArgument, "放行隔离的同步包须写明处理人和理由")
	}
	r, _, err := d.findQuarantined(ctx, id)
	if err != nil {
		return Result{}, err
	}
	data, err := d.bundleData(ctx, r.device, r.seq, r.hash)
	if err != nil {
		return Result{}, d.fail(err, "quarantine release")
	}
	sc, err := sync.ScanBundle(strings.NewReader(string(data)), d.lim, nil)
	if err != nil || sc.Hash != r.hash {
		return Result{}, errorf(CodeDamaged, "隔离的同步包已损坏，无法放行；请拒收")
	}
	dev, err := d.device(ctx, r.device)
	if err != nil {
		return Result{}, errorf(CodeUnknownDevice, "设备 %s 未在本区登记，无法放行", r.device)
	}
	if err := sc.Verify(dev.req.Keys.Signing); err != nil {
		return Result{}, errorf(CodeBadSignature, "隔离的同步包签名无效，无法放行；请拒收")
	}
	in := &incoming{scan: sc, data: data, stored: true, release: &r, actor: actor, why: reason}
	res := d.decide(ctx, in)
	switch res.Decision {
	case Retry:
		return res, &Error{Code: res.Code, Message: res.Message}
	case Refused:
		// Its content cannot be merged at all (a format rule): it stays
		// in quarantine for a person to reject.
		return res, errorf(res.Code, "无法放行：%s", res.Message)
	case Applied:
		if n, err := d.drainDevice(ctx, r.device); n > 0 {
			res.Drained = n
			res.Message += fmt.Sprintf("；另有 %d 个等待中的同步包随之合并", n)
		} else if err != nil {
			d.log.Warn("drain after release", "device", r.device, "err", err)
		}
	}
	return res, nil
}

// releaseTx takes a released bundle out of the quarantine inside the
// decision's transaction (the decision then treats it as a new arrival)
// and records who released it and why.
func releaseTx(tx *storage.Tx, in *incoming, at time.Time) error {
	r := in.release
	res, err := tx.Exec(`DELETE FROM district_bundles WHERE device_id = ? AND seq = ? AND hash = ? AND state = 'quarantined'`, r.device, int64(r.seq), r.hash[:])
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n != 1 {
		return errStale
	}
	return audit.Record(tx, audit.Entry{At: at, Actor: in.actor, Action: "release", Target: r.device,
		Detail: fmt.Sprintf("放行设备 %s 第 %d 号隔离同步包（%s，原因：%s），重新判断", r.device, r.seq, r.hash.String()[:16], r.reason), Reason: in.why})
}

// RejectQuarantined refuses a quarantined bundle for good: its bytes are
// deleted (freeing the device's quota), its hash stays so the same file is
// answered the same way if it comes again. When the rejected bundle is the
// next one in its device's stream (a record the device may not write, say),
// the stream goes on past it: its content is not merged, the device's
// later bundles are applied, and receipts acknowledge it so the laptop
// does not send it for ever. A rejected twin of a bundle already applied
// (a laptop restored from an old backup) changes no stream. actor and
// reason are recorded in the audit log.
func (d *District) RejectQuarantined(ctx context.Context, id, actor, reason string) error {
	if strings.TrimSpace(actor) == "" || strings.TrimSpace(reason) == "" {
		return errorf(CodeInvalidArgument, "拒收隔离的同步包须写明处理人和理由")
	}
	r, _, err := d.findQuarantined(ctx, id)
	if err != nil {
		return err
	}
	data, err := d.bundleData(ctx, r.device, r.seq, r.hash)
	if err != nil {
		if errors.Is(err, errStale) {
			return errStale
		}
		return d.fail(err, "quarantine reject")
	}
	b, perr := sync.ParseBundleBytes(data, d.lim)
	skipped := false
	err = d.db.Update(ctx, func(tx *storage.Tx) error {
		skipped = false
		if err := moveBundleTx(tx, r.device, r.seq, r.hash, stateQuarantined, stateRejected, CodeRejected, reason); err != nil {
			return err
		}
		dev, err := deviceTx(tx, r.device)
		if err != nil {
			return err
		}
		revoked, _, err := revokedKeyTx(tx, dev)
		if err != nil {
			return err
		}
		if perr == nil && !revoked && r.seq == dev.seq+1 && b.Header.Prev == dev.head {
			if err := advanceTx(tx, dev.id, dev.seq, r.hash); err != nil {
				return err
			}
			skipped = true
		}
		detail := fmt.Sprintf("拒收设备 %s 第 %d 号隔离同步包（%s，隔离原因：%s）", r.device, r.seq, r.hash.String()[:16], r.reason)
		if skipped {
			detail += "；其内容不合并，该设备后续的同步包照常接收"
		}
		return audit.Record(tx, audit.Entry{At: d.now().UTC(), Actor: actor, Action: "reject", Target: r.device, Detail: detail, Reason: reason})
	})
	if err != nil {
		if errors.Is(err, errStale) || errors.Is(err, sql.ErrNoRows) {
			return errStale
		}
		return d.fail(err, "quarantine reject")
	}
	if skipped {
		if _, err := d.drainDevice(ctx, r.device); err != nil {
			d.log.Warn("drain after reject", "device", r.device, "err", err)
		}
	}
	return nil
}
