package xlsform

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"unicode"

	"github.com/xuri/excelize/v2"
)

// column is one column of a sheet with its parsed header.
type column struct {
	idx  int    // zero-based
	text string // header as written, trimmed
	// base is the header's name in lower case with spaces as underscores
	// ("list name" → "list_name"); lang is the language after "::" or ":"
	// ("label::English" → "English"), empty when there is none.
	base, lang string
	used       bool // read by the importer
}

func (c *column) letter() string {
	name, _ := excelize.ColumnNumberToName(c.idx + 1)
	return name
}

// row is one row of a sheet that has content: its Excel row number and
// its cells (raw values, trailing empty cells trimmed).
type row struct {
	num   int
	cells []string
}

func (r row) get(c *column) string {
	if c == nil || c.idx >= len(r.cells) {
		return ""
	}
	return r.cells[c.idx]
}

// table is one sheet read as a header row and the rows below it.
type table struct {
	name      string // as in the workbook
	headerRow int    // 0 when the sheet is empty
	cols      []*column
	rows      []row
}

// col returns the column with the given base name and language; nil if
// there is none.
func (t *table) col(base, lang string) *column {
	if t == nil {
		return nil
	}
	for _, c := range t.cols {
		if c.base == base && c.lang == lang {
			return c
		}
	}
	return nil
}

// firstContent returns the first row with a non-empty cell in c.
func (t *table) firstContent(c *column) (row, int, bool) {
	n := 0
	var first row
	for _, r := range t.rows {
		if strings.TrimSpace(r.get(c)) != "" {
			if n == 0 {
				first = r
			}
			n++
		}
	}
	return first, n, n > 0
}

// parseHeader splits a header into its base name and language.
func parseHeader(text string) (base, lang string) {
	t := strings.TrimSpace(text)
	if i := strings.Index(t, "::"); i >= 0 {
		base, lang = t[:i], t[i+2:]
	} else if i := strings.IndexByte(t, ':'); i >= 0 {
		base, lang = t[:i], t[i+1:]
	} else {
		base = t
	}
	return strings.Join(strings.Fields(strings.ToLower(base)), "_"), strings.TrimSpace(lang)
}

// oleMagic starts the compound files of Excel 97–2003 workbooks and of
// password-protected .xlsx files.
var oleMagic = []byte{0xD0, 0xCF, 0x11, 0xE0, 0xA1, 0xB1, 0x1A, 0xE1}

// openWorkbook opens data as an .xlsx workbook within the size limits. The
// error is a user-facing Chinese message.
func openWorkbook(data []byte) (*excelize.File, error) {
	const unreadable = "无法读取 Excel 文件：文件不是 .xlsx 格式或已损坏"
	switch {
	case len(data) == 0:
		return nil, errors.New("文件是空的")
	case len(data) > MaxFileSize:
		return nil, fmt.Errorf("文件过大（%.1f MB，最多 %d MB），不像是一份问卷", float64(len(data))/(1<<20), MaxFileSize>>20)
	case bytes.HasPrefix(data, oleMagic):
		// Not handed to excelize: it would try to decrypt the file with
		// parameters the file itself chooses.
		return nil, errors.New("这是旧版 Excel 97-2003 (.xls) 文件或设置了密码的工作簿：请在 Excel 中“另存为” Excel 工作簿 (.xlsx)，不设密码")
	case !bytes.HasPrefix(data, []byte("PK")):
		return nil, errors.New(unreadable)
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{
		UnzipSizeLimit:    maxUnzipped,
		UnzipXMLSizeLimit: maxUnzipped,
	})
	if err != nil {
		if strings.Contains(err.Error(), "unzip size") {
			return nil, fmt.Errorf("文件解压后过大（超过 %d MB），不像是一份问卷", maxUnzipped>>20)
		}
		return nil, errors.New(unreadable)
	}
	return f, nil
}

// readTable reads one sheet: the first row with content is the header.
// Cells are read raw (as stored, not as formatted for display), so a
// version 3 reads "3" whatever the cell's number format. complete is false
// when the sheet could not be read to its end: the problems say why, and
// nothing should be made of the part read.
func readTable(f *excelize.File, name string) (t *table, problems []Problem, complete bool) {
	t = &table{name: name}
	it, err := f.Rows(name)
	if err != nil {
		return t, []Problem{{Sheet: name, Message: "无法读取此工作表（文件可能已损坏）"}}, false
	}
	defer it.Close()
	present, cellsRead, wide, control := 0, 0, false, false
	for num := 1; it.Next(); num++ {
		cells, err := it.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return t, append(problems, Problem{Sheet: name, Row: num, Message: "无法读取此行（文件可能已损坏）"}), false
		}
		if cells == nil {
			continue
		}
		// excelize pads a row with empty cells up to its last one, so a
		// row with a cell in column XFD costs 16,384 cells: bound them.
		cellsRead += len(cells)
		if present++; present > maxRows || cellsRead > maxCells {
			return t, append(problems, Problem{Sheet: name, Message: fmt.Sprintf("工作表超过 %d 行或 %d 个单元格，不像是一份问卷", maxRows, maxCells)}), false
		}
		end := len(cells)
		for end > 0 && strings.TrimSpace(cells[end-1]) == "" {
			end--
		}
		if end == 0 {
			continue
		}
		if end > maxColumns {
			if !wide {
				problems = append(problems, Problem{Sheet: name, Row: num, Message: fmt.Sprintf("超过 %d 列的内容无法读取", maxColumns)})
				wide = true
			}
			end = maxColumns
		}
		cells = cells[:end:end]
		for i, v := range cells {
			if !control && strings.ContainsFunc(v, isControl) {
				control = true
				cell, _ := excelize.CoordinatesToCellName(i+1, num)
				problems = append(problems, Problem{Sheet: name, Row: num, Cell: cell, Message: "单元格中有控制字符（不可见的特殊字符），请删除后再导入"})
			}
		}
		if t.headerRow == 0 {
			t.headerRow = num
			problems = append(problems, t.setHeader(cells)...)
			continue
		}
		t.rows = append(t.rows, row{num: num, cells: cells})
	}
	if err := it.Error(); err != nil {
		return t, append(problems, Problem{Sheet: name, Message: "无法读取此工作表（文件可能已损坏）"}), false
	}
	// Cells right of the header row get nameless columns, so that their
	// content is refused rather than overlooked.
	for _, r := range t.rows {
		for len(t.cols) < len(r.cells) {
			t.cols = append(t.cols, &column{idx: len(t.cols)})
		}
	}
	return t, problems, true
}

// setHeader parses the header row; two columns with the same name are a
// problem, since one of them would not be read.
func (t *table) setHeader(cells []string) []Problem {
	var problems []Problem
	for i, text := range cells {
		c := &column{idx: i, text: strings.TrimSpace(text)}
		c.base, c.lang = parseHeader(text)
		if c.base == "" && c.lang == "" {
			c.text = ""
		} else if other := t.col(c.base, c.lang); other != nil {
			problems = append(problems, Problem{Sheet: t.name, Row: t.headerRow, Column: c.text, Cell: cellName(c, t.headerRow),
				Message: fmt.Sprintf("列名与 %s 列重复，只能有一列", other.letter())})
			c.used = true // reported once, not again as unsupported
		}
		t.cols = append(t.cols, c)
	}
	return problems
}

// isControl reports the characters an Excel cell cannot hold as text
// (tabs and line breaks it can).
func isControl(r rune) bool {
	return unicode.IsControl(r) && r != '\n' && r != '\t' && r != '\r'
}

func cellName(c *column, rowNum int) string {
	if c == nil || rowNum <= 0 {
		return ""
	}
	name, _ := excelize.CoordinatesToCellName(c.idx+1, rowNum)
	return name
}
