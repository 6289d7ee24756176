package survey

import (
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// Length limits of free text, in characters (runes: 诉 counts one, as a
// person counts it, not the three bytes it takes in UTF-8).
//
// They come from the forms: the one-line answers (接待人姓名, 职务, 走访调查组
// 成员, 其他部门名称, a questionnaire's 其他方面) are names and short phrases,
// a few dozen characters at most, so 200 leaves room for a long list of team
// members without letting a pasted document in. The multi-line answers
// (诉求内容, 风险情况说明, 整改建议, a questionnaire's 意见和建议) and the
// district's comments, 研判 and follow-up notes are a paragraph or a page:
// an A4 page of Chinese holds about 800 characters, so 2000 is two full
// printed pages per answer, while a visit with a dozen such answers and
// many demands still fits well within MaxRecordBytes.
const (
	MaxLineText = 200
	MaxLongText = 2000
)

// MaxRecordBytes is the most bytes one record version may take encoded as
// JSON (survey.Version with its payload, as a bundle carries it). A version
// above it can never travel in a bundle (sync.DefaultMaxRecordBytes is this
// value), so no version above it may be stored: CheckVersionSize refuses it
// before it is written.
const MaxRecordBytes = 256 << 10

// TextLimit returns the most characters an answer of a field of type t may
// have, or 0 when t is not free text.
func TextLimit(t FieldType) int {
	switch t {
	case TypeText:
		return MaxLineText
	case TypeTextarea:
		return MaxLongText
	}
	return 0
}

// LengthMessage returns the Chinese message for text s over max characters
// ("最多 2000 字，已输入 2350 字"), or "" when s is within max.
func LengthMessage(s string, max int) string {
	if n := utf8.RuneCountInString(s); n > max {
		return fmt.Sprintf("最多 %d 字，已输入 %d 字", max, n)
	}
	return ""
}

// CheckText returns an error naming what (a Chinese label such as 跟进情况)
// when s is longer than max characters or not valid UTF-8; nil otherwise.
func CheckText(what, s string, max int) error {
	if !utf8.ValidString(s) {
		return &TextLengthError{What: what, Message: what + "包含无效字符"}
	}
	if msg := LengthMessage(s, max); msg != "" {
		return &TextLengthError{What: what, Message: what + msg}
	}
	return nil
}

// TextLengthError says which text is too long. Message is Chinese and
// complete ("跟进情况最多 2000 字，已输入 2350 字").
type TextLengthError struct {
	What    string
	Message string
}

func (e *TextLengthError) Error() string { return e.Message }

// ErrTooLong matches every *TextLengthError and *RecordSizeError with
// errors.Is.
var ErrTooLong = errors.New("text too long")

// Is makes errors.Is(err, ErrTooLong) true.
func (e *TextLengthError) Is(target error) bool { return target == ErrTooLong }

// LengthProblems returns a problem for every free-text answer of a over its
// TextLimit, relevant or not, inside repeats too, in form order. Unlike
// Validate it applies to every write, drafts included: a draft may be
// incomplete, but it may not hold text that could never be synchronised.
func LengthProblems(f *Form, a Answers) []Problem {
	var ps []Problem
	var walk func(fields []Field, prefix string, a map[string]any)
	walk = func(fields []Field, prefix string, a map[string]any) {
		for i := range fields {
			fd := &fields[i]
			switch fd.Type {
			case TypeGroup:
				walk(fd.Fields, prefix, a)
			case TypeRepeat:
				for j, item := range itemsAnswer(a[fd.Name]) {
					walk(fd.Fields, fmt.Sprintf("%s%s[%d].", prefix, fd.Name, j), item)
				}
			default:
				max := TextLimit(fd.Type)
				if max == 0 {
					continue
				}
				if s, ok := a[fd.Name].(string); ok {
					if msg := LengthMessage(s, max); msg != "" {
						ps = append(ps, Problem{Path: prefix + fd.Name, Field: fd.Name, Message: msg})
					}
				}
			}
		}
	}
	walk(f.Fields, "", a)
	return ps
}

// RecordSizeError refuses a record version whose encoding exceeds
// MaxRecordBytes. Biggest names its longest text, the one to shorten.
type RecordSizeError struct {
	Kind    RecordKind
	Size    int // bytes of the encoded version
	Max     int
	Biggest string // Chinese label of the longest text ("诉求内容（第 3 条）")
	Runes   int    // its length in characters
}

func (e *RecordSizeError) Error() string {
	msg := fmt.Sprintf("这条%s共 %s，超过一条记录能同步的上限 %s，未保存", kindLabel(e.Kind), sizeText(e.Size), sizeText(e.Max))
	if e.Biggest != "" {
		msg += fmt.Sprintf("。最长的一项是“%s”，有 %d 字，请缩短后再保存", e.Biggest, e.Runes)
	}
	return msg
}

// Is makes errors.Is(err, ErrTooLong) true.
func (e *RecordSizeError) Is(target error) bool { return target == ErrTooLong }

func kindLabel(k RecordKind) string {
	switch k {
	case KindVisit:
		return "走访记录"
	case KindLedger:
		return "台帐事项"
	case KindResponse:
		return "问卷"
	case KindReview:
		return "审核意见"
	case KindEnterprise:
		return "企业信息"
	}
	return "记录"
}

// sizeText says a size for people in KB.
func sizeText(n int) string { return fmt.Sprintf("%d KB", (n+1023)/1024) }

// CheckVersionSize refuses v with a *RecordSizeError when its JSON (as a
// bundle encodes it) is larger than MaxRecordBytes. f, when not nil, is the
// form of the record's answers and names the longest answer by its label.
func CheckVersionSize(v Version, f *Form) error {
	if versionBound(v) <= MaxRecordBytes {
		return nil // most versions: no need to encode them to know
	}
	n, err := VersionBytes(v)
	if err != nil {
		return err
	}
	if n <= MaxRecordBytes {
		return nil
	}
	e := &RecordSizeError{Kind: v.Kind, Size: n, Max: MaxRecordBytes}
	e.Biggest, e.Runes = LongestText(v.Payload, f)
	return e
}

// versionBound bounds the length of v's JSON without encoding it: JSON
// escaping makes a byte at most six ("<" is \u003c), the fixed members and
// the time take less than 256 bytes. Roster imports store 100,000
// versions in one go, and encoding each only to measure it cost time.
func versionBound(v Version) int {
	n := len(v.Payload) + len(v.RecordID) + len(v.VersionID) + len(v.Kind) + len(v.FormID) + len(v.Author) + len(v.DeviceID)
	for _, p := range v.Parents {
		n += len(p) + 3
	}
	return 6*n + 256
}

// VersionBytes returns the length of v's JSON as a bundle carries it (the
// creation time in UTC, as it is stored and read back).
func VersionBytes(v Version) (int, error) {
	v.Created = v.Created.UTC()
	j, err := json.Marshal(&v)
	if err != nil {
		return 0, fmt.Errorf("encode version %s: %w", v.RecordID, err)
	}
	return len(j), nil
}

// LongestText finds the longest string in a record's JSON payload and
// returns a Chinese label for it and its length in characters; "" when the
// payload holds no string. Answers are labelled from f when it is given.
func LongestText(payload []byte, f *Form) (label string, runes int) {
	var doc any
	if json.Unmarshal(payload, &doc) != nil {
		return "", 0
	}
	var best []string
	bestLen := -1
	var walk func(v any, path []string)
	walk = func(v any, path []string) {
		switch x := v.(type) {
		case string:
			if len(x) > bestLen {
				bestLen, best = len(x), append([]string(nil), path...)
				runes = utf8.RuneCountInString(x)
			}
		case map[string]any:
			for k, el := range x {
				walk(el, append(path, k))
			}
		case []any:
			for i, el := range x {
				walk(el, append(path, "["+strconv.Itoa(i)+"]"))
			}
		}
	}
	walk(doc, nil)
	if best == nil {
		return "", 0
	}
	return pathLabel(best, f), runes
}

// memberLabels names the JSON members of records that hold free text.
var memberLabels = map[string]string{
	"description": "问题描述", "note": "跟进情况", "assessment": "研判结果", "department": "责任部门",
	"owner": "负责人", "comment": "意见", "edit_reason": "修改原因", "reason": "原因",
	"signer_name": "签字人姓名", "signer_title": "签字人职务", "name": "名称", "address": "地址",
}

// pathLabel turns a JSON path (["answers","demands","[2]","demand_description"])
// into a label for people ("诉求内容（第 3 条）").
func pathLabel(path []string, f *Form) string {
	var name, item string
	for _, p := range path {
		if strings.HasPrefix(p, "[") {
			n, _ := strconv.Atoi(strings.Trim(p, "[]"))
			item = strconv.Itoa(n + 1)
			continue
		}
		name = p
	}
	switch {
	case len(path) > 1 && path[0] == "log":
		return "第 " + item + " 条跟进记录"
	case len(path) > 1 && path[0] == "fields":
		return "第 " + item + " 条逐项意见"
	}
	if item != "" {
		item = "（第 " + item + " 条）"
	}
	if f != nil && len(path) > 1 && path[0] == "answers" {
		if fd := f.Lookup(name); fd != nil && fd.Label != "" {
			return fd.Label + item
		}
	}
	if l, ok := memberLabels[name]; ok {
		return l + item
	}
	return name + item
}
