package survey

import (
	"encoding/json"
	"time"
)

// Enterprise is one entry of the roster of enterprises to visit.
type Enterprise struct {
	ID       string `json:"id"`       // UUID, stable across re-imports (upsert is by USCC)
	Name     string `json:"name"`     // 企业名称
	USCC     string `json:"uscc"`     // 统一社会信用代码, normalised (see NormalizeUSCC)
	District string `json:"district"` // 所属区市
	Street   string `json:"street"`   // 镇街
	Industry string `json:"industry"` // 行业
	Workers  int    `json:"workers"`  // 职工人数
	HasUnion bool   `json:"has_union"`
	Contact  string `json:"contact"` // 联系人
	Phone    string `json:"phone"`   // 联系电话
	Address  string `json:"address"` // 地址
	// AssignedTo is the device id the district assigned this enterprise to;
	// empty when unassigned.
	AssignedTo string `json:"assigned_to,omitempty"`
}

// VisitStatus is the life-cycle state of a visit record.
type VisitStatus string

// Visit states, in order. The string values are stored; never rename one.
const (
	VisitDraft     VisitStatus = "draft"     // 草稿
	VisitFinalized VisitStatus = "finalized" // 已完成
	VisitSigned    VisitStatus = "signed"    // 企业已签字确认
)

// Label returns the Chinese name of the status.
func (s VisitStatus) Label() string {
	switch s {
	case VisitDraft:
		return "草稿"
	case VisitFinalized:
		return "已完成"
	case VisitSigned:
		return "已签字确认"
	}
	return string(s)
}

// SignOff records that the enterprise signed the printed visit record.
type SignOff struct {
	SignerName  string `json:"signer_name"`
	SignerTitle string `json:"signer_title"`
	Date        string `json:"date"` // YYYY-MM-DD
	// PhotoID is the attachment id of a photo or scan of the signed sheet.
	PhotoID string `json:"photo_id,omitempty"`
}

// Visit is one face-to-face visit to one enterprise, filled from a visit form.
type Visit struct {
	ID           string      `json:"id"`
	EnterpriseID string      `json:"enterprise_id"`
	FormID       string      `json:"form_id"`
	FormVersion  int         `json:"form_version"`
	Status       VisitStatus `json:"status"`
	Answers      Answers     `json:"answers"`
	SignOff      *SignOff    `json:"sign_off,omitempty"`
	Investigator string      `json:"investigator,omitempty"`
	// EditReason explains an edit made after the visit was finalized.
	EditReason string    `json:"edit_reason,omitempty"`
	CreatedAt  time.Time `json:"created_at"`
	UpdatedAt  time.Time `json:"updated_at"`
}

// RespondentKind says who answered an anonymous questionnaire.
type RespondentKind string

// Respondent kinds.
const (
	RespondentWorker  RespondentKind = "worker"  // 职工
	RespondentManager RespondentKind = "manager" // 企业经营者
)

// Response is one anonymous questionnaire response. It deliberately has no
// field for a person, a device or a time finer than the day.
type Response struct {
	ID           string         `json:"id"`
	EnterpriseID string         `json:"enterprise_id"`
	VisitID      string         `json:"visit_id"`
	FormID       string         `json:"form_id"`
	FormVersion  int            `json:"form_version"`
	Kind         RespondentKind `json:"kind"`
	Date         string         `json:"date"` // YYYY-MM-DD, never finer
	Answers      Answers        `json:"answers"`
}

// LedgerStatus is the state of a 工作台帐 item.
type LedgerStatus string

// Ledger states. The string values are stored; never rename one.
const (
	LedgerToAssess    LedgerStatus = "to_assess"   // 待研判
	LedgerRectifying  LedgerStatus = "rectifying"  // 整改中
	LedgerNegotiating LedgerStatus = "negotiating" // 协商中
	LedgerResolved    LedgerStatus = "resolved"    // 已解决
	LedgerReported    LedgerStatus = "reported"    // 已上报
	LedgerTransferred LedgerStatus = "transferred" // 已转办
)

// LedgerStatuses lists every ledger state in display order.
var LedgerStatuses = []LedgerStatus{LedgerToAssess, LedgerRectifying, LedgerNegotiating, LedgerResolved, LedgerReported, LedgerTransferred}

// Label returns the Chinese name of the status.
func (s LedgerStatus) Label() string {
	switch s {
	case LedgerToAssess:
		return "待研判"
	case LedgerRectifying:
		return "整改中"
	case LedgerNegotiating:
		return "协商中"
	case LedgerResolved:
		return "已解决"
	case LedgerReported:
		return "已上报"
	case LedgerTransferred:
		return "已转办"
	}
	return string(s)
}

// Closed reports whether an item in this state needs no more follow-up.
func (s LedgerStatus) Closed() bool {
	return s == LedgerResolved || s == LedgerReported || s == LedgerTransferred
}

// FollowUp is one dated entry of a ledger item's log: who, when and why.
type FollowUp struct {
	At     time.Time    `json:"at"`
	By     string       `json:"by"`
	Status LedgerStatus `json:"status"` // the status after this entry
	Note   string       `json:"note"`
}

// LedgerItem is one problem followed up in the 工作台帐 until it is closed.
type LedgerItem struct {
	ID           string `json:"id"`
	EnterpriseID string `json:"enterprise_id"`
	VisitID      string `json:"visit_id,omitempty"`
	// DemandIndex is the zero-based index of the demand in the visit's
	// "demands" repeat group this item came from, or -1.
	DemandIndex     int          `json:"demand_index"`
	Category        string       `json:"category"` // choice value of the demand category
	Description     string       `json:"description"`
	WorkersAffected int          `json:"workers_affected"`
	Urgency         string       `json:"urgency"` // 一般 / 较急 / 紧急 choice value
	Status          LedgerStatus `json:"status"`
	Owner           string       `json:"owner"`
	Deadline        string       `json:"deadline,omitempty"` // YYYY-MM-DD
	// Assessment is the district's 研判 result, Department the department
	// responsible for solving the problem and Route how it is to be
	// handled; AssessedBy and AssessedAt say who decided and when. Only the
	// district sets them (the district refuses a laptop's version that
	// changes them); they travel down with the item. See AssessmentFields.
	Assessment string        `json:"assessment,omitempty"`
	Department string        `json:"department,omitempty"`
	Route      HandlingRoute `json:"route,omitempty"`
	AssessedBy string        `json:"assessed_by,omitempty"`
	AssessedAt time.Time     `json:"assessed_at,omitzero"`
	Log        []FollowUp    `json:"log,omitempty"`
	CreatedAt  time.Time     `json:"created_at"`
}

// HandlingRoute is how the district decides a ledger problem is to be
// handled (五、实施步骤: 先企业内部调解 → 上级工会). The string values are
// stored; never rename one.
type HandlingRoute string

// Handling routes, in the order disputes escalate.
const (
	RouteInternal   HandlingRoute = "internal"   // 企业内部协商
	RouteCollective HandlingRoute = "collective" // 集体协商
	RouteLegalAid   HandlingRoute = "legal_aid"  // 法律援助
	RouteEscalate   HandlingRoute = "escalate"   // 上报上级工会
)

// HandlingRoutes lists every route in display order.
var HandlingRoutes = []HandlingRoute{RouteInternal, RouteCollective, RouteLegalAid, RouteEscalate}

// Label returns the Chinese name of the route ("" for none).
func (r HandlingRoute) Label() string {
	switch r {
	case RouteInternal:
		return "企业内部协商"
	case RouteCollective:
		return "集体协商"
	case RouteLegalAid:
		return "法律援助"
	case RouteEscalate:
		return "上报上级工会"
	}
	return string(r)
}

// Valid reports whether r is empty or one of HandlingRoutes.
func (r HandlingRoute) Valid() bool {
	if r == "" {
		return true
	}
	for _, x := range HandlingRoutes {
		if r == x {
			return true
		}
	}
	return false
}

// AssessmentFields are the JSON members of a ledger item that only the
// district writes (its 研判).
var AssessmentFields = []string{"assessment", "department", "route", "assessed_by", "assessed_at"}

// Assessed reports whether the district has recorded a 研判 for the item.
func (l LedgerItem) Assessed() bool {
	return l.Assessment != "" || l.Department != "" || l.Route != "" || !l.AssessedAt.IsZero()
}

// Overdue reports whether the item is open and past its deadline on day today.
func (l LedgerItem) Overdue(today time.Time) bool {
	if l.Status.Closed() || l.Deadline == "" {
		return false
	}
	d, err := time.ParseInLocation("2006-01-02", l.Deadline, today.Location())
	if err != nil {
		return false
	}
	y, m, dd := today.Date()
	return d.Before(time.Date(y, m, dd, 0, 0, 0, 0, today.Location()))
}

// RecordKind names the kind of record a Version carries. Stored and sent in
// bundles; never rename one.
type RecordKind string

// Record kinds.
const (
	KindEnterprise RecordKind = "enterprise"
	KindVisit      RecordKind = "visit"
	KindResponse   RecordKind = "response"
	KindLedger     RecordKind = "ledger"
	// KindForm is a form version the district published; create-only.
	KindForm RecordKind = "form"
	// KindCampaign is the campaign configuration the district published;
	// each revision is a new version of one record.
	KindCampaign RecordKind = "campaign"
	// KindReview (review.go) is the district's review of a visit.
)

// DistrictOnly reports whether records of kind k are written by the
// district alone: devices receive them and may never send them.
func (k RecordKind) DistrictOnly() bool { return k == KindForm || k == KindCampaign }

// Version is one immutable version of a record: the unit that is stored and
// synchronised. An edit never changes a version; it creates a new one whose
// Parents name the version(s) it replaces (two or more parents resolve a
// conflict). The payload is the JSON of the record (Enterprise, Visit,
// Response, LedgerItem, PublishedForm, PublishedCampaign or Review, by Kind).
type Version struct {
	RecordID    string     `json:"record_id"`
	VersionID   string     `json:"version_id"`
	Parents     []string   `json:"parents,omitempty"`
	Kind        RecordKind `json:"kind"`
	FormID      string     `json:"form_id,omitempty"`
	FormVersion int        `json:"form_version,omitempty"`
	// Author and DeviceID are empty for anonymous questionnaire responses.
	Author   string          `json:"author,omitempty"`
	DeviceID string          `json:"device_id,omitempty"`
	Created  time.Time       `json:"created"`
	Deleted  bool            `json:"deleted,omitempty"`
	Payload  json.RawMessage `json:"payload"`
}

// PublishedForm is the payload of a form record: one form version as the
// district published it, sent to every laptop. The definition travels as
// the JSON the district validated; the laptop validates it again
// (ParseForm) before storing it.
type PublishedForm struct {
	ID          string          `json:"id"` // the record id
	Definition  json.RawMessage `json:"definition"`
	PublishedAt time.Time       `json:"published_at"`
	PublishedBy string          `json:"published_by"`
	// Source is the name of the file it was published from (a workbook or
	// a definition), for people.
	Source string `json:"source,omitempty"`
}

// Form parses and validates the published definition.
func (p PublishedForm) Form() (*Form, error) {
	return ParseForm(p.Definition)
}

// PublishedCampaign is the payload of the campaign record: the campaign
// file as the district published it. Revision counts the publications,
// from 1.
type PublishedCampaign struct {
	ID          string          `json:"id"` // the record id
	Revision    int             `json:"revision"`
	Campaign    json.RawMessage `json:"campaign"`
	PublishedAt time.Time       `json:"published_at"`
	PublishedBy string          `json:"published_by"`
	// Reason says why it was published: a person's note, or that a new
	// form version moved it.
	Reason string `json:"reason,omitempty"`
}

// Parse parses and checks the published campaign file.
func (p PublishedCampaign) Parse() (*Campaign, error) {
	return ParseCampaign(p.Campaign)
}
