package xlsform

import (
	"fmt"
	"strings"

	"zoufang/survey"
)

// rowKind says what a survey row does.
type rowKind int

const (
	rowField rowKind = iota
	rowBeginGroup
	rowBeginRepeat
	rowEndGroup
	rowEndRepeat
)

// rowType is a parsed type cell.
type rowType struct {
	kind rowKind
	typ  survey.FieldType
	list string // choice list of a select
	// otherChoice is set for "select_one x or_other": the select is read,
	// and the or_other part refused.
	otherChoice bool
}

// plainTypes maps the XLSForm names of single-word types to survey types.
var plainTypes = map[string]survey.FieldType{
	"text":       survey.TypeText,
	"integer":    survey.TypeInteger,
	"int":        survey.TypeInteger,
	"decimal":    survey.TypeDecimal,
	"date":       survey.TypeDate,
	"note":       survey.TypeNote,
	"calculate":  survey.TypeCalculate,
	"image":      survey.TypeImage,
	"enterprise": survey.TypeEnterprise,
}

// selectPrefixes are the spellings of select types XLSForm accepts, longest
// first so that "select one from" wins over "select one".
var selectPrefixes = []struct {
	words []string
	typ   survey.FieldType
}{
	{[]string{"select", "all", "that", "apply", "from"}, survey.TypeSelectMultiple},
	{[]string{"select", "all", "that", "apply"}, survey.TypeSelectMultiple},
	{[]string{"select", "multiple", "from"}, survey.TypeSelectMultiple},
	{[]string{"select", "one", "from"}, survey.TypeSelectOne},
	{[]string{"select", "multiple"}, survey.TypeSelectMultiple},
	{[]string{"select", "one"}, survey.TypeSelectOne},
	{[]string{"select_multiple"}, survey.TypeSelectMultiple},
	{[]string{"select_one"}, survey.TypeSelectOne},
}

const metadataWhy = "是 ODK 的元数据题型，本系统不支持：走访日期、调查员和设备由本系统自动记录，请删除此行"

// unsupportedTypes explains the XLSForm types the engine has no equivalent
// for.
var unsupportedTypes = map[string]string{
	"time":                      "不支持时间题型 (time)；需要日期请用 date",
	"datetime":                  "不支持日期时间题型 (dateTime)；需要日期请用 date",
	"geopoint":                  "不支持地理位置题型 (geopoint)；地址请用 text",
	"geotrace":                  "不支持地理轨迹题型 (geotrace)",
	"geoshape":                  "不支持地理区域题型 (geoshape)",
	"start-geopoint":            "不支持地理位置题型 (start-geopoint)",
	"audio":                     "不支持录音题型 (audio)；只能上传图片 (image)",
	"background-audio":          "不支持后台录音 (background-audio)",
	"video":                     "不支持录像题型 (video)；只能上传图片 (image)",
	"file":                      "不支持附件题型 (file)；只能上传图片 (image)",
	"barcode":                   "不支持条码题型 (barcode)；请用 text",
	"range":                     "不支持滑块题型 (range)；请用 integer 并设置约束条件 (constraint)",
	"rank":                      "不支持排序题型 (rank)",
	"acknowledge":               "不支持确认题型 (acknowledge)；请用 select_one 是/否",
	"trigger":                   "不支持确认题型 (trigger)；请用 select_one 是/否",
	"hidden":                    "不支持隐藏题型 (hidden)；固定的值请用 calculate",
	"xml-external":              "不支持外部数据 (xml-external)",
	"csv-external":              "不支持外部数据 (csv-external)",
	"select_one_from_file":      "不支持从外部文件读取选项 (select_one_from_file)；请把选项写在 choices 表",
	"select_multiple_from_file": "不支持从外部文件读取选项 (select_multiple_from_file)；请把选项写在 choices 表",
	"begin_loop":                "不支持循环组 (begin loop)；请用 begin repeat",
	"end_loop":                  "不支持循环组 (end loop)；请用 end repeat",
	"start":                     "start " + metadataWhy,
	"end":                       "end " + metadataWhy,
	"today":                     "today " + metadataWhy,
	"deviceid":                  "deviceid " + metadataWhy,
	"subscriberid":              "subscriberid " + metadataWhy,
	"simserial":                 "simserial " + metadataWhy,
	"phonenumber":               "phonenumber " + metadataWhy,
	"username":                  "username " + metadataWhy,
	"email":                     "email " + metadataWhy,
	"audit":                     "audit " + metadataWhy,
}

const typeHelp = "可用的题型：text、integer、decimal、date、select_one 列表名、select_multiple 列表名、note、calculate、image、enterprise、begin group / end group、begin repeat / end repeat"

// parseType reads a type cell; the message is a Chinese explanation when
// the type is not supported.
func parseType(cell string) (rowType, string) {
	words := strings.Fields(cell)
	lower := make([]string, len(words))
	for i, w := range words {
		lower[i] = strings.ToLower(w)
	}
	joined := strings.ReplaceAll(strings.Join(lower, " "), "_", " ")
	switch joined {
	case "begin group":
		return rowType{kind: rowBeginGroup, typ: survey.TypeGroup}, ""
	case "begin repeat":
		return rowType{kind: rowBeginRepeat, typ: survey.TypeRepeat}, ""
	case "end group":
		return rowType{kind: rowEndGroup}, ""
	case "end repeat":
		return rowType{kind: rowEndRepeat}, ""
	}
	for _, p := range selectPrefixes {
		if len(lower) < len(p.words) || strings.Join(lower[:len(p.words)], " ") != strings.Join(p.words, " ") {
			continue
		}
		rest := words[len(p.words):]
		if len(rest) == 0 {
			return rowType{}, fmt.Sprintf("%s 后缺少选项列表名（choices 表 list_name 列中的名称），例如 %s yes_no", p.words[0], p.typ)
		}
		rt := rowType{typ: p.typ, list: rest[0]}
		switch extra := strings.ToLower(strings.Join(rest[1:], " ")); extra {
		case "":
		case "or_other", "or specify other":
			rt.otherChoice = true
		default:
			return rowType{}, fmt.Sprintf("题型 %q 的写法不对：应为“%s 列表名”，列表名中不能有空格", cell, p.typ)
		}
		return rt, ""
	}
	if len(lower) == 1 {
		if t, ok := plainTypes[lower[0]]; ok {
			return rowType{typ: t}, ""
		}
	}
	key := strings.Join(lower, "_")
	if why, ok := unsupportedTypes[key]; ok {
		return rowType{}, why
	}
	if key == "textarea" {
		return rowType{}, "XLSForm 没有 textarea 题型：多行文字请用 text，并在 appearance 列填写 multiline"
	}
	return rowType{}, fmt.Sprintf("不认识的题型 %q。%s", cell, typeHelp)
}

// writeType is the XLSForm type cell and appearance of a survey field.
func writeType(fd *survey.Field, list string) (typ, appearance string) {
	switch fd.Type {
	case survey.TypeTextarea:
		return "text", "multiline"
	case survey.TypeSelectOne, survey.TypeSelectMultiple:
		return string(fd.Type) + " " + list, ""
	case survey.TypeGroup:
		return "begin group", ""
	case survey.TypeRepeat:
		return "begin repeat", ""
	}
	return string(fd.Type), ""
}
