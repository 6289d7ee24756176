package survey

import (
	"bytes"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/xuri/excelize/v2"
	"golang.org/x/text/encoding/simplifiedchinese"
	xunicode "golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
	"golang.org/x/text/width"
)

// RosterRow is one parsed data row of a roster file.
type RosterRow struct {
	// Line is the 1-based line (CSV) or row number (XLSX) of the row as a
	// user sees it in Excel or a text editor.
	Line int
	// Enterprise is the parsed row; its ID is empty (storage assigns it).
	Enterprise Enterprise
}

// RosterProblem is a rejected row of a roster file.
type RosterProblem struct {
	Line   int    // as RosterRow.Line
	Reason string // Chinese, user-facing
}

// MaxRosterBytes is the largest roster file ParseRoster accepts. A real
// district roster of a few hundred thousand enterprises is well under it.
const MaxRosterBytes = 256 << 20

// headerSearchRows is how many leading rows may hold the header (title rows
// such as "2026年春季走访企业名录" usually sit above it).
const headerSearchRows = 5

// rosterColumn identifies a known roster column.
type rosterColumn int

const (
	colName rosterColumn = iota
	colUSCC
	colDistrict
	colStreet
	colIndustry
	colWorkers
	colHasUnion
	colContact
	colPhone
	colAddress
	numRosterColumns
)

// rosterHeaderNames lists the accepted header texts of every column, already
// in the folded form of foldHeader. The first name is the canonical one.
var rosterHeaderNames = [numRosterColumns][]string{
	colName:     {"企业名称", "单位名称", "企业(单位)名称", "企业单位名称", "名称"},
	colUSCC:     {"统一社会信用代码", "信用代码", "社会信用代码", "uscc"},
	colDistrict: {"所属区市", "区市", "所属区县", "区(市)", "区县", "所属区(市)"},
	colStreet:   {"镇街", "街道", "镇(街道)", "所属镇街", "镇街道", "所属街道"},
	colIndustry: {"行业", "所属行业", "行业类别"},
	colWorkers:  {"职工人数", "职工数", "从业人数", "人数"},
	colHasUnion: {"是否建会", "已建会", "建会情况"},
	colContact:  {"联系人"},
	colPhone:    {"联系电话", "电话", "手机"},
	colAddress:  {"地址", "企业地址", "注册地址"},
}

// headerLookup maps a folded header text to its column.
var headerLookup = func() map[string]rosterColumn {
	m := make(map[string]rosterColumn)
	for c, names := range rosterHeaderNames {
		for _, n := range names {
			m[n] = rosterColumn(c)
		}
	}
	return m
}()

// headerDecorations are removed from a header cell before matching.
var headerDecorations = []string{"(必填)", "(选填)", "(可选)", "*"}

// foldHeader brings a header cell into the form used by rosterHeaderNames:
// half-width, no white space (including the full-width space), no
// "（必填）" or "*" decorations, lower case.
func foldHeader(s string) string {
	s = width.Fold.String(s)
	s = strings.Map(func(r rune) rune {
		if unicode.IsSpace(r) || r == '\ufeff' {
			return -1
		}
		return unicode.ToLower(r)
	}, s)
	for _, d := range headerDecorations {
		s = strings.ReplaceAll(s, d, "")
	}
	return s
}

// matchHeader returns the column of a header cell, or -1 when unknown. A
// trailing unit in parentheses ("职工人数(人)") is tolerated.
func matchHeader(cell string) rosterColumn {
	h := foldHeader(cell)
	if h == "" {
		return -1
	}
	if c, ok := headerLookup[h]; ok {
		return c
	}
	if strings.HasSuffix(h, ")") {
		if i := strings.LastIndexByte(h, '('); i > 0 {
			if c, ok := headerLookup[h[:i]]; ok {
				return c
			}
		}
	}
	return -1
}

// headerMap maps known columns to their cell index in a record; -1 when the
// file has no such column.
type headerMap [numRosterColumns]int

// parseHeader recognises a header record. It reports false unless the
// record has at least the name and the USCC column. When a column appears
// twice, the leftmost one is used.
func parseHeader(rec []string) (headerMap, bool) {
	var h headerMap
	for i := range h {
		h[i] = -1
	}
	for i, cell := range rec {
		if c := matchHeader(cell); c >= 0 && h[c] < 0 {
			h[c] = i
		}
	}
	return h, h[colName] >= 0 && h[colUSCC] >= 0
}

// errNoHeader is the Chinese message for a file without a roster header.
var errNoHeader = fmt.Errorf("文件前 %d 行中没有找到表头（至少要有“企业名称”和“统一社会信用代码”两列），这似乎不是企业名录", headerSearchRows)

// rowParser turns data records into rows and problems; it is shared by the
// CSV and the XLSX reader.
type rowParser struct {
	h        headerMap
	seen     map[string]int // USCC -> line of the first accepted row
	rows     []RosterRow
	problems []RosterProblem
}

// newRowParser returns a parser for a file of about sizeHint data rows.
func newRowParser(h headerMap, sizeHint int) *rowParser {
	sizeHint = max(0, min(sizeHint, 1<<18))
	return &rowParser{h: h, seen: make(map[string]int, sizeHint), rows: make([]RosterRow, 0, sizeHint)}
}

// cell returns the trimmed, one-line value of column c in rec.
func (p *rowParser) cell(rec []string, c rosterColumn) string {
	i := p.h[c]
	if i < 0 || i >= len(rec) {
		return ""
	}
	return oneLine(trimCell(rec[i]))
}

// oneLine joins the lines of a cell typed with Alt+Enter in Excel: a line
// break (with the spaces around it) between two Chinese characters goes
// away, elsewhere it becomes one space.
func oneLine(s string) string {
	if !strings.ContainsAny(s, "\r\n\t") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	var prev rune // last rune written
	for i := 0; i < len(s); {
		r, size := utf8.DecodeRuneInString(s[i:])
		if !isCellSpace(r) {
			b.WriteString(s[i : i+size])
			prev = r
			i += size
			continue
		}
		// A run of white space: kept as is unless it holds a line break.
		end := i
		for end < len(s) {
			r, size := utf8.DecodeRuneInString(s[end:])
			if !isCellSpace(r) {
				break
			}
			end += size
		}
		run := s[i:end]
		next, _ := utf8.DecodeRuneInString(s[end:])
		switch {
		case !strings.ContainsAny(run, "\r\n\t"):
			b.WriteString(run)
		case isWide(prev) && isWide(next):
		default:
			b.WriteByte(' ')
		}
		i = end
	}
	return b.String()
}

// isWide reports a Chinese character or full-width punctuation, which
// needs no space to its neighbour.
func isWide(r rune) bool {
	return r >= 0x2e80 && !isCellSpace(r)
}

// isCellSpace reports the white space trimmed from cells: Unicode spaces,
// the full-width space, the no-break space and a stray BOM.
func isCellSpace(r rune) bool {
	return unicode.IsSpace(r) || r == '\u3000' || r == '\u00a0' || r == '\ufeff'
}

// trimCell removes surrounding white space, with a fast path for the common
// case of a cell that needs nothing.
func trimCell(s string) string {
	if s == "" {
		return s
	}
	if first, last := s[0], s[len(s)-1]; first > ' ' && first < utf8.RuneSelf && last > ' ' && last < utf8.RuneSelf {
		return s
	}
	return strings.TrimFunc(s, isCellSpace)
}

// blankRecord reports whether every cell of rec is empty or white space.
func blankRecord(rec []string) bool {
	for _, c := range rec {
		if trimCell(c) != "" {
			return false
		}
	}
	return true
}

// add parses one data record found at line.
func (p *rowParser) add(line int, rec []string) {
	if blankRecord(rec) {
		return
	}
	e, reason := p.enterprise(rec)
	if reason == "" {
		if first, dup := p.seen[e.USCC]; dup {
			reason = fmt.Sprintf("与第 %d 行的统一社会信用代码重复：%s", first, e.USCC)
		}
	}
	if reason != "" {
		p.problems = append(p.problems, RosterProblem{Line: line, Reason: reason})
		return
	}
	p.seen[e.USCC] = line
	p.rows = append(p.rows, RosterRow{Line: line, Enterprise: e})
}

// enterprise builds the enterprise of a record, or returns the reason it is
// rejected.
func (p *rowParser) enterprise(rec []string) (Enterprise, string) {
	var e Enterprise
	e.Name = p.cell(rec, colName)
	if e.Name == "" {
		return e, "缺少企业名称"
	}
	raw := textMarkup(p.cell(rec, colUSCC))
	if raw == "" {
		return e, "缺少统一社会信用代码"
	}
	e.USCC = normalizeUSCCFast(raw)
	if err := ValidUSCC(e.USCC); err != nil {
		if looksScientific(raw) {
			return e, fmt.Sprintf("统一社会信用代码“%s”被 Excel 存成了数字，位数已经丢失；请把该列设为文本格式后重新填写", raw)
		}
		return e, err.Error()
	}
	e.District = p.cell(rec, colDistrict)
	e.Street = p.cell(rec, colStreet)
	e.Industry = p.cell(rec, colIndustry)
	e.Contact = p.cell(rec, colContact)
	e.Phone = textMarkup(p.cell(rec, colPhone))
	e.Address = p.cell(rec, colAddress)
	if s := p.cell(rec, colWorkers); s != "" {
		n, reason := parseWorkers(s)
		if reason != "" {
			return e, reason
		}
		e.Workers = n
	}
	if s := p.cell(rec, colHasUnion); s != "" {
		b, ok := parseYesNo(s)
		if !ok {
			return e, fmt.Sprintf("是否建会无法识别：%s（应填“是”或“否”）", s)
		}
		e.HasUnion = b
	}
	for _, f := range [...]string{e.Name, e.District, e.Street, e.Industry, e.Contact, e.Phone, e.Address} {
		if strings.ContainsRune(f, utf8.RuneError) {
			return e, "含有无法识别的乱码字符（文件编码有误或已损坏），请检查该行"
		}
	}
	return e, ""
}

// textMarkup removes what people and export tools add to keep Excel from
// turning a long number into 9.13702E+17: a leading apostrophe ('9137...)
// or the formula form ="9137...".
func textMarkup(s string) string {
	if strings.HasPrefix(s, "'") {
		return trimCell(s[1:])
	}
	if len(s) > 3 && strings.HasPrefix(s, `="`) && strings.HasSuffix(s, `"`) {
		return trimCell(s[2 : len(s)-1])
	}
	return s
}

// normalizeUSCCFast is NormalizeUSCC with a shortcut for the usual cell that
// is already 18 upper-case ASCII letters and digits.
func normalizeUSCCFast(s string) string {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !('0' <= c && c <= '9' || 'A' <= c && c <= 'Z') {
			return NormalizeUSCC(s)
		}
	}
	return s
}

// looksScientific reports whether s is a number in the scientific notation
// Excel shows for long numbers ("9.13702E+17").
func looksScientific(s string) bool {
	s = strings.ToUpper(s)
	i := strings.Index(s, "E+")
	if i <= 0 {
		return false
	}
	_, err := strconv.ParseFloat(s, 64)
	return err == nil
}

// parseWorkers reads a worker count such as "1200", "1,200", "1200人" or
// "1200.0" (a number as Excel may export it).
func parseWorkers(s string) (int, string) {
	if n, err := strconv.Atoi(s); err == nil && n >= 0 {
		return n, ""
	}
	t := width.Narrow.String(s)
	t = strings.TrimSuffix(strings.TrimSpace(t), "人")
	t = strings.Map(func(r rune) rune {
		if r == ',' || r == '，' || isCellSpace(r) {
			return -1
		}
		return r
	}, t)
	if i := strings.IndexByte(t, '.'); i > 0 && strings.Trim(t[i+1:], "0") == "" {
		t = t[:i]
	}
	n, err := strconv.Atoi(t)
	if err != nil {
		if ne, ok := err.(*strconv.NumError); ok && ne.Err == strconv.ErrRange {
			return 0, fmt.Sprintf("职工人数过大：%s", s)
		}
		return 0, fmt.Sprintf("职工人数不是整数：%s", s)
	}
	if n < 0 {
		return 0, fmt.Sprintf("职工人数不能为负数：%s", s)
	}
	return n, ""
}

// parseYesNo reads the 是否建会 column.
func parseYesNo(s string) (bool, bool) {
	switch s {
	case "是":
		return true, true
	case "否":
		return false, true
	}
	switch strings.ToLower(width.Narrow.String(s)) {
	case "是", "已建", "已建会", "有", "y", "yes", "1", "true", "√":
		return true, true
	case "否", "未建", "未建会", "无", "没有", "n", "no", "0", "false", "×":
		return false, true
	}
	return false, false
}

// ParseRoster reads a whole .csv or .xlsx roster file. The format is chosen
// by the filename extension and, when that says nothing, by the content (an
// .xlsx file is a zip archive). CSV files may be UTF-8 with or without BOM,
// GB18030/GBK (as Excel on Chinese Windows saves them) or UTF-16 with BOM
// (Excel's "Unicode text"); the encoding is detected. The header row may be
// on one of the first five rows and is matched flexibly (synonyms,
// "（必填）" decorations); unknown columns are ignored.
//
// It returns the good rows and the rejected ones, each with its line (CSV)
// or row number (XLSX). The error is non-nil only when the file as a whole
// is unusable (empty, unreadable, or without a roster header); its message
// is Chinese.
func ParseRoster(r io.Reader, filename string) ([]RosterRow, []RosterProblem, error) {
	data, err := readAllSized(r)
	if err != nil {
		return nil, nil, fmt.Errorf("import roster: %w", err)
	}
	if len(data) > MaxRosterBytes {
		return nil, nil, fmt.Errorf("文件超过 %d MB，太大了，请拆分后再导入", MaxRosterBytes>>20)
	}
	if len(bytes.TrimSpace(data)) == 0 {
		return nil, nil, errors.New("文件是空的，没有任何企业")
	}
	ext := strings.ToLower(filepath.Ext(filename))
	switch {
	case bytes.HasPrefix(data, []byte("\xd0\xcf\x11\xe0")):
		return nil, nil, errors.New("不支持旧版 Excel 97-2003（.xls）文件或设置了密码的 Excel 文件，请在 Excel 中“另存为”不加密的 .xlsx 或 CSV 后再导入")
	case ext == ".xlsx" || ext == ".xlsm" || bytes.HasPrefix(data, []byte("PK\x03\x04")) && ext != ".csv" && ext != ".txt":
		return parseRosterXLSX(data)
	default:
		return parseRosterCSV(data)
	}
}

// readAllSized reads r whole, at most MaxRosterBytes+1 bytes, allocating
// once when the size is known in advance (a file, a bytes.Reader).
func readAllSized(r io.Reader) ([]byte, error) {
	size := int64(0)
	switch v := r.(type) {
	case interface{ Stat() (fs.FileInfo, error) }:
		if fi, err := v.Stat(); err == nil && fi.Mode().IsRegular() {
			size = fi.Size()
		}
	case interface{ Len() int }:
		size = int64(v.Len())
	}
	size = min(size, MaxRosterBytes+1)
	buf := bytes.NewBuffer(make([]byte, 0, size+bytes.MinRead))
	_, err := buf.ReadFrom(io.LimitReader(r, MaxRosterBytes+1))
	return buf.Bytes(), err
}

// decodeGB18030 decodes GB18030 text into one buffer sized for the worst
// case (two GBK bytes become three UTF-8 bytes).
func decodeGB18030(data []byte) ([]byte, error) {
	dst := make([]byte, len(data)*3/2+16)
	dec := simplifiedchinese.GB18030.NewDecoder()
	n, _, err := dec.Transform(dst, data, true)
	if err == transform.ErrShortDst {
		return dec.Bytes(data) // not expected; fall back to the growing path
	}
	if err != nil {
		return nil, err
	}
	return dst[:n], nil
}

// decodeText turns the bytes of a text file into valid UTF-8: UTF-16 with
// BOM, UTF-8 (BOM removed), or else GB18030, a superset of GBK and GB2312.
// Bytes that do not decode become U+FFFD, which rejects their rows.
func decodeText(data []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(data, []byte("\xff\xfe")), bytes.HasPrefix(data, []byte("\xfe\xff")):
		dec := xunicode.UTF16(xunicode.LittleEndian, xunicode.ExpectBOM).NewDecoder()
		return dec.Bytes(data)
	case bytes.HasPrefix(data, []byte("\xef\xbb\xbf")):
		return bytes.ToValidUTF8(data[3:], []byte("\uFFFD")), nil
	case utf8.Valid(data):
		return data, nil
	default:
		return decodeGB18030(data)
	}
}

// parseRosterCSV parses a delimited text roster. The delimiter is a comma,
// or a tab or semicolon when the header is only found with those (Excel's
// "Unicode text" export is tab-separated). A file taken for GB18030 whose
// header only makes sense as UTF-8 (UTF-8 with a few damaged bytes) is read
// as UTF-8; its damaged rows are rejected.
func parseRosterCSV(data []byte) ([]RosterRow, []RosterProblem, error) {
	text, err := decodeText(data)
	if err != nil {
		return nil, nil, fmt.Errorf("文件编码无法识别（既不是 UTF-8 也不是 GBK/GB18030）：%w", err)
	}
	if len(bytes.TrimSpace(text)) == 0 {
		return nil, nil, errors.New("文件是空的，没有任何企业")
	}
	rows, problems, err := parseText(text)
	if errors.Is(err, errNoHeader) && !utf8.Valid(data) && !bytes.HasPrefix(data, []byte("\xef\xbb\xbf")) &&
		!bytes.HasPrefix(data, []byte("\xff\xfe")) && !bytes.HasPrefix(data, []byte("\xfe\xff")) {
		if r, p, err2 := parseText(bytes.ToValidUTF8(data, []byte("\uFFFD"))); err2 == nil {
			return r, p, nil
		}
	}
	return rows, problems, err
}

// parseText parses decoded text, trying the delimiters in turn.
func parseText(text []byte) ([]RosterRow, []RosterProblem, error) {
	rows, problems, err := parseCSVWith(text, ',')
	for _, delim := range []rune{'\t', ';'} {
		if !errors.Is(err, errNoHeader) {
			break
		}
		if bytes.ContainsRune(text, delim) {
			rows, problems, err = parseCSVWith(text, delim)
		}
	}
	return rows, problems, err
}

func newCSVReader(text []byte, delim rune) *csv.Reader {
	cr := csv.NewReader(bytes.NewReader(text))
	cr.Comma = delim
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	cr.ReuseRecord = true
	return cr
}

// parseCSVWith parses text with one delimiter; it returns errNoHeader when
// no header is found in the first rows.
func parseCSVWith(text []byte, delim rune) ([]RosterRow, []RosterProblem, error) {
	cr := newCSVReader(text, delim)
	var p *rowParser
	var early []RosterProblem // CSV syntax errors before the header
	for n := 0; ; n++ {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		var line int
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return nil, nil, fmt.Errorf("import roster: %w", err)
			}
			line = pe.StartLine
			prob := RosterProblem{Line: line, Reason: "CSV 格式错误：" + csvErrorText(pe.Err)}
			if p == nil {
				early = append(early, prob)
			} else {
				p.problems = append(p.problems, prob)
			}
			continue
		}
		line, _ = cr.FieldPos(0)
		if p == nil {
			if n >= headerSearchRows {
				return nil, nil, errNoHeader
			}
			if h, ok := parseHeader(rec); ok {
				p = newRowParser(h, bytes.Count(text, []byte{'\n'})-line)
				p.problems = append(p.problems, early...)
			}
			continue
		}
		p.add(line, rec)
	}
	if p == nil {
		return nil, nil, errNoHeader
	}
	return p.rows, p.problems, nil
}

// csvErrorText translates the errors of encoding/csv.
func csvErrorText(err error) string {
	switch {
	case errors.Is(err, csv.ErrQuote), errors.Is(err, csv.ErrBareQuote):
		return "引号不配对"
	case errors.Is(err, csv.ErrFieldCount):
		return "列数不对"
	}
	return err.Error()
}

// parseRosterXLSX parses the first sheet of an .xlsx workbook, row by row.
func parseRosterXLSX(data []byte) (rows []RosterRow, problems []RosterProblem, err error) {
	const unreadable = "无法读取 Excel 文件（文件可能已损坏，或不是 .xlsx 格式）"
	// excelize is a large parser of outside input; a malformed workbook must
	// not take the whole program down.
	defer func() {
		if r := recover(); r != nil {
			rows, problems, err = nil, nil, fmt.Errorf("%s：%v", unreadable, r)
		}
	}()
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: 512 << 20})
	if err != nil {
		return nil, nil, fmt.Errorf("%s：%w", unreadable, err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, nil, errors.New("Excel 文件中没有工作表")
	}
	it, err := f.Rows(sheets[0])
	if err != nil {
		return nil, nil, fmt.Errorf("%s：%w", unreadable, err)
	}
	defer it.Close()
	var p *rowParser
	for line := 1; it.Next(); line++ {
		rec, err := it.Columns()
		if err != nil {
			return nil, nil, fmt.Errorf("%s：第 %d 行：%w", unreadable, line, err)
		}
		if p == nil {
			if line > headerSearchRows {
				return nil, nil, fmt.Errorf("第一个工作表“%s”：%w", sheets[0], errNoHeader)
			}
			if h, ok := parseHeader(rec); ok {
				p = newRowParser(h, 0)
			}
			continue
		}
		p.add(line, rec)
	}
	if err := it.Error(); err != nil {
		return nil, nil, fmt.Errorf("%s：%w", unreadable, err)
	}
	if p == nil {
		return nil, nil, fmt.Errorf("第一个工作表“%s”：%w", sheets[0], errNoHeader)
	}
	return p.rows, p.problems, nil
}
