package roster_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/careloop/careloop/internal/student"
	"github.com/careloop/careloop/internal/student/roster"
	"github.com/xuri/excelize/v2"
)

func template(t *testing.T, locale string) []byte {
	t.Helper()
	var buf bytes.Buffer
	if err := roster.Template(&buf, locale); err != nil {
		t.Fatalf("Template(%s): %v", locale, err)
	}
	return buf.Bytes()
}

func TestTemplateRoundTrip(t *testing.T) {
	cases := map[string]student.RosterRow{
		"zh-CN": {Line: 2, StudentNo: "S2024000001", Name: "王小明", Gender: "男", BirthDate: "2012-09-01", School: "示例学校",
			Grade: "初一", ClassName: "1班", Guardians: []student.Guardian{
				{Name: "李红", Relation: "母亲", Phone: "13800000000"}, {Name: "王强", Relation: "父亲", Phone: "13900000000"}}},
		"en": {Line: 2, StudentNo: "S2024000001", Name: "Wang Xiaoming", Gender: "male", BirthDate: "2012-09-01",
			School: "Example School", Grade: "7", ClassName: "7-1", Guardians: []student.Guardian{
				{Name: "Li Hong", Relation: "mother", Phone: "13800000000"}, {Name: "Wang Qiang", Relation: "father", Phone: "13900000000"}}},
	}
	for locale, want := range cases {
		t.Run(locale, func(t *testing.T) {
			sameRows(t, parseBytes(t, template(t, locale), "template.xlsx"), want)
			if _, ok := student.ParseDate(want.BirthDate); !ok {
				t.Error("example birth date does not parse")
			}
			if _, ok := student.ParseGrade(want.Grade); !ok {
				t.Error("example grade does not parse")
			}
		})
	}
}

func TestTemplateSheets(t *testing.T) {
	cases := []struct {
		locale           string
		sheets           []string
		header, guardian string
		helpWords        []string
	}{
		{"zh-CN", []string{"花名册", "说明"}, "学籍号", "监护人3电话",
			[]string{"女、男", "母亲、父亲", "初一", "高三", "YYYY-MM-DD", "200,000", "GBK"}},
		{"en", []string{"Roster", "Instructions"}, "Student number", "Guardian 3 phone",
			[]string{"female, male", "mother, father", "初一", "1–12", "YYYY-MM-DD", "200,000", "GBK"}},
	}
	for _, c := range cases {
		t.Run(c.locale, func(t *testing.T) {
			f, err := excelize.OpenReader(bytes.NewReader(template(t, c.locale)))
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			if got := f.GetSheetList(); strings.Join(got, ",") != strings.Join(c.sheets, ",") {
				t.Fatalf("sheets = %v, want %v", got, c.sheets)
			}
			rows, err := f.GetRows(c.sheets[0])
			if err != nil || len(rows) != 2 {
				t.Fatalf("roster sheet has %d rows (%v), want header and example", len(rows), err)
			}
			if rows[0][0] != c.header || rows[0][len(rows[0])-1] != c.guardian || len(rows[0]) != 7+3*roster.Guardians {
				t.Errorf("header = %v", rows[0])
			}
			for _, col := range []string{"A", "C", "H"} {
				if w, err := f.GetColWidth(c.sheets[0], col); err != nil || w < 8 || w == 9.140625 {
					t.Errorf("column %s width %v (%v), want set", col, w, err)
				}
			}
			help, err := f.GetRows(c.sheets[1])
			if err != nil {
				t.Fatal(err)
			}
			var text strings.Builder
			for _, r := range help {
				text.WriteString(strings.Join(r, "|") + "\n")
			}
			for _, h := range rows[0] { // every column is explained
				if !strings.Contains(text.String(), h+"|") {
					t.Errorf("instructions do not explain %q", h)
				}
			}
			for _, w := range c.helpWords {
				if !strings.Contains(text.String(), w) {
					t.Errorf("instructions do not mention %q", w)
				}
			}
		})
	}
}

func TestTemplateLocale(t *testing.T) {
	zh, en := template(t, "zh"), template(t, "en-GB")
	if rows := parseBytes(t, zh, "t.xlsx"); len(rows) != 1 || rows[0].Name != "王小明" {
		t.Errorf("zh template rows = %+v", rows)
	}
	if rows := parseBytes(t, en, "t.xlsx"); len(rows) != 1 || rows[0].Name != "Wang Xiaoming" {
		t.Errorf("en-GB template rows = %+v", rows)
	}
	wantInvalid(t, roster.Template(&bytes.Buffer{}, "fr"), "roster.locale_unknown")
}
