package roster_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/student"
	"github.com/careloop/careloop/internal/student/roster"
	"github.com/xuri/excelize/v2"
)

var zhHead = []any{"学籍号", "姓名", "性别", "出生日期", "学校", "年级", "班级", "监护人1姓名", "监护人1关系", "监护人1电话"}

// workbook builds an XLSX file in memory; edit fills it.
func workbook(t *testing.T, edit func(f *excelize.File, sheet string)) []byte {
	t.Helper()
	f := excelize.NewFile()
	defer f.Close()
	if err := f.SetSheetName("Sheet1", "学生名单"); err != nil {
		t.Fatal(err)
	}
	edit(f, "学生名单")
	var buf bytes.Buffer
	if err := f.Write(&buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func style(t *testing.T, f *excelize.File, s *excelize.Style) int {
	t.Helper()
	id, err := f.NewStyle(s)
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func setRow(t *testing.T, f *excelize.File, sheet, cell string, values []any) {
	t.Helper()
	if err := f.SetSheetRow(sheet, cell, &values); err != nil {
		t.Fatal(err)
	}
}

func parseBytes(t *testing.T, b []byte, name string) []student.RosterRow {
	t.Helper()
	rows, err := roster.Parse(bytes.NewReader(b), name)
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return rows
}

func TestParseXLSX(t *testing.T) {
	b := workbook(t, func(f *excelize.File, s string) {
		setRow(t, f, s, "A1", zhHead)
		setRow(t, f, s, "A2", []any{"G2012000001", "张三", "男", "2012-09-01", "第一中学", "初一", "1班", "李红", "母亲", "13800000001"})
	})
	sameRows(t, parseBytes(t, b, "名单.XLSX"), zhang)
}

// Birth dates arrive as Excel serials whatever their cell format, or as text;
// all of them must come out as dates student.ParseDate reads as 2012-09-01.
func TestParseXLSXDates(t *testing.T) {
	us := "m/d/yyyy"
	cases := []struct {
		name  string
		value any
		style *excelize.Style
	}{
		{"date cell, short date format", time.Date(2012, 9, 1, 0, 0, 0, 0, time.UTC), &excelize.Style{NumFmt: 14}},
		{"date cell, yyyy年m月d日", 41153, &excelize.Style{NumFmt: 31}},
		{"date cell, US format", 41153, &excelize.Style{CustomNumFmt: &us}},
		{"date and time", 41153.75, &excelize.Style{NumFmt: 22}},
		{"bare serial number", 41153, nil},
		{"serial typed as text", "41153", nil},
		{"text with slashes", "2012/9/1", nil},
		{"text in Chinese", "2012年9月1日", nil},
		{"eight digits", 20120901, nil},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			b := workbook(t, func(f *excelize.File, s string) {
				setRow(t, f, s, "A1", zhHead)
				setRow(t, f, s, "A2", []any{"G2012000001", "张三", "男", c.value, "第一中学", "初一", "1班"})
				if c.style != nil {
					if err := f.SetCellStyle(s, "D2", "D2", style(t, f, c.style)); err != nil {
						t.Fatal(err)
					}
				}
			})
			rows := parseBytes(t, b, "r.xlsx")
			if len(rows) != 1 {
				t.Fatalf("got %d rows", len(rows))
			}
			if d, ok := student.ParseDate(rows[0].BirthDate); !ok || d != "2012-09-01" {
				t.Errorf("birth date %q reads as %q (%v), want 2012-09-01", rows[0].BirthDate, d, ok)
			}
		})
	}
}

func TestParseXLSXDate1904(t *testing.T) {
	yes := true
	b := workbook(t, func(f *excelize.File, s string) {
		if err := f.SetWorkbookProps(&excelize.WorkbookPropsOptions{Date1904: &yes}); err != nil {
			t.Fatal(err)
		}
		setRow(t, f, s, "A1", zhHead)
		setRow(t, f, s, "A2", []any{"G2012000001", "张三", "男", 41153 - 1462, "第一中学", "初一", "1班"})
	})
	if rows := parseBytes(t, b, "r.xlsx"); len(rows) != 1 || rows[0].BirthDate != "2012-09-01" {
		t.Errorf("rows = %+v, want birth date 2012-09-01 in the 1904 date system", rows)
	}
}

// Numbers typed as numbers keep every digit, not 1.38E+10.
func TestParseXLSXNumbersInFull(t *testing.T) {
	b := workbook(t, func(f *excelize.File, s string) {
		setRow(t, f, s, "A1", zhHead)
		setRow(t, f, s, "A2", []any{int64(320102201209011234), "张三", "男", "2012-09-01", "第一中学", 7, 1, "李红", "母亲", 13800000001})
	})
	rows := parseBytes(t, b, "r.xlsx")
	if len(rows) != 1 || rows[0].StudentNo != "320102201209011234" || rows[0].Grade != "7" || rows[0].ClassName != "1" ||
		rows[0].Guardians[0].Phone != "13800000001" {
		t.Errorf("rows = %+v", rows)
	}
}

// Only the first sheet is read; row numbers are the sheet's, gaps included.
func TestParseXLSXFirstSheetAndRowNumbers(t *testing.T) {
	b := workbook(t, func(f *excelize.File, s string) {
		setRow(t, f, s, "A1", []any{"2024级花名册"})
		setRow(t, f, s, "B3", []any{"姓名", "学籍号", "性别", "出生日期", "学校", "年级", "班级", "备注"})
		setRow(t, f, s, "B4", []any{"甲", "G1", "女", "2012-01-01", "一中", "7", "1班", "x"})
		setRow(t, f, s, "I6", []any{"只有备注"})
		setRow(t, f, s, "B9", []any{"乙", "G2", "男", "2012-02-02", "一中", "7", "1班"})
		if _, err := f.NewSheet("说明"); err != nil {
			t.Fatal(err)
		}
		setRow(t, f, "说明", "A1", zhHead)
		setRow(t, f, "说明", "A2", []any{"G9", "丙", "男", "2012-09-01", "一中", "7", "1班"})
	})
	rows := parseBytes(t, b, "r.xlsx")
	if len(rows) != 2 || rows[0].Line != 4 || rows[0].StudentNo != "G1" || rows[1].Line != 9 || rows[1].Name != "乙" {
		t.Errorf("rows = %+v, want G1 on row 4 and G2 on row 9", rows)
	}
}

func TestParseXLSXMissingColumn(t *testing.T) {
	b := workbook(t, func(f *excelize.File, s string) {
		setRow(t, f, s, "A1", []any{"Student number", "Name", "Gender", "Birth date", "Grade", "Class"})
	})
	_, err := roster.Parse(bytes.NewReader(b), "r.xlsx")
	wantInvalid(t, err, "roster.column_missing", "School")
}

func TestParseXLSXNotAWorkbook(t *testing.T) {
	for name, content := range map[string]string{"csv renamed": zhCSV, "empty": "", "old xls": "\xD0\xCF\x11\xE0\xA1\xB1\x1A\xE1" + strings.Repeat("\x00", 500)} {
		_, err := roster.Parse(strings.NewReader(content), "r.xlsx")
		if err == nil {
			t.Errorf("%s: parsed", name)
			continue
		}
		wantInvalid(t, err, "roster.xlsx_malformed", "XLSX")
	}
}
