// Package roster reads school rosters (花名册) from the files schools keep
// them in, XLSX and CSV, into student.RosterRow values for student.Service
// to validate and import, and writes the blank template schools fill in.
//
// Headers are recognised in Chinese and English and in any order; columns
// careloop does not know are ignored. Parse checks the file's shape (type,
// encoding, header, size), never its values: a bad date or an unknown school
// is a per-row problem that the import's dry run reports.
package roster

import (
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/student"
)

// MaxRows is the largest number of data rows Parse accepts.
const MaxRows = 200000

// MaxBytes is the largest file Parse reads.
const MaxBytes = 256 << 20

// headerSearch is how many non-blank rows Parse looks through for the
// header, so that a title row above it ("2024级学生花名册") is skipped.
const headerSearch = 10

// Parse reads a roster from r, choosing the format by filename's extension
// (.csv or .xlsx). Line numbers in the rows are the file's own (the header
// is line 1 unless a title row precedes it); blank rows are skipped.
//
// Errors are *apperr.Error with code EInvalid: an unsupported type, a
// missing required column (named in Fields["columns"]), a column given
// twice, a malformed file, or more than MaxRows data rows.
func Parse(r io.Reader, filename string) ([]student.RosterRow, error) {
	switch ext := strings.ToLower(filepath.Ext(filename)); ext {
	case ".csv":
		return parseCSV(r)
	case ".xlsx":
		return parseXLSX(r)
	default:
		return nil, invalid("roster.format_unsupported", map[string]string{"file": "roster.format_unsupported"},
			"unsupported file type %q: save the roster as .xlsx or .csv (UTF-8 or GBK)", ext)
	}
}

func invalid(key string, fields map[string]string, format string, args ...any) error {
	return &apperr.Error{Code: apperr.EInvalid, Message: key, Fields: fields, Err: fmt.Errorf("roster: "+format, args...)}
}

// readAll reads at most MaxBytes from r.
func readAll(r io.Reader) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, MaxBytes+1))
	if err != nil {
		return nil, apperr.Internal(fmt.Errorf("roster: read: %w", err))
	}
	if len(b) > MaxBytes {
		return nil, invalid("roster.too_large", map[string]string{"file": "roster.too_large"},
			"the file is larger than %d MiB; split it", MaxBytes>>20)
	}
	return b, nil
}

// reader turns the records of a file, in order, into roster rows. Feed it
// every record with its line number; it finds the header among the first
// non-blank records and builds a row from each record after it.
type reader struct {
	cols    map[string]int // column key → index in the record
	pending [][]string     // non-blank records seen before the header was found
	rows    []student.RosterRow
	fixDate func(string) string // XLSX: turns a date serial into YYYY-MM-DD
}

// add takes one record; it returns an error for a bad header or too many rows.
func (rd *reader) add(line int, rec []string) error {
	if rd.cols == nil {
		if blank(rec) {
			return nil
		}
		cols, err := header(rec)
		if err == nil {
			rd.cols, rd.pending = cols, nil
			return nil
		}
		rd.pending = append(rd.pending, rec)
		if len(rd.pending) < headerSearch {
			return nil
		}
		return rd.noHeader()
	}
	row, ok := rd.row(line, rec)
	if !ok {
		return nil
	}
	if len(rd.rows) == MaxRows {
		return invalid("roster.too_many_rows", map[string]string{"file": "roster.too_many_rows"},
			"more than %d data rows (line %d); split the roster into smaller files", MaxRows, line)
	}
	rd.rows = append(rd.rows, row)
	return nil
}

// finish returns the rows, or the header error if no header was found.
func (rd *reader) finish() ([]student.RosterRow, error) {
	if rd.cols == nil {
		if len(rd.pending) == 0 {
			return nil, invalid("roster.empty", map[string]string{"file": "roster.empty"}, "the file is empty")
		}
		return nil, rd.noHeader()
	}
	return rd.rows, nil
}

// noHeader explains why no record is a header, looking at the record that
// names the most known columns (the header with a column missing, rather
// than a title row above it).
func (rd *reader) noHeader() error {
	best, most := rd.pending[0], -1
	for _, rec := range rd.pending {
		n := 0
		for _, cell := range rec {
			if _, ok := byHeader[normalizeHeader(cell)]; ok {
				n++
			}
		}
		if n > most {
			best, most = rec, n
		}
	}
	_, err := header(best)
	return err
}

// header maps the columns of a header record: one that names every
// required column, and no column twice.
func header(rec []string) (map[string]int, error) {
	cols := map[string]int{}
	for i, cell := range rec {
		key, ok := byHeader[normalizeHeader(cell)]
		if !ok {
			continue
		}
		if j, dup := cols[key]; dup {
			return nil, invalid("roster.column_twice", map[string]string{"columns": label(key)},
				"column %s appears twice (columns %d and %d)", label(key), j+1, i+1)
		}
		cols[key] = i
	}
	if len(cols) == 0 {
		return nil, invalid("roster.no_header", map[string]string{"columns": "roster.no_header"},
			"no header row found: the first row must name the columns (学籍号, 姓名, 性别, ... or Student number, Name, Gender, ...)")
	}
	var missing []string
	for _, c := range columns {
		if _, ok := cols[c.key]; c.required && !ok {
			missing = append(missing, label(c.key))
		}
	}
	if len(missing) > 0 {
		return nil, invalid("roster.column_missing", map[string]string{"columns": strings.Join(missing, ", ")},
			"missing required column: %s", strings.Join(missing, ", "))
	}
	return cols, nil
}

// row builds a roster row from a data record; a record whose known columns
// are all empty is blank and gives no row.
func (rd *reader) row(line int, rec []string) (student.RosterRow, bool) {
	get := func(key string) string {
		if i, ok := rd.cols[key]; ok && i < len(rec) {
			return strings.TrimSpace(rec[i])
		}
		return ""
	}
	r := student.RosterRow{Line: line, StudentNo: get("student_no"), Name: get("name"), Gender: get("gender"),
		BirthDate: get("birth_date"), School: get("school"), Grade: get("grade"), ClassName: get("class")}
	empty := r.StudentNo == "" && r.Name == "" && r.Gender == "" && r.BirthDate == "" && r.School == "" &&
		r.Grade == "" && r.ClassName == ""
	for _, k := range guardianKeys {
		g := student.Guardian{Name: get(k[0]), Relation: get(k[1]), Phone: get(k[2])}
		if g != (student.Guardian{}) {
			r.Guardians, empty = append(r.Guardians, g), false
		}
	}
	if rd.fixDate != nil {
		r.BirthDate = rd.fixDate(r.BirthDate)
	}
	return r, !empty
}

// guardianKeys are the column keys of each guardian's name, relation, phone.
var guardianKeys = func() (out [Guardians][3]string) {
	for i := range out {
		p := "guardian" + strconv.Itoa(i+1) + "_"
		out[i] = [3]string{p + "name", p + "relation", p + "phone"}
	}
	return out
}()

func blank(rec []string) bool {
	for _, c := range rec {
		if strings.TrimSpace(c) != "" {
			return false
		}
	}
	return true
}
