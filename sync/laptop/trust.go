package laptop

import (
	"crypto/ed25519"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"

	"zoufang/storage"
	"zoufang/sync"
)

// ErrNoTrust means the district's trust file has not been imported yet:
// nothing can be sealed to the district or verified from it.
var ErrNoTrust = errors.New("尚未导入区总工会的信任文件：请先在区总工会登记本机，并导入区总工会签发的信任文件")

// Trust returns the stored trust file of the district, or ErrNoTrust. It
// does not check expiry; ValidTrust does.
func (l *Laptop) Trust() (*sync.Trust, error) {
	f, err := os.Open(filepath.Join(l.dir, TrustFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoTrust
	}
	if err != nil {
		return nil, fmt.Errorf("read trust file: %w", err)
	}
	data, err := sync.ReadLimited(f, sync.MaxSignedFile, TrustFile)
	f.Close()
	if err != nil {
		return nil, fmt.Errorf("read trust file: %w", err)
	}
	t, err := sync.ParseTrust(data)
	if err != nil {
		return nil, fmt.Errorf("本机保存的信任文件已损坏，请重新导入区总工会的信任文件：%w", err)
	}
	return t, nil
}

// ValidTrust returns the stored trust file if it has not expired.
func (l *Laptop) ValidTrust() (*sync.Trust, error) {
	t, err := l.Trust()
	if err != nil {
		return nil, err
	}
	if err := t.Valid(l.now()); err != nil {
		return nil, err
	}
	return t, nil
}

// AcceptTrust imports the district's signed trust file (sync.AcceptTrust:
// signed by the key it declares, not expired, and when one is already stored,
// a higher version also signed by the currently trusted key). It stores the
// file atomically and returns the trust now in force. changed is false when
// the file was the one already stored.
func (l *Laptop) AcceptTrust(data []byte) (t *sync.Trust, changed bool, err error) {
	return l.AcceptTrustFiles([][]byte{data})
}

// AcceptTrustFiles imports several trust files at once, in any order: a
// laptop that missed two key rotations needs every version from the one it
// holds to the newest, each signed by the key of the one before
// (sync.AcceptTrustChain). Versions not newer than the stored one are left
// out. Only the newest file is stored.
func (l *Laptop) AcceptTrustFiles(files [][]byte) (t *sync.Trust, changed bool, err error) {
	cur, err := l.Trust()
	if err != nil && !errors.Is(err, ErrNoTrust) {
		// A damaged stored file must not let any trust file in unchecked.
		return nil, false, err
	}
	type versioned struct {
		v    uint64
		data []byte
	}
	var chain []versioned
	for _, data := range files {
		pt, err := sync.ParseTrust(data)
		if err != nil {
			return nil, false, fmt.Errorf("拒绝导入信任文件：%w", err)
		}
		chain = append(chain, versioned{pt.Version, data})
	}
	sort.SliceStable(chain, func(i, j int) bool { return chain[i].v < chain[j].v })
	var ordered [][]byte
	for i, c := range chain {
		if i > 0 && c.v == chain[i-1].v {
			return nil, false, fmt.Errorf("拒绝导入信任文件：第 %d 版给了两份", c.v)
		}
		if cur != nil && c.v < cur.Version && i < len(chain)-1 {
			continue // older than what is stored: not part of the way forward
		}
		ordered = append(ordered, c.data)
	}
	t, err = sync.AcceptTrustChain(cur, ordered, l.now())
	if err != nil {
		return nil, false, fmt.Errorf("拒绝导入信任文件：%w", err)
	}
	if cur != nil && t == cur {
		return cur, false, nil
	}
	// Keep the files this one supersedes: down bundles the district
	// sealed before a key rotation stay importable (downKey).
	superseded := ordered[:len(ordered)-1]
	if cur != nil {
		if old, err := os.ReadFile(filepath.Join(l.dir, TrustFile)); err == nil {
			superseded = append([][]byte{old}, superseded...)
		}
	}
	for _, data := range superseded {
		if err := l.keepTrustHistory(data); err != nil {
			return nil, false, fmt.Errorf("保存信任文件失败：%w", err)
		}
	}
	if err := sync.WriteFileAtomic(filepath.Join(l.dir, TrustFile), ordered[len(ordered)-1], 0o600); err != nil {
		return nil, false, fmt.Errorf("保存信任文件失败：%w", err)
	}
	return t, true, nil
}

// TrustHistoryDir keeps the trust files the laptop held before (and the
// versions it walked through), named v<version>.zft.
const TrustHistoryDir = "trust-history"

func (l *Laptop) keepTrustHistory(data []byte) error {
	t, err := sync.ParseTrust(data)
	if err != nil {
		return nil // nothing worth keeping
	}
	dir := filepath.Join(l.dir, TrustHistoryDir)
	if err := storage.MakePrivateDir(dir); err != nil {
		return err
	}
	return sync.WriteFileAtomic(filepath.Join(dir, fmt.Sprintf("v%d.zft", t.Version)), data, 0o600)
}

// trustHistory returns the kept earlier trust files, oldest first.
func (l *Laptop) trustHistory() []*sync.Trust {
	names, _ := filepath.Glob(filepath.Join(l.dir, TrustHistoryDir, "v*.zft"))
	var out []*sync.Trust
	for _, n := range names {
		f, err := os.Open(n)
		if err != nil {
			continue
		}
		data, err := sync.ReadLimited(f, sync.MaxSignedFile, n)
		f.Close()
		if err != nil {
			continue
		}
		if t, err := sync.ParseTrust(data); err == nil {
			out = append(out, t)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Version < out[j].Version })
	return out
}

// downKey returns the district key that must have signed a down bundle
// with header h: the key of the trust file in force or, for a bundle the
// district sealed before it rotated its key (one lost on the way and sent
// again), the earlier key, provided the bundle was made no later than the
// day the trust file that replaced that key was issued.
func (l *Laptop) downKey(trust *sync.Trust, h sync.Header) (ed25519.PublicKey, error) {
	if h.SenderKeyID == trust.Keys.SigningKeyID() {
		return trust.Keys.Signing, nil
	}
	chain := append(l.trustHistory(), trust)
	for i, t := range chain {
		if t.Keys.SigningKeyID() != h.SenderKeyID {
			continue
		}
		for _, next := range chain[i+1:] {
			if next.Keys.SigningKeyID() == h.SenderKeyID {
				continue
			}
			if h.Created.After(next.Issued.UTC().Truncate(24 * time.Hour)) {
				break // made after the key was replaced: not its to sign
			}
			return t.Keys.Signing, nil
		}
	}
	return nil, fmt.Errorf("这个下发包的签发密钥是 %s，本机信任的区总工会密钥是 %s：如果区总工会更换过密钥，请先导入新的信任文件（或联网上传一次，会自动取得）再导入；否则它不是区总工会签发的，请勿导入", h.SenderKeyID, trust.Keys.SigningKeyID())
}

// TrustWarnBefore is how long before the trust file expires the laptop
// starts warning its user: time to push once or fetch a new file.
const TrustWarnBefore = 30 * 24 * time.Hour

// TrustWarning returns a warning in Chinese when t expires within
// TrustWarnBefore of now, and "" otherwise (an expired file is reported by
// Trust.Valid instead).
func TrustWarning(t *sync.Trust, now time.Time) string {
	if t == nil || !now.Before(t.Expires) || t.Expires.Sub(now) > TrustWarnBefore {
		return ""
	}
	days := int((t.Expires.Sub(now) + 24*time.Hour - 1) / (24 * time.Hour)) // started days count
	how := "请在此之前向区总工会索取新的信任文件，在“同步”页导入。"
	if t.ServerURL != "" {
		how = "请在此之前联网上传一次（会自动取得新的信任文件），或向区总工会索取新的信任文件，在“同步”页导入。"
	}
	return fmt.Sprintf("区总工会信任文件将于 %s 过期（还有 %d 天）。\n过期后本机无法同步：%s",
		t.Expires.Local().Format("2006-01-02"), days, how)
}

// TrustNotice is the warning about the stored trust file for the home
// screen: expiring soon, expired or damaged; "" when all is well or before
// enrolment.
func (l *Laptop) TrustNotice() string {
	t, err := l.Trust()
	switch {
	case errors.Is(err, ErrNoTrust):
		return ""
	case err != nil:
		return err.Error()
	}
	if err := t.Valid(l.now()); err != nil {
		return err.Error()
	}
	return TrustWarning(t, l.now())
}
