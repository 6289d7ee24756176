package storage

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"time"

	"github.com/google/uuid"

	"zoufang/survey"
)

// Forms and the campaign the district publishes are records like any other
// (kinds "form" and "campaign"): versions the district makes and sends down,
// projected here into published_forms and published_campaign
// (migration 0008). A form record holds one form version and is never
// edited; the campaign is one record whose versions are its revisions.

// publishedNS is the namespace of the record ids of published forms and of
// the campaign: derived from what they are, so one form version is one
// record wherever it was made.
var publishedNS = uuid.MustParse("6f1c1f0e-5b7a-4f0a-9a43-2a5b3c1d7e90")

// FormRecordID is the record id of form id's version.
func FormRecordID(id string, version int) string {
	return uuid.NewSHA1(publishedNS, fmt.Appendf(nil, "form/%s/v%d", id, version)).String()
}

// CampaignRecordID is the record id of the campaign: one record, whose
// versions are the revisions the district published.
var CampaignRecordID = uuid.NewSHA1(publishedNS, []byte("campaign")).String()

// PublishedFormInfo is one published form version with who published it.
type PublishedFormInfo struct {
	Form        *survey.Form
	RecordID    string
	PublishedAt time.Time
	PublishedBy string
	Source      string
}

// PublishedCampaignInfo is the campaign's current revision.
type PublishedCampaignInfo struct {
	Campaign    *survey.Campaign
	RecordID    string
	Revision    int
	PublishedAt time.Time
	PublishedBy string
	Reason      string
	File        []byte // the campaign file as published
}

func invalidPublished(format string, args ...any) error {
	return &Error{Code: "invalid_version", Message: fmt.Sprintf(format, args...)}
}

// strictDecode decodes one JSON object, refusing unknown keys and trailing
// data.
func strictDecode(data []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		return err
	}
	if _, err := dec.Token(); err == nil {
		return errors.New("trailing data")
	}
	return nil
}

// projectPublished writes the projection of a form or campaign version. A
// form version must be a valid definition whose id and version match the
// record and that no other record already published; a campaign must be a
// valid campaign file. Anything else fails the write: a bundle carrying it
// is refused as a whole.
func (tx *Tx) projectPublished(tip survey.Version) error {
	if tip.Deleted {
		return invalidPublished("已发布的表单和活动配置不能删除（记录 %s）", tip.RecordID)
	}
	switch tip.Kind {
	case survey.KindForm:
		var p survey.PublishedForm
		if err := strictDecode(tip.Payload, &p); err != nil || p.ID != tip.RecordID {
			return invalidPublished("下发的表单记录 %s 无法读取", tip.RecordID)
		}
		f, err := p.Form()
		if err != nil {
			return &Error{Code: "invalid_version", Message: fmt.Sprintf("下发的表单 %s 第 %d 版无效", tip.FormID, tip.FormVersion), Err: err}
		}
		if f.ID != tip.FormID || f.Version != tip.FormVersion {
			return invalidPublished("下发的表单记录 %s 标明为 %s 第 %d 版，内容却是 %s 第 %d 版", tip.RecordID, tip.FormID, tip.FormVersion, f.ID, f.Version)
		}
		var other string
		err = tx.queryRow(`SELECT id FROM published_forms WHERE form_id = ? AND version = ?`, f.ID, f.Version).Scan(&other)
		switch {
		case err == nil && other != tip.RecordID:
			return invalidPublished("表单 %s 第 %d 版已有另一份发布，内容不同，拒绝导入", f.ID, f.Version)
		case err != nil && !errors.Is(err, sql.ErrNoRows):
			return err
		}
		return tx.exec(`INSERT OR REPLACE INTO published_forms (id, version_id, form_id, version, kind, title, published, published_by, body) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			tip.RecordID, tip.VersionID, f.ID, f.Version, string(f.Kind), f.Title, p.PublishedAt.UTC().Format(time.RFC3339), p.PublishedBy, []byte(tip.Payload))
	case survey.KindCampaign:
		var p survey.PublishedCampaign
		if err := strictDecode(tip.Payload, &p); err != nil || p.ID != tip.RecordID || p.Revision < 1 {
			return invalidPublished("下发的活动配置记录 %s 无法读取", tip.RecordID)
		}
		c, err := p.Parse()
		if err != nil {
			return &Error{Code: "invalid_version", Message: "下发的活动配置无效", Err: err}
		}
		return tx.exec(`INSERT OR REPLACE INTO published_campaign (id, version_id, revision, campaign_id, published, published_by, body) VALUES (?, ?, ?, ?, ?, ?, ?)`,
			tip.RecordID, tip.VersionID, p.Revision, c.ID, p.PublishedAt.UTC().Format(time.RFC3339), p.PublishedBy, []byte(tip.Payload))
	}
	return invalidPublished("未知的记录类型 %q", tip.Kind)
}

// PublishForm stores f as a new published form version made here (the
// district), by whom and from which file. The caller has checked that it
// may be published (district.PublishForm does, in the same transaction);
// this refuses only a form version that was published before.
func (tx *Tx) PublishForm(f *survey.Form, by, source string) (survey.Version, error) {
	def, err := json.Marshal(f)
	if err != nil {
		return survey.Version{}, fmt.Errorf("publish form: %w", err)
	}
	id := FormRecordID(f.ID, f.Version)
	var n int
	if err := tx.queryRow(`SELECT count(*) FROM versions WHERE record_id = ?`, id).Scan(&n); err != nil {
		return survey.Version{}, fmt.Errorf("publish form: %w", err)
	}
	if n > 0 {
		return survey.Version{}, &Error{Code: "exists", Message: fmt.Sprintf("表单 %s 第 %d 版已经发布过", f.ID, f.Version)}
	}
	p := survey.PublishedForm{ID: id, Definition: def, PublishedAt: tx.Now(), PublishedBy: by, Source: source}
	return tx.createVersion(survey.KindForm, id, f.ID, f.Version, p, false, true)
}

// PublishCampaign stores c as the campaign's next revision, made here (the
// district), by whom and why. It returns the revision number.
func (tx *Tx) PublishCampaign(c *survey.Campaign, by, reason string) (int, survey.Version, error) {
	rev := 0
	err := tx.queryRow(`SELECT revision FROM published_campaign WHERE id = ?`, CampaignRecordID).Scan(&rev)
	if err != nil && !errors.Is(err, sql.ErrNoRows) {
		return 0, survey.Version{}, fmt.Errorf("publish campaign: %w", err)
	}
	p := survey.PublishedCampaign{ID: CampaignRecordID, Revision: rev + 1, Campaign: c.JSON(), PublishedAt: tx.Now(), PublishedBy: by, Reason: reason}
	v, err := tx.create(survey.KindCampaign, CampaignRecordID, "", 0, p, false)
	return p.Revision, v, err
}

// PublishedVersions lists, in the order they were stored, the ids of
// every version of the published forms and campaign: what every device
// receives, before the records of its own down bundle. The caller leaves
// out what it has already sent.
func (tx *Tx) PublishedVersions() ([]string, error) {
	ids, err := scanStrings(tx.tx.QueryContext(tx.ctx, `
		SELECT v.version_id FROM versions v
		WHERE v.record_id IN (SELECT id FROM published_forms UNION ALL SELECT id FROM published_campaign)
		ORDER BY v.seq`))
	if err != nil {
		return nil, fmt.Errorf("published versions: %w", err)
	}
	return ids, nil
}

// PublishedForms lists every published form version, by form id, then
// version.
func (db *DB) PublishedForms(ctx context.Context) ([]PublishedFormInfo, error) {
	return scanPublishedForms(db.read.QueryContext(ctx, publishedFormsQuery))
}

// PublishedForms is DB.PublishedForms inside the transaction.
func (tx *Tx) PublishedForms() ([]PublishedFormInfo, error) {
	return scanPublishedForms(tx.tx.QueryContext(tx.ctx, publishedFormsQuery))
}

const publishedFormsQuery = `SELECT id, body FROM published_forms ORDER BY form_id, version`

func scanPublishedForms(rows *sql.Rows, err error) ([]PublishedFormInfo, error) {
	if err != nil {
		return nil, fmt.Errorf("published forms: %w", err)
	}
	defer rows.Close()
	var out []PublishedFormInfo
	for rows.Next() {
		var id string
		var body []byte
		if err := rows.Scan(&id, &body); err != nil {
			return nil, fmt.Errorf("published forms: %w", err)
		}
		var p survey.PublishedForm
		if err := json.Unmarshal(body, &p); err != nil {
			return nil, fmt.Errorf("published form %s: %w", id, err)
		}
		f, err := p.Form()
		if err != nil {
			return nil, fmt.Errorf("published form %s: %w", id, err)
		}
		out = append(out, PublishedFormInfo{Form: f, RecordID: id, PublishedAt: p.PublishedAt, PublishedBy: p.PublishedBy, Source: p.Source})
	}
	return out, rows.Err()
}

// PublishedCampaign returns the campaign's current revision; nil when the
// district has published none (the built-in campaign is in force).
func (db *DB) PublishedCampaign(ctx context.Context) (*PublishedCampaignInfo, error) {
	return scanPublishedCampaign(db.read.QueryRowContext(ctx, publishedCampaignQuery))
}

// PublishedCampaign is DB.PublishedCampaign inside the transaction.
func (tx *Tx) PublishedCampaign() (*PublishedCampaignInfo, error) {
	return scanPublishedCampaign(tx.tx.QueryRowContext(tx.ctx, publishedCampaignQuery))
}

const publishedCampaignQuery = `SELECT body FROM published_campaign ORDER BY revision DESC LIMIT 1`

func scanPublishedCampaign(row *sql.Row) (*PublishedCampaignInfo, error) {
	var body []byte
	err := row.Scan(&body)
	if errors.Is(err, sql.ErrNoRows) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("published campaign: %w", err)
	}
	var p survey.PublishedCampaign
	if err := json.Unmarshal(body, &p); err != nil {
		return nil, fmt.Errorf("published campaign: %w", err)
	}
	c, err := p.Parse()
	if err != nil {
		return nil, fmt.Errorf("published campaign: %w", err)
	}
	return &PublishedCampaignInfo{Campaign: c, RecordID: p.ID, Revision: p.Revision, PublishedAt: p.PublishedAt, PublishedBy: p.PublishedBy, Reason: p.Reason, File: p.Campaign}, nil
}

// CollectAnswers adds to census the answers of every visit and response
// filled on any version of form formID, as their current versions are,
// reading outside any write transaction (a publication's check of 100,000
// responses would otherwise hold the write lock for seconds). It returns
// the arrival number (versions.seq) it read through: the publishing
// transaction then adds what arrived after it with CollectAnswersAfter,
// so nothing stored before the publication escapes the check. A record
// edited in between is counted in both, which can only refuse more.
func (db *DB) CollectAnswers(ctx context.Context, formID string, census *survey.AnswerCensus) (through int64, err error) {
	if err := db.read.QueryRowContext(ctx, `SELECT ifnull(max(seq), 0) FROM versions`).Scan(&through); err != nil {
		return 0, fmt.Errorf("collect answers: %w", err)
	}
	rows, err := db.read.QueryContext(ctx, `
		SELECT json_extract(r.body, '$.answers') FROM responses r JOIN versions v ON v.version_id = r.version_id WHERE v.form_id = ? AND v.seq <= ?
		UNION ALL
		SELECT json_extract(x.body, '$.answers') FROM visits x JOIN versions v ON v.version_id = x.version_id WHERE v.form_id = ? AND v.seq <= ?`,
		formID, through, formID, through)
	if err != nil {
		return 0, fmt.Errorf("collect answers: %w", err)
	}
	return through, scanAnswers(rows, census)
}

// CollectAnswersAfter adds to census, inside the transaction, the answers
// of the visits and responses of form formID whose current version arrived
// after seq after (0: all of them).
func (tx *Tx) CollectAnswersAfter(formID string, census *survey.AnswerCensus, after int64) error {
	// From the few versions that arrived since, by arrival number (the
	// table's primary key), to their records: not a scan of every record.
	rows, err := tx.tx.QueryContext(tx.ctx, `
		SELECT json_extract(r.body, '$.answers') FROM versions v CROSS JOIN responses r ON r.id = v.record_id AND r.version_id = v.version_id
		WHERE v.seq > ? AND v.form_id = ?
		UNION ALL
		SELECT json_extract(x.body, '$.answers') FROM versions v CROSS JOIN visits x ON x.id = v.record_id AND x.version_id = v.version_id
		WHERE v.seq > ? AND v.form_id = ?`, after, formID, after, formID)
	if err != nil {
		return fmt.Errorf("collect answers: %w", err)
	}
	return scanAnswers(rows, census)
}

func scanAnswers(rows *sql.Rows, census *survey.AnswerCensus) error {
	defer rows.Close()
	for rows.Next() {
		var answers sql.NullString
		if err := rows.Scan(&answers); err != nil {
			return fmt.Errorf("collect answers: %w", err)
		}
		if !answers.Valid {
			census.Add(nil)
			continue
		}
		if err := census.AddJSON([]byte(answers.String)); err != nil {
			return fmt.Errorf("collect answers: %w", err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("collect answers: %w", err)
	}
	return nil
}

// ResponseVersions counts the questionnaire responses by the form version
// they were filled on.
func (db *DB) ResponseVersions(ctx context.Context) (map[survey.FormRef]int, error) {
	counts, _, err := db.ResponseVersionsAfter(ctx, 0)
	return counts, err
}

// ResponseVersionsAfter counts, by form version, the responses stored
// after arrival number after (versions.seq), and returns the last one
// counted (after when none). Responses are create-only, one version each,
// so a caller that keeps the counts adds only what arrived since. The
// query reads the index of response versions (migration 0010), not the
// version rows with their payloads: about 20 ms from scratch over 100,000
// responses, a few ms for what arrived since.
func (db *DB) ResponseVersionsAfter(ctx context.Context, after int64) (map[survey.FormRef]int, int64, error) {
	rows, err := db.read.QueryContext(ctx, `SELECT form_id, form_version, count(*), max(seq) FROM versions WHERE seq > ? AND kind = 'response' GROUP BY 1, 2`, after)
	if err != nil {
		return nil, after, fmt.Errorf("response versions: %w", err)
	}
	defer rows.Close()
	out := map[survey.FormRef]int{}
	last := after
	for rows.Next() {
		var ref survey.FormRef
		var n int
		var seq int64
		if err := rows.Scan(&ref.ID, &ref.Version, &n, &seq); err != nil {
			return nil, after, fmt.Errorf("response versions: %w", err)
		}
		out[ref] = n
		last = max(last, seq)
	}
	return out, last, rows.Err()
}
