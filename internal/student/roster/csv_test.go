package roster_test

import (
	"bytes"
	"fmt"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/careloop/careloop/internal/student/roster"
	"golang.org/x/text/encoding"
	"golang.org/x/text/encoding/simplifiedchinese"
	"golang.org/x/text/encoding/unicode"
)

func encode(t *testing.T, e encoding.Encoding, s string) []byte {
	t.Helper()
	b, err := e.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// Chinese Excel saves "CSV" in GBK; the file is not valid UTF-8.
func TestParseGBKCSV(t *testing.T) {
	for name, enc := range map[string]encoding.Encoding{"GBK": simplifiedchinese.GBK, "GB18030": simplifiedchinese.GB18030} {
		t.Run(name, func(t *testing.T) {
			raw := encode(t, enc, zhCSV)
			if utf8.Valid(raw) || bytes.Contains(raw, []byte("学籍号")) {
				t.Fatal("test file is not GBK")
			}
			rows, err := roster.Parse(bytes.NewReader(raw), "名单.csv")
			if err != nil {
				t.Fatal(err)
			}
			sameRows(t, rows, zhang)
		})
	}
}

// A rare character outside GBK (GB18030 four-byte form) survives.
func TestParseGB18030FourByte(t *testing.T) {
	text := strings.Replace(zhCSV, "张三", "张䶮", 1)
	rows, err := roster.Parse(bytes.NewReader(encode(t, simplifiedchinese.GB18030, text)), "r.csv")
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1 || rows[0].Name != "张䶮" {
		t.Errorf("rows = %+v, want name 张䶮", rows)
	}
}

func TestParseUTF8BOM(t *testing.T) {
	sameRows(t, parseString(t, "\uFEFF"+zhCSV, "r.csv"), zhang)
	en := "\uFEFFStudent number,Name,Gender,Birth date,School,Grade,Class,Guardian 1 name,Guardian 1 relation,Guardian 1 phone\n" +
		strings.SplitN(zhCSV, "\n", 2)[1]
	sameRows(t, parseString(t, en, "r.csv"), zhang)
}

// Excel's "Unicode text" is UTF-16 with a byte-order mark, tab-separated.
func TestParseUTF16Tabs(t *testing.T) {
	tsv := strings.ReplaceAll(zhCSV, ",", "\t")
	for _, e := range []encoding.Encoding{unicode.UTF16(unicode.LittleEndian, unicode.UseBOM), unicode.UTF16(unicode.BigEndian, unicode.UseBOM)} {
		rows, err := roster.Parse(bytes.NewReader(encode(t, e, tsv)), "r.csv")
		if err != nil {
			t.Fatal(err)
		}
		sameRows(t, rows, zhang)
	}
}

func TestParseSemicolons(t *testing.T) {
	sameRows(t, parseString(t, strings.ReplaceAll(zhCSV, ",", ";"), "r.csv"), zhang)
}

func TestParseRowLimit(t *testing.T) {
	head, _, _ := strings.Cut(zhCSV, "\n")
	var b strings.Builder
	b.WriteString(head + "\n")
	for i := 1; i <= roster.MaxRows; i++ {
		fmt.Fprintf(&b, "G%d,张三,男,2012-09-01,第一中学,初一,1班,,,\n", i)
	}
	b.WriteString("\n,,,\n") // blank rows do not count
	full := b.String()
	rows, err := roster.Parse(strings.NewReader(full), "r.csv")
	if err != nil || len(rows) != roster.MaxRows || rows[len(rows)-1].Line != roster.MaxRows+1 {
		t.Fatalf("at the limit: %d rows, err %v", len(rows), err)
	}
	_, err = roster.Parse(strings.NewReader(full+"G0,张三,男,2012-09-01,第一中学,初一,1班,,,\n"), "r.csv")
	wantInvalid(t, err, "roster.too_many_rows", "200000")
}

func TestParseTooLarge(t *testing.T) {
	r := &endless{head: []byte(zhCSV)}
	_, err := roster.Parse(r, "r.csv")
	wantInvalid(t, err, "roster.too_large", "MiB")
	if r.n > roster.MaxBytes+1<<20 {
		t.Errorf("read %d bytes before refusing, want about %d", r.n, roster.MaxBytes)
	}
}

// endless is a reader that never ends: a header, then padding.
type endless struct {
	head []byte
	n    int
}

func (e *endless) Read(p []byte) (int, error) {
	k := 0
	if e.n < len(e.head) {
		k = copy(p, e.head[e.n:])
	}
	for i := k; i < len(p); i++ {
		p[i] = '\n'
	}
	e.n += len(p)
	return len(p), nil
}
