package survey

import (
	"bytes"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"strings"
	"testing"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	xunicode "golang.org/x/text/encoding/unicode"
)

var updateRoster = flag.Bool("update-roster", false, "rewrite the fixtures in testdata/roster")

const rosterDir = "testdata/roster"

// rosterBaseText is the roster most fixtures carry, as a user would type it
// in Excel: a title row, a decorated header, a quoted address over two
// lines, a blank row and one row for every kind of problem.
var rosterBaseText = strings.Join([]string{
	"2026年春季企业走访名录,,,,,,,,,",
	"企业名称（必填）,统一社会信用代码*,所属区市,镇街,行业,职工人数,是否建会,联系人,联系电话,地址",
	`青岛海信机械有限公司,91370202MA3C12345B,市南区,香港中路街道,制造业,"1,200",是,王伟,13812345678,青岛市市南区香港中路1号`,
	`青岛瑞丰商贸有限公司, 91370203ma3d000178 ,市北区,台东街道,批发和零售业,35人,否,李娜,0532-80000001,"青岛市市北区台东`,
	`三路8号"`,
	"青岛恒达物流有限公司,91370213163560070X,李沧区,九水街道,交通运输业,80,是,张强,13900000000,",
	",,,,,,,,,",
	"　青岛鑫源软件有限公司　,９２３７０２１２ＭＡ３Ｅ９Ｋ８Ｌ７Ｑ,崂山区,中韩街道,信息技术服务业,12,Y,刘洋,,",
	",913702112645832155,黄岛区,薛家岛街道,建筑业,10,是,,,",
	"青岛重复有限公司,91370202MA3C12345B,市南区,湛山街道,制造业,5,否,,,",
	"青岛宏远建设有限公司,913702112645832155,黄岛区,,建筑业,abc,是,,,",
	"青岛东方酒店管理有限公司,91370214MA3F0000T5,城阳区,流亭街道,住宿和餐饮业,,未建,,,",
	"青岛嘉禾家政服务有限公司,913702112645832155,黄岛区,长江路街道,居民服务业,8,也许,,,",
	"青岛嘉禾建筑工程有限公司,913702112645832155,黄岛区,长江路街道,建筑业,-3,是,,,",
	"青岛嘉禾建设有限公司,913702112645832155,黄岛区,长江路街道,建筑业,,TRUE,,,",
	"青岛短码有限公司,9137021316356,李沧区,,,,,,,",
	"",
}, "\n")

// rosterBaseWant is what every encoding of rosterBaseText parses to.
var rosterBaseWant = rosterWant{
	rows: []wantRow{
		{3, Enterprise{Name: "青岛海信机械有限公司", USCC: "91370202MA3C12345B", District: "市南区", Street: "香港中路街道", Industry: "制造业", Workers: 1200, HasUnion: true, Contact: "王伟", Phone: "13812345678", Address: "青岛市市南区香港中路1号"}},
		{4, Enterprise{Name: "青岛瑞丰商贸有限公司", USCC: "91370203MA3D000178", District: "市北区", Street: "台东街道", Industry: "批发和零售业", Workers: 35, Contact: "李娜", Phone: "0532-80000001", Address: "青岛市市北区台东三路8号"}},
		{8, Enterprise{Name: "青岛鑫源软件有限公司", USCC: "92370212MA3E9K8L7Q", District: "崂山区", Street: "中韩街道", Industry: "信息技术服务业", Workers: 12, HasUnion: true, Contact: "刘洋"}},
		// An unreadable optional cell (职工人数 "abc") leaves that field out.
		{11, Enterprise{Name: "青岛宏远建设有限公司", USCC: "913702112645832155", District: "黄岛区", Industry: "建筑业", HasUnion: true}},
		{12, Enterprise{Name: "青岛东方酒店管理有限公司", USCC: "91370214MA3F0000T5", District: "城阳区", Street: "流亭街道", Industry: "住宿和餐饮业"}},
	},
	problems: []RosterProblem{
		{6, "统一社会信用代码校验位错误：第 18 位应为 N，实际为 X，请核对是否输错"},
		{9, "缺少企业名称"},
		{10, "与第 3 行的统一社会信用代码重复：91370202MA3C12345B"},
		{13, "与第 11 行的统一社会信用代码重复：913702112645832155"},
		{14, "与第 11 行的统一社会信用代码重复：913702112645832155"},
		{15, "与第 11 行的统一社会信用代码重复：913702112645832155"},
		{16, "统一社会信用代码应为 18 位，实际 13 位"},
	},
	warnings: map[int][]string{11: {"职工人数不是整数：abc，该项未导入"}},
}

type rosterWant struct {
	rows     []wantRow
	problems []RosterProblem
	warnings map[int][]string // by line; checked when not nil
}

// wantRow is the part of a RosterRow the fixtures pin; the fields it sets
// and its warnings are checked by the tests about them.
type wantRow struct {
	Line       int
	Enterprise Enterprise
}

// rosterSynonymText uses other header names, another column order, an
// unknown column and Windows line ends, with the header on the first line.
var rosterSynonymText = strings.Join([]string{
	"序号,单位名称,USCC,区（市）,所属镇街,行业类别,从业人数,建会情况,联系人,手机,注册地址,备注",
	"1,青岛宏远建设有限公司,913702112645832155,黄岛区,辛安街道,建筑业,260,已建,赵敏,15000000000,青岛市黄岛区长江路3号,重点",
	"2,青岛恒达物流有限公司,91370213163560070N,李沧区,九水街道,交通运输业,80,0,,,,",
	"",
}, "\r\n")

var rosterSynonymWant = rosterWant{
	rows: []wantRow{
		{2, Enterprise{Name: "青岛宏远建设有限公司", USCC: "913702112645832155", District: "黄岛区", Street: "辛安街道", Industry: "建筑业", Workers: 260, HasUnion: true, Contact: "赵敏", Phone: "15000000000", Address: "青岛市黄岛区长江路3号"}},
		{3, Enterprise{Name: "青岛恒达物流有限公司", USCC: "91370213163560070N", District: "李沧区", Street: "九水街道", Industry: "交通运输业", Workers: 80}},
	},
}

// rosterTabText is tab separated, as Excel's "Unicode 文本" export.
var rosterTabText = strings.Join([]string{
	"企业（单位）名称\t信用代码\t区县\t街道\t行业\t职工数\t已建会\t联系人\t电话\t企业地址",
	"青岛海信机械有限公司\t91370202MA3C12345B\t市南区\t香港中路街道\t制造业\t1200\t是\t王伟\t13812345678\t香港中路1号",
	"",
}, "\r\n")

var rosterTabWant = rosterWant{
	rows: []wantRow{
		{2, Enterprise{Name: "青岛海信机械有限公司", USCC: "91370202MA3C12345B", District: "市南区", Street: "香港中路街道", Industry: "制造业", Workers: 1200, HasUnion: true, Contact: "王伟", Phone: "13812345678", Address: "香港中路1号"}},
	},
}

// rosterXLSXWant is what testdata/roster/roster.xlsx parses to (see
// writeRosterXLSX).
var rosterXLSXWant = rosterWant{
	rows: []wantRow{
		{3, Enterprise{Name: "青岛海信机械有限公司", USCC: "91370202MA3C12345B", District: "市南区", Street: "香港中路街道", Industry: "制造业", Workers: 1200, HasUnion: true, Contact: "王伟", Phone: "13812345678", Address: "青岛市市南区香港中路1号"}},
		{5, Enterprise{Name: "青岛东方酒店管理有限公司", USCC: "91370214MA3F0000T5", District: "城阳区", Street: "流亭街道", Industry: "住宿和餐饮业", Workers: 40}},
	},
	problems: []RosterProblem{
		{6, "统一社会信用代码校验位错误：第 18 位应为 N，实际为 X，请核对是否输错"},
		{7, "统一社会信用代码“9.13702021234568E+17”被 Excel 存成了数字，位数已经丢失；请把该列设为文本格式后重新填写"},
		{8, "与第 3 行的统一社会信用代码重复：91370202MA3C12345B"},
	},
}

// writeRosterXLSX builds the XLSX fixture: a title row, the header on row
// 2, numbers stored as numbers, an empty row, and a second sheet that must
// be ignored.
func writeRosterXLSX(t *testing.T, path string) {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	s := "名录"
	if err := f.SetSheetName("Sheet1", s); err != nil {
		t.Fatal(err)
	}
	set := func(cell string, v any) {
		t.Helper()
		if err := f.SetCellValue(s, cell, v); err != nil {
			t.Fatal(err)
		}
	}
	set("A1", "2026年春季企业走访名录")
	if err := f.MergeCell(s, "A1", "J1"); err != nil {
		t.Fatal(err)
	}
	for i, h := range []string{"企业名称", "统一社会信用代码（必填）", "所属区市", "镇街", "行业", "职工人数", "是否建会", "联系人", "联系电话", "地址"} {
		set(fmt.Sprintf("%c2", 'A'+i), h)
	}
	rows := map[int][]any{
		3: {"青岛海信机械有限公司", "91370202MA3C12345B", "市南区", "香港中路街道", "制造业", 1200, "是", "王伟", 13812345678, "青岛市市南区香港中路1号"},
		5: {"青岛东方酒店管理有限公司", "91370214MA3F0000T5", "城阳区", "流亭街道", "住宿和餐饮业", 40.0, false, nil, nil, nil},
		6: {"青岛恒达物流有限公司", "91370213163560070X", "李沧区"},
		7: {"青岛数字代码有限公司", 913702021234567890},
		8: {"青岛重复有限公司", "91370202ma3c12345b"},
	}
	for r, vals := range rows {
		for i, v := range vals {
			if v != nil {
				set(fmt.Sprintf("%c%d", 'A'+i, r), v)
			}
		}
	}
	if _, err := f.NewSheet("说明"); err != nil {
		t.Fatal(err)
	}
	if err := f.SetCellValue("说明", "A1", "企业名称"); err != nil {
		t.Fatal(err)
	}
	if err := f.SaveAs(path); err != nil {
		t.Fatal(err)
	}
}

func gb18030Bytes(t *testing.T, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func utf16Bytes(t *testing.T, s string) []byte {
	t.Helper()
	b, err := xunicode.UTF16(xunicode.LittleEndian, xunicode.UseBOM).NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// TestWriteRosterFixtures rewrites testdata/roster when run with
// -update-roster; otherwise it checks the committed bytes still match.
func TestWriteRosterFixtures(t *testing.T) {
	crlf := strings.ReplaceAll(rosterBaseText, "\n", "\r\n")
	files := map[string][]byte{
		"utf8.csv":           []byte(rosterBaseText),
		"utf8bom.csv":        append([]byte("\ufeff"), crlf...),
		"gb18030.csv":        gb18030Bytes(t, crlf),
		"synonyms.csv":       []byte(rosterSynonymText),
		"unicode-text.txt":   utf16Bytes(t, rosterTabText),
		"not-a-roster.csv":   gb18030Bytes(t, "姓名,性别,电话\r\n张三,男,13800000000\r\n"),
		"title-only.csv":     []byte("2026年企业名录\n\n\n"),
		"empty.csv":          {},
		"blank.csv":          []byte("\r\n \r\n\t\r\n"),
		"header-only.csv":    []byte("企业名称,统一社会信用代码\r\n"),
		"late-header.csv":    []byte("a\nb\nc\nd\ne\n企业名称,统一社会信用代码\n青岛海信机械有限公司,91370202MA3C12345B\n"),
		"broken.xlsx":        []byte("PK\x03\x04 this is not really a zip archive"),
		"old-excel-97.xls":   []byte("\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1 an OLE compound file"),
		"gbk-sniffed.roster": gb18030Bytes(t, crlf),
	}
	if *updateRoster {
		if err := os.MkdirAll(rosterDir, 0o755); err != nil {
			t.Fatal(err)
		}
		for name, b := range files {
			if err := os.WriteFile(filepath.Join(rosterDir, name), b, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		writeRosterXLSX(t, filepath.Join(rosterDir, "roster.xlsx"))
		copyFile(t, filepath.Join(rosterDir, "roster.xlsx"), filepath.Join(rosterDir, "xlsx-without-extension"))
		writeRosterFuzzCorpus(t)
		return
	}
	for name, want := range files {
		got, err := os.ReadFile(filepath.Join(rosterDir, name))
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s differs from what the test would write; run go test -run TestWriteRosterFixtures -update-roster", name)
		}
	}
}

func copyFile(t *testing.T, from, to string) {
	t.Helper()
	b, err := os.ReadFile(from)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(to, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

func parseRosterFile(t *testing.T, name string) ([]RosterRow, []RosterProblem, error) {
	t.Helper()
	f, err := os.Open(filepath.Join(rosterDir, name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	return ParseRoster(f, name)
}

func TestParseRosterFixtures(t *testing.T) {
	tests := []struct {
		file string
		want rosterWant
	}{
		{"utf8.csv", rosterBaseWant},
		{"utf8bom.csv", rosterBaseWant},
		{"gb18030.csv", rosterBaseWant},
		{"gbk-sniffed.roster", rosterBaseWant},
		{"synonyms.csv", rosterSynonymWant},
		{"unicode-text.txt", rosterTabWant},
		{"roster.xlsx", rosterXLSXWant},
		{"xlsx-without-extension", rosterXLSXWant},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			rows, problems, err := parseRosterFile(t, tt.file)
			if err != nil {
				t.Fatalf("ParseRoster: %v", err)
			}
			checkRoster(t, rows, problems, tt.want)
		})
	}
}

func checkRoster(t *testing.T, rows []RosterRow, problems []RosterProblem, want rosterWant) {
	t.Helper()
	if len(rows) != len(want.rows) {
		t.Errorf("got %d rows, want %d:\n%+v", len(rows), len(want.rows), rows)
	}
	for i := 0; i < len(rows) && i < len(want.rows); i++ {
		if got, want := (wantRow{rows[i].Line, rows[i].Enterprise}), want.rows[i]; !reflect.DeepEqual(got, want) {
			t.Errorf("row %d:\n got %+v\nwant %+v", i, got, want)
		}
	}
	if want.warnings != nil {
		got := map[int][]string{}
		for _, r := range rows {
			if len(r.Warnings) > 0 {
				got[r.Line] = r.Warnings
			}
		}
		if !reflect.DeepEqual(got, want.warnings) {
			t.Errorf("warnings %v, want %v", got, want.warnings)
		}
	}
	if len(problems) != len(want.problems) {
		t.Errorf("got %d problems, want %d:\n%+v", len(problems), len(want.problems), problems)
	}
	for i := 0; i < len(problems) && i < len(want.problems); i++ {
		if got, want := problems[i], want.problems[i]; got != want {
			t.Errorf("problem %d:\n got %+v\nwant %+v", i, got, want)
		}
	}
}

func TestParseRosterUnusableFiles(t *testing.T) {
	tests := []struct {
		file, want string
	}{
		{"empty.csv", "文件是空的"},
		{"blank.csv", "文件是空的"},
		{"not-a-roster.csv", "没有找到表头"},
		{"title-only.csv", "没有找到表头"},
		{"late-header.csv", "没有找到表头"},
		{"broken.xlsx", "无法读取 Excel 文件"},
		{"old-excel-97.xls", "不支持旧版 Excel"},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			rows, problems, err := parseRosterFile(t, tt.file)
			if err == nil {
				t.Fatalf("got %d rows, %d problems and no error, want error containing %q", len(rows), len(problems), tt.want)
			}
			if !strings.Contains(err.Error(), tt.want) {
				t.Errorf("got error %q, want it to contain %q", err, tt.want)
			}
			if rows != nil || problems != nil {
				t.Errorf("got rows %v, problems %v with the error, want none", rows, problems)
			}
		})
	}
}

func TestParseRosterHeaderOnly(t *testing.T) {
	rows, problems, err := parseRosterFile(t, "header-only.csv")
	if err != nil || len(rows) != 0 || len(problems) != 0 {
		t.Errorf("got %v, %v, %v; want no rows, no problems, no error", rows, problems, err)
	}
}

func TestParseRosterInline(t *testing.T) {
	const hdr = "企业名称,统一社会信用代码,职工人数,是否建会\n"
	tests := []struct {
		name, text string
		want       rosterWant
	}{
		{
			name: "multi-line quoted field moves later lines",
			text: hdr + "\"青岛\r\n海信 \n 机械\nCo. \n Ltd\",91370202MA3C12345B,,\n青岛恒达物流有限公司,91370213163560070X,,\n",
			want: rosterWant{
				rows:     []wantRow{{2, Enterprise{Name: "青岛海信机械 Co. Ltd", USCC: "91370202MA3C12345B"}}},
				problems: []RosterProblem{{7, "统一社会信用代码校验位错误：第 18 位应为 N，实际为 X，请核对是否输错"}},
			},
		},
		{
			name: "empty lines count",
			text: "\n\n" + hdr + "\n\n青岛恒达物流有限公司,91370213163560070N,1200人,1\n",
			want: rosterWant{rows: []wantRow{{6, Enterprise{Name: "青岛恒达物流有限公司", USCC: "91370213163560070N", Workers: 1200, HasUnion: true}}}},
		},
		{
			name: "short rows and ragged columns",
			text: hdr + "青岛恒达物流有限公司,91370213163560070N\n青岛海信机械有限公司,91370202MA3C12345B,7,否,多余,列\n",
			want: rosterWant{rows: []wantRow{
				{2, Enterprise{Name: "青岛恒达物流有限公司", USCC: "91370213163560070N"}},
				{3, Enterprise{Name: "青岛海信机械有限公司", USCC: "91370202MA3C12345B", Workers: 7}},
			}},
		},
		{
			name: "missing code and scientific code",
			text: hdr + "青岛恒达物流有限公司,,,\n青岛海信机械有限公司,9.13702E+17,,\n",
			want: rosterWant{problems: []RosterProblem{
				{2, "缺少统一社会信用代码"},
				{3, "统一社会信用代码“9.13702E+17”被 Excel 存成了数字，位数已经丢失；请把该列设为文本格式后重新填写"},
			}},
		},
		{
			name: "workers variants",
			text: hdr + "甲,91370213163560070N,\"1,200.00\",\n乙,91370202MA3C12345B,1.5,\n丙,91370214MA3F0000T5,99999999999999999999,\n",
			want: rosterWant{
				rows: []wantRow{
					{2, Enterprise{Name: "甲", USCC: "91370213163560070N", Workers: 1200}},
					{3, Enterprise{Name: "乙", USCC: "91370202MA3C12345B"}},
					{4, Enterprise{Name: "丙", USCC: "91370214MA3F0000T5"}},
				},
				warnings: map[int][]string{
					3: {"职工人数不是整数：1.5，该项未导入"},
					4: {"职工人数过大：99999999999999999999，该项未导入"},
				},
			},
		},
		{
			name: "codes and phones kept as text for Excel",
			text: "企业名称,统一社会信用代码,联系电话\n甲,'91370213163560070N,'13812345678\n乙,\"=\"\"91370202MA3C12345B\"\"\",=\"053280000001\"\n丙,\t913702112645832155,\n",
			want: rosterWant{rows: []wantRow{
				{2, Enterprise{Name: "甲", USCC: "91370213163560070N", Phone: "13812345678"}},
				{3, Enterprise{Name: "乙", USCC: "91370202MA3C12345B", Phone: "053280000001"}},
				{4, Enterprise{Name: "丙", USCC: "913702112645832155"}},
			}},
		},
		{
			name: "semicolon separated",
			text: "企业名称;统一社会信用代码\n青岛恒达物流有限公司;91370213163560070N\n",
			want: rosterWant{rows: []wantRow{{2, Enterprise{Name: "青岛恒达物流有限公司", USCC: "91370213163560070N"}}}},
		},
		{
			name: "header synonyms with decorations",
			text: " 名称 (必填),* 社会信用代码,所属区县,镇（街道）,所属行业,人数(人),建会情况,联系人,联系电话,地址\n青岛恒达物流有限公司,91370213163560070N,李沧区,九水街道,交通运输业,3,未建会,张强,1,路\n",
			want: rosterWant{rows: []wantRow{{2, Enterprise{Name: "青岛恒达物流有限公司", USCC: "91370213163560070N", District: "李沧区", Street: "九水街道", Industry: "交通运输业", Workers: 3, Contact: "张强", Phone: "1", Address: "路"}}}},
		},
		{
			name: "a rejected first occurrence does not block a later one",
			text: hdr + "甲,9137021316356007,,\n乙,91370213163560070N,x,也许\n丙,91370213163560070n,,\n",
			want: rosterWant{
				rows: []wantRow{{3, Enterprise{Name: "乙", USCC: "91370213163560070N"}}},
				problems: []RosterProblem{
					{2, "统一社会信用代码应为 18 位，实际 16 位"},
					{4, "与第 3 行的统一社会信用代码重复：91370213163560070N"},
				},
				warnings: map[int][]string{3: {"职工人数不是整数：x，该项未导入", "是否建会无法识别：也许（应填“是”或“否”），该项未导入"}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, problems, err := ParseRoster(strings.NewReader(tt.text), "roster.csv")
			if err != nil {
				t.Fatalf("ParseRoster: %v", err)
			}
			checkRoster(t, rows, problems, tt.want)
		})
	}
}

// TestParseRosterDamagedText checks that bytes that are neither UTF-8 nor
// GB18030 reject their row instead of importing mojibake.
func TestParseRosterDamagedText(t *testing.T) {
	const garbled = "含有无法识别的乱码字符（文件编码有误或已损坏），请检查该行"
	tests := []struct {
		name string
		data []byte
		want rosterWant
	}{
		{
			name: "UTF-8 with a stray byte",
			data: []byte("企业名称,统一社会信用代码\n青岛\xff海信,91370202MA3C12345B\n青岛恒达物流有限公司,91370213163560070N\n"),
			want: rosterWant{
				rows:     []wantRow{{3, Enterprise{Name: "青岛恒达物流有限公司", USCC: "91370213163560070N"}}},
				problems: []RosterProblem{{2, garbled}},
			},
		},
		{
			name: "UTF-8 BOM with a stray byte",
			data: []byte("\ufeff企业名称,统一社会信用代码\n青岛\xff海信,91370202MA3C12345B\n"),
			want: rosterWant{problems: []RosterProblem{{2, garbled}}},
		},
		{
			name: "GB18030 with a broken sequence",
			data: append(gb18030Bytes(t, "企业名称,统一社会信用代码\n青岛恒达物流有限公司,91370213163560070N\n"), []byte("\xb1\x7f,91370202MA3C12345B\n")...),
			want: rosterWant{
				rows:     []wantRow{{2, Enterprise{Name: "青岛恒达物流有限公司", USCC: "91370213163560070N"}}},
				problems: []RosterProblem{{3, garbled}},
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rows, problems, err := ParseRoster(bytes.NewReader(tt.data), "roster.csv")
			if err != nil {
				t.Fatalf("ParseRoster: %v", err)
			}
			checkRoster(t, rows, problems, tt.want)
		})
	}
}

// TestFakeRosterRoundTrip writes fake enterprises in both encodings and
// reads them back unchanged.
func TestFakeRosterRoundTrip(t *testing.T) {
	ents := FakeRoster(2000, 7)
	if again := FakeRoster(2000, 7); !reflect.DeepEqual(ents, again) {
		t.Fatal("FakeRoster is not deterministic for a seed")
	}
	seen := make(map[string]bool)
	for _, e := range ents {
		if err := ValidUSCC(e.USCC); err != nil {
			t.Fatalf("%s: %v", e.USCC, err)
		}
		if seen[e.USCC] {
			t.Fatalf("duplicate USCC %s", e.USCC)
		}
		seen[e.USCC] = true
	}
	for _, gb := range []bool{false, true} {
		t.Run(fmt.Sprintf("gb18030=%v", gb), func(t *testing.T) {
			var buf bytes.Buffer
			if err := WriteRosterCSV(&buf, ents, gb); err != nil {
				t.Fatal(err)
			}
			if got := bytes.Contains(buf.Bytes(), []byte("青")); got == gb {
				t.Errorf("UTF-8 bytes present = %v with gb18030 = %v", got, gb)
			}
			rows, problems, err := ParseRoster(&buf, "fake.csv")
			if err != nil {
				t.Fatal(err)
			}
			if len(problems) != 0 {
				t.Fatalf("problems: %v", problems[:min(3, len(problems))])
			}
			if len(rows) != len(ents) {
				t.Fatalf("got %d rows, want %d", len(rows), len(ents))
			}
			for i, r := range rows {
				if r.Line != i+2 || r.Enterprise != ents[i] {
					t.Fatalf("row %d: got line %d %+v, want line %d %+v", i, r.Line, r.Enterprise, i+2, ents[i])
				}
			}
		})
	}
}

// BenchmarkParseRosterGB18030_100k parses a 100,000-row GB18030 roster as
// Excel on Chinese Windows saves it, streaming (ScanRoster, as the import
// does: the rows are not kept).
func BenchmarkParseRosterGB18030_100k(b *testing.B) {
	const n = 100_000
	var buf bytes.Buffer
	if err := WriteRosterCSV(&buf, FakeRoster(n, 1), true); err != nil {
		b.Fatal(err)
	}
	data := buf.Bytes()
	b.SetBytes(int64(len(data)))
	iters := 0
	for b.Loop() {
		iters++
		rows := 0
		problems, err := ScanRoster(bytes.NewReader(data), "名录.csv", RosterScan{Row: func(RosterRow) error { rows++; return nil }})
		if err != nil || rows != n || len(problems) != 0 {
			b.Fatalf("got %d rows, %d problems, %v", rows, len(problems), err)
		}
	}
	b.ReportMetric(float64(n)*float64(iters)/b.Elapsed().Seconds(), "rows/s")
}

// rosterFuzzSeeds are inputs worth keeping in the committed fuzz corpus
// besides the files of testdata/roster.
var rosterFuzzSeeds = []struct {
	data, name string
}{
	{"企业名称,统一社会信用代码\n\"青岛\n海信\",91370202MA3C12345B\n\"未闭合,91370213163560070N\n", "a.csv"},
	{"企业名称,统一社会信用代码\n青\"岛\"海信,91370202MA3C12345B\n\"a\"\"b\"x,913702112645832155\n", "a.csv"},
	{"\ufeff\ufeff企业名称,统一社会信用代码\r\r\n甲,91370202MA3C12345B\r", "a.csv"},
	{"t\nt\nt\nt\n企业名称,统一社会信用代码,职工人数\n甲,91370202MA3C12345B,\"1,2,3人\"\n", "a.txt"},
	{"企业名称\t统一社会信用代码;x\n甲\t91370202MA3C12345B\n", ""},
	{"名称,USCC,名称,USCC\n甲,91370202MA3C12345B,乙,913702112645832155\n甲,91370202MA3C12345B\n", "a.CSV"},
	{"\xff\xfe\x00\x00", "a.csv"},
	{"\xb1\xea,\x81\x30\x81\x30,\xff\n", "a.csv"},
	{"PK\x03\x04\x14\x00\x00\x00\x08\x00", "a.xlsx"},
	{"PK\x05\x06\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00\x00", "名录"},
	// Issue 10, finding 9: a header without a required column, unreadable
	// optional cells (warnings, not rejections), a cell over MaxRosterCell.
	{"标题\n企业名称,镇街,行业,职工人数\n甲,香港中路街道,制造业,1\n", "a.csv"},
	{"企业名称,统一社会信用代码,职工人数,是否建会\n甲,91370202MA3C12345B,约100人,也许\n乙,91370202MA3C12345B,1,是\n", "a.csv"},
	{"企业名称,统一社会信用代码,地址\n甲,91370202MA3C12345B," + strings.Repeat("x", MaxRosterCell+1) + "\n乙,913702112645832155,短\n", "a.csv"},
}

// writeRosterFuzzCorpus writes rosterFuzzSeeds to testdata/fuzz in the
// format of go test -fuzz.
func writeRosterFuzzCorpus(t *testing.T) {
	t.Helper()
	dir := filepath.Join("testdata", "fuzz", "FuzzParseRoster")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	for i, s := range rosterFuzzSeeds {
		body := fmt.Sprintf("go test fuzz v1\n[]byte(%s)\nstring(%s)\n", strconv.Quote(s.data), strconv.Quote(s.name))
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("seed-%02d", i)), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// FuzzParseRoster checks that no file makes the parser panic and that what
// it reports stays within the file: problem and row lines exist, there are
// no more results than data lines, accepted rows are valid and distinct.
func FuzzParseRoster(f *testing.F) {
	entries, err := os.ReadDir(rosterDir)
	if err != nil {
		f.Fatal(err)
	}
	for _, e := range entries {
		b, err := os.ReadFile(filepath.Join(rosterDir, e.Name()))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b, e.Name())
	}
	for _, s := range rosterFuzzSeeds {
		f.Add([]byte(s.data), s.name)
	}
	f.Fuzz(func(t *testing.T, data []byte, name string) {
		rows, problems, err := ParseRoster(bytes.NewReader(data), name)
		if err != nil {
			if rows != nil || problems != nil {
				t.Fatalf("results with error %v", err)
			}
			return
		}
		// An upper bound of the lines (CSV) or rows (XLSX) of the file.
		lines := bytes.Count(data, []byte("\n")) + 1
		if looksXLSX(name, data) {
			lines = excelize.TotalRows
		}
		if got := len(rows) + len(problems); got > lines-1 {
			t.Fatalf("%d rows and problems from at most %d data lines", got, lines-1)
		}
		used := make(map[int]bool)
		for _, p := range problems {
			if p.Line < 1 || p.Line > lines {
				t.Fatalf("problem line %d outside 1..%d", p.Line, lines)
			}
			if p.Reason == "" {
				t.Fatalf("problem on line %d without a reason", p.Line)
			}
			used[p.Line] = true
		}
		codes := make(map[string]bool)
		for _, r := range rows {
			if r.Line < 2 || r.Line > lines {
				t.Fatalf("row line %d outside 2..%d", r.Line, lines)
			}
			if used[r.Line] {
				t.Fatalf("line %d both accepted and rejected or accepted twice", r.Line)
			}
			used[r.Line] = true
			e := r.Enterprise
			if err := ValidUSCC(e.USCC); err != nil {
				t.Fatalf("accepted row %d with bad code %q: %v", r.Line, e.USCC, err)
			}
			if codes[e.USCC] {
				t.Fatalf("code %s accepted twice", e.USCC)
			}
			codes[e.USCC] = true
			if e.Name == "" || e.Workers < 0 || e.ID != "" {
				t.Fatalf("accepted row %d: %+v", r.Line, e)
			}
		}
	})
}

// looksXLSX mirrors ParseRoster's choice of the XLSX reader.
func looksXLSX(name string, data []byte) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".xlsx" || ext == ".xlsm" || bytes.HasPrefix(data, []byte("PK\x03\x04")) && ext != ".csv" && ext != ".txt"
}

// rosterXLSX writes ents as a one-sheet workbook with a title row above
// the header; the worker count is a number cell, everything else text.
func rosterXLSX(tb testing.TB, ents []Enterprise) []byte {
	tb.Helper()
	f := excelize.NewFile()
	defer f.Close()
	sw, err := f.NewStreamWriter("Sheet1")
	if err != nil {
		tb.Fatal(err)
	}
	row := func(n int, vals ...any) {
		tb.Helper()
		cell, err := excelize.CoordinatesToCellName(1, n)
		if err != nil {
			tb.Fatal(err)
		}
		if err := sw.SetRow(cell, vals); err != nil {
			tb.Fatal(err)
		}
	}
	row(1, "企业名录（虚构）")
	hdr := make([]any, len(rosterCSVHeader))
	for i, h := range rosterCSVHeader {
		hdr[i] = h
	}
	row(2, hdr...)
	for i, e := range ents {
		union := "否"
		if e.HasUnion {
			union = "是"
		}
		row(i+3, e.Name, e.USCC, e.District, e.Street, e.Industry, e.Workers, union, e.Contact, e.Phone, e.Address)
	}
	if err := sw.Flush(); err != nil {
		tb.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func TestFakeRosterXLSXRoundTrip(t *testing.T) {
	ents := FakeRoster(500, 3)
	rows, problems, err := ParseRoster(bytes.NewReader(rosterXLSX(t, ents)), "名录.xlsx")
	if err != nil {
		t.Fatal(err)
	}
	if len(problems) != 0 || len(rows) != len(ents) {
		t.Fatalf("got %d rows, %d problems, want %d rows", len(rows), len(problems), len(ents))
	}
	for i, r := range rows {
		if r.Line != i+3 || r.Enterprise != ents[i] {
			t.Fatalf("row %d: got line %d %+v, want line %d %+v", i, r.Line, r.Enterprise, i+3, ents[i])
		}
	}
}

// BenchmarkParseRosterXLSX_20k parses a 20,000-row workbook.
func BenchmarkParseRosterXLSX_20k(b *testing.B) {
	const n = 20_000
	data := rosterXLSX(b, FakeRoster(n, 1))
	b.SetBytes(int64(len(data)))
	iters := 0
	for b.Loop() {
		iters++
		rows, problems, err := ParseRoster(bytes.NewReader(data), "名录.xlsx")
		if err != nil || len(rows) != n || len(problems) != 0 {
			b.Fatalf("got %d rows, %d problems, %v", len(rows), len(problems), err)
		}
	}
	b.ReportMetric(float64(n)*float64(iters)/b.Elapsed().Seconds(), "rows/s")
}

func TestOneLine(t *testing.T) {
	tests := []struct{ in, want string }{
		{"青岛海信", "青岛海信"},
		{"a  b", "a  b"},
		{"市南区\n香港中路", "市南区香港中路"},
		{"青岛 \r\n\t 海信", "青岛海信"},
		{"A\nB", "A B"},
		{"No.\n5号", "No. 5号"},
		{"香港中路\n10号", "香港中路 10号"},
		{"（一）\n车间", "（一）车间"},
	}
	for _, tt := range tests {
		if got := oneLine(tt.in); got != tt.want {
			t.Errorf("oneLine(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestParseRosterXLSXWithoutHeader(t *testing.T) {
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetRow("Sheet1", "A1", &[]any{"姓名", "电话"}); err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	_, _, err := ParseRoster(&buf, "名录.xlsx")
	if err == nil || !strings.Contains(err.Error(), "第一个工作表“Sheet1”") || !strings.Contains(err.Error(), "没有找到表头") {
		t.Errorf("got error %v, want one naming the first sheet and the missing header", err)
	}
}
