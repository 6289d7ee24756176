package storage

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"reflect"

	"zoufang/survey"
)

// Rejected is a roster row that was not imported.
type Rejected struct {
	Line   int    // line (CSV) or row (XLSX) number as the user sees it
	Reason string // in Chinese
}

// Warning is a roster row that was imported without some optional cell
// that could not be read (职工人数 "约100人").
type Warning struct {
	Line   int
	Reason string // in Chinese
}

// ImportReport tells what a roster import did.
type ImportReport struct {
	Added, Updated, Unchanged int
	Rejected                  []Rejected
	Warnings                  []Warning
}

// ImportRoster reads a roster file (.csv in UTF-8, GB18030 or UTF-16, or
// .xlsx) as a stream and upserts its enterprises by USCC in one
// transaction: a file that cannot be read changes nothing, and rows with
// problems are reported with their line numbers while the good rows are
// imported. An enterprise that is already known keeps its id and
// assignment, and only the fields the file sets change: a column missing
// from the file, an empty cell or an unreadable optional cell keeps the
// value it had (survey.RosterRow.Update). progress, when not nil, is called
// from the importing goroutine with the rows done so far and an estimate
// of the rows in all.
func (db *DB) ImportRoster(ctx context.Context, r io.Reader, filename string, progress func(done, total int)) (ImportReport, error) {
	return db.ImportRosterThen(ctx, r, filename, progress, nil)
}

// ImportRosterThen is ImportRoster; then, when not nil, runs inside the
// import's transaction after the rows are stored (the district workbench
// writes its audit entry there), and an error from it undoes the import.
func (db *DB) ImportRosterThen(ctx context.Context, r io.Reader, filename string, progress func(done, total int), then func(tx *Tx, rep ImportReport) error) (ImportReport, error) {
	var rep ImportReport
	var problems []survey.RosterProblem
	err := db.Update(ctx, func(tx *Tx) error {
		rep = ImportReport{}
		known, err := tx.enterprisesByUSCC()
		if err != nil {
			return err
		}
		problems, err = survey.ScanRoster(r, filename, survey.RosterScan{Progress: progress, Row: func(row survey.RosterRow) error {
			if err := ctx.Err(); err != nil {
				return err
			}
			for _, w := range row.Warnings {
				rep.Warnings = append(rep.Warnings, Warning{Line: row.Line, Reason: w})
			}
			old, ok := known[row.Enterprise.USCC]
			if ok {
				e := row.Update(old)
				if reflect.DeepEqual(old, e) {
					rep.Unchanged++
					return nil
				}
				if _, err := tx.create(survey.KindEnterprise, e.ID, "", 0, e, false); err != nil {
					return &rowError{row.Line, err}
				}
				known[e.USCC] = e
				rep.Updated++
				return nil
			}
			e := row.Enterprise
			e.ID = newID(false)
			if _, err := tx.createVersion(survey.KindEnterprise, e.ID, "", 0, e, false, true); err != nil {
				return &rowError{row.Line, err}
			}
			known[e.USCC] = e
			rep.Added++
			return nil
		}})
		var re *rowError
		switch {
		case err == nil:
			if then == nil {
				return nil
			}
			for _, p := range problems {
				rep.Rejected = append(rep.Rejected, Rejected{Line: p.Line, Reason: p.Reason})
			}
			return then(tx, rep)
		case errors.As(err, &re), ctx.Err() != nil:
			return fmt.Errorf("import roster: %w", err)
		}
		// The file as a whole is unusable: its message is for the user.
		return wrapUser(err, "invalid_roster", "无法导入名册 %s：%v", filename, err)
	})
	var rejected []Rejected
	for _, p := range problems {
		rejected = append(rejected, Rejected{Line: p.Line, Reason: p.Reason})
	}
	if err != nil {
		return ImportReport{Rejected: rejected}, err
	}
	rep.Rejected = rejected
	return rep, nil
}

// rowError is a failure to store one roster row (not the file's fault).
type rowError struct {
	line int
	err  error
}

func (e *rowError) Error() string { return fmt.Sprintf("line %d: %v", e.line, e.err) }
func (e *rowError) Unwrap() error { return e.err }

func (tx *Tx) enterprisesByUSCC() (map[string]survey.Enterprise, error) {
	rows, err := tx.Query(`SELECT body FROM enterprises`)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	out := map[string]survey.Enterprise{}
	for rows.Next() {
		var body []byte
		var e survey.Enterprise
		if err := rows.Scan(&body); err != nil {
			return nil, err
		}
		if err := json.Unmarshal(body, &e); err != nil {
			return nil, err
		}
		out[e.USCC] = e
	}
	return out, rows.Err()
}

// Summary is the one-line Chinese summary of an import of the named file.
func (r ImportReport) Summary(name string) string {
	s := fmt.Sprintf("%s：新增 %d 家，更新 %d 家，未变 %d 家", name, r.Added, r.Updated, r.Unchanged)
	if len(r.Rejected) > 0 {
		s += fmt.Sprintf("，%d 行未导入", len(r.Rejected))
	}
	if n := r.warnedRows(); n > 0 {
		s += fmt.Sprintf("，%d 行有个别内容无法识别、未导入", n)
	}
	return s
}

// Details lists, in Chinese, every rejected row and then every cell that
// could not be read (its row imported without it), one line each.
func (r ImportReport) Details() []string {
	out := make([]string, 0, len(r.Rejected)+len(r.Warnings))
	for _, x := range r.Rejected {
		out = append(out, "未导入　"+x.String())
	}
	for _, w := range r.Warnings {
		out = append(out, "部分导入　"+w.String())
	}
	return out
}

// warnedRows counts the rows with warnings.
func (r ImportReport) warnedRows() int {
	n, last := 0, -1
	for _, w := range r.Warnings {
		if w.Line != last {
			n, last = n+1, w.Line
		}
	}
	return n
}

// String describes a rejected row: "第 12 行：缺少企业名称".
func (r Rejected) String() string { return fmt.Sprintf("第 %d 行：%s", r.Line, r.Reason) }

// String describes a warning: "第 12 行：职工人数不是整数：约100，该项未导入".
func (w Warning) String() string { return fmt.Sprintf("第 %d 行：%s", w.Line, w.Reason) }
