package survey

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
)

// A roster sets only the columns it has: Update leaves every other field,
// and every empty or unreadable optional cell, as it was.
func TestRosterRowUpdateKeepsWhatTheFileLacks(t *testing.T) {
	old := Enterprise{ID: "e1", Name: "青岛海信电器", USCC: "91370202MA3C12345B", District: "市南区", Street: "香港中路街道",
		Industry: "制造业", Workers: 1200, HasUnion: true, Contact: "王伟", Phone: "13812345678", Address: "香港中路1号", AssignedTo: "dev"}
	text := "企业名称,统一社会信用代码,行业,职工人数,联系人,是否建会\n" +
		"青岛海信电器股份有限公司,91370202MA3C12345B,快递,约100人,,\n"
	rows, problems, err := ParseRoster(strings.NewReader(text), "名录.csv")
	if err != nil || len(problems) != 0 || len(rows) != 1 {
		t.Fatalf("%v %v %v", rows, problems, err)
	}
	r := rows[0]
	if want := FieldName | FieldUSCC | FieldIndustry; r.Set != want {
		t.Errorf("Set = %b, want %b", r.Set, want)
	}
	if len(r.Warnings) != 1 || !strings.Contains(r.Warnings[0], "职工人数不是整数：约100人") {
		t.Errorf("warnings %q", r.Warnings)
	}
	got := r.Update(old)
	want := old
	want.Name, want.Industry = "青岛海信电器股份有限公司", "快递"
	if got != want {
		t.Errorf("Update:\n got %+v\nwant %+v", got, want)
	}
}

// A file lacking a required column is refused, naming it and what was
// found; a cell over MaxRosterCell rejects its row naming the column.
func TestRosterRequiredColumnsAndCellLimit(t *testing.T) {
	for _, tt := range []struct{ name, text, want string }{
		{"no USCC column", "企业名称,镇街,行业\n甲,香港中路街道,制造业\n", "文件缺少必需的列 “统一社会信用代码”：第 1 行的表头只有 企业名称、镇街、行业"},
		{"no name column", "序号,统一社会信用代码,联系人,联系电话\n1,91370202MA3C12345B,王伟,1\n", "文件缺少必需的列 “企业名称”"},
		{"nothing like a roster", "a,b\n1,2\n", "没有找到表头"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			for _, name := range []string{"a.csv", "a.xlsx"} {
				data := []byte(tt.text)
				if name == "a.xlsx" {
					data = xlsxOf(t, tt.text)
				}
				_, _, err := ParseRoster(bytes.NewReader(data), name)
				if err == nil || !strings.Contains(err.Error(), tt.want) {
					t.Errorf("%s: %v, want %q", name, err, tt.want)
				}
			}
		})
	}
	long := strings.Repeat("青", MaxRosterCell/3+1)
	text := "企业名称,统一社会信用代码,备注,地址\n甲,91370202MA3C12345B,,短\n乙,91370213163560070N," + strings.Repeat("x", 10000) + "," + long + "\n"
	rows, problems, err := ParseRoster(strings.NewReader(text), "a.csv")
	if err != nil || len(rows) != 1 || len(problems) != 1 {
		t.Fatalf("%v %v %v", rows, problems, err)
	}
	if p := problems[0]; p.Line != 3 || !strings.Contains(p.Reason, "“地址”（D 列）有 4098 字节，超过每格 4096 字节") {
		t.Errorf("problem %+v", p)
	}
}

// xlsxOf writes CSV text as a one-sheet workbook.
func xlsxOf(t *testing.T, text string) []byte {
	t.Helper()
	var ents [][]string
	for _, l := range strings.Split(strings.TrimSpace(text), "\n") {
		ents = append(ents, strings.Split(l, ","))
	}
	return xlsxRows(t, ents)
}

// ScanRoster hands rows over as it reads and stops at the first error
// from the caller; progress comes with an estimate of the rows in all.
func TestScanRosterStreamsAndStops(t *testing.T) {
	var buf bytes.Buffer
	if err := WriteRosterCSV(&buf, FakeRoster(5000, 2), true); err != nil {
		t.Fatal(err)
	}
	stop := errors.New("stop")
	n := 0
	var calls [][2]int
	_, err := ScanRoster(bytes.NewReader(buf.Bytes()), "名录.csv", RosterScan{
		Row: func(RosterRow) error {
			if n++; n == 3000 {
				return stop
			}
			return nil
		},
		Progress: func(done, total int) { calls = append(calls, [2]int{done, total}) },
	})
	if !errors.Is(err, stop) || n != 3000 {
		t.Fatalf("err %v after %d rows", err, n)
	}
	if len(calls) != 3 || calls[2][0] != 3000 || calls[2][1] < 4500 || calls[2][1] > 5500 {
		t.Errorf("progress %v, want estimates near 5000", calls)
	}
}

// xlsxRows writes rows of text cells as a one-sheet workbook.
func xlsxRows(t *testing.T, rows [][]string) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	for i, r := range rows {
		vals := make([]any, len(r))
		for j, v := range r {
			vals[j] = v
		}
		cell, _ := excelize.CoordinatesToCellName(1, i+1)
		if err := f.SetSheetRow("Sheet1", cell, &vals); err != nil {
			t.Fatal(err)
		}
	}
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func TestCheckXMLText(t *testing.T) {
	const limit = 1 << 10
	big := strings.Repeat("x", limit+1)
	tests := []struct {
		name, xml string
		tooLong   bool
	}{
		{"short texts", strings.Repeat("<c><v>"+strings.Repeat("x", 100)+"</v></c>", 1000), false},
		{"long text", "<c><v>" + big + "</v></c>", true},
		{"long attribute run", `<c r="` + big + `"/>`, true},
		{"CDATA full of <", "<t><![CDATA[" + strings.Repeat("<a", limit) + "]]></t>", true},
		{"short CDATA", "<t><![CDATA[<a>]]></t><t>" + strings.Repeat("y", 100) + "</t>", false},
		{"comment full of <", "<!--" + strings.Repeat("<a", limit) + "-->", true},
		{"unterminated CDATA", "<t><![CDATA[abc", false},
	}
	for _, tt := range tests {
		err := checkXMLText(strings.NewReader(tt.xml), limit)
		if got := errors.Is(err, errTextTooLong); got != tt.tooLong || (err != nil && !got) {
			t.Errorf("%s: %v, want too long %v", tt.name, err, tt.tooLong)
		}
	}
}

// bulkDecoder gives what decoding in one go gives, whatever the chunk
// boundaries (multi-byte characters cut at 64 KiB, a source read a byte
// at a time, a broken sequence at the very end).
func TestBulkDecoder(t *testing.T) {
	var text strings.Builder
	for text.Len() < 300<<10 {
		text.WriteString("青岛海信电器股份有限公司,91370202MA3C12345B,市南区香港中路街道€\n")
	}
	src := gb18030Bytes(t, text.String())
	for _, data := range [][]byte{src, append(src[:len(src):len(src)], 0x81)} {
		want, _ := simplifiedchinese.GB18030.NewDecoder().Bytes(data)
		for _, r := range []io.Reader{bytes.NewReader(data), iotest.OneByteReader(bytes.NewReader(data))} {
			got, err := io.ReadAll(encGB18030.decoder(r))
			if err != nil || !bytes.Equal(got, want) {
				t.Fatalf("decoded %d bytes (%v), want %d", len(got), err, len(want))
			}
		}
	}
}
