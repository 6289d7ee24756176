package sync

import (
	"bufio"
	"bytes"
	"compress/flate"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"errors"
	"io"
	"mime"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/google/uuid"

	"zoufang/survey"
)

// Attachment is a binary file that travels with the records referring to it
// (the photo of a signed visit sheet). ID is the id the records use.
type Attachment struct {
	ID   string
	Mime string
	Data []byte
}

// Payload is what a bundle carries, sealed. Up bundles carry the versions a
// laptop made; down bundles carry roster entries, assignments, ledger
// follow-ups, published forms and campaign, the district's 研判 and reviews,
// also as versions.
type Payload struct {
	Versions    []survey.Version
	Attachments []Attachment
}

// Per-field caps that are not worth a Limits field.
const (
	maxParents    = 64
	maxShortField = 256 // form id, author, attachment id, mime type
)

// Payload encoding inside the compressed plaintext (all integers big-endian):
//
//	u32 n, then n × (u32 len, len bytes of canonical JSON of a survey.Version)
//	u32 m, then m × (u16 len, id, u16 len, mime, u32 len, data)
//
// and nothing after. Length-prefixed records let the reader refuse an
// oversized record before decoding it, and attachments travel as raw bytes
// instead of base64.

// encodePayload writes p in the payload encoding.
func encodePayload(p Payload, lim Limits) ([]byte, error) {
	size := 8
	for i := range p.Versions {
		size += 4 + 512 + len(p.Versions[i].Payload)
	}
	for _, a := range p.Attachments {
		size += 8 + len(a.ID) + len(a.Mime) + len(a.Data)
	}
	b := make([]byte, 0, size)
	b = binary.BigEndian.AppendUint32(b, uint32(len(p.Versions)))
	for i := range p.Versions {
		j, err := json.Marshal(&p.Versions[i])
		if err != nil {
			return nil, errf(ErrInvalidRecord, "第 %d 条记录无法编码：%v", i+1, err)
		}
		if len(j) > lim.MaxRecordBytes {
			return nil, errf(ErrTooLarge, "第 %d 条记录（%s）有 %d 字节，超过单条上限 %d 字节", i+1, p.Versions[i].RecordID, len(j), lim.MaxRecordBytes)
		}
		b = binary.BigEndian.AppendUint32(b, uint32(len(j)))
		b = append(b, j...)
	}
	b = binary.BigEndian.AppendUint32(b, uint32(len(p.Attachments)))
	for _, a := range p.Attachments {
		b = binary.BigEndian.AppendUint16(b, uint16(len(a.ID)))
		b = append(b, a.ID...)
		b = binary.BigEndian.AppendUint16(b, uint16(len(a.Mime)))
		b = append(b, a.Mime...)
		b = binary.BigEndian.AppendUint32(b, uint32(len(a.Data)))
		b = append(b, a.Data...)
	}
	return b, nil
}

// payloadReader reads the payload encoding from the decompressor. It keeps
// the first error; later reads return zero values.
type payloadReader struct {
	r       *bufio.Reader
	lim     *io.LimitedReader // the decompression-bomb cap (max+1 bytes)
	err     error
	scratch []byte
}

func (r *payloadReader) fail(err error) {
	if r.err == nil {
		if r.lim.N == 0 {
			err = errf(ErrTooLarge, "同步包解压后超过上限（可能是压缩炸弹）")
		} else if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			err = errf(ErrMalformed, "同步包内容被截断")
		} else if _, ok := err.(*formatError); !ok {
			err = errf(ErrMalformed, "同步包内容解压失败：%v", err)
		}
		r.err = err
	}
}

// fixed reads n bytes into the reused scratch buffer, valid until the next
// read. Callers bound n first (a u16, or a record length ≤ MaxRecordBytes).
func (r *payloadReader) fixed(n int) []byte {
	if r.err != nil {
		return nil
	}
	if cap(r.scratch) < n {
		r.scratch = make([]byte, n)
	}
	b := r.scratch[:n]
	if _, err := io.ReadFull(r.r, b); err != nil {
		r.fail(err)
		return nil
	}
	return b
}

func (r *payloadReader) u16() int {
	if b := r.fixed(2); b != nil {
		return int(binary.BigEndian.Uint16(b))
	}
	return 0
}

func (r *payloadReader) u32() uint64 {
	if b := r.fixed(4); b != nil {
		return uint64(binary.BigEndian.Uint32(b))
	}
	return 0
}

// owned reads n bytes into a new slice that grows with the bytes that
// arrive, not with the claimed n.
func (r *payloadReader) owned(n uint64) []byte {
	if r.err != nil {
		return nil
	}
	var buf bytes.Buffer
	buf.Grow(int(min(n, 64<<10)))
	if _, err := io.CopyN(&buf, r.r, int64(n)); err != nil {
		r.fail(err)
		return nil
	}
	return buf.Bytes()
}

// decodePayload parses the payload encoding from the decompressed stream
// strictly: the counts must equal the header's, each record must be
// canonical JSON of a survey.Version within lim.MaxRecordBytes, the whole
// stream at most lim.MaxPlain bytes, and nothing may follow. Memory grows
// with what is decoded, never with a claimed length.
func decodePayload(plain io.Reader, h Header, lim Limits) (Payload, error) {
	lr := &io.LimitedReader{R: plain, N: lim.MaxPlain + 1}
	r := &payloadReader{r: bufio.NewReaderSize(lr, 64<<10), lim: lr}
	n := r.u32()
	if r.err != nil {
		return Payload{}, r.err
	}
	if n != uint64(h.Records) {
		return Payload{}, errf(ErrMalformed, "同步包内记录数 %d 与头部声明的 %d 不符", n, h.Records)
	}
	var p Payload
	p.Versions = make([]survey.Version, n) // n ≤ lim.MaxRecords, checked by parseHeader
	for i := range p.Versions {
		size := r.u32()
		if size > uint64(lim.MaxRecordBytes) {
			return Payload{}, errf(ErrTooLarge, "第 %d 条记录有 %d 字节，超过单条上限 %d 字节；整个同步包被拒绝", i+1, size, lim.MaxRecordBytes)
		}
		rec := r.fixed(int(size))
		if r.err != nil {
			return Payload{}, r.err
		}
		if err := decodeVersion(rec, &p.Versions[i]); err != nil {
			return Payload{}, errf(ErrInvalidRecord, "第 %d 条记录无效：%v", i+1, err)
		}
	}
	m := r.u32()
	if r.err != nil {
		return Payload{}, r.err
	}
	if m != uint64(h.Attachments) {
		return Payload{}, errf(ErrMalformed, "同步包内附件数 %d 与头部声明的 %d 不符", m, h.Attachments)
	}
	p.Attachments = make([]Attachment, m)
	for i := range p.Attachments {
		id := string(r.fixed(r.u16()))
		mime := string(r.fixed(r.u16()))
		size := r.u32()
		if size > uint64(lim.MaxAttachmentBytes) {
			return Payload{}, errf(ErrTooLarge, "第 %d 个附件有 %d 字节，超过上限 %d 字节", i+1, size, lim.MaxAttachmentBytes)
		}
		data := r.owned(size)
		if r.err != nil {
			return Payload{}, r.err
		}
		p.Attachments[i] = Attachment{ID: id, Mime: mime, Data: data}
	}
	if _, err := r.r.ReadByte(); err == nil {
		return Payload{}, errf(ErrMalformed, "同步包内容之后有多余数据")
	} else if !errors.Is(err, io.EOF) {
		r.fail(err)
		return Payload{}, r.err
	}
	if lr.N == 0 {
		return Payload{}, errf(ErrTooLarge, "同步包解压后超过 %d 字节（可能是压缩炸弹）", lim.MaxPlain)
	}
	return p, nil
}

// decodeVersion decodes one record strictly: known fields only, one value,
// and the record must be exactly what json.Marshal produces for the result,
// so each version has one encoding (no duplicate keys, no case variants, no
// reordering). The payload is the last field; its bytes are compared as they
// are (the decoder has checked they are valid JSON) instead of being
// re-encoded, which would cost another pass over most of the record.
func decodeVersion(rec []byte, v *survey.Version) error {
	if err := strictJSON(rec, v); err != nil {
		return err
	}
	shell := *v
	shell.Payload = json.RawMessage("0")
	again, err := json.Marshal(&shell)
	if err != nil {
		return err
	}
	head, ok := bytes.CutSuffix(again, []byte(`0}`))
	if !ok || !bytes.HasSuffix(head, []byte(`"payload":`)) || len(rec) != len(head)+len(v.Payload)+1 ||
		!bytes.HasPrefix(rec, head) || !bytes.Equal(rec[len(head):len(rec)-1], v.Payload) || rec[len(rec)-1] != '}' {
		return errf(ErrMalformed, "记录不是规范编码")
	}
	return nil
}

// compress deflates the payload. BestSpeed: the payload is JSON, which
// compresses well even at the fastest level, and export time matters more
// than a few percent of file size.
func compress(plain []byte) ([]byte, error) {
	var buf bytes.Buffer
	buf.Grow(len(plain)/4 + 64)
	w, err := flate.NewWriter(&buf, flate.BestSpeed)
	if err != nil {
		return nil, err
	}
	if _, err := w.Write(plain); err != nil {
		return nil, err
	}
	if err := w.Close(); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// decompressPayload inflates and decodes the payload in one pass, so a
// decompression bomb is stopped at lim.MaxPlain without ever being held in
// memory. The deflate stream must end exactly at the end of its input.
func decompressPayload(compressed []byte, h Header, lim Limits) (Payload, error) {
	src := bytes.NewReader(compressed)
	fr := flate.NewReader(src)
	defer fr.Close()
	p, err := decodePayload(fr, h, lim)
	if err != nil {
		return Payload{}, err
	}
	if src.Len() != 0 {
		return Payload{}, errf(ErrMalformed, "同步包压缩数据之后有多余内容")
	}
	return p, nil
}

// ValidateVersion checks that one record version is sane before it is
// stored: canonical UUIDs for record, version and parents (no duplicates, not
// its own parent), a known kind, a JSON object payload (null allowed only for
// a deletion) whose "id" equals RecordID, and short fields within bounds.
// Anonymous questionnaire responses must carry no author or device, no
// parents (they are create-only), and a payload that is exactly a
// survey.Response with a day-only date.
func ValidateVersion(v survey.Version) error {
	if err := validateVersion(v); err != nil {
		return err
	}
	if !json.Valid(v.Payload) {
		return errf(ErrInvalidRecord, "记录 %s 的内容不是有效的 JSON", v.RecordID)
	}
	return nil
}

// validateVersion is ValidateVersion for versions whose payload is known to
// be valid JSON (decoded by encoding/json, or about to be encoded by it,
// which also checks).
func validateVersion(v survey.Version) error {
	if !validUUID(v.RecordID) {
		return errf(ErrInvalidRecord, "记录编号 %q 不是规范的 UUID", v.RecordID)
	}
	if !validUUID(v.VersionID) {
		return errf(ErrInvalidRecord, "记录 %s 的版本编号 %q 不是规范的 UUID", v.RecordID, v.VersionID)
	}
	if len(v.Parents) > maxParents {
		return errf(ErrInvalidRecord, "记录 %s 的版本有 %d 个父版本，超过上限 %d", v.RecordID, len(v.Parents), maxParents)
	}
	for i, p := range v.Parents {
		if !validUUID(p) || p == v.VersionID {
			return errf(ErrInvalidRecord, "记录 %s 的父版本 %q 无效", v.RecordID, p)
		}
		for _, q := range v.Parents[:i] {
			if p == q {
				return errf(ErrInvalidRecord, "记录 %s 的父版本 %s 重复", v.RecordID, p)
			}
		}
	}
	switch v.Kind {
	case survey.KindEnterprise, survey.KindVisit, survey.KindResponse, survey.KindLedger, survey.KindReview:
	case survey.KindForm, survey.KindCampaign:
	default:
		return errf(ErrInvalidRecord, "记录 %s 的类型 %q 未知", v.RecordID, v.Kind)
	}
	if v.FormVersion < 0 || !shortText(v.FormID) || !shortText(v.Author) {
		return errf(ErrInvalidRecord, "记录 %s 的表单或作者字段无效", v.RecordID)
	}
	if v.DeviceID != "" && !validUUID(v.DeviceID) {
		return errf(ErrInvalidRecord, "记录 %s 的设备编号 %q 不是规范的 UUID", v.RecordID, v.DeviceID)
	}
	if v.Created.IsZero() {
		return errf(ErrInvalidRecord, "记录 %s 缺少创建时间", v.RecordID)
	}
	payload := bytes.TrimSpace(v.Payload)
	if v.Kind.DistrictOnly() && v.Deleted {
		return errf(ErrInvalidRecord, "已发布的表单和活动配置 %s 不能删除", v.RecordID)
	}
	if v.Kind == survey.KindReview && v.Deleted {
		return errf(ErrInvalidRecord, "审核记录 %s 不能删除", v.RecordID)
	}
	if v.Kind == survey.KindResponse && v.Deleted {
		// Checked before the null payload of a deletion is let through:
		// a response is create-only, so it is never deleted either.
		return errf(ErrInvalidRecord, "匿名问卷 %s 只能新建，不能删除", v.RecordID)
	}
	if v.Deleted && string(payload) == "null" {
		return nil
	}
	if len(payload) == 0 || payload[0] != '{' {
		return errf(ErrInvalidRecord, "记录 %s 的内容不是 JSON 对象", v.RecordID)
	}
	if id, err := topLevelID(payload); err != nil || id != v.RecordID {
		return errf(ErrInvalidRecord, "记录 %s 的内容编号 %q 与记录编号不符", v.RecordID, id)
	}
	switch v.Kind {
	case survey.KindResponse:
		return checkAnonymous(v, payload)
	case survey.KindReview:
		return checkReview(v, payload)
	}
	if v.Kind.DistrictOnly() {
		return checkPublished(v, payload)
	}
	return nil
}

// checkReview enforces that a review record is exactly a survey.Review
// whose record id derives from its visit's id, with bounded comments.
// Who may write one (the district alone) is the district's rule.
func checkReview(v survey.Version, payload []byte) error {
	var r survey.Review
	if err := strictJSON(payload, &r); err != nil {
		return errf(ErrInvalidRecord, "审核记录 %s 的内容无效：%v", v.RecordID, err)
	}
	if err := r.Check(); err != nil {
		return errf(ErrInvalidRecord, "审核记录 %s 无效：%v", v.RecordID, err)
	}
	return nil
}

// checkPublished enforces the shape of a published form or campaign: a
// form record is create-only (no parents, never deleted) and names the
// form id and version it holds; neither is ever deleted; the payload is
// exactly a survey.PublishedForm or survey.PublishedCampaign. Whether the
// definition inside is valid is checked where it is stored (storage
// parses it); who may send one (the district alone) is the district's
// rule.
func checkPublished(v survey.Version, payload []byte) error {
	switch v.Kind {
	case survey.KindForm:
		if len(v.Parents) != 0 {
			return errf(ErrInvalidRecord, "表单记录 %s 只能新建，不能修改", v.RecordID)
		}
		if v.FormID == "" || v.FormVersion < 1 {
			return errf(ErrInvalidRecord, "表单记录 %s 没有标明表单编号和版本", v.RecordID)
		}
		var p survey.PublishedForm
		if err := strictJSON(payload, &p); err != nil {
			return errf(ErrInvalidRecord, "表单记录 %s 的内容无效：%v", v.RecordID, err)
		}
	case survey.KindCampaign:
		var p survey.PublishedCampaign
		if err := strictJSON(payload, &p); err != nil {
			return errf(ErrInvalidRecord, "活动配置记录 %s 的内容无效：%v", v.RecordID, err)
		}
	}
	return nil
}

// topLevelID returns the string "id" member of a JSON object. Records put
// "id" first, so this usually reads a few tokens, not the whole payload.
func topLevelID(obj []byte) (string, error) {
	dec := json.NewDecoder(bytes.NewReader(obj))
	if tok, err := dec.Token(); err != nil || tok != json.Delim('{') {
		return "", errf(ErrMalformed, "not an object")
	}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return "", err
		}
		if key == "id" {
			var id string
			if err := dec.Decode(&id); err != nil {
				return "", err
			}
			return id, nil
		}
		var skip json.RawMessage
		if err := dec.Decode(&skip); err != nil {
			return "", err
		}
	}
	return "", errf(ErrMalformed, "no id")
}

// checkAnonymous enforces that a questionnaire response stays anonymous.
func checkAnonymous(v survey.Version, payload []byte) error {
	if v.Author != "" || v.DeviceID != "" {
		return errf(ErrInvalidRecord, "匿名问卷 %s 不得带有作者或设备", v.RecordID)
	}
	if len(v.Parents) != 0 {
		return errf(ErrInvalidRecord, "匿名问卷 %s 只能新建，不能修改", v.RecordID)
	}
	if c := v.Created.UTC(); !c.Equal(c.Truncate(24 * time.Hour)) {
		return errf(ErrInvalidRecord, "匿名问卷 %s 的时间只能精确到日（应为当日 00:00:00 UTC）", v.RecordID)
	}
	// UUID versions 1, 6 and 7 carry the moment they were made (v7 to the
	// millisecond): an anonymous response's ids must not.
	for _, id := range []string{v.RecordID, v.VersionID} {
		if u, err := uuid.Parse(id); err == nil {
			if n := u.Version(); n == 1 || n == 6 || n == 7 {
				return errf(ErrInvalidRecord, "匿名问卷 %s 的编号含有时间（UUID 第 %d 版），应为随机编号", v.RecordID, n)
			}
		}
	}
	var r survey.Response
	if err := strictJSON(payload, &r); err != nil {
		return errf(ErrInvalidRecord, "匿名问卷 %s 的内容无效：%v", v.RecordID, err)
	}
	if !survey.ValidDay(r.Date) {
		return errf(ErrInvalidRecord, "匿名问卷 %s 的日期 %q 应为 YYYY-MM-DD", v.RecordID, r.Date)
	}
	return nil
}

// CheckSender checks that the payload's records fit the header: in an up
// bundle every record was made on the sending device (Version.DeviceID equals
// Header.DeviceID), except anonymous responses, which name no device at all.
// A laptop cannot pass off versions as another device's. Down bundles carry
// records from anywhere and are not restricted. Open calls it.
func CheckSender(h Header, p Payload) error {
	if h.Kind != KindUp {
		return nil
	}
	for i, v := range p.Versions {
		if v.Kind == survey.KindResponse {
			continue // checkAnonymous: no device at all
		}
		if v.DeviceID != h.DeviceID {
			return errf(ErrInvalidRecord, "第 %d 条记录（%s）标明来自设备 %q，与同步包发送设备 %s 不符", i+1, v.RecordID, v.DeviceID, h.DeviceID)
		}
	}
	return nil
}

// checkPayload runs every content check of a payload against its header.
func checkPayload(h Header, p Payload, lim Limits) error {
	lim = lim.withDefaults()
	if len(p.Versions) > lim.MaxRecords {
		return errf(ErrTooLarge, "同步包有 %d 条记录，超过上限 %d", len(p.Versions), lim.MaxRecords)
	}
	if len(p.Attachments) > lim.MaxAttachments {
		return errf(ErrTooLarge, "同步包有 %d 个附件，超过上限 %d", len(p.Attachments), lim.MaxAttachments)
	}
	seen := make(map[string]struct{}, len(p.Versions))
	for i, v := range p.Versions {
		if err := validateVersion(v); err != nil {
			return errf(ErrInvalidRecord, "第 %d 条记录：%v", i+1, err)
		}
		if _, dup := seen[v.VersionID]; dup {
			return errf(ErrInvalidRecord, "版本 %s 在同步包中出现两次", v.VersionID)
		}
		seen[v.VersionID] = struct{}{}
	}
	ids := make(map[string]struct{}, len(p.Attachments))
	for i, a := range p.Attachments {
		if !shortText(a.ID) || a.ID == "" {
			return errf(ErrInvalidRecord, "第 %d 个附件的编号无效", i+1)
		}
		if _, dup := ids[a.ID]; dup {
			return errf(ErrInvalidRecord, "附件 %s 出现两次", a.ID)
		}
		ids[a.ID] = struct{}{}
		if !validMime(a.Mime) {
			return errf(ErrInvalidRecord, "附件 %s 的类型 %q 无效", a.ID, a.Mime)
		}
		if int64(len(a.Data)) > lim.MaxAttachmentBytes {
			return errf(ErrTooLarge, "附件 %s 有 %d 字节，超过上限 %d 字节", a.ID, len(a.Data), lim.MaxAttachmentBytes)
		}
	}
	return CheckSender(h, p)
}

// shortText reports whether s is valid UTF-8 without control characters
// and at most maxShortField bytes.
func shortText(s string) bool {
	if len(s) > maxShortField || !utf8.ValidString(s) {
		return false
	}
	for _, c := range s {
		if c < 0x20 || c == 0x7f {
			return false
		}
	}
	return true
}

// validMime accepts a media type as mime.ParseMediaType does, e.g.
// "image/jpeg" or "text/plain; charset=utf-8" (what http.DetectContentType
// returns), within maxShortField bytes.
func validMime(s string) bool {
	if len(s) > maxShortField || !shortText(s) {
		return false
	}
	t, _, err := mime.ParseMediaType(s)
	return err == nil && strings.Count(t, "/") == 1
}

// validUUID reports whether s is a UUID in canonical form: 36 characters,
// lowercase hex, hyphens at 8, 13, 18 and 23, not all zero. One spelling per
// id keeps ids comparable as strings across devices.
func validUUID(s string) bool {
	_, err := uuidBytes(s)
	return err == nil
}

// uuidBytes parses a canonical UUID.
func uuidBytes(s string) ([16]byte, error) {
	var u [16]byte
	if len(s) != 36 || s[8] != '-' || s[13] != '-' || s[18] != '-' || s[23] != '-' {
		return u, errf(ErrMalformed, "编号 %q 不是规范的 UUID", s)
	}
	h := s[0:8] + s[9:13] + s[14:18] + s[19:23] + s[24:36]
	if err := parseHex(u[:], h); err != nil || u == ([16]byte{}) {
		return [16]byte{}, errf(ErrMalformed, "编号 %q 不是规范的 UUID", s)
	}
	return u, nil
}

// formatUUID writes u in canonical form.
func formatUUID(u [16]byte) string {
	h := hex.EncodeToString(u[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// Sizes in the payload encoding, for a sender that fills bundles up to a
// cap (laptop export): PayloadBaseSize for the two counts, VersionSize
// and AttachmentSize for each entry, and MaxSealedSize for the bundle file
// a payload of that many encoded bytes becomes.
const PayloadBaseSize = 8

// VersionSize returns the bytes v takes in the payload encoding: its
// canonical JSON (as Seal encodes it) and the length before it.
func VersionSize(v survey.Version) (int, error) {
	j, err := json.Marshal(&v)
	if err != nil {
		return 0, errf(ErrInvalidRecord, "记录 %s 无法编码：%v", v.RecordID, err)
	}
	return 4 + len(j), nil
}

// AttachmentSize returns the bytes a takes in the payload encoding.
func AttachmentSize(a Attachment) int { return 8 + len(a.ID) + len(a.Mime) + len(a.Data) }

// MaxSealedSize bounds the size of the bundle file Seal makes from a
// payload whose encoding is plain bytes long: header, the HPKE
// encapsulated key (32) and tag (16), the signature, and the compressed
// payload, which DEFLATE can make larger than plain only by its stored
// blocks' headers (5 bytes per 65,535) and a few bytes at the end.
func MaxSealedSize(plain int) int64 {
	p := int64(plain)
	return HeaderSize + 32 + 16 + SignatureSize + p + 5*(p/65535+1) + 16
}
