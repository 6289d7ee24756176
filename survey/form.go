// Package survey is the domain of the visit kit: enterprises, visits,
// questionnaire responses, ledger items, the data-driven form definitions they
// are filled from, and the rules that validate them. It is pure Go and imports
// none of the project's other packages, so the GUI, the PDF, the importers and
// the district server all validate the same way.
package survey

// FieldType names what kind of answer a field takes. The string values are
// the ones written in form definition files; never rename one that shipped.
type FieldType string

// The field types a form definition may use.
const (
	TypeText           FieldType = "text"            // one line of text
	TypeTextarea       FieldType = "textarea"        // multi-line text
	TypeInteger        FieldType = "integer"         // whole number, stored as decimal digits
	TypeDecimal        FieldType = "decimal"         // number with optional fraction
	TypeDate           FieldType = "date"            // YYYY-MM-DD
	TypeSelectOne      FieldType = "select_one"      // one choice value
	TypeSelectMultiple FieldType = "select_multiple" // several choice values
	TypeNote           FieldType = "note"            // read-only text, no answer
	TypeCalculate      FieldType = "calculate"       // computed from Calculation, not shown as input
	TypeGroup          FieldType = "group"           // a section; children share the parent's scope
	TypeRepeat         FieldType = "repeat"          // a repeatable group; each item has its own scope
	TypeEnterprise     FieldType = "enterprise"      // reference to an Enterprise.ID
	TypeImage          FieldType = "image"           // attachment id of an image
)

// Choice is one option of a select field: Value is stored, Label is shown.
type Choice struct {
	Value string `json:"value"`
	Label string `json:"label"`
}

// Field is one question, note, section or repeat group of a form.
//
// Names are unique within their scope: the top level together with all
// (nested) groups forms one scope, and each repeat group opens a new one for
// its children. Expressions follow the XLSForm syntax (${name}, ".",
// selected(), count-selected(), if(), today(), ...).
type Field struct {
	Name              string    `json:"name"`
	Type              FieldType `json:"type"`
	Label             string    `json:"label"`
	Hint              string    `json:"hint,omitempty"`
	Required          bool      `json:"required,omitempty"`
	Default           string    `json:"default,omitempty"`
	Choices           []Choice  `json:"choices,omitempty"`
	Relevant          string    `json:"relevant,omitempty"`
	Constraint        string    `json:"constraint,omitempty"`
	ConstraintMessage string    `json:"constraint_message,omitempty"`
	Calculation       string    `json:"calculation,omitempty"`
	// Fields are the children of a group or repeat.
	Fields []Field `json:"fields,omitempty"`
}

// FormKind says what a form is used for.
type FormKind string

// The kinds of form the campaign uses.
const (
	FormVisit                   FormKind = "visit"                    // 走访记录表
	FormWorkerQuestionnaire     FormKind = "worker_questionnaire"     // 职工满意度测评问卷
	FormEnterpriseQuestionnaire FormKind = "enterprise_questionnaire" // 企业经营者问卷
)

// Form is a versioned form definition. A stored answer set always names the
// ID and Version it was filled against, so old records stay readable after a
// form is revised.
type Form struct {
	ID      string   `json:"id"`
	Version int      `json:"version"`
	Kind    FormKind `json:"kind"`
	Title   string   `json:"title"`
	Fields  []Field  `json:"fields"`
}

// Answers holds the answers of one filled form, keyed by field name.
//
// Values are normalised to exactly three Go types so that answers round-trip
// through JSON unchanged and hash canonically:
//   - string for every scalar type (integers and decimals as their decimal
//     text, dates as YYYY-MM-DD, select_one as the choice value);
//   - []string for select_multiple (choice values in the order chosen);
//   - []Answers for repeat groups, one element per item.
//
// Group fields hold no value themselves; their children live in the same map.
// A missing key and an empty string both mean "not answered".
type Answers map[string]any

// Problem is one validation failure, addressed so the GUI can jump to it.
type Problem struct {
	// Path addresses the field: "workers_total", or inside a repeat
	// "demands[1].description" (zero-based index).
	Path string `json:"path"`
	// Field is the bare field name (last element of Path).
	Field string `json:"field"`
	// Property names what of a definition is wrong: the form property
	// ("id", "version", "title", "kind", "fields"), the field property
	// ("name", "type", "label", "relevant", "calculation", ...), or one
	// choice's "choices[2].value" / "choices[2].label" (zero-based). It
	// lets a converter point at the cell a problem comes from (see
	// survey/xlsform). Empty for problems of answers.
	Property string `json:"property,omitempty"`
	// Message is the user-facing explanation in Chinese.
	Message string `json:"message"`
}

func (p Problem) Error() string { return p.Path + ": " + p.Message }
