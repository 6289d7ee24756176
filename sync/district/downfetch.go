package district

// Table district_down_nonces: the nonces of down requests inside their time
// window, so a request is answered once. Only this package reads or writes
// it.

import (
	"context"
	"database/sql"
	"errors"
	"time"

	"zoufang/storage"
	"zoufang/sync"
)

// DownAnswer is what the district sends back for a down request.
type DownAnswer struct {
	// Bundle is the device's next down bundle (the one after the seq the
	// laptop has), exactly the bytes kept for it; nil when nothing waits.
	Bundle []byte
	Seq    uint64
	// Last is the highest down seq sealed for the device so far: a laptop
	// that gets Seq < Last asks again.
	Last uint64
	// Versions counts the records in Bundle.
	Versions int
}

// FetchDown answers a laptop's signed down request (sync.DownRequest): the
// down bundle after the one it has, resent byte for byte when it was
// sealed before, or sealed now from whatever waits for the device
// (ExportDown); nothing when nothing waits. It refuses, changing nothing, a
// request that does not parse, names another device than path (when set),
// comes from an unknown or revoked device, is not signed by the device's
// enrolled key, is dated outside sync.DownRequestWindow (CodeClock: the
// answer says the server's time), was answered before (CodeReplay), or
// claims a down bundle the district did not send (CodeDownMismatch).
//
// The nonce is recorded and the bundle chosen or sealed in one write
// transaction, so the same request answered twice at once by two
// processes gets one answer and one refusal.
func (d *District) FetchDown(ctx context.Context, path string, body []byte) (DownAnswer, error) {
	r, err := sync.ParseDownRequest(body)
	if err != nil {
		return DownAnswer{}, asError(err, "")
	}
	if path != "" && r.DeviceID != path {
		return DownAnswer{}, errorf(CodeWrongPlace, "请求地址（设备 %s）与下发请求（设备 %s）不符", path, r.DeviceID)
	}
	dev, err := d.device(ctx, r.DeviceID)
	if err != nil {
		if isNoRows(err) {
			return DownAnswer{}, errorf(CodeUnknownDevice, "设备 %s 未在本区登记", r.DeviceID)
		}
		return DownAnswer{}, d.fail(err, "fetch down: read device")
	}
	now := d.now()
	if _, err := sync.VerifyDownRequest(body, dev.req.Keys.Signing, now); err != nil {
		var ce *sync.ClockError
		if errors.As(err, &ce) {
			return DownAnswer{}, &Error{Code: CodeClock, Message: ce.Error(), Err: err}
		}
		return DownAnswer{}, asError(err, "")
	}
	keys, err := d.currentKeys(ctx)
	if err != nil {
		return DownAnswer{}, d.fail(err, "fetch down: keys")
	}
	var ans DownAnswer
	err = d.db.Update(ctx, func(tx *storage.Tx) error {
		ans = DownAnswer{}
		dev, err := deviceTx(tx, r.DeviceID)
		if err != nil {
			return err
		}
		if revoked, why, err := revokedKeyTx(tx, dev); err != nil {
			return err
		} else if revoked {
			return errorf(CodeRevoked, "设备 %s 已停用（%s），不再下发数据", dev.id, why)
		}
		if _, err := tx.Exec(`DELETE FROM district_down_nonces WHERE expires < ?`, now.UTC().Format(time.RFC3339)); err != nil {
			return err
		}
		res, err := tx.Exec(`INSERT OR IGNORE INTO district_down_nonces (device_id, nonce, expires) VALUES (?, ?, ?)`,
			dev.id, r.Nonce, r.Created.Add(sync.DownRequestWindow).UTC().Format(time.RFC3339))
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return errorf(CodeReplay, "这个下发请求已经处理过，不再重复处理（可能是重放）")
		}
		var last uint64
		if err := tx.QueryRow(`SELECT down_seq FROM district_devices WHERE id = ?`, dev.id).Scan(&last); err != nil {
			return err
		}
		ans.Last = last
		if r.Have > last {
			return errorf(CodeDownMismatch, "本机记录已导入区总工会第 %d 号下发包，但区总工会只为本机发出过 %d 个下发包：请联系区总工会核对（区总工会的数据可能从旧备份恢复过）", r.Have, last)
		}
		if r.Have > 0 {
			var hash []byte
			err := tx.QueryRow(`SELECT hash FROM district_down WHERE device_id = ? AND seq = ?`, dev.id, r.Have).Scan(&hash)
			switch {
			case err == nil && sync.Hash(hash) != r.Head:
				return errorf(CodeDownMismatch, "本机导入的第 %d 号下发包与区总工会发出的不一致，未下发：请联系区总工会核对", r.Have)
			case err != nil && !isNoRows(err):
				return err
			}
		}
		if r.Have < last {
			var data []byte
			var n int
			err := tx.QueryRow(`SELECT data, versions FROM district_down WHERE device_id = ? AND seq = ?`, dev.id, r.Have+1).Scan(&data, &n)
			if isNoRows(err) {
				return errorf(CodeNotFound, "区总工会第 %d 号下发包生成于保留副本之前，无法通过网络重发：请区总工会用 export-down 导出新的下发包，用U盘导入", r.Have+1)
			}
			if err != nil {
				return err
			}
			ans.Bundle, ans.Seq, ans.Versions = data, r.Have+1, n
			return nil
		}
		data, n, seq, err := d.exportDownTx(tx, keys, dev.id)
		if err != nil {
			return err
		}
		ans.Bundle, ans.Seq, ans.Versions = data, seq, n
		if seq > 0 {
			ans.Last = seq
		}
		return nil
	})
	if err != nil {
		return DownAnswer{}, d.fail(err, "fetch down")
	}
	return ans, nil
}

// isNoRows reports a missing row.
func isNoRows(err error) bool { return errors.Is(err, sql.ErrNoRows) }
