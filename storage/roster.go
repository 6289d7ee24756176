package storage

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"reflect"

	"github.com/google/uuid"

	"zoufang/survey"
)

// Rejected is a roster row that was not imported.
type Rejected struct {
	Line   int    // line (CSV) or row (XLSX) number as the user sees it
	Reason string // in Chinese
}

// ImportReport tells what a roster import did.
type ImportReport struct {
	Added, Updated, Unchanged int
	Rejected                  []Rejected
}

// ImportRoster reads a roster file (.csv in UTF-8 or GB18030, or .xlsx) and
// upserts its enterprises by USCC in one transaction: a file that cannot be
// read changes nothing, and rows with problems are reported with their line
// numbers while the good rows are imported. An enterprise that is already
// known keeps its id and assignment. progress, when not nil, is called from
// the importing goroutine with the rows done so far.
func (db *DB) ImportRoster(ctx context.Context, r io.Reader, filename string, progress func(done, total int)) (ImportReport, error) {
	return db.ImportRosterThen(ctx, r, filename, progress, nil)
}

// ImportRosterThen is ImportRoster; then, when not nil, runs inside the
// import's transaction after the rows are stored (the district workbench
// writes its audit entry there), and an error from it undoes the import.
func (db *DB) ImportRosterThen(ctx context.Context, r io.Reader, filename string, progress func(done, total int), then func(tx *Tx, rep ImportReport) error) (ImportReport, error) {
	var rep ImportReport
	rows, problems, err := survey.ParseRoster(r, filename)
	if err != nil {
		return rep, wrapUser(err, "invalid_roster", "无法导入名册 %s：%v", filename, err)
	}
	for _, p := range problems {
		rep.Rejected = append(rep.Rejected, Rejected{Line: p.Line, Reason: p.Reason})
	}
	err = db.Update(ctx, func(tx *Tx) error {
		rep.Added, rep.Updated, rep.Unchanged = 0, 0, 0
		known, err := tx.enterprisesByUSCC()
		if err != nil {
			return err
		}
		for i, row := range rows {
			if i%1000 == 0 {
				if err := ctx.Err(); err != nil {
					return err
				}
				if progress != nil {
					progress(i, len(rows))
				}
			}
			e := row.Enterprise
			old, ok := known[e.USCC]
			if ok {
				e.ID, e.AssignedTo = old.ID, old.AssignedTo
				if reflect.DeepEqual(old, e) {
					rep.Unchanged++
					continue
				}
				if _, err := tx.create(survey.KindEnterprise, e.ID, "", 0, e, false); err != nil {
					return fmt.Errorf("line %d: %w", row.Line, err)
				}
				rep.Updated++
				continue
			}
			e.ID = uuid.NewString()
			if _, err := tx.createVersion(survey.KindEnterprise, e.ID, "", 0, e, false, true); err != nil {
				return fmt.Errorf("line %d: %w", row.Line, err)
			}
			known[e.USCC] = e
			rep.Added++
		}
		if progress != nil {
			progress(len(rows), len(rows))
		}
		if then != nil {
			return then(tx, rep)
		}
		return nil
	})
	if err != nil {
		return ImportReport{Rejected: rep.Rejected}, fmt.Errorf("import roster: %w", err)
	}
	return rep, nil
}

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
	return s
}

// String describes a rejected row: "第 12 行：缺少企业名称".
func (r Rejected) String() string { return fmt.Sprintf("第 %d 行：%s", r.Line, r.Reason) }
