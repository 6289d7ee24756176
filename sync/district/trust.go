package district

import (
	"bytes"
	"context"
	"crypto/ecdh"
	"crypto/ed25519"
	"database/sql"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"time"

	"zoufang/audit"
	"zoufang/storage"
	"zoufang/sync"
)

// Trust renewal and key rotation, as TUF does for root metadata: every trust
// file the district issues is kept (table district_trust), versions only
// grow, and a new district key is announced in a trust file signed by the
// old key and the new one. Earlier keys stay usable for opening bundles that
// laptops sealed before they took the new file, until staff retire them
// (table district_keys); a bundle sealed to a retired key is refused.
//
// Private keys live in key files: KeyFile is the current key (what Init
// made, replaced by a rotation), and KeysDir holds every key the district
// has had, named by signing key id. The database says which one is current;
// a rotation cut short by a crash is finished by the next Open.

// KeysDir is the folder of the district's key files, current and earlier.
const KeysDir = "keys"

// Trust validity: the default and the bounds staff may choose.
const (
	DefaultTrustValid = 365 * 24 * time.Hour
	MinTrustValid     = 7 * 24 * time.Hour
	MaxTrustValid     = 5 * 366 * 24 * time.Hour
	// TrustRenewBefore is how long before expiry `status` asks staff to
	// renew (laptops warn their users as long before).
	TrustRenewBefore = 30 * 24 * time.Hour
)

// Key states in district_keys.
const (
	keyCurrent  = "current"
	keyPrevious = "previous"
	keyRetired  = "retired"
)

// maxReceiptSigners bounds the earlier keys that also sign receipts: a
// signed file carries at most 4 signatures.
const maxReceiptSigners = 3

func keyPath(dir string, id sync.KeyID) string {
	return filepath.Join(dir, KeysDir, id.String()+".key")
}

// TrustInfo describes one trust file the district issued.
type TrustInfo struct {
	Version      uint64
	Fingerprint  string // of the district key it declares
	SigningKeyID string
	ServerURL    string
	Issued       time.Time
	Expires      time.Time
	IssuedBy     string
}

// KeyInfo describes one of the district's key pairs.
type KeyInfo struct {
	SigningKeyID, SealingKeyID string
	State                      string // current | previous | retired
	Created, Retired           time.Time
	RetiredBy, RetireReason    string
}

// StateLabel is the Chinese name of the key's state.
func (k KeyInfo) StateLabel() string {
	switch k.State {
	case keyCurrent:
		return "当前密钥"
	case keyPrevious:
		return "旧密钥（仍可解密笔记本以前加密的同步包）"
	case keyRetired:
		return "已停用"
	}
	return k.State
}

// setupTrust runs at Open: it records the key of KeyFile as the current one
// when the district has none recorded yet (a new district, or one made
// before key rotation existed), keeps a copy in KeysDir, finishes a rotation
// a crash cut short, and issues the first trust file if none is stored.
func (d *District) setupTrust(ctx context.Context) error {
	if err := storage.MakePrivateDir(filepath.Join(d.dir, KeysDir)); err != nil {
		return fmt.Errorf("keys dir: %w", err)
	}
	fileKeys := d.keys
	var current string
	err := d.db.Update(ctx, func(tx *storage.Tx) error {
		err := tx.QueryRow(`SELECT signing_key_id FROM district_keys WHERE state = 'current'`).Scan(&current)
		if errors.Is(err, sql.ErrNoRows) {
			pub := fileKeys.Public()
			current = pub.SigningKeyID().String()
			if _, err := tx.Exec(`INSERT INTO district_keys (signing_key_id, sealing_key_id, state, created) VALUES (?, ?, 'current', ?)`,
				current, pub.SealingKeyID().String(), d.now().UTC().Format(time.RFC3339)); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		if current == fileKeys.Public().SigningKeyID().String() {
			// Keep the copy in KeysDir (restored from a backup without
			// it, say): earlier keys are read from there alone.
			if err := writeKeyOnce(keyPath(d.dir, fileKeys.Public().SigningKeyID()), fileKeys); err != nil {
				return err
			}
		}
		var n int
		if err := tx.QueryRow(`SELECT count(*) FROM district_trust`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return nil
		}
		// The first trust file; a district from before renewal existed
		// handed out version trust_version of it, so start there.
		v, _ := tx.Setting(setTrustV)
		version, _ := strconv.ParseUint(v, 10, 64)
		url, _ := tx.Setting(setURL)
		name, _ := tx.Setting(setName)
		now := d.now().UTC().Truncate(time.Second)
		_, err = d.issueTx(tx, sync.Trust{District: name, Keys: fileKeys.Public(), ServerURL: url,
			Version: max(version, 1), Issued: now, Expires: now.Add(DefaultTrustValid)}, "系统", fileKeys.Signing)
		return err
	})
	if err != nil {
		return fmt.Errorf("set up trust: %w", err)
	}
	if current != fileKeys.Public().SigningKeyID().String() {
		// A rotation committed but KeyFile not yet replaced (a crash in
		// between, or another process rotated): the database decides.
		id, err := sync.ParseKeyID(current)
		if err != nil {
			return fmt.Errorf("set up trust: %w", err)
		}
		k, err := sync.ReadKeyFile(keyPath(d.dir, id))
		if err != nil {
			return fmt.Errorf("区总工会当前密钥 %s 的密钥文件无法读取：%w", current, err)
		}
		if err := sync.WriteKeyFile(filepath.Join(d.dir, KeyFile), k); err != nil {
			return err
		}
		d.keys = k
	}
	return nil
}

// writeKeyOnce writes k to path unless a file is already there (it must
// then hold the same key).
func writeKeyOnce(path string, k *sync.Keys) error {
	old, err := sync.ReadKeyFile(path)
	switch {
	case err == nil:
		if !old.Public().Equal(k.Public()) {
			return fmt.Errorf("密钥文件 %s 与区总工会密钥不一致", path)
		}
		return nil
	case errors.Is(err, os.ErrNotExist):
		return sync.WriteKeyFile(path, k)
	default:
		return err
	}
}

// issueTx signs t with signing (and also, for a rotation) and stores it as
// the newest trust file.
func (d *District) issueTx(tx *storage.Tx, t sync.Trust, by string, signing ed25519.PrivateKey, also ...ed25519.PrivateKey) ([]byte, error) {
	data, err := sync.SignTrust(t, signing, also...)
	if err != nil {
		return nil, err
	}
	st, err := sync.ParseTrust(data)
	if err != nil {
		return nil, err
	}
	res, err := tx.Exec(`INSERT INTO district_trust (version, data, signing_key_id, server_url, issued, expires, issued_by)
		SELECT ?, ?, ?, ?, ?, ?, ? WHERE NOT EXISTS (SELECT 1 FROM district_trust WHERE version >= ?)`,
		st.Version, data, st.Keys.SigningKeyID().String(), st.ServerURL,
		st.Issued.Format(time.RFC3339), st.Expires.Format(time.RFC3339), by, st.Version)
	if err != nil {
		return nil, err
	}
	if n, _ := res.RowsAffected(); n != 1 {
		return nil, fmt.Errorf("信任文件第 %d 版已存在", st.Version)
	}
	return data, nil
}

// currentKeys returns the district's current key pair. Another process
// (`zoufang-server trust renew --rotate-key` beside a running `serve`) may
// have rotated it: the database is asked each time, and the key file read
// again when it changed.
func (d *District) currentKeys(ctx context.Context) (*sync.Keys, error) {
	var id string
	if err := d.db.QueryRow(ctx, `SELECT signing_key_id FROM district_keys WHERE state = 'current'`).Scan(&id); err != nil {
		return nil, fmt.Errorf("current district key: %w", err)
	}
	d.keyMu.Lock()
	defer d.keyMu.Unlock()
	if d.keys.Public().SigningKeyID().String() == id {
		return d.keys, nil
	}
	kid, err := sync.ParseKeyID(id)
	if err != nil {
		return nil, fmt.Errorf("current district key: %w", err)
	}
	k, err := sync.ReadKeyFile(keyPath(d.dir, kid))
	if err != nil {
		return nil, fmt.Errorf("current district key: %w", err)
	}
	d.keys = k
	return k, nil
}

// keyBySigningID reads a key file of KeysDir (cached).
func (d *District) keyBySigningID(id string) (*sync.Keys, error) {
	d.keyMu.Lock()
	defer d.keyMu.Unlock()
	if k, ok := d.ring[id]; ok {
		return k, nil
	}
	kid, err := sync.ParseKeyID(id)
	if err != nil {
		return nil, err
	}
	k, err := sync.ReadKeyFile(keyPath(d.dir, kid))
	if err != nil {
		return nil, err
	}
	if d.ring == nil {
		d.ring = map[string]*sync.Keys{}
	}
	d.ring[id] = k
	return k, nil
}

// sealingKey returns the private key that opens bundles sealed to the
// district sealing key id: the current key or an earlier one not yet
// retired. A retired or unknown key is refused with ErrWrongKey.
func (d *District) sealingKey(ctx context.Context, id sync.KeyID) (*ecdh.PrivateKey, error) {
	var signing, state string
	err := d.db.QueryRow(ctx, `SELECT signing_key_id, state FROM district_keys WHERE sealing_key_id = ?`, id.String()).Scan(&signing, &state)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, wrongKey(fmt.Sprintf("同步包加密所用的密钥 %s 不是本区总工会的密钥", id))
	}
	if err != nil {
		return nil, fmt.Errorf("district key %s: %w", id, err)
	}
	if state == keyRetired {
		return nil, wrongKey(fmt.Sprintf("同步包加密所用的区总工会密钥 %s 已停用，不再接收用它加密的同步包，请联系区总工会", id))
	}
	k, err := d.keyBySigningID(signing)
	if err != nil {
		return nil, fmt.Errorf("district key %s: %w", signing, err)
	}
	return k.Sealing, nil
}

// keyError is a refusal of class sync.ErrWrongKey whose message says it
// all (the class's own text is not appended).
type keyError string

func (e keyError) Error() string { return string(e) }
func (e keyError) Unwrap() error { return sync.ErrWrongKey }

func wrongKey(msg string) error { return keyError(msg) }

// openBundle decrypts a verified up bundle with the district key it was
// sealed to (current, or earlier and not retired).
func (d *District) openBundle(ctx context.Context, b *sync.Bundle) (sync.Payload, error) {
	priv, err := d.sealingKey(ctx, b.Header.RecipientKeyID)
	if err != nil {
		return sync.Payload{}, err
	}
	return b.Open(priv, d.lim)
}

// signReceipt signs a receipt with the current key and the earlier keys not
// yet retired (newest first, at most maxReceiptSigners of them), so a
// laptop still on the previous trust file verifies it as well as one on the
// new.
func (d *District) signReceipt(ctx context.Context, r sync.Receipt) ([]byte, error) {
	cur, err := d.currentKeys(ctx)
	if err != nil {
		return nil, err
	}
	rows, err := d.db.Query(ctx, `SELECT signing_key_id FROM district_keys WHERE state = 'previous' ORDER BY created DESC, rowid DESC LIMIT ?`, maxReceiptSigners)
	if err != nil {
		return nil, fmt.Errorf("receipt signers: %w", err)
	}
	var ids []string
	for rows.Next() {
		var id string
		if err := rows.Scan(&id); err != nil {
			rows.Close()
			return nil, fmt.Errorf("receipt signers: %w", err)
		}
		ids = append(ids, id)
	}
	rows.Close()
	var also []ed25519.PrivateKey
	for _, id := range ids {
		k, err := d.keyBySigningID(id)
		if err != nil {
			return nil, fmt.Errorf("receipt signer %s: %w", id, err)
		}
		also = append(also, k.Signing)
	}
	return sync.SignReceipt(r, cur.Signing, also...)
}

// TrustFile returns the newest trust file the district issued, byte for
// byte the same every time until the next renewal.
func (d *District) TrustFile() ([]byte, error) {
	var data []byte
	err := d.db.QueryRow(context.Background(), `SELECT data FROM district_trust ORDER BY version DESC LIMIT 1`).Scan(&data)
	if err != nil {
		return nil, fmt.Errorf("trust file: %w", err)
	}
	return data, nil
}

// TrustVersion returns the trust file of one version, for a laptop that
// walks from the version it holds to the newest (GET /v1/trust/{version}).
func (d *District) TrustVersion(ctx context.Context, version uint64) ([]byte, error) {
	var data []byte
	err := d.db.QueryRow(ctx, `SELECT data FROM district_trust WHERE version = ?`, version).Scan(&data)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, fmt.Errorf("没有第 %d 版信任文件", version)
	}
	if err != nil {
		return nil, fmt.Errorf("trust file %d: %w", version, err)
	}
	return data, nil
}

// Trusts lists every trust file issued, newest first.
func (d *District) Trusts(ctx context.Context) ([]TrustInfo, error) {
	rows, err := d.db.Query(ctx, `SELECT data, issued_by FROM district_trust ORDER BY version DESC`)
	if err != nil {
		return nil, fmt.Errorf("trust files: %w", err)
	}
	defer rows.Close()
	var out []TrustInfo
	for rows.Next() {
		var data []byte
		var by string
		if err := rows.Scan(&data, &by); err != nil {
			return nil, fmt.Errorf("trust files: %w", err)
		}
		t, err := sync.ParseTrust(data)
		if err != nil {
			return nil, fmt.Errorf("stored trust file: %w", err)
		}
		out = append(out, trustInfo(t, by))
	}
	return out, rows.Err()
}

func trustInfo(t *sync.Trust, by string) TrustInfo {
	return TrustInfo{Version: t.Version, Fingerprint: t.Keys.Fingerprint(), SigningKeyID: t.Keys.SigningKeyID().String(),
		ServerURL: t.ServerURL, Issued: t.Issued, Expires: t.Expires, IssuedBy: by}
}

// CurrentTrust describes the newest trust file.
func (d *District) CurrentTrust(ctx context.Context) (TrustInfo, error) {
	ts, err := d.Trusts(ctx)
	if err != nil {
		return TrustInfo{}, err
	}
	if len(ts) == 0 {
		return TrustInfo{}, errors.New("区总工会还没有签发信任文件")
	}
	return ts[0], nil
}

// RenewOptions say what a new trust file changes.
type RenewOptions struct {
	// ServerURL, when not nil, replaces the upload address ("" for USB
	// only); nil keeps the current one.
	ServerURL *string
	// Valid is how long the new file is valid from now; zero takes
	// DefaultTrustValid.
	Valid time.Duration
	// RotateKey makes a new district key pair, announced in the new file
	// signed by the old key and the new one.
	RotateKey bool
	// By is who renewed, for the district log.
	By string
}

// Renew issues the next trust file version: a new expiry, optionally a new
// server URL and a new district key. Laptops take it on their next push
// (GET /v1/trust) or from the file (zoufang device trust). It returns the
// new file. All checks and writes happen in one write transaction, so two
// renewals at once give two consecutive versions, never the same one twice.
func (d *District) Renew(ctx context.Context, opt RenewOptions) (TrustInfo, []byte, error) {
	if opt.Valid == 0 {
		opt.Valid = DefaultTrustValid
	}
	if opt.Valid < MinTrustValid || opt.Valid > MaxTrustValid {
		return TrustInfo{}, nil, fmt.Errorf("有效期应在 %d 天至 %d 天之间", MinTrustValid/(24*time.Hour), MaxTrustValid/(24*time.Hour))
	}
	if opt.By == "" {
		opt.By = "区总工会"
	}
	var fresh *sync.Keys
	if opt.RotateKey {
		k, err := sync.GenerateKeys()
		if err != nil {
			return TrustInfo{}, nil, err
		}
		// Written before the decision: a crash leaves an unused key file,
		// never a trust file naming a key whose private half is lost.
		if err := sync.WriteKeyFile(keyPath(d.dir, k.Public().SigningKeyID()), k); err != nil {
			return TrustInfo{}, nil, fmt.Errorf("无法保存新的区总工会密钥：%w", err)
		}
		fresh = k
	}
	var data []byte
	var info TrustInfo
	err := d.db.Update(ctx, func(tx *storage.Tx) error {
		var curID string
		if err := tx.QueryRow(`SELECT signing_key_id FROM district_keys WHERE state = 'current'`).Scan(&curID); err != nil {
			return err
		}
		cur, err := d.keyBySigningID(curID)
		if err != nil {
			return fmt.Errorf("区总工会当前密钥无法读取：%w", err)
		}
		var last []byte
		if err := tx.QueryRow(`SELECT data FROM district_trust ORDER BY version DESC LIMIT 1`).Scan(&last); err != nil {
			return err
		}
		prev, err := sync.ParseTrust(last)
		if err != nil {
			return err
		}
		now := d.now().UTC().Truncate(time.Second)
		t := sync.Trust{District: prev.District, Keys: cur.Public(), ServerURL: prev.ServerURL,
			Version: prev.Version + 1, Issued: now, Expires: now.Add(opt.Valid)}
		if name, _ := tx.Setting(setName); name != "" {
			t.District = name
		}
		if opt.ServerURL != nil {
			t.ServerURL = *opt.ServerURL
			if err := tx.SetSetting(setURL, t.ServerURL); err != nil {
				return err
			}
		}
		detail := fmt.Sprintf("签发信任文件第 %d 版，有效期至 %s，服务器 %q", t.Version, t.Expires.Format("2006-01-02"), t.ServerURL)
		if fresh != nil {
			t.Keys = fresh.Public()
			data, err = d.issueTx(tx, t, opt.By, fresh.Signing, cur.Signing)
			if err != nil {
				return err
			}
			if _, err := tx.Exec(`UPDATE district_keys SET state = 'previous' WHERE signing_key_id = ? AND state = 'current'`, curID); err != nil {
				return err
			}
			if _, err := tx.Exec(`INSERT INTO district_keys (signing_key_id, sealing_key_id, state, created) VALUES (?, ?, 'current', ?)`,
				t.Keys.SigningKeyID().String(), t.Keys.SealingKeyID().String(), now.Format(time.RFC3339)); err != nil {
				return err
			}
			detail += fmt.Sprintf("；更换区总工会密钥：%s → %s（新指纹 %s）", curID, t.Keys.SigningKeyID(), t.Keys.Fingerprint())
		} else {
			if data, err = d.issueTx(tx, t, opt.By, cur.Signing); err != nil {
				return err
			}
		}
		if err := tx.SetSetting(setTrustV, strconv.FormatUint(t.Version, 10)); err != nil {
			return err
		}
		info = trustInfo(&t, opt.By)
		return audit.Record(tx, audit.Entry{At: now, Actor: opt.By, Action: "trust-renew", Target: fmt.Sprintf("信任文件第 %d 版", t.Version), Detail: detail})
	})
	if err != nil {
		if fresh != nil {
			os.Remove(keyPath(d.dir, fresh.Public().SigningKeyID()))
		}
		return TrustInfo{}, nil, fmt.Errorf("签发新的信任文件失败：%w", err)
	}
	if fresh != nil {
		// The database already names the new key; KeyFile follows (and
		// the next Open repairs it if this write is cut short).
		if err := sync.WriteKeyFile(filepath.Join(d.dir, KeyFile), fresh); err != nil {
			return info, data, fmt.Errorf("新的信任文件已签发，但 %s 未能更新（下次启动时自动修复）：%w", KeyFile, err)
		}
		d.keyMu.Lock()
		d.keys = fresh
		d.keyMu.Unlock()
	}
	return info, data, nil
}

// Keys lists the district's key pairs, current first.
func (d *District) Keys(ctx context.Context) ([]KeyInfo, error) {
	rows, err := d.db.Query(ctx, `SELECT signing_key_id, sealing_key_id, state, created, retired, retired_by, retire_reason
		FROM district_keys ORDER BY state = 'current' DESC, created DESC, rowid DESC`)
	if err != nil {
		return nil, fmt.Errorf("district keys: %w", err)
	}
	defer rows.Close()
	var out []KeyInfo
	for rows.Next() {
		var k KeyInfo
		var created, retired string
		if err := rows.Scan(&k.SigningKeyID, &k.SealingKeyID, &k.State, &created, &retired, &k.RetiredBy, &k.RetireReason); err != nil {
			return nil, fmt.Errorf("district keys: %w", err)
		}
		k.Created, _ = time.Parse(time.RFC3339, created)
		k.Retired, _ = time.Parse(time.RFC3339, retired)
		out = append(out, k)
	}
	return out, rows.Err()
}

// RetireKey stops accepting bundles sealed to an earlier district key
// (named by its signing or sealing key id): they are refused from then on,
// and receipts are no longer signed with it. Do it once every laptop has
// taken the trust file that replaced the key and delivered what it had
// sealed before. The current key cannot be retired (rotate first), and a
// key that bundles still waiting in the backlog were sealed to is kept.
func (d *District) RetireKey(ctx context.Context, keyID, by, reason string) error {
	if by == "" || reason == "" {
		return errors.New("停用密钥须写明处理人和原因")
	}
	now := d.now().UTC()
	return d.db.Update(ctx, func(tx *storage.Tx) error {
		var signing, sealing, state string
		err := tx.QueryRow(`SELECT signing_key_id, sealing_key_id, state FROM district_keys WHERE signing_key_id = ? OR sealing_key_id = ?`, keyID, keyID).Scan(&signing, &sealing, &state)
		if errors.Is(err, sql.ErrNoRows) {
			return fmt.Errorf("没有区总工会密钥 %s", keyID)
		}
		if err != nil {
			return err
		}
		switch state {
		case keyCurrent:
			return fmt.Errorf("密钥 %s 是当前密钥，不能停用；请先用 trust renew --rotate-key 更换密钥", signing)
		case keyRetired:
			return fmt.Errorf("密钥 %s 已经停用", signing)
		}
		waiting, err := backlogSealedTo(tx, sealing)
		if err != nil {
			return err
		}
		if waiting > 0 {
			return fmt.Errorf("还有 %d 个等待中的同步包是用密钥 %s 加密的，合并之前不能停用它", waiting, signing)
		}
		if _, err := tx.Exec(`UPDATE district_keys SET state = 'retired', retired = ?, retired_by = ?, retire_reason = ? WHERE signing_key_id = ?`,
			now.Format(time.RFC3339), by, reason, signing); err != nil {
			return err
		}
		return audit.Record(tx, audit.Entry{At: now, Actor: by, Action: "retire-key", Target: signing,
			Detail: fmt.Sprintf("停用区总工会旧密钥 %s", signing), Reason: reason})
	})
}

// backlogSealedTo counts bundles held in the backlog that are sealed to the
// sealing key id.
func backlogSealedTo(tx *storage.Tx, sealing string) (int, error) {
	rows, err := tx.Query(`SELECT data FROM district_bundles WHERE state = 'backlog' AND data IS NOT NULL`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var data []byte
		if err := rows.Scan(&data); err != nil {
			return 0, err
		}
		if b, err := sync.ParseBundle(bytes.NewReader(data), sync.Limits{}); err == nil && b.Header.RecipientKeyID.String() == sealing {
			n++
		}
	}
	return n, rows.Err()
}

// serveTrustVersion answers GET /v1/trust/{version}.
func (d *District) serveTrustVersion(w http.ResponseWriter, r *http.Request) {
	v, err := strconv.ParseUint(r.PathValue("version"), 10, 64)
	if err != nil || v == 0 {
		writeError(w, errorf(CodeInvalidArgument, "信任文件版本号无效"))
		return
	}
	data, err := d.TrustVersion(r.Context(), v)
	if err != nil {
		writeError(w, errorf(CodeNotFound, "没有第 %d 版信任文件", v))
		return
	}
	w.Header().Set("Content-Type", "application/octet-stream")
	w.Write(data)
}
