package storage

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"
)

// MaxAttachment is the largest attachment stored (a re-compressed photo of
// a signed sheet is a few hundred KB).
const MaxAttachment = 8 << 20

// PutAttachment stores an attachment and returns its id.
func (db *DB) PutAttachment(ctx context.Context, data []byte, mediaType string) (string, error) {
	var id string
	err := db.Update(ctx, func(tx *Tx) error {
		var err error
		id, err = tx.PutAttachment(data, mediaType)
		return err
	})
	return id, err
}

// PutAttachment stores an attachment inside the transaction.
func (tx *Tx) PutAttachment(data []byte, mediaType string) (string, error) {
	if len(data) == 0 {
		return "", &Error{Code: "invalid", Message: "附件是空的"}
	}
	if len(data) > MaxAttachment {
		return "", &Error{Code: "too_large", Message: fmt.Sprintf("附件太大（%d KB），上限 %d KB", len(data)/1024, MaxAttachment/1024)}
	}
	sum := sha256.Sum256(data)
	id := uuid.NewString()
	if _, err := tx.Exec(`INSERT INTO attachments (id, media_type, sha256, data, created) VALUES (?, ?, ?, ?, ?)`,
		id, mediaType, hex.EncodeToString(sum[:]), data, tx.Now().Format(time.RFC3339)); err != nil {
		return "", fmt.Errorf("put attachment: %w", err)
	}
	return id, nil
}

// Attachment returns an attachment's bytes and media type.
func (db *DB) Attachment(ctx context.Context, id string) ([]byte, string, error) {
	var data []byte
	var mt string
	err := db.read.QueryRowContext(ctx, `SELECT data, media_type FROM attachments WHERE id = ?`, id).Scan(&data, &mt)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, "", notFound("附件", id)
	}
	if err != nil {
		return nil, "", fmt.Errorf("attachment %s: %w", id, err)
	}
	return data, mt, nil
}

// PutReceivedAttachment stores an attachment that arrived with a bundle
// under the id its records use. The same id with the same bytes again is a
// no-op; the same id with other bytes fails with ErrVersionMismatch, like a
// version id reused for other content.
func (tx *Tx) PutReceivedAttachment(id, mediaType string, data []byte) error {
	sum := sha256.Sum256(data)
	hexSum := hex.EncodeToString(sum[:])
	var old string
	err := tx.queryRow(`SELECT sha256 FROM attachments WHERE id = ?`, id).Scan(&old)
	switch {
	case err == nil:
		if old != hexSum {
			return &Error{Code: ErrVersionMismatch.Code, Message: fmt.Sprintf("附件 %s 已存在但内容不同，拒绝导入", id)}
		}
		return nil
	case !errors.Is(err, sql.ErrNoRows):
		return fmt.Errorf("put attachment %s: %w", id, err)
	}
	if err := tx.exec(`INSERT INTO attachments (id, media_type, sha256, data, created) VALUES (?, ?, ?, ?, ?)`,
		id, mediaType, hexSum, data, tx.Now().Format(time.RFC3339)); err != nil {
		return fmt.Errorf("put attachment %s: %w", id, err)
	}
	return nil
}
