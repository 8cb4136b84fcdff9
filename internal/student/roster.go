package student

import (
	"regexp"
	"strconv"
	"strings"
	"time"
)

// RosterRow is one row of a roster file, as read, before validation.
type RosterRow struct {
	Line      int // line (CSV) or row (XLSX) number in the file, for the report
	StudentNo string
	Name      string
	Gender    string
	BirthDate string
	School    string // the school's name or code, as the file gives it
	Grade     string
	ClassName string
	Guardians []Guardian
}

// RowProblem is one problem found in a roster row.
type RowProblem struct {
	Line    int
	Field   string // student_no, name, gender, birth_date, school, grade, class, guardian
	Problem string // i18n key
	Other   int    // for a duplicate: the line where the student number first appears
}

// ImportReport is the outcome of a dry run or a real import.
type ImportReport struct {
	DryRun    bool
	Rows      int
	Created   int
	Updated   int
	Unchanged int
	Problems  []RowProblem
}

// OK reports whether the roster can be imported as it is.
func (r *ImportReport) OK() bool { return len(r.Problems) == 0 }

var (
	studentNoRE = regexp.MustCompile(`^[A-Za-z0-9-]{4,32}$`)
	phoneRE     = regexp.MustCompile(`^\+?[0-9][0-9 -]{5,19}$`)
	gradeZH     = map[string]int{"一": 1, "二": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9,
		"初一": 7, "初二": 8, "初三": 9, "高一": 10, "高二": 11, "高三": 12}
	genderWords = map[string]string{"女": "female", "男": "male", "f": "female", "m": "male", "female": "female",
		"male": "male", "其他": "other", "other": "other", "未知": "unknown", "unknown": "unknown"}
	relationWords = map[string]string{"母亲": "mother", "妈妈": "mother", "mother": "mother", "父亲": "father",
		"爸爸": "father", "father": "father", "祖父": "grandparent", "祖母": "grandparent", "外公": "grandparent",
		"外婆": "grandparent", "爷爷": "grandparent", "奶奶": "grandparent", "grandparent": "grandparent",
		"亲属": "relative", "relative": "relative", "监护人": "guardian", "guardian": "guardian", "其他": "other", "other": "other"}
	dateLayouts = []string{"2006-01-02", "2006/1/2", "2006-1-2", "20060102", "2006.1.2", "2006年1月2日"}
)

// ParseGrade reads a grade as a number 1–12, "7年级", "初一" or "高三".
func ParseGrade(s string) (int, bool) {
	s = strings.TrimSpace(s)
	s = strings.TrimSuffix(strings.TrimSuffix(s, "年级"), "grade")
	s = strings.TrimSpace(strings.TrimPrefix(strings.ToLower(s), "grade"))
	if n, err := strconv.Atoi(s); err == nil && n >= 1 && n <= 12 {
		return n, true
	}
	if n, ok := gradeZH[s]; ok {
		return n, true
	}
	return 0, false
}

// ParseDate reads a birth date in the layouts schools use.
func ParseDate(s string) (string, bool) {
	s = strings.TrimSpace(s)
	for _, l := range dateLayouts {
		if t, err := time.Parse(l, s); err == nil {
			return t.Format("2006-01-02"), true
		}
	}
	return "", false
}

// normalized is a validated row, ready to write.
type normalized struct {
	line      int
	student   Student
	guardians []Guardian
}

// check validates one row against the schools the caller may write to
// (name or code → id), appending problems to rep.
func check(row RosterRow, schools map[string]int64, now time.Time, rep *ImportReport) (normalized, bool) {
	bad := func(field, key string) {
		rep.Problems = append(rep.Problems, RowProblem{Line: row.Line, Field: field, Problem: key})
	}
	n := normalized{line: row.Line}
	before := len(rep.Problems)
	st := &n.student
	st.StudentNo = strings.TrimSpace(row.StudentNo)
	if !studentNoRE.MatchString(st.StudentNo) {
		bad("student_no", "student.no_format")
	}
	st.Name = strings.TrimSpace(row.Name)
	if st.Name == "" || len([]rune(st.Name)) > 50 {
		bad("name", "student.name_required")
	}
	st.Initials = Initials(st.Name)
	if g, ok := genderWords[strings.ToLower(strings.TrimSpace(row.Gender))]; ok {
		st.Gender = g
	} else {
		bad("gender", "student.gender_unknown")
	}
	if d, ok := ParseDate(row.BirthDate); !ok {
		bad("birth_date", "student.date_format")
	} else if b, _ := time.Parse("2006-01-02", d); b.After(now) || now.Year()-b.Year() > 25 {
		bad("birth_date", "student.date_range")
	} else {
		st.BirthDate = d
	}
	switch id, ok := schools[strings.TrimSpace(row.School)]; {
	case ok && id != 0:
		st.SchoolID = id
	case ok:
		bad("school", "student.school_ambiguous")
	default:
		bad("school", "student.school_unknown")
	}
	if g, ok := ParseGrade(row.Grade); ok {
		st.Grade = g
	} else {
		bad("grade", "student.grade_range")
	}
	st.ClassName = strings.TrimSpace(row.ClassName)
	if st.ClassName == "" || len([]rune(st.ClassName)) > 20 {
		bad("class", "student.class_required")
	}
	for _, g := range row.Guardians {
		g.Name, g.Phone = strings.TrimSpace(g.Name), strings.TrimSpace(g.Phone)
		if g.Name == "" && g.Phone == "" && strings.TrimSpace(g.Relation) == "" {
			continue
		}
		rel, ok := relationWords[strings.ToLower(strings.TrimSpace(g.Relation))]
		switch {
		case g.Name == "":
			bad("guardian", "student.guardian_name_required")
		case !ok:
			bad("guardian", "student.relation_unknown")
		case g.Phone != "" && !phoneRE.MatchString(g.Phone):
			bad("guardian", "student.phone_format")
		default:
			n.guardians = append(n.guardians, Guardian{Name: g.Name, Relation: rel, Phone: g.Phone})
		}
	}
	return n, len(rep.Problems) == before
}
