package laptop

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	gosync "sync"
	"testing"
	"time"

	"github.com/google/uuid"

	"zoufang/storage"
	"zoufang/survey"
	"zoufang/sync"
)

// refDistrict is a small district for the end-to-end test, built only from
// the shared pieces (sync primitives and storage) following SYNC.md: enrol
// by request file, verify before decrypting, per-device contiguous seq and
// head hash, backlog for early bundles, quarantine for the same seq with
// other bytes, one transaction per bundle, signed receipts, resolution as a
// version whose parents are all heads, signed down bundles. It stands in for
// package sync/district (being written in parallel) behind the district
// interface of e2e_test.go.
type refDistrict struct {
	t    testing.TB
	db   *storage.DB
	keys *sync.Keys
	url  string
	now  func() time.Time

	mu      gosync.Mutex
	devices map[string]sync.Device
	streams map[string]*stream
	downSeq map[string]uint64
	downPrv map[string]sync.Hash
	sentTo  map[string]map[string]bool // device → version ids already sent down
	log     []string
}

type stream struct {
	seq     uint64               // highest contiguous seq applied
	head    sync.Hash            // its hash
	hashes  map[uint64]sync.Hash // every stored bundle
	backlog map[uint64]*sync.Bundle
}

var (
	errQuarantine = errors.New("同一序号内容不同，已隔离")
	errUnknown    = errors.New("未登记或已停用的设备")
)

func newRefDistrict(t testing.TB, dir string) *refDistrict {
	t.Helper()
	k, err := sync.GenerateKeys()
	if err != nil {
		t.Fatal(err)
	}
	c := &clock{t: testNow}
	db, err := storage.OpenDir(dir, storage.Options{Now: c.now, DeviceID: districtDevice, Author: "区总工会", Synchronous: "NORMAL"})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return &refDistrict{t: t, db: db, keys: k, now: func() time.Time { return testNow },
		devices: map[string]sync.Device{}, streams: map[string]*stream{}, downSeq: map[string]uint64{},
		downPrv: map[string]sync.Hash{}, sentTo: map[string]map[string]bool{}}
}

func (d *refDistrict) DB() *storage.DB { return d.db }

func (d *refDistrict) Enroll(req []byte) ([]byte, string, error) {
	r, err := sync.ParseEnrollRequest(req)
	if err != nil {
		return nil, "", err
	}
	d.mu.Lock()
	d.devices[r.DeviceID] = r.Device(d.now())
	d.streams[r.DeviceID] = &stream{hashes: map[uint64]sync.Hash{}, backlog: map[uint64]*sync.Bundle{}}
	d.mu.Unlock()
	trust, err := sync.SignTrust(sync.Trust{District: "市南区总工会", Keys: d.keys.Public(), ServerURL: d.url, Version: 1,
		Issued: d.now().Add(-time.Hour), Expires: d.now().AddDate(1, 0, 0)}, d.keys.Signing)
	return trust, r.Fingerprint(), err
}

// Import takes one up bundle and returns the HTTP status it maps to and the
// receipt.
func (d *refDistrict) Import(data []byte) (int, []byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	b, err := sync.ParseBundle(bytes.NewReader(data), sync.Limits{})
	if err != nil {
		return http.StatusBadRequest, nil, err
	}
	dev, ok := d.devices[b.Header.DeviceID]
	if !ok || b.Header.Kind != sync.KindUp || dev.Keys.SigningKeyID() != b.Header.SenderKeyID {
		return http.StatusForbidden, nil, errUnknown
	}
	if err := b.Verify(dev.Keys.Signing); err != nil {
		return http.StatusForbidden, nil, err
	}
	st := d.streams[dev.ID]
	seq := b.Header.Seq
	if h, ok := st.hashes[seq]; ok {
		if h != b.Hash() {
			return http.StatusConflict, nil, errQuarantine
		}
		d.log = append(d.log, fmt.Sprintf("%s seq %d duplicate", dev.ID[:8], seq))
		r, err := d.receipt(dev.ID)
		return http.StatusOK, r, err
	}
	if seq <= st.seq {
		return http.StatusConflict, nil, errQuarantine
	}
	if _, err := b.Open(d.keys.Sealing, sync.Limits{}); err != nil {
		return http.StatusBadRequest, nil, err
	}
	st.hashes[seq] = b.Hash()
	if seq != st.seq+1 {
		st.backlog[seq] = b
		d.log = append(d.log, fmt.Sprintf("%s seq %d backlog", dev.ID[:8], seq))
		r, err := d.receipt(dev.ID)
		return http.StatusAccepted, r, err
	}
	for next := b; next != nil; next = st.backlog[st.seq+1] {
		if next.Header.Prev != st.head {
			delete(st.hashes, next.Header.Seq)
			return http.StatusConflict, nil, fmt.Errorf("第 %d 号同步包的前序哈希不符", next.Header.Seq)
		}
		p, err := next.Open(d.keys.Sealing, sync.Limits{})
		if err != nil {
			return http.StatusBadRequest, nil, err
		}
		err = d.db.Update(context.Background(), func(tx *storage.Tx) error {
			for _, a := range p.Attachments {
				if err := tx.PutReceivedAttachment(a.ID, a.Mime, a.Data); err != nil {
					return err
				}
			}
			_, err := tx.PutVersions(p.Versions)
			return err
		})
		if err != nil {
			delete(st.hashes, next.Header.Seq)
			return http.StatusBadRequest, nil, err
		}
		delete(st.backlog, next.Header.Seq)
		st.seq, st.head = next.Header.Seq, next.Hash()
		d.log = append(d.log, fmt.Sprintf("%s seq %d applied", dev.ID[:8], st.seq))
	}
	r, err := d.receipt(dev.ID)
	return http.StatusCreated, r, err
}

func (d *refDistrict) receipt(dev string) ([]byte, error) {
	st := d.streams[dev]
	var acc []sync.Hash
	for s := uint64(1); s <= st.seq; s++ {
		acc = append(acc, st.hashes[s])
	}
	for _, b := range st.backlog {
		acc = append(acc, b.Hash())
	}
	return sync.SignReceipt(sync.Receipt{DeviceID: dev, Seq: st.seq, Head: st.head, Accepted: acc, Created: d.now()}, d.keys.Signing)
}

// Receipt returns the current receipt of a device, for the USB path.
func (d *refDistrict) Receipt(dev string) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.receipt(dev)
}

func (d *refDistrict) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /v1/trust", http.NotFound)
	mux.HandleFunc("PUT /v1/devices/{id}/bundles/{seq}", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, sync.DefaultMaxBundle))
		if err != nil {
			http.Error(w, "too large", http.StatusRequestEntityTooLarge)
			return
		}
		seq, _ := strconv.ParseUint(r.PathValue("seq"), 10, 64)
		if b, err := sync.ParseBundle(bytes.NewReader(body), sync.Limits{}); err != nil || b.Header.Seq != seq || b.Header.DeviceID != r.PathValue("id") {
			http.Error(w, `{"error":"路径与同步包不符"}`, http.StatusBadRequest)
			return
		}
		code, receipt, err := d.Import(body)
		if err != nil {
			w.WriteHeader(code)
			json.NewEncoder(w).Encode(map[string]string{"error": err.Error()})
			return
		}
		w.WriteHeader(code)
		w.Write(receipt)
	})
	mux.HandleFunc("POST /v1/devices/{id}/down", func(w http.ResponseWriter, r *http.Request) {
		body, _ := io.ReadAll(http.MaxBytesReader(w, r.Body, sync.MaxDownRequest))
		id := r.PathValue("id")
		d.mu.Lock()
		dev, ok := d.devices[id]
		last := d.downSeq[id]
		d.mu.Unlock()
		if !ok {
			http.Error(w, `{"error":"未登记的设备"}`, http.StatusForbidden)
			return
		}
		req, err := sync.VerifyDownRequest(body, dev.Keys.Signing, d.now())
		if err != nil || req.DeviceID != id {
			http.Error(w, `{"error":"下发请求无效"}`, http.StatusForbidden)
			return
		}
		if req.Have != last {
			http.Error(w, `{"error":"不保留旧的下发包"}`, http.StatusNotFound)
			return
		}
		data, err := d.ExportDown(id)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		if data == nil {
			w.WriteHeader(http.StatusNoContent)
			return
		}
		w.Header().Set(sync.DownHeaderLast, strconv.FormatUint(last+1, 10))
		w.Write(data)
	})
	return mux
}

func (d *refDistrict) Conflicts() ([]storage.Conflict, error) {
	return d.db.Conflicts(context.Background())
}

// Resolve records a person's decision: a new version of the record whose
// parents are all its heads, with the payload of the chosen head.
func (d *refDistrict) Resolve(recordID, pickVersion, by, why string) error {
	ctx := context.Background()
	heads, err := d.db.Heads(ctx, recordID)
	if err != nil {
		return err
	}
	var pick *survey.Version
	var parents []string
	for i := range heads {
		parents = append(parents, heads[i].VersionID)
		if heads[i].VersionID == pickVersion {
			pick = &heads[i]
		}
	}
	if pick == nil {
		return fmt.Errorf("版本 %s 不是记录 %s 的分支", pickVersion, recordID)
	}
	v := *pick
	v.VersionID, v.Parents, v.Author, v.DeviceID, v.Created = uuid.NewString(), parents, by+"（"+why+"）", districtDevice, d.now().Add(time.Hour)
	return d.db.Update(ctx, func(tx *storage.Tx) error {
		_, err := tx.PutVersions([]survey.Version{v})
		return err
	})
}

// ExportDown seals every version the device has not been sent and did not
// make itself into the device's next down bundle.
func (d *refDistrict) ExportDown(dev string) ([]byte, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	ctx := context.Background()
	rows, err := d.db.Query(ctx, `SELECT version_id FROM versions ORDER BY seq`)
	if err != nil {
		return nil, err
	}
	var ids []string
	for rows.Next() {
		var id string
		rows.Scan(&id)
		ids = append(ids, id)
	}
	rows.Close()
	sent := d.sentTo[dev]
	if sent == nil {
		sent = map[string]bool{}
		d.sentTo[dev] = sent
	}
	var p sync.Payload
	for _, id := range ids {
		v, err := d.db.Version(ctx, id)
		if err != nil {
			return nil, err
		}
		if sent[id] || v.DeviceID == dev || v.Kind == survey.KindResponse {
			continue
		}
		p.Versions = append(p.Versions, v)
	}
	if len(p.Versions) == 0 {
		return nil, nil
	}
	seq := d.downSeq[dev] + 1
	h := sync.Header{Kind: sync.KindDown, DeviceID: dev, Seq: seq, Prev: d.downPrv[dev], Created: d.now()}
	out, err := sync.Seal(h, p, d.keys.Signing, d.devices[dev].Keys.Sealing)
	if err != nil {
		return nil, err
	}
	for _, v := range p.Versions {
		sent[v.VersionID] = true
	}
	d.downSeq[dev], d.downPrv[dev] = seq, sync.BundleHash(out)
	return out, nil
}

func (d *refDistrict) Log() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return strings.Join(d.log, "\n")
}
