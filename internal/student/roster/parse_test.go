package roster_test

import (
	"reflect"
	"strings"
	"testing"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/student"
	"github.com/careloop/careloop/internal/student/roster"
)

// zhang is the row that every test file below describes, on line 2.
var zhang = student.RosterRow{Line: 2, StudentNo: "G2012000001", Name: "张三", Gender: "男", BirthDate: "2012-09-01",
	School: "第一中学", Grade: "初一", ClassName: "1班", Guardians: []student.Guardian{{Name: "李红", Relation: "母亲", Phone: "13800000001"}}}

const zhCSV = "学籍号,姓名,性别,出生日期,学校,年级,班级,监护人1姓名,监护人1关系,监护人1电话\n" +
	"G2012000001,张三,男,2012-09-01,第一中学,初一,1班,李红,母亲,13800000001\n"

func parseString(t *testing.T, text, name string) []student.RosterRow {
	t.Helper()
	rows, err := roster.Parse(strings.NewReader(text), name)
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return rows
}

func sameRows(t *testing.T, got []student.RosterRow, want ...student.RosterRow) {
	t.Helper()
	if len(got) == 0 && len(want) == 0 {
		return
	}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("rows:\n got  %+v\n want %+v", got, want)
	}
}

// wantInvalid asserts that err is EInvalid with message key, and that its
// text mentions every one of words.
func wantInvalid(t *testing.T, err error, key string, words ...string) {
	t.Helper()
	if apperr.CodeOf(err) != apperr.EInvalid || apperr.MessageOf(err) != key {
		t.Fatalf("got %v, want EInvalid %s", err, key)
	}
	for _, w := range words {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q does not mention %q", err, w)
		}
	}
}

func TestParseChineseHeaders(t *testing.T) {
	sameRows(t, parseString(t, zhCSV, "花名册.csv"), zhang)
}

func TestParseEnglishHeaders(t *testing.T) {
	text := "Student number,Name,Gender,Birth date,School,Grade,Class,Guardian 1 name,Guardian 1 relation,Guardian 1 phone\n" +
		"G2012000001,张三,男,2012-09-01,第一中学,初一,1班,李红,母亲,13800000001\n"
	sameRows(t, parseString(t, text, "roster.CSV"), zhang)
}

func TestParseHeaderVariants(t *testing.T) {
	for _, head := range []string{
		"student_no,name,gender,birth_date,school,grade,class,guardian1_name,guardian1_relation,guardian1_phone",
		"STUDENT NO, Full Name ,SEX,Date of Birth,School Name,Grade,Class Name,Parent 1 Name,Parent 1 Relationship,Guardian 1 Mobile",
		"学籍号*,姓名（必填）,性别,出生年月日,学校名称,年级,班级,监护人姓名,监护人关系,联系电话",
		"学号,学生姓名,性别,生日,学校,年级,班级,监护人一姓名,监护人一关系,监护人１电话",
	} {
		t.Run(head, func(t *testing.T) {
			sameRows(t, parseString(t, head+"\n"+strings.SplitN(zhCSV, "\n", 2)[1], "r.csv"), zhang)
		})
	}
}

func TestParseReorderedAndUnknownColumns(t *testing.T) {
	text := "备注,班级,监护人1电话,年级,姓名,身份证号,学校,出生日期,监护人1关系,性别,监护人1姓名,学籍号\n" +
		"转学生,1班,13800000001,初一,张三,110101201209010000,第一中学,2012-09-01,母亲,男,李红,G2012000001\n"
	sameRows(t, parseString(t, text, "r.csv"), zhang)
}

func TestParseThreeGuardians(t *testing.T) {
	text := "学籍号,姓名,性别,出生日期,学校,年级,班级,监护人1姓名,监护人1关系,监护人2姓名,监护人2关系,监护人2电话,监护人3姓名,监护人3关系\n" +
		"G1,甲,女,2012-01-01,一中,7,1班,,,乙,父亲,139,丙,奶奶\n"
	rows := parseString(t, text, "r.csv")
	want := []student.Guardian{{Name: "乙", Relation: "父亲", Phone: "139"}, {Name: "丙", Relation: "奶奶"}}
	if len(rows) != 1 || !reflect.DeepEqual(rows[0].Guardians, want) {
		t.Errorf("guardians = %+v, want %+v (empty groups dropped)", rows, want)
	}
}

func TestParseMissingRequiredColumn(t *testing.T) {
	text := "学籍号,姓名,性别,学校,年级,班级\nG2012000001,张三,男,第一中学,初一,1班\n"
	_, err := roster.Parse(strings.NewReader(text), "r.csv")
	wantInvalid(t, err, "roster.column_missing", "出生日期", "Birth date")
	if got := apperr.FieldsOf(err)["columns"]; got != "出生日期 (Birth date)" {
		t.Errorf("Fields[columns] = %q, want the one missing column", got)
	}

	text = "Student number,Name,Grade,Class\nG1,A,7,1\n"
	_, err = roster.Parse(strings.NewReader(text), "r.csv")
	wantInvalid(t, err, "roster.column_missing", "Gender", "Birth date", "School")
	if got, want := apperr.FieldsOf(err)["columns"], "性别 (Gender), 出生日期 (Birth date), 学校 (School)"; got != want {
		t.Errorf("Fields[columns] = %q, want %q", got, want)
	}
}

// A header that names only some columns is a header with columns missing,
// not "no header".
func TestParseFewColumns(t *testing.T) {
	_, err := roster.Parse(strings.NewReader("Student number,Name\nG1,A\n"), "r.csv")
	wantInvalid(t, err, "roster.column_missing", "Gender", "Birth date", "School", "Grade", "Class")
}

func TestParseColumnTwice(t *testing.T) {
	text := "学籍号,姓名,性别,出生日期,学校,年级,班级,Name\nG1,甲,女,2012-01-01,一中,7,1班,A\n"
	_, err := roster.Parse(strings.NewReader(text), "r.csv")
	wantInvalid(t, err, "roster.column_twice", "姓名", "2", "8")
}

func TestParseNoHeader(t *testing.T) {
	_, err := roster.Parse(strings.NewReader("G1,甲,女,2012-01-01,一中,7,1班\n"), "r.csv")
	wantInvalid(t, err, "roster.no_header", "header")
	_, err = roster.Parse(strings.NewReader("\n\n,,,\n"), "r.csv")
	wantInvalid(t, err, "roster.empty")
}

func TestParseTitleRowAboveHeader(t *testing.T) {
	text := "2024级学生花名册,,,\n\n" + zhCSV
	rows := parseString(t, text, "r.csv")
	want := zhang
	want.Line = 4
	sameRows(t, rows, want)
}

func TestParseUnsupportedType(t *testing.T) {
	for _, name := range []string{"roster.xls", "roster.ods", "roster", "roster.csv.txt"} {
		_, err := roster.Parse(strings.NewReader(zhCSV), name)
		wantInvalid(t, err, "roster.format_unsupported", ".xlsx", ".csv")
	}
}

// Line numbers are the file's own: blank lines, rows of empty cells and a
// quoted field that spans two lines all count.
func TestParseLineNumbersAndBlankRows(t *testing.T) {
	text := zhCSV +
		"\n" +
		",,,,,,,,,\n" +
		"G2,\"李\n四\",女,2012-02-02,第一中学,初一,1班,,,\n" +
		"   ,  ,,,,,,,,\n" +
		"G3,王五,女,2012-03-03,第一中学,初一,1班,,,\n"
	rows := parseString(t, text, "r.csv")
	var lines []int
	for _, r := range rows {
		lines = append(lines, r.Line)
	}
	if !reflect.DeepEqual(lines, []int{2, 5, 8}) {
		t.Errorf("lines = %v, want [2 5 8]", lines)
	}
	if len(rows) == 3 && (rows[1].Name != "李\n四" || rows[1].Guardians != nil) {
		t.Errorf("row 2 = %+v", rows[1])
	}
}

func TestParseShortRecordsAndTrim(t *testing.T) {
	text := "学籍号,姓名,性别,出生日期,学校,年级,班级,监护人1姓名\n G1 ,\u3000甲\u00a0,女,2012-01-01,一中\n"
	rows := parseString(t, text, "r.csv")
	sameRows(t, rows, student.RosterRow{Line: 2, StudentNo: "G1", Name: "甲", Gender: "女", BirthDate: "2012-01-01", School: "一中"})
}
