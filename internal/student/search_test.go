package student_test

import (
	"sort"
	"strings"
	"testing"

	"github.com/careloop/careloop/internal/student"
)

func searchEnv(t *testing.T) *env {
	e := newEnv(t)
	e.seed(
		row(2, "G2012000001", "张三", e.a, 7), row(3, "G2012000002", "张三丰", e.a, 7),
		row(4, "G2012000003", "李四", e.a, 8), row(5, "G2012000004", "吕布", e.a, 8),
		row(6, "G2012000005", "Li Na", e.a, 9), row(7, "G2012000006", "王小三", e.a, 9),
		row(8, "G2012000007", "张三", e.b, 7), // same name, other district
		row(9, "G2012000008", "50%_off", e.a, 9),
	)
	return e
}

// search runs a search as the counsellor of school A and returns the
// student numbers found, sorted.
func (e *env) search(q string) string {
	e.t.Helper()
	before := e.audits()
	list, err := e.s.FindStudents(e.ctx, e.counsellorA, student.StudentFilter{Query: q})
	if err != nil {
		e.t.Fatalf("search %q: %v", q, err)
	}
	e.wroteOne(before, "student.search", 0, e.counsellorA)
	var out []string
	for _, s := range list {
		out = append(out, strings.TrimPrefix(s.StudentNo, "G201200000"))
	}
	sort.Strings(out)
	return strings.Join(out, ",")
}

func TestSearch(t *testing.T) {
	e := searchEnv(t)
	for _, c := range []struct{ q, want string }{
		{"张三", "1,2"},  // a name, in scope only (not 7 at school B)
		{"三", "1,2,6"}, // a fragment anywhere in the name
		{"三丰", "2"},
		{"zs", "1,2"}, // pinyin initials prefix
		{"ZS", "1,2"}, // in any case
		{"zsf", "2"},
		{"l", "3,4,5"}, // 李四 ls, 吕布 lb, Li Na ln
		{"lb", "4"},
		{"ln", "5"},
		{"Li", "5"},
		{"G2012000003", "3"}, // exact student number
		{"G2012000007", ""},  // exact, but outside scope
		{"G201200000", ""},   // a student number is matched whole, never by prefix
		{"%", "8"},           // LIKE wildcards are literal
		{"_", "8"},
		{"x", ""},
		{" 李四 ", "3"},
	} {
		if got := e.search(c.q); got != c.want {
			t.Errorf("search %q finds %q, want %q", c.q, got, c.want)
		}
	}
	e.verifyAudit()
}

// A Latin name is found whatever the case of the query, on both engines.
func TestSearchLatinNameIgnoresCase(t *testing.T) {
	e := searchEnv(t)
	for _, q := range []string{"li na", "LI NA", "Na"} {
		if got := e.search(q); got != "5" {
			t.Errorf("search %q finds %q, want Li Na (5)", q, got)
		}
	}
}

func TestSearchFilters(t *testing.T) {
	e := searchEnv(t)
	list, err := e.s.FindStudents(e.ctx, e.counsellorA, student.StudentFilter{Query: "zs", Grade: 7, ClassName: "1班", SchoolID: e.a.ID})
	if err != nil || len(list) != 2 {
		t.Fatalf("got %d, %v", len(list), err)
	}
	list, err = e.s.FindStudents(e.ctx, e.counsellorA, student.StudentFilter{Grade: 8, Limit: 1})
	if err != nil || len(list) != 1 || list[0].Grade != 8 {
		t.Errorf("grade 8, limit 1: %+v, %v", list, err)
	}
	list, err = e.s.FindStudents(e.ctx, e.counsellorA, student.StudentFilter{ClassName: "2班"})
	if err != nil || len(list) != 0 {
		t.Errorf("class 2班: %d students, %v", len(list), err)
	}
}
