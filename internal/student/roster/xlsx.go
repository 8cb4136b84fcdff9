package roster

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/student"
	"github.com/xuri/excelize/v2"
)

// maxUnzipped bounds the unpacked size of an XLSX file (a zip bomb guard).
const maxUnzipped = 1 << 30

// parseXLSX reads the first sheet of an XLSX roster, streaming its rows.
//
// Cells are read raw, without their number formats: a date cell arrives as
// its Excel serial number whatever format the school gave it (including
// formats such as "m/d/yy" that no parser could read back), and is turned
// into YYYY-MM-DD; long numbers (student numbers, phone numbers typed as
// numbers) arrive in full rather than as 1.38E+10.
func parseXLSX(r io.Reader) (rows []student.RosterRow, err error) {
	raw, err := readAll(r)
	if err != nil {
		return nil, err
	}
	f, err := excelize.OpenReader(bytes.NewReader(raw), excelize.Options{UnzipSizeLimit: maxUnzipped})
	if err != nil {
		return nil, malformed(err)
	}
	defer func() {
		if cerr := f.Close(); cerr != nil && err == nil {
			err = apperr.Internal(cerr)
		}
	}()
	sheets := f.GetSheetList()
	if len(sheets) == 0 {
		return nil, invalid("roster.empty", map[string]string{"file": "roster.empty"}, "the workbook has no sheet")
	}
	date1904 := false
	if props, err := f.GetWorkbookProps(); err == nil && props.Date1904 != nil {
		date1904 = *props.Date1904
	}
	it, err := f.Rows(sheets[0])
	if err != nil {
		return nil, malformed(err)
	}
	defer it.Close()
	rd := &reader{fixDate: func(s string) string { return serialDate(s, date1904) }}
	for line := 1; it.Next(); line++ {
		rec, err := it.Columns(excelize.Options{RawCellValue: true})
		if err != nil {
			return nil, malformed(err)
		}
		if err := rd.add(line, rec); err != nil {
			return nil, err
		}
	}
	if err := it.Error(); err != nil {
		return nil, malformed(err)
	}
	return rd.finish()
}

func malformed(err error) error {
	key := "roster.xlsx_malformed"
	msg := "the file is not a readable XLSX workbook: %v"
	if errors.Is(err, excelize.ErrWorkbookFileFormat) {
		msg = "the file is not an XLSX workbook (an old .xls or a renamed file?); save it as .xlsx: %v"
	}
	return invalid(key, map[string]string{"file": key}, msg, err)
}

// serialDate turns an Excel date serial ("41153", or "41153.5" with a time)
// into YYYY-MM-DD. Anything else, including a date already written as text
// and an eight-digit 20120901 (past the last Excel date), is returned as it
// is for student.ParseDate.
func serialDate(s string, date1904 bool) string {
	v, err := strconv.ParseFloat(s, 64)
	if err != nil || math.IsNaN(v) || v < 1 || v >= 2958466 { // 2958465 is 9999-12-31
		return s
	}
	t, err := excelize.ExcelDateToTime(math.Floor(v), date1904)
	if err != nil {
		return s
	}
	return fmt.Sprintf("%04d-%02d-%02d", t.Year(), t.Month(), t.Day())
}
