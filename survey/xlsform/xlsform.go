// Package xlsform converts between XLSForm workbooks and the form
// definitions of package survey.
//
// XLSForm is how ODK, KoboToolbox and SurveyCTO authors write questionnaires
// in Excel: a "survey" sheet with one question per row (type, name, label,
// hint, required, relevant, constraint, constraint_message, calculation,
// default, appearance; begin/end group and repeat rows around sections), a
// "choices" sheet holding the options of select questions by list name, and
// a "settings" sheet (form_id, version, form_title). The expression language
// of survey is the XLSForm one, so expressions are carried over as written.
//
// Parse reads a workbook into a definition validated by survey.ParseForm,
// the same check the app runs when it loads a form. Everything the workbook
// says must end up in the definition: a question type, column, setting or
// function the engine does not support is refused with the sheet, row and
// column it is in and a Chinese explanation, never dropped. The only things
// read but not kept are labels in other languages than the one imported,
// sheets that are not part of XLSForm and unused choice lists; they are
// listed as notes.
//
// Write turns a definition into a workbook, and Parse(Write(f)) gives f back
// for every valid definition. Two survey types have no XLSForm name of their
// own: textarea is written as text with appearance "multiline", and
// enterprise (a reference to the roster) keeps its name. The form kind is an
// extra "kind" column of the settings sheet.
package xlsform

import (
	"fmt"
	"strings"

	"zoufang/survey"
)

// Limits on what Parse reads. Real questionnaires are far below them (the
// 90-question visit record is a 20 KB workbook); they keep a hostile or
// broken file from taking the memory or time of the process.
const (
	// MaxFileSize is the largest workbook Parse reads, in bytes.
	MaxFileSize = 8 << 20
	// maxUnzipped bounds the unpacked size of all parts of the workbook;
	// every part is kept in memory (no temporary files).
	maxUnzipped = 16 << 20
	// maxRows bounds the rows of one sheet that are present in the file.
	maxRows = 10000
	// maxColumns bounds the columns read from a sheet.
	maxColumns = 200
	// maxCells bounds the cells read from a sheet, empty ones included.
	maxCells = 1 << 20
	// maxCellText is the most characters Excel keeps in one cell; Write
	// refuses longer text rather than let it be cut.
	maxCellText = 32767
)

// Sheet names as XLSForm spells them.
const (
	SheetSurvey   = "survey"
	SheetChoices  = "choices"
	SheetSettings = "settings"
)

// Problem is one thing wrong with a workbook, or, as a note, one thing read
// but not kept, addressed the way a person finds it in Excel.
type Problem struct {
	// Sheet is the worksheet's name as it is in the workbook ("survey");
	// empty when the problem concerns the file as a whole.
	Sheet string `json:"sheet,omitempty"`
	// Row is the row number Excel shows (1 is the header row); 0 when the
	// problem concerns the sheet or a whole column.
	Row int `json:"row,omitempty"`
	// Column is the column's header as written ("relevant",
	// "label::English"), or the header that is missing.
	Column string `json:"column,omitempty"`
	// Cell is the cell's address ("E12") when the column exists and the
	// row is known.
	Cell string `json:"cell,omitempty"`
	// Message says what is wrong, in Chinese.
	Message string `json:"message"`
}

// Error renders the problem as "survey 表第 12 行 relevant 列（E12）：…".
func (p Problem) Error() string {
	var b strings.Builder
	if p.Sheet != "" {
		b.WriteString(p.Sheet)
		b.WriteString(" 表")
	}
	if p.Row > 0 {
		fmt.Fprintf(&b, "第 %d 行", p.Row)
	}
	if p.Column != "" {
		if b.Len() > 0 {
			b.WriteByte(' ')
		}
		fmt.Fprintf(&b, "%s 列", p.Column)
	}
	if p.Cell != "" {
		fmt.Fprintf(&b, "（%s）", p.Cell)
	}
	if b.Len() > 0 {
		b.WriteString("：")
	}
	b.WriteString(p.Message)
	return b.String()
}

// Error is the error of a refused workbook: every problem found.
type Error struct {
	// File is the workbook's name as given to Parse.
	File     string
	Problems []Problem
}

// Error lists the problems one per line, each prefixed with the file name.
func (e *Error) Error() string {
	lines := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		lines[i] = p.Error()
		if e.File != "" {
			lines[i] = e.File + ": " + lines[i]
		}
	}
	return strings.Join(lines, "\n")
}

// Result is what Parse makes of a workbook.
type Result struct {
	// Form is the validated definition; nil when there are Problems.
	Form *survey.Form
	// Problems are why the workbook was refused, in sheet and row order.
	Problems []Problem
	// Notes list what was read but deliberately not kept, and settings
	// that were filled in by default: show them in a preview.
	Notes []Problem
	file  string
	im    *importer // where each field came from, for CheckUpgrade
}

// Err returns nil when the workbook was accepted, otherwise an *Error
// listing every problem.
func (r *Result) Err() error {
	if len(r.Problems) == 0 {
		return nil
	}
	return &Error{File: r.file, Problems: r.Problems}
}
