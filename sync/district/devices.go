package district

// Table district_devices: one row per enrolled laptop with its signed
// enrolment request (its public keys), its signing key id and fingerprint
// (revocation is by key as well as by id), revocation, and the state of its
// up stream (highest contiguous seq applied and that bundle's hash) and
// down stream. Only this package reads or writes it.

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"zoufang/audit"
	"zoufang/storage"
	"zoufang/sync"
)

// Device is an enrolled laptop as district staff see it.
type Device struct {
	ID, Name, Investigator, Fingerprint string
	// KeyID is the id of the device's signing key (16 hex digits).
	KeyID    string
	Enrolled time.Time
	// Revoked is the time of revocation, "" while active; RevokedBy and
	// RevokeReason say who and why.
	Revoked, RevokedBy, RevokeReason string
	// Seq is the highest contiguous bundle applied (0: none yet).
	Seq uint64
	// Backlog and Quarantined count bundles stored but not applied;
	// StoredBytes is their size, which the quota bounds.
	Backlog, Quarantined int
	StoredBytes          int64
}

// SeqText says which bundles have arrived in a row, for people: never
// "第 1–0 号".
func (dv Device) SeqText() string {
	switch dv.Seq {
	case 0:
		return "尚未收到同步包"
	case 1:
		return "已收到第 1 号同步包"
	}
	return fmt.Sprintf("已连续收到第 1–%d 号同步包", dv.Seq)
}

// deviceRow is a device as the import decision needs it.
type deviceRow struct {
	id          string
	req         *sync.EnrollRequest
	keyID       string
	fingerprint string
	revoked     string
	reason      string
	seq         uint64
	head        sync.Hash
}

const deviceCols = `id, request, signing_key_id, fingerprint, revoked, revoke_reason, seq, head`

func scanDevice(sc interface{ Scan(...any) error }) (*deviceRow, error) {
	var req, head []byte
	var r deviceRow
	var seq int64
	if err := sc.Scan(&r.id, &req, &r.keyID, &r.fingerprint, &r.revoked, &r.reason, &seq, &head); err != nil {
		return nil, err
	}
	var err error
	if r.req, err = sync.ParseEnrollRequest(req); err != nil {
		return nil, fmt.Errorf("device %s: stored request: %w", r.id, err)
	}
	if r.keyID == "" {
		r.keyID = r.req.Keys.SigningKeyID().String()
	}
	r.seq = uint64(seq)
	copy(r.head[:], head)
	return &r, nil
}

// device reads a device outside any transaction: for what never changes
// once enrolled (its keys) and for read-only answers.
func (d *District) device(ctx context.Context, id string) (*deviceRow, error) {
	return scanDevice(d.db.QueryRow(ctx, `SELECT `+deviceCols+` FROM district_devices WHERE id = ?`, id))
}

// deviceTx reads a device inside the decision's transaction.
func deviceTx(tx *storage.Tx, id string) (*deviceRow, error) {
	return scanDevice(tx.QueryRow(`SELECT `+deviceCols+` FROM district_devices WHERE id = ?`, id))
}

// revokedKeyTx reports whether the device's signing key or fingerprint
// belongs to a revoked device (itself or another id): revocation is by key,
// so a revoked laptop enrolled again under a new id stays revoked.
func revokedKeyTx(tx *storage.Tx, dev *deviceRow) (bool, string, error) {
	if dev.revoked != "" {
		return true, dev.reason, nil
	}
	var id, reason string
	err := tx.QueryRow(`SELECT id, revoke_reason FROM district_devices WHERE revoked <> '' AND (signing_key_id = ? OR fingerprint = ?) LIMIT 1`,
		dev.keyID, dev.fingerprint).Scan(&id, &reason)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return false, "", nil
	case err != nil:
		return false, "", err
	}
	return true, fmt.Sprintf("其密钥属于已停用的设备 %s（%s）", id, reason), nil
}

// advanceTx moves a device's contiguous seq from `from` to from+1 with the
// bundle's hash as head, only if it is still at `from`: two deciders that
// both saw `from` cannot both advance it, and it never moves backwards.
func advanceTx(tx *storage.Tx, id string, from uint64, head sync.Hash) error {
	res, err := tx.Exec(`UPDATE district_devices SET seq = ?, head = ? WHERE id = ? AND seq = ?`, int64(from+1), head[:], id, int64(from))
	if err != nil {
		return err
	}
	if n, err := res.RowsAffected(); err != nil || n != 1 {
		return fmt.Errorf("advance device %s from seq %d: %d rows changed (%v)", id, from, n, err)
	}
	return nil
}

// fillKeyIDs records the signing key id of devices enrolled before the
// column existed (migration 0004), so revocation by key covers them.
func (d *District) fillKeyIDs(ctx context.Context) error {
	var n int
	if err := d.db.QueryRow(ctx, `SELECT count(*) FROM district_devices WHERE signing_key_id = ''`).Scan(&n); err != nil || n == 0 {
		return err
	}
	return d.db.Update(ctx, func(tx *storage.Tx) error {
		rows, err := tx.Query(`SELECT id, request FROM district_devices WHERE signing_key_id = ''`)
		if err != nil {
			return err
		}
		ids := map[string]string{}
		for rows.Next() {
			var id string
			var req []byte
			if err := rows.Scan(&id, &req); err != nil {
				rows.Close()
				return err
			}
			r, err := sync.ParseEnrollRequest(req)
			if err != nil {
				rows.Close()
				return fmt.Errorf("device %s: stored request: %w", id, err)
			}
			ids[id] = r.Keys.SigningKeyID().String()
		}
		rows.Close()
		for id, k := range ids {
			if _, err := tx.Exec(`UPDATE district_devices SET signing_key_id = ? WHERE id = ? AND signing_key_id = ''`, k, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// Enroll takes a laptop's enrolment request file. It returns the signed
// trust file for the laptop and the request's fingerprint, which staff
// compare with the one on the laptop's screen. The same request again
// returns the trust file again. A key that was revoked (under any device
// id, by signing key or by fingerprint) is refused, and so is a key
// already enrolled under another device id.
func (d *District) Enroll(req []byte) ([]byte, string, error) {
	return d.EnrollAs(context.Background(), "区总工会", req)
}

// EnrollAs is Enroll by a named person (the workbench's logged-in
// account), who is recorded in the audit log.
func (d *District) EnrollAs(ctx context.Context, actor string, req []byte) ([]byte, string, error) {
	r, err := sync.ParseEnrollRequest(req)
	if err != nil {
		msg, ok := sync.Message(err)
		if !ok {
			msg = "文件无法读取"
		}
		return nil, "", &Error{Code: CodeMalformed, Message: "登记申请文件无效：" + msg, Err: err}
	}
	now := d.now().UTC()
	keyID, fp := r.Keys.SigningKeyID().String(), r.Fingerprint()
	err = d.db.Update(ctx, func(tx *storage.Tx) error {
		var old []byte
		var id, revoked, reason string
		err := tx.QueryRow(`SELECT request, revoked, revoke_reason FROM district_devices WHERE id = ?`, r.DeviceID).Scan(&old, &revoked, &reason)
		switch {
		case err == nil:
			prev, perr := sync.ParseEnrollRequest(old)
			if perr != nil || !prev.Keys.Equal(r.Keys) {
				return errorf(CodeAlreadyEnrolled, "设备 %s 已用另一把密钥登记过；如确属换机，请先停用旧设备，再在新笔记本上生成新的设备编号后申请", r.DeviceID)
			}
			if revoked == "" {
				return nil // the same request again: same trust file
			}
			// The revoked device's own request again (a laptop found
			// again): refused like its key under any other id, not
			// answered with a trust file as if it were enrolled.
			id = r.DeviceID
		case !errors.Is(err, sql.ErrNoRows):
			return err
		default:
			err = tx.QueryRow(`SELECT id, revoked, revoke_reason FROM district_devices WHERE signing_key_id = ? OR fingerprint = ? ORDER BY revoked = '' LIMIT 1`, keyID, fp).Scan(&id, &revoked, &reason)
		}
		switch {
		case err == nil && revoked != "":
			d.log.Warn("enrolment of a revoked key refused", "device", r.DeviceID, "revoked_device", id, "key", keyID, "fingerprint", fp)
			return &Error{Code: CodeKeyRevoked, Message: fmt.Sprintf("这台笔记本的密钥（指纹 %s）已于 %s 随设备 %s 停用（原因：%s）。停用不能撤销，停用的密钥也不能再登记。如笔记本已找回并确认安全，请在笔记本上换用新的数据目录（zoufang --data 新目录，首次打开时生成新的设备编号和密钥）后重新申请登记", fp, dateOf(revoked), id, reason), Err: errKeyRevoked}
		case err == nil:
			return errorf(CodeAlreadyEnrolled, "这把密钥（指纹 %s）已登记为设备 %s，不能再以另一个设备编号登记", fp, id)
		case !errors.Is(err, sql.ErrNoRows):
			return err
		}
		if _, err := tx.Exec(`INSERT INTO district_devices (id, name, investigator, request, fingerprint, signing_key_id, enrolled) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			r.DeviceID, r.DeviceName, r.Investigator, req, fp, keyID, now.Format(time.RFC3339)); err != nil {
			return err
		}
		return audit.Record(tx, audit.Entry{At: now, Actor: actor, Action: "enroll", Target: r.DeviceID,
			Detail: fmt.Sprintf("登记设备 %s（%s，%s），指纹 %s", r.DeviceID, r.DeviceName, r.Investigator, fp)})
	})
	if errors.Is(err, errKeyRevoked) {
		// The refusal itself is recorded: commit the log entry alone.
		var e *Error
		errors.As(err, &e)
		e = &Error{Code: e.Code, Message: e.Message} // logged above; nothing internal to add
		if lerr := d.db.Update(ctx, func(tx *storage.Tx) error {
			return audit.Record(tx, audit.Entry{At: now, Actor: audit.System, Action: "enroll_refused", Target: r.DeviceID,
				Detail: fmt.Sprintf("拒绝登记设备 %s（%s，%s）：其密钥（指纹 %s）已停用", r.DeviceID, r.DeviceName, r.Investigator, fp)})
		}); lerr != nil {
			d.log.Error("enroll: log refusal", "err", lerr)
		}
		return nil, "", e
	}
	if err != nil {
		return nil, "", d.fail(err, "enroll")
	}
	trust, err := d.TrustFile()
	if err != nil {
		return nil, "", d.fail(err, "enroll: trust file")
	}
	return trust, fp, nil
}

var errKeyRevoked = errors.New("key revoked")

// dateOf shortens an RFC 3339 time to its date for messages.
func dateOf(rfc3339 string) string {
	if t, err := time.Parse(time.RFC3339, rfc3339); err == nil {
		return t.Local().Format("2006-01-02")
	}
	return rfc3339
}

// Revoke stops accepting bundles from a lost or retired laptop: anything
// it sends later, and anything signed by its key under any device id, is
// quarantined, and its key can never be enrolled again. who and reason are
// kept in the district log.
func (d *District) Revoke(deviceID, who, reason string) error {
	if strings.TrimSpace(reason) == "" {
		return errorf(CodeInvalidArgument, "停用设备须写明原因")
	}
	if strings.TrimSpace(who) == "" {
		who = "区总工会"
	}
	now := d.now().UTC()
	err := d.db.Update(context.Background(), func(tx *storage.Tx) error {
		res, err := tx.Exec(`UPDATE district_devices SET revoked = ?, revoke_reason = ?, revoked_by = ? WHERE id = ? AND revoked = ''`, now.Format(time.RFC3339), reason, who, deviceID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return errorf(CodeNotFound, "没有在用的设备 %s（编号有误，或已停用）", deviceID)
		}
		return audit.Record(tx, audit.Entry{At: now, Actor: who, Action: "revoke", Target: deviceID,
			Detail: fmt.Sprintf("停用设备 %s", deviceID), Reason: reason})
	})
	if err != nil {
		return d.fail(err, "revoke")
	}
	return nil
}

// Devices lists the enrolled devices with their sync state.
func (d *District) Devices(ctx context.Context) ([]Device, error) {
	rows, err := d.db.Query(ctx, `SELECT id, name, investigator, fingerprint, signing_key_id, enrolled, revoked, revoked_by, revoke_reason, seq,
		(SELECT count(*) FROM district_bundles b WHERE b.device_id = d.id AND b.state = 'backlog'),
		(SELECT count(*) FROM district_bundles b WHERE b.device_id = d.id AND b.state = 'quarantined'),
		(SELECT coalesce(sum(size), 0) FROM district_bundles b WHERE b.device_id = d.id AND b.state IN ('backlog', 'quarantined'))
		FROM district_devices d ORDER BY enrolled, id`)
	if err != nil {
		return nil, d.fail(err, "devices")
	}
	defer rows.Close()
	var out []Device
	for rows.Next() {
		var dv Device
		var enrolled string
		var seq int64
		if err := rows.Scan(&dv.ID, &dv.Name, &dv.Investigator, &dv.Fingerprint, &dv.KeyID, &enrolled, &dv.Revoked, &dv.RevokedBy, &dv.RevokeReason, &seq, &dv.Backlog, &dv.Quarantined, &dv.StoredBytes); err != nil {
			return nil, d.fail(err, "devices")
		}
		dv.Seq = uint64(seq)
		dv.Enrolled, _ = time.Parse(time.RFC3339, enrolled)
		out = append(out, dv)
	}
	if err := rows.Err(); err != nil {
		return nil, d.fail(err, "devices")
	}
	return out, nil
}

// Device returns one enrolled device with its sync state.
func (d *District) Device(ctx context.Context, id string) (Device, error) {
	devs, err := d.Devices(ctx)
	if err != nil {
		return Device{}, err
	}
	for _, dv := range devs {
		if dv.ID == id {
			return dv, nil
		}
	}
	return Device{}, errorf(CodeNotFound, "设备 %s 未在本区登记", id)
}
