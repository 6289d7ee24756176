package survey

import (
	"archive/zip"
	"bufio"
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
	// A field the row does not set (see Set) is empty.
	Enterprise Enterprise
	// Set says which fields of Enterprise the row sets: the file has the
	// column and the cell is neither empty nor unreadable. Name and USCC
	// are always set. Update applies only these to a known enterprise, so
	// a file without the 地址 column (the app's own visits export) never
	// blanks an address.
	Set RosterField
	// Warnings (Chinese) name optional cells that could not be read (职工人数
	// "约100人"); the row is imported without them.
	Warnings []string
}

// RosterField is a set of Enterprise fields a roster row sets.
type RosterField uint16

// Roster fields, one per known column.
const (
	FieldName RosterField = 1 << iota
	FieldUSCC
	FieldDistrict
	FieldStreet
	FieldIndustry
	FieldWorkers
	FieldHasUnion
	FieldContact
	FieldPhone
	FieldAddress
)

// Has reports whether f includes every field of g.
func (f RosterField) Has(g RosterField) bool { return f&g == g }

// Update returns e with the fields this row sets replaced by the row's
// values; every other field keeps e's value (a column missing from the
// file, an empty cell, an optional cell that could not be read). e's ID and
// AssignedTo are kept.
func (r RosterRow) Update(e Enterprise) Enterprise {
	n := r.Enterprise
	set := func(f RosterField, dst *string, v string) {
		if r.Set.Has(f) {
			*dst = v
		}
	}
	set(FieldName, &e.Name, n.Name)
	set(FieldUSCC, &e.USCC, n.USCC)
	set(FieldDistrict, &e.District, n.District)
	set(FieldStreet, &e.Street, n.Street)
	set(FieldIndustry, &e.Industry, n.Industry)
	set(FieldContact, &e.Contact, n.Contact)
	set(FieldPhone, &e.Phone, n.Phone)
	set(FieldAddress, &e.Address, n.Address)
	if r.Set.Has(FieldWorkers) {
		e.Workers = n.Workers
	}
	if r.Set.Has(FieldHasUnion) {
		e.HasUnion = n.HasUnion
	}
	return e
}

// RosterProblem is a rejected row of a roster file.
type RosterProblem struct {
	Line   int    // as RosterRow.Line
	Reason string // Chinese, user-facing
}

// Limits on roster files. A CSV file is read as a stream, so its size
// bounds time, not memory; an .xlsx file is a zip archive that has to be
// in memory whole. A district roster of a few hundred thousand enterprises
// is well under both.
const (
	// MaxRosterBytes is the largest CSV roster.
	MaxRosterBytes = 256 << 20
	// MaxRosterXLSXBytes is the largest .xlsx roster (compressed).
	MaxRosterXLSXBytes = 64 << 20
	// MaxRosterCell is the longest cell of a known column, in bytes
	// (about 1,300 Chinese characters): a longer one rejects its row.
	MaxRosterCell = 4 << 10
	// maxRosterRecord is the longest CSV record (one row, all columns) and
	// the longest text in an .xlsx part: a longer one refuses the file
	// before it is held in memory (a 200 MB cell costs at most this much).
	maxRosterRecord = 1 << 20
	// xlsxUnzipLimit bounds everything an .xlsx file unpacks to;
	// xlsxInMemory is the largest worksheet or shared-string part excelize
	// keeps in memory (larger ones go to a temporary file and are streamed);
	// xlsxOtherPart bounds any other part (styles, images), which excelize
	// reads whole.
	xlsxUnzipLimit = 512 << 20
	xlsxInMemory   = 4 << 20
	xlsxOtherPart  = 32 << 20
)

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

// requiredColumns must be in every roster.
var requiredColumns = []rosterColumn{colName, colUSCC}

// parseHeader recognises a header record. It reports false unless the
// record has at least the name and the USCC column. When a column appears
// twice, the leftmost one is used. known counts the columns it recognised.
func parseHeader(rec []string) (h headerMap, ok bool, known int) {
	for i := range h {
		h[i] = -1
	}
	for i, cell := range rec {
		if c := matchHeader(cell); c >= 0 && h[c] < 0 {
			h[c] = i
			known++
		}
	}
	for _, c := range requiredColumns {
		if h[c] < 0 {
			return h, false, known
		}
	}
	return h, true, known
}

// errNoHeader is the Chinese message for a file without a roster header.
var errNoHeader = fmt.Errorf("文件前 %d 行中没有找到表头（至少要有“企业名称”和“统一社会信用代码”两列），这似乎不是企业名录", headerSearchRows)

// headerSearch follows the first rows of a file looking for the header.
// When none is found but a row names some roster columns (a visits export,
// a list of contacts), the error names the required columns it lacks.
type headerSearch struct {
	best      headerMap
	bestKnown int
	bestLine  int
}

func (s *headerSearch) try(line int, rec []string) (headerMap, bool) {
	h, ok, known := parseHeader(rec)
	if !ok && known > s.bestKnown {
		s.best, s.bestKnown, s.bestLine = h, known, line
	}
	return h, ok
}

// err is the error for a file whose first rows hold no header.
func (s *headerSearch) err() error {
	if s.bestKnown < 2 {
		return errNoHeader
	}
	var missing, found []string
	for c := range numRosterColumns {
		if s.best[c] >= 0 {
			found = append(found, rosterHeaderNames[c][0])
		}
	}
	for _, c := range requiredColumns {
		if s.best[c] < 0 {
			missing = append(missing, "“"+rosterHeaderNames[c][0]+"”")
		}
	}
	return &missingColumns{line: s.bestLine, missing: missing, found: found}
}

// missingColumns refuses a file whose header lacks required columns.
type missingColumns struct {
	line           int
	missing, found []string
}

func (e *missingColumns) Error() string {
	return fmt.Sprintf("文件缺少必需的列 %s：第 %d 行的表头只有 %s。企业名录至少要有“企业名称”和“统一社会信用代码”两列",
		strings.Join(e.missing, "、"), e.line, strings.Join(e.found, "、"))
}

// Is makes it count as errNoHeader, so other encodings and delimiters are
// still tried.
func (e *missingColumns) Is(target error) bool { return target == errNoHeader }

// rowParser turns data records into rows and problems; it is shared by the
// CSV and the XLSX reader. Good rows go to emit as they are parsed.
type rowParser struct {
	h        headerMap
	seen     map[string]int // USCC -> line of the first accepted row
	problems []RosterProblem
	emit     func(RosterRow) error
	rows     int
	err      error // from emit: stops the parse
}

func newRowParser(h headerMap, emit func(RosterRow) error) *rowParser {
	return &rowParser{h: h, seen: make(map[string]int), emit: emit}
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
	if p.err != nil || blankRecord(rec) {
		return
	}
	row, reason := p.row(rec)
	if reason == "" {
		if first, dup := p.seen[row.Enterprise.USCC]; dup {
			reason = fmt.Sprintf("与第 %d 行的统一社会信用代码重复：%s", first, row.Enterprise.USCC)
		}
	}
	if reason != "" {
		p.problems = append(p.problems, RosterProblem{Line: line, Reason: reason})
		return
	}
	p.seen[row.Enterprise.USCC] = line
	row.Line = line
	p.rows++
	p.err = p.emit(row)
}

// columnLetter names the spreadsheet column of cell index i (0: A).
func columnLetter(i int) string {
	s, err := excelize.ColumnNumberToName(i + 1)
	if err != nil {
		return strconv.Itoa(i + 1)
	}
	return s
}

// row builds the row of a record, or returns the reason it is rejected.
// A required cell that is missing or wrong rejects the row; an optional
// cell that cannot be read becomes a warning and is left out.
func (p *rowParser) row(rec []string) (RosterRow, string) {
	var r RosterRow
	for c := range numRosterColumns {
		if i := p.h[c]; i >= 0 && i < len(rec) && len(rec[i]) > MaxRosterCell {
			return r, fmt.Sprintf("“%s”（%s 列）有 %d 字节，超过每格 %d 字节的上限，该行未导入",
				rosterHeaderNames[c][0], columnLetter(i), len(rec[i]), MaxRosterCell)
		}
	}
	e := &r.Enterprise
	e.Name = p.cell(rec, colName)
	if e.Name == "" {
		return r, "缺少企业名称"
	}
	raw := textMarkup(p.cell(rec, colUSCC))
	if raw == "" {
		return r, "缺少统一社会信用代码"
	}
	e.USCC = normalizeUSCCFast(raw)
	if err := ValidUSCC(e.USCC); err != nil {
		if looksScientific(raw) {
			return r, fmt.Sprintf("统一社会信用代码“%s”被 Excel 存成了数字，位数已经丢失；请把该列设为文本格式后重新填写", raw)
		}
		return r, err.Error()
	}
	r.Set = FieldName | FieldUSCC
	text := func(c rosterColumn, f RosterField, dst *string, markup bool) {
		v := p.cell(rec, c)
		if markup {
			v = textMarkup(v)
		}
		if v != "" {
			*dst = v
			r.Set |= f
		}
	}
	text(colDistrict, FieldDistrict, &e.District, false)
	text(colStreet, FieldStreet, &e.Street, false)
	text(colIndustry, FieldIndustry, &e.Industry, false)
	text(colContact, FieldContact, &e.Contact, false)
	text(colPhone, FieldPhone, &e.Phone, true)
	text(colAddress, FieldAddress, &e.Address, false)
	if s := p.cell(rec, colWorkers); s != "" {
		if n, reason := parseWorkers(s); reason != "" {
			r.Warnings = append(r.Warnings, reason+"，该项未导入")
		} else {
			e.Workers = n
			r.Set |= FieldWorkers
		}
	}
	if s := p.cell(rec, colHasUnion); s != "" {
		if b, ok := parseYesNo(s); !ok {
			r.Warnings = append(r.Warnings, fmt.Sprintf("是否建会无法识别：%s（应填“是”或“否”），该项未导入", s))
		} else {
			e.HasUnion = b
			r.Set |= FieldHasUnion
		}
	}
	for _, f := range [...]string{e.Name, e.District, e.Street, e.Industry, e.Contact, e.Phone, e.Address} {
		if strings.ContainsRune(f, utf8.RuneError) {
			return r, "含有无法识别的乱码字符（文件编码有误或已损坏），请检查该行"
		}
	}
	return r, ""
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

// RosterScan says what ScanRoster does with what it reads.
type RosterScan struct {
	// Row receives each accepted row as soon as it is parsed (a row with
	// warnings is accepted). An error stops the scan and is returned.
	Row func(RosterRow) error
	// Progress, when not nil, is called every 1,000 rows with the rows so
	// far and an estimate of the rows in all (from the bytes read, or the
	// sheet's dimension); the estimate is 0 when unknown.
	Progress func(done, total int)
}

// ParseRoster reads a whole .csv or .xlsx roster file (see ScanRoster) and
// returns the good rows and the rejected ones, each with its line (CSV) or
// row number (XLSX). The error is non-nil only when the file as a whole is
// unusable (empty, unreadable, too large, without a roster header); its
// message is Chinese, and no rows or problems come with it.
func ParseRoster(r io.Reader, filename string) ([]RosterRow, []RosterProblem, error) {
	var rows []RosterRow
	problems, err := ScanRoster(r, filename, RosterScan{Row: func(row RosterRow) error {
		rows = append(rows, row)
		return nil
	}})
	if err != nil {
		return nil, nil, err
	}
	return rows, problems, nil
}

// ScanRoster reads a .csv or .xlsx roster file as a stream and hands every
// accepted row to scan.Row as it goes; it returns the rejected rows. The
// format is chosen by the filename extension and, when that says nothing,
// by the content (an .xlsx file is a zip archive). CSV files may be UTF-8
// with or without BOM, GB18030/GBK (as Excel on Chinese Windows saves them)
// or UTF-16 with BOM (Excel's "Unicode text"); the encoding and the
// delimiter are detected on the first 256 KiB. The header row may be on one
// of the first five rows and is matched flexibly (synonyms, "（必填）"
// decorations); unknown columns are ignored; a file without the 企业名称
// and 统一社会信用代码 columns is refused, naming them.
//
// Memory is bounded whatever the file: a CSV file is never held whole
// (MaxRosterBytes bounds its length), a CSV record is at most 1 MiB, a cell
// of a known column at most MaxRosterCell (a longer one rejects its row);
// an .xlsx file is at most MaxRosterXLSXBytes and no text in it longer than
// 1 MiB. The error is non-nil when the file as a whole is unusable (its
// message is Chinese) or when scan.Row failed; rows already handed to
// scan.Row must then be discarded by the caller (storage does it in one
// transaction).
func ScanRoster(r io.Reader, filename string, scan RosterScan) ([]RosterProblem, error) {
	if scan.Row == nil {
		scan.Row = func(RosterRow) error { return nil }
	}
	size := int64(-1)
	switch v := r.(type) {
	case interface{ Stat() (fs.FileInfo, error) }:
		if fi, err := v.Stat(); err == nil && fi.Mode().IsRegular() {
			size = fi.Size()
		}
	case interface{ Len() int }:
		size = int64(v.Len())
	}
	if size > MaxRosterBytes {
		return nil, tooLargeRoster(MaxRosterBytes)
	}
	cr := &countingReader{r: io.LimitReader(r, MaxRosterBytes+1)}
	br := bufio.NewReaderSize(cr, sniffBytes)
	head, err := br.Peek(sniffBytes)
	if err != nil && err != io.EOF && !errors.Is(err, bufio.ErrBufferFull) {
		return nil, fmt.Errorf("无法读取文件：%w", err)
	}
	if len(bytes.TrimSpace(head)) == 0 && len(head) < sniffBytes {
		return nil, errors.New("文件是空的，没有任何企业")
	}
	ext := strings.ToLower(filepath.Ext(filename))
	switch {
	case bytes.HasPrefix(head, []byte("\xd0\xcf\x11\xe0")):
		return nil, errors.New("不支持旧版 Excel 97-2003（.xls）文件或设置了密码的 Excel 文件，请在 Excel 中“另存为”不加密的 .xlsx 或 CSV 后再导入")
	case ext == ".xlsx" || ext == ".xlsm" || bytes.HasPrefix(head, []byte("PK\x03\x04")) && ext != ".csv" && ext != ".txt":
		if size > MaxRosterXLSXBytes {
			return nil, tooLargeRoster(MaxRosterXLSXBytes)
		}
		data, err := io.ReadAll(io.LimitReader(br, MaxRosterXLSXBytes+1))
		if err != nil {
			return nil, fmt.Errorf("无法读取文件：%w", err)
		}
		if len(data) > MaxRosterXLSXBytes {
			return nil, tooLargeRoster(MaxRosterXLSXBytes)
		}
		return scanRosterXLSX(data, scan)
	default:
		return scanRosterCSV(br, head, cr, size, scan)
	}
}

// sniffBytes is how much of a CSV file decides its encoding and delimiter.
const sniffBytes = 256 << 10

func tooLargeRoster(limit int) error {
	return fmt.Errorf("文件太大：名录文件最多 %d MB，请拆分后再导入", limit>>20)
}

// countingReader counts the bytes read through it and refuses to go past
// MaxRosterBytes (it reads from a LimitReader one byte longer).
type countingReader struct {
	r io.Reader
	n int64
}

func (c *countingReader) Read(p []byte) (int, error) {
	n, err := c.r.Read(p)
	c.n += int64(n)
	if c.n > MaxRosterBytes {
		return n, errRosterTooLarge
	}
	return n, err
}

var errRosterTooLarge = tooLargeRoster(MaxRosterBytes)

// textEncoding is how a CSV file's bytes become UTF-8.
type textEncoding int

const (
	encUTF8 textEncoding = iota
	encUTF8BOM
	encUTF16
	encGB18030
)

// decoder returns r decoded to UTF-8. UTF-8 is passed as is: bytes that
// are not UTF-8 reject their rows (the garbled-text check). GB18030 is a
// superset of GBK and GB2312; bytes that do not decode become U+FFFD.
func (e textEncoding) decoder(r io.Reader) io.Reader {
	switch e {
	case encUTF8BOM:
		var bom [3]byte
		io.ReadFull(r, bom[:])
		return r
	case encUTF16:
		return transform.NewReader(r, xunicode.UTF16(xunicode.LittleEndian, xunicode.ExpectBOM).NewDecoder())
	case encGB18030:
		return &bulkDecoder{r: r, t: simplifiedchinese.GB18030.NewDecoder(), src: make([]byte, 64<<10), dst: make([]byte, 96<<10+16)}
	}
	return r
}

// bulkDecoder is transform.NewReader with 64 KiB chunks instead of 4 KiB:
// decoding a 100,000-row GB18030 roster is a fifth of its parse time, and
// small chunks double that.
type bulkDecoder struct {
	r        io.Reader
	t        transform.Transformer
	src, dst []byte
	s0, s1   int // undecoded bytes in src
	d0, d1   int // decoded bytes in dst not yet returned
	eof      bool
	err      error
}

func (b *bulkDecoder) Read(p []byte) (int, error) {
	for b.d0 == b.d1 {
		if b.err != nil {
			return 0, b.err
		}
		if b.s0 > 0 {
			b.s1 = copy(b.src, b.src[b.s0:b.s1])
			b.s0 = 0
		}
		if !b.eof && b.s1 < len(b.src) {
			n, err := b.r.Read(b.src[b.s1:])
			b.s1 += n
			if err == io.EOF {
				b.eof = true
			} else if err != nil {
				b.err = err
			}
		}
		nd, ns, err := b.t.Transform(b.dst, b.src[b.s0:b.s1], b.eof)
		b.s0 += ns
		b.d0, b.d1 = 0, nd
		switch {
		case err == nil:
			if b.eof && b.s0 == b.s1 && nd == 0 {
				b.err = io.EOF
			}
		case errors.Is(err, transform.ErrShortSrc) || errors.Is(err, transform.ErrShortDst):
			if nd == 0 && ns == 0 && b.eof {
				b.err = io.ErrUnexpectedEOF
			}
		default:
			b.err = err
		}
	}
	n := copy(p, b.dst[b.d0:b.d1])
	b.d0 += n
	return n, nil
}

// candidates lists the encodings to try for a file starting with head.
func candidates(head []byte, whole bool) []textEncoding {
	switch {
	case bytes.HasPrefix(head, []byte("\xff\xfe")), bytes.HasPrefix(head, []byte("\xfe\xff")):
		return []textEncoding{encUTF16}
	case bytes.HasPrefix(head, []byte("\xef\xbb\xbf")):
		return []textEncoding{encUTF8BOM}
	case validUTF8Prefix(head, whole):
		return []textEncoding{encUTF8}
	}
	// A file taken for GB18030 whose header only makes sense as UTF-8
	// (UTF-8 with a few damaged bytes) is read as UTF-8; its damaged rows
	// are rejected.
	return []textEncoding{encGB18030, encUTF8}
}

// validUTF8Prefix reports whether head is UTF-8, allowing a rune cut off
// at its end when head is only the start of the file.
func validUTF8Prefix(head []byte, whole bool) bool {
	if utf8.Valid(head) {
		return true
	}
	if whole {
		return false
	}
	for cut := 1; cut < utf8.UTFMax && cut <= len(head); cut++ {
		if utf8.Valid(head[:len(head)-cut]) {
			return !utf8.FullRune(head[len(head)-cut:])
		}
	}
	return false
}

// scanRosterCSV parses a delimited text roster. The encoding and the
// delimiter (a comma, or a tab or semicolon when the header is only found
// with those: Excel's "Unicode text" export is tab-separated) are chosen on
// the first sniffBytes; then the whole file streams through a csv.Reader.
func scanRosterCSV(br *bufio.Reader, head []byte, cr *countingReader, size int64, scan RosterScan) ([]RosterProblem, error) {
	whole := len(head) < sniffBytes
	enc, delim, err := sniffCSV(head, whole)
	if err != nil {
		return nil, err
	}
	lim := &recordLimiter{r: enc.decoder(br)}
	lim.limit = maxRosterRecord + recordSlack
	csvr := csv.NewReader(lim)
	csvr.Comma = delim
	csvr.FieldsPerRecord = -1
	csvr.LazyQuotes = true
	csvr.ReuseRecord = true
	var (
		p       *rowParser
		hs      headerSearch
		early   []RosterProblem // CSV syntax errors before the header
		endLine int             // last line of the last record read
	)
	emit := scan.Row
	if scan.Progress != nil {
		emit = func(row RosterRow) error {
			if p.rows%1000 == 0 && p.rows > 0 {
				total := 0
				if read := cr.n - int64(br.Buffered()); size > 0 && read > 0 {
					total = max(p.rows, int(int64(p.rows)*size/read))
				}
				scan.Progress(p.rows, total)
			}
			return scan.Row(row)
		}
	}
	for n := 0; ; n++ {
		rec, err := csvr.Read()
		lim.limit = csvr.InputOffset() + maxRosterRecord + recordSlack
		if lim.tripped {
			return nil, fmt.Errorf("从第 %d 行起有一行超过 %d MB（可能有过长的单元格），文件未导入", endLine+1, maxRosterRecord>>20)
		}
		if errors.Is(err, errRosterTooLarge) {
			return nil, errRosterTooLarge
		}
		if err == io.EOF {
			break
		}
		var line int
		if err != nil {
			var pe *csv.ParseError
			if !errors.As(err, &pe) {
				return nil, fmt.Errorf("无法读取文件：%w", err)
			}
			line = pe.StartLine
			endLine = max(endLine, pe.Line)
			prob := RosterProblem{Line: line, Reason: "CSV 格式错误：" + csvErrorText(pe.Err)}
			if p == nil {
				early = append(early, prob)
			} else {
				p.problems = append(p.problems, prob)
			}
			continue
		}
		line, _ = csvr.FieldPos(0)
		endLine = line
		for _, f := range rec {
			endLine += strings.Count(f, "\n")
		}
		if p == nil {
			if n >= headerSearchRows {
				return nil, hs.err()
			}
			if h, ok := hs.try(line, rec); ok {
				p = newRowParser(h, func(row RosterRow) error { return emit(row) })
				p.problems = append(p.problems, early...)
			}
			continue
		}
		p.add(line, rec)
		if p.err != nil {
			return nil, p.err
		}
	}
	if p == nil {
		return nil, hs.err()
	}
	if scan.Progress != nil {
		scan.Progress(p.rows, p.rows)
	}
	return p.problems, nil
}

// sniffCSV picks the encoding and the delimiter under which the first rows
// of head hold a roster header.
func sniffCSV(head []byte, whole bool) (textEncoding, rune, error) {
	var first error
	for _, enc := range candidates(head, whole) {
		text, _ := io.ReadAll(enc.decoder(bytes.NewReader(head)))
		if len(bytes.TrimSpace(text)) == 0 && whole {
			return 0, 0, errors.New("文件是空的，没有任何企业")
		}
		for _, delim := range []rune{',', '\t', ';'} {
			if delim != ',' && !bytes.ContainsRune(text, delim) {
				continue
			}
			err := findHeader(text, delim)
			if err == nil {
				return enc, delim, nil
			}
			if first == nil || !errors.Is(first, errNoHeader) || isMissingColumns(err) && !isMissingColumns(first) {
				first = err
			}
		}
	}
	return 0, 0, first
}

func isMissingColumns(err error) bool {
	var mc *missingColumns
	return errors.As(err, &mc)
}

// findHeader looks for the header in the first rows of text.
func findHeader(text []byte, delim rune) error {
	csvr := csv.NewReader(bytes.NewReader(text))
	csvr.Comma = delim
	csvr.FieldsPerRecord = -1
	csvr.LazyQuotes = true
	var hs headerSearch
	for n := 0; n < headerSearchRows; n++ {
		rec, err := csvr.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			continue
		}
		line, _ := csvr.FieldPos(0)
		if _, ok := hs.try(line, rec); ok {
			return nil
		}
	}
	return hs.err()
}

// recordLimiter stops a csv.Reader from collecting one record longer than
// maxRosterRecord: after each record the caller moves limit to the
// reader's offset plus the allowance (the csv.Reader's own buffer reads at
// most recordSlack ahead). A record crossing it ends the file with an error
// instead of growing without bound.
type recordLimiter struct {
	r       io.Reader
	n       int64 // bytes handed to the csv.Reader
	limit   int64
	tripped bool
}

// recordSlack covers the csv.Reader's bufio buffer (4 KiB) reading ahead.
const recordSlack = 64 << 10

var errRecordTooLong = errors.New("record too long")

func (l *recordLimiter) Read(p []byte) (int, error) {
	if l.n >= l.limit {
		l.tripped = true
		return 0, errRecordTooLong
	}
	if room := l.limit - l.n; int64(len(p)) > room {
		p = p[:room]
	}
	n, err := l.r.Read(p)
	l.n += int64(n)
	return n, err
}

// scanRosterXLSX parses the first sheet of an .xlsx workbook, row by row.
// The archive is checked first (checkXLSX) so that excelize never holds a
// huge part or a huge cell in memory.
func scanRosterXLSX(data []byte, scan RosterScan) (problems []RosterProblem, err error) {
	const unreadable = "无法读取 Excel 文件（文件可能已损坏，或不是 .xlsx 格式）"
	// excelize is a large parser of outside input; a malformed workbook must
	// not take the whole program down.
	defer func() {
		if r := recover(); r != nil {
			problems, err = nil, fmt.Errorf("%s：%v", unreadable, r)
		}
	}()
	if err := checkXLSX(data); err != nil {
		return nil, err
	}
	f, err := excelize.OpenReader(bytes.NewReader(data), excelize.Options{UnzipSizeLimit: xlsxUnzipLimit, UnzipXMLSizeLimit: xlsxInMemory})
	if err != nil {
		return nil, fmt.Errorf("%s：%w", unreadable, err)
	}
	defer f.Close()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, errors.New("Excel 文件中没有工作表")
	}
	total := 0
	if dim, err := f.GetSheetDimension(sheets[0]); err == nil {
		if _, last, ok := strings.Cut(dim, ":"); ok {
			if _, row, err := excelize.CellNameToCoordinates(last); err == nil {
				total = row
			}
		}
	}
	it, err := f.Rows(sheets[0])
	if err != nil {
		return nil, fmt.Errorf("%s：%w", unreadable, err)
	}
	defer it.Close()
	var (
		p  *rowParser
		hs headerSearch
	)
	for line := 1; it.Next(); line++ {
		rec, err := it.Columns()
		if err != nil {
			return nil, fmt.Errorf("%s：第 %d 行：%w", unreadable, line, err)
		}
		if p == nil {
			if line > headerSearchRows {
				return nil, fmt.Errorf("第一个工作表“%s”：%w", sheets[0], hs.err())
			}
			if h, ok := hs.try(line, rec); ok {
				p = newRowParser(h, scan.Row)
			}
			continue
		}
		p.add(line, rec)
		if p.err != nil {
			return nil, p.err
		}
		if scan.Progress != nil && p.rows%1000 == 0 && p.rows > 0 {
			scan.Progress(p.rows, max(total-line+p.rows, p.rows))
		}
	}
	if err := it.Error(); err != nil {
		return nil, fmt.Errorf("%s：%w", unreadable, err)
	}
	if p == nil {
		return nil, fmt.Errorf("第一个工作表“%s”：%w", sheets[0], hs.err())
	}
	if scan.Progress != nil {
		scan.Progress(p.rows, p.rows)
	}
	return p.problems, nil
}

// checkXLSX refuses a workbook that would make excelize use a lot of
// memory: more than xlsxUnzipLimit unpacked, a part other than a worksheet
// or the shared strings larger than xlsxOtherPart (excelize reads those
// whole), or a text longer than maxRosterRecord in a worksheet or the
// shared strings (excelize decodes a cell's text whole: a 200 MB cell would
// cost gigabytes). Worksheets and shared strings are otherwise streamed.
func checkXLSX(data []byte) error {
	const unreadable = "无法读取 Excel 文件（文件可能已损坏，或不是 .xlsx 格式）"
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return fmt.Errorf("%s：%w", unreadable, err)
	}
	var total uint64
	for _, zf := range zr.File {
		total += zf.UncompressedSize64
		if total > xlsxUnzipLimit {
			return fmt.Errorf("Excel 文件解压后超过 %d MB，太大了，请拆分后再导入", xlsxUnzipLimit>>20)
		}
		name := strings.ToLower(strings.ReplaceAll(zf.Name, "\\", "/"))
		if !strings.HasPrefix(name, "xl/worksheets/sheet") && name != "xl/sharedstrings.xml" {
			if zf.UncompressedSize64 > xlsxOtherPart {
				return fmt.Errorf("Excel 文件中的 %s 有 %d MB，太大了（名录不需要图片等大对象）", zf.Name, zf.UncompressedSize64>>20)
			}
			continue
		}
		rc, err := zf.Open()
		if err != nil {
			return fmt.Errorf("%s：%w", unreadable, err)
		}
		err = checkXMLText(rc, maxRosterRecord)
		rc.Close()
		if errors.Is(err, errTextTooLong) {
			where := "一个工作表"
			if name == "xl/sharedstrings.xml" {
				where = "共享文本表"
			}
			return fmt.Errorf("Excel 文件的%s中有超过 %d MB 的单元格内容，文件未导入；请检查是否误粘贴了大量内容", where, maxRosterRecord>>20)
		}
		if err != nil {
			return fmt.Errorf("%s：%w", unreadable, err)
		}
	}
	return nil
}

var errTextTooLong = errors.New("text too long")

// checkXMLText reads XML and fails when any text between two tags, any
// CDATA section or any comment is longer than limit bytes. It does not
// parse the XML; it only bounds what a parser would have to hold at once.
func checkXMLText(r io.Reader, limit int) error {
	br := bufio.NewReaderSize(r, 64<<10)
	run := 0
	for {
		chunk, err := br.ReadSlice('<')
		run += len(chunk)
		if run > limit {
			return errTextTooLong
		}
		switch {
		case err == nil:
			run = 0
			next, _ := br.Peek(8)
			switch {
			case bytes.HasPrefix(next, []byte("![CDATA[")):
				if err := skipUntil(br, "]]>", limit); err != nil {
					return err
				}
			case bytes.HasPrefix(next, []byte("!--")):
				if err := skipUntil(br, "-->", limit); err != nil {
					return err
				}
			}
		case errors.Is(err, bufio.ErrBufferFull):
		case err == io.EOF:
			return nil
		default:
			return err
		}
	}
}

// skipUntil reads past the next end marker, failing after limit bytes.
func skipUntil(br *bufio.Reader, end string, limit int) error {
	last := byte(end[len(end)-1])
	n := 0
	var tail []byte
	for {
		chunk, err := br.ReadSlice(last)
		n += len(chunk)
		if n > limit {
			return errTextTooLong
		}
		tail = append(tail, chunk...)
		if len(tail) > len(end) {
			tail = tail[len(tail)-len(end):]
		}
		switch {
		case err == nil:
			if bytes.HasSuffix(tail, []byte(end)) {
				return nil
			}
		case errors.Is(err, bufio.ErrBufferFull):
		case err == io.EOF:
			return nil
		default:
			return err
		}
	}
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
