package student_test

import (
	"testing"
	"time"

	"github.com/careloop/careloop/internal/student"
)

func TestInitials(t *testing.T) {
	for name, want := range map[string]string{
		"张三丰":        "zsf",
		"吕":          "l",
		"Li Na":      "ln",
		"  Li   Na ": "ln",
		"欧阳娜娜":       "oynn",
		"买买提·艾力":     "mmtal",
		"":           "",
	} {
		if got := student.Initials(name); got != want {
			t.Errorf("Initials(%q) = %q, want %q", name, got, want)
		}
	}
}

// A surname is read as a surname: 曾小明 is Zeng Xiaoming, and a counsellor
// who types "zxm" must find him. These surnames are among the commonest
// whose character has another, more frequent reading.
func TestInitialsPolyphonicSurnames(t *testing.T) {
	for name, want := range map[string]string{
		"曾小明": "zxm", // Zēng, not céng
		"单田芳": "stf", // Shàn, not dān
		"解晓东": "xxd", // Xiè, not jiě
		"仇英":  "qy",  // Qiú, not chóu
		"区家豪": "ojh", // Ōu, not qū
		"查良镛": "zly", // Zhā, not chá
		"覃静":  "qj",  // Qín, not tán
	} {
		if got := student.Initials(name); got != want {
			t.Errorf("Initials(%q) = %q, want %q", name, got, want)
		}
	}
}

func day(s string) time.Time {
	t, err := time.Parse("2006-01-02", s)
	if err != nil {
		panic(err)
	}
	return t
}

// Age counts whole years: the birthday itself is the first day of the new
// year of age, in leap years too.
func TestAge(t *testing.T) {
	cases := []struct {
		birth, on string
		want      int
	}{
		{"2012-05-06", "2025-05-05", 12},
		{"2012-05-06", "2025-05-06", 13},
		{"2012-03-01", "2013-03-01", 1},  // born in a leap year, birthday in a common year
		{"2011-03-01", "2012-02-29", 0},  // the day before the first birthday, in a leap year
		{"2011-03-01", "2012-03-01", 1},  // the first birthday, in a leap year
		{"2011-12-31", "2024-12-30", 12}, // day 365 of a leap year is still before the birthday
		{"2012-02-29", "2013-02-28", 0},
		{"2012-02-29", "2013-03-01", 1},
	}
	for _, c := range cases {
		s := student.Student{BirthDate: c.birth}
		if got := s.Age(day(c.on)); got != c.want {
			t.Errorf("born %s, on %s: Age = %d, want %d", c.birth, c.on, got, c.want)
		}
	}
	if got := (student.Student{BirthDate: "bad"}).Age(day("2025-01-01")); got != 0 {
		t.Errorf("Age of a bad date = %d, want 0", got)
	}
}

func TestParseDate(t *testing.T) {
	for in, want := range map[string]string{
		"2012-09-01": "2012-09-01", "2012/9/1": "2012-09-01", "2012-9-1": "2012-09-01", "20120901": "2012-09-01",
		"2012.9.1": "2012-09-01", "2012年9月1日": "2012-09-01", " 2012-09-01 ": "2012-09-01",
	} {
		if got, ok := student.ParseDate(in); !ok || got != want {
			t.Errorf("ParseDate(%q) = %q, %v; want %q", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "2012-02-30", "01/09/2012", "2012-13-01", "41153", "yesterday"} {
		if got, ok := student.ParseDate(in); ok {
			t.Errorf("ParseDate(%q) = %q, want refused", in, got)
		}
	}
}

func TestParseGrade(t *testing.T) {
	for in, want := range map[string]int{
		"1": 1, "12": 12, "7年级": 7, "Grade 7": 7, "一年级": 1, "六年级": 6, "初一": 7, "初三": 9, "高一": 10, "高三": 12,
	} {
		if got, ok := student.ParseGrade(in); !ok || got != want {
			t.Errorf("ParseGrade(%q) = %d, %v; want %d", in, got, ok, want)
		}
	}
	for _, in := range []string{"", "0", "13", "-1", "初四", "大一"} {
		if got, ok := student.ParseGrade(in); ok {
			t.Errorf("ParseGrade(%q) = %d, want refused", in, got)
		}
	}
}
