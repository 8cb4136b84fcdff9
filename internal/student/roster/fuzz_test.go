package roster_test

import (
	"bytes"
	"testing"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/student/roster"
)

// FuzzParseCSV feeds arbitrary bytes to the CSV reader: it must never panic,
// must fail only with an application error, and what it accepts must keep
// the promises of Parse.
func FuzzParseCSV(f *testing.F) {
	f.Add([]byte(zhCSV))
	f.Add([]byte("\uFEFF" + zhCSV))
	f.Add([]byte("Student number,Name,Gender,Birth date,School,Grade,Class\nG1,\"A\nB\",F,2012-01-01,S,7,1\n\n,,,\n"))
	f.Add([]byte("title\n\n学籍号\t姓名\t性别\t出生日期\t学校\t年级\t班级\t姓名\n"))
	f.Add([]byte{0xFF, 0xFE, '1', 0, ',', 0})
	f.Add([]byte{0xD1, 0xA7, 0xBC, 0xAE, 0xBA, 0xC5, ',', 0x81})
	f.Add([]byte("\"unterminated"))
	f.Fuzz(func(t *testing.T, data []byte) {
		rows, err := roster.Parse(bytes.NewReader(data), "fuzz.csv")
		if err != nil {
			if c := apperr.CodeOf(err); c != apperr.EInvalid {
				t.Fatalf("error with code %s, want EInvalid: %v", c, err)
			}
			if rows != nil {
				t.Fatalf("rows returned with an error")
			}
			return
		}
		if len(rows) > roster.MaxRows {
			t.Fatalf("%d rows", len(rows))
		}
		last := 1
		for _, r := range rows {
			if r.Line <= last {
				t.Fatalf("line %d after line %d (the header is at least line 1)", r.Line, last)
			}
			last = r.Line
			if len(r.Guardians) > roster.Guardians {
				t.Fatalf("%d guardians", len(r.Guardians))
			}
		}
	})
}
