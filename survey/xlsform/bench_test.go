package xlsform

import (
	"os"
	"testing"

	"github.com/xuri/excelize/v2"
)

func BenchmarkParseVisitTemplate(b *testing.B) {
	data, err := os.ReadFile("../../assets/forms/visit.v1.xlsx")
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(len(data)))
	b.ReportAllocs()
	for b.Loop() {
		if res := Parse(data, "visit.v1.xlsx"); res.Err() != nil {
			b.Fatal(res.Err())
		}
	}
}

func BenchmarkWriteVisit(b *testing.B) {
	f := shippedForms(b)["../../assets/forms/visit.v1.json"]
	b.ReportAllocs()
	for b.Loop() {
		if _, err := Write(f); err != nil {
			b.Fatal(err)
		}
	}
}

// hostileWorkbook builds workbooks at the edges of what Parse reads.
func hostileWorkbook(b *testing.B, kind string) []byte {
	f := excelize.NewFile()
	defer f.Close()
	f.SetSheetName("Sheet1", SheetSurvey)
	sw, err := f.NewStreamWriter(SheetSurvey)
	if err != nil {
		b.Fatal(err)
	}
	sw.SetRow("A1", []any{"type", "name", "label"})
	switch kind {
	case "rows": // more rows than maxRows
		for r := 2; r <= maxRows+100; r++ {
			cell, _ := excelize.CoordinatesToCellName(1, r)
			sw.SetRow(cell, []any{"text", "f", "F"})
		}
	case "wide": // every row has a cell in the last column Excel has
		for r := 2; r <= maxRows; r++ {
			cell, _ := excelize.CoordinatesToCellName(excelize.MaxColumns, r)
			sw.SetRow(cell, []any{"x"})
		}
	case "far": // one cell in the last row Excel has
		cell, _ := excelize.CoordinatesToCellName(1, excelize.TotalRows)
		sw.SetRow(cell, []any{"text"})
	}
	if err := sw.Flush(); err != nil {
		b.Fatal(err)
	}
	buf, err := f.WriteToBuffer()
	if err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkParseHostile measures the worst workbooks within the size
// limits: Parse must refuse them quickly, not hang.
func BenchmarkParseHostile(b *testing.B) {
	for _, kind := range []string{"rows", "wide", "far"} {
		b.Run(kind, func(b *testing.B) {
			data := hostileWorkbook(b, kind)
			for b.Loop() {
				if res := Parse(data, "hostile.xlsx"); res.Err() == nil {
					b.Fatal("hostile workbook accepted")
				}
			}
			b.ReportMetric(float64(len(data))/1024, "file-KB")
		})
	}
}
