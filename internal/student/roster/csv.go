package roster

import (
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"strconv"
	"unicode/utf8"

	"github.com/careloop/careloop/internal/student"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
	"golang.org/x/text/transform"
)

// parseCSV reads a CSV roster in UTF-8 (with or without a byte-order mark),
// UTF-16 with a byte-order mark (Excel's "Unicode text"), or GB18030, which
// covers the GBK that Chinese Excel writes by default. Commas, tabs or
// semicolons separate fields, whichever the first line uses most.
func parseCSV(r io.Reader) ([]student.RosterRow, error) {
	raw, err := readAll(r)
	if err != nil {
		return nil, err
	}
	text, err := decode(raw)
	if err != nil {
		return nil, err
	}
	cr := csv.NewReader(bytes.NewReader(text))
	cr.Comma = separator(text)
	cr.FieldsPerRecord = -1
	cr.LazyQuotes = true
	rd := &reader{}
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			line := 0
			var pe *csv.ParseError
			if errors.As(err, &pe) {
				line = pe.StartLine
			}
			return nil, invalid("roster.csv_malformed", map[string]string{"line": strconv.Itoa(line)},
				"the CSV file is malformed at line %d: %v", line, err)
		}
		line, _ := cr.FieldPos(0)
		if err := rd.add(line, rec); err != nil {
			return nil, err
		}
	}
	return rd.finish()
}

var (
	bomUTF8    = []byte{0xEF, 0xBB, 0xBF}
	bomUTF16LE = []byte{0xFF, 0xFE}
	bomUTF16BE = []byte{0xFE, 0xFF}
)

// decode returns the file as UTF-8 without a byte-order mark. Text that is
// not valid UTF-8 is read as GB18030 (a superset of GBK and GB2312).
func decode(raw []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(raw, bomUTF8):
		return raw[len(bomUTF8):], nil
	case bytes.HasPrefix(raw, bomUTF16LE), bytes.HasPrefix(raw, bomUTF16BE):
		return transcode(raw, unicode.UTF16(unicode.LittleEndian, unicode.ExpectBOM).NewDecoder(), "UTF-16")
	case utf8.Valid(raw):
		return raw, nil
	default:
		return transcode(raw, simplifiedchinese.GB18030.NewDecoder(), "GB18030")
	}
}

func transcode(raw []byte, t transform.Transformer, name string) ([]byte, error) {
	out, _, err := transform.Bytes(t, raw)
	if err != nil {
		return nil, invalid("roster.encoding", map[string]string{"file": "roster.encoding"},
			"the file is neither UTF-8 nor %s text: %v", name, err)
	}
	return out, nil
}

// separator picks the field separator the first line uses most.
func separator(text []byte) rune {
	first, _, _ := bytes.Cut(text, []byte("\n"))
	best, n := ',', bytes.Count(first, []byte(","))
	for _, c := range []rune{'\t', ';'} {
		if k := bytes.Count(first, []byte(string(c))); k > n {
			best, n = c, k
		}
	}
	return best
}
