package laptop

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"zoufang/sync"
)

// ErrNoTrust means the district's trust file has not been imported yet:
// nothing can be sealed to the district or verified from it.
var ErrNoTrust = errors.New("尚未导入区总工会的信任文件：请先在区总工会登记本机，并导入区总工会签发的信任文件")

// Trust returns the stored trust file of the district, or ErrNoTrust. It
// does not check expiry; ValidTrust does.
func (l *Laptop) Trust() (*sync.Trust, error) {
	data, err := os.ReadFile(filepath.Join(l.dir, TrustFile))
	if errors.Is(err, os.ErrNotExist) {
		return nil, ErrNoTrust
	}
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
	cur, err := l.Trust()
	if err != nil && !errors.Is(err, ErrNoTrust) {
		// A damaged stored file must not let any trust file in unchecked.
		return nil, false, err
	}
	t, err = sync.AcceptTrust(cur, data, l.now())
	if err != nil {
		return nil, false, fmt.Errorf("拒绝导入信任文件：%w", err)
	}
	if cur != nil && t == cur {
		return cur, false, nil
	}
	if err := sync.WriteFileAtomic(filepath.Join(l.dir, TrustFile), data, 0o600); err != nil {
		return nil, false, fmt.Errorf("保存信任文件失败：%w", err)
	}
	return t, true, nil
}
