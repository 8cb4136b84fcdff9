package student_test

import (
	"fmt"
	"reflect"
	"testing"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/student"
)

// tables counts the rows an import may write.
func (e *env) tables() string {
	return fmt.Sprintf("students=%d guardians=%d events=%d audit=%d", e.count(`SELECT COUNT(*) FROM students`),
		e.count(`SELECT COUNT(*) FROM guardians`), e.count(`SELECT COUNT(*) FROM student_events`), e.audits())
}

// badRoster has one problem of each kind, each on its own line, and two
// good rows (lines 2 and 3).
func badRoster(e *env) ([]student.RosterRow, []student.RowProblem) {
	r := func(line int, no string) student.RosterRow { return row(line, no, "学生"+no, e.a, 7) }
	rows := []student.RosterRow{r(2, "A0001"), r(3, "A0002"), r(4, "A0003"), r(5, "A0004"), r(6, "A0005"),
		r(7, "A0001"), r(8, "A0006"), r(9, "A0007"), r(10, "A0008")}
	rows[2].BirthDate = "2012-02-30"
	rows[3].School = "不存在的学校"
	rows[4].Name = "  "
	rows[6].Guardians[0].Phone = "call me"
	rows[7].Gender = "男生"
	rows[8].School = e.b.Name // a school outside the caller's scope is unknown to it
	want := []student.RowProblem{
		{Line: 4, Field: "birth_date", Problem: "student.date_format"},
		{Line: 5, Field: "school", Problem: "student.school_unknown"},
		{Line: 6, Field: "name", Problem: "student.name_required"},
		{Line: 7, Field: "student_no", Problem: "student.duplicate_in_file", Other: 2},
		{Line: 8, Field: "guardian", Problem: "student.phone_format"},
		{Line: 9, Field: "gender", Problem: "student.gender_unknown"},
		{Line: 10, Field: "school", Problem: "student.school_unknown"},
	}
	return rows, want
}

func TestImportDryRunReportsProblems(t *testing.T) {
	e := newEnv(t)
	rows, want := badRoster(e)
	before := e.tables()
	rep := e.importRows(e.counsellorA, rows, true)
	if !rep.DryRun || rep.Rows != len(rows) || rep.OK() {
		t.Errorf("report = %+v", rep)
	}
	if !reflect.DeepEqual(rep.Problems, want) {
		t.Errorf("problems:\n got  %+v\n want %+v", rep.Problems, want)
	}
	if rep.Created != 2 || rep.Updated != 0 || rep.Unchanged != 0 {
		t.Errorf("counts = %d created, %d updated, %d unchanged; want the 2 good rows as created", rep.Created, rep.Updated, rep.Unchanged)
	}
	if after := e.tables(); after != before {
		t.Errorf("dry run wrote: %s → %s", before, after)
	}
}

// Every repeat of a student number points at the line where it first
// appears, the third as well as the second.
func TestImportDuplicateNamesFirstLine(t *testing.T) {
	e := newEnv(t)
	rows := []student.RosterRow{row(2, "A0001", "甲", e.a, 7), row(3, "A0002", "乙", e.a, 7),
		row(4, "A0001", "丙", e.a, 7), row(5, "A0001", "丁", e.a, 7)}
	rep := e.importRows(e.counsellorA, rows, true)
	want := []student.RowProblem{
		{Line: 4, Field: "student_no", Problem: "student.duplicate_in_file", Other: 2},
		{Line: 5, Field: "student_no", Problem: "student.duplicate_in_file", Other: 2},
	}
	if !reflect.DeepEqual(rep.Problems, want) {
		t.Errorf("problems:\n got  %+v\n want %+v", rep.Problems, want)
	}
}

func TestImportWithProblemsWritesNothing(t *testing.T) {
	e := newEnv(t)
	rows, want := badRoster(e)
	before := e.tables()
	rep := e.importRows(e.counsellorA, rows, false)
	if rep.DryRun || rep.OK() || len(rep.Problems) != len(want) {
		t.Errorf("report = %+v", rep)
	}
	if after := e.tables(); after != before {
		t.Errorf("an import with problems wrote: %s → %s", before, after)
	}
}

func TestImportCreatesUpdatesAndSkips(t *testing.T) {
	e := newEnv(t)
	const n = 25
	var rows []student.RosterRow
	for i := range n {
		r := row(i+2, fmt.Sprintf("A%04d", i), fmt.Sprintf("学生%d", i), e.a, 7+i%3)
		r.Guardians = append(r.Guardians, student.Guardian{Name: "父亲", Relation: "爸爸", Phone: "+86 139-0000-0000"})
		rows = append(rows, r)
	}
	rows[3].School = e.a2.Code // a school by its code
	baseAudit := e.audits()
	dry := e.importRows(e.coordX, rows, true)
	if !dry.OK() || dry.Created != n {
		t.Fatalf("dry run: %+v", dry)
	}

	var calls [][2]int
	rep, err := e.s.Import(e.ctx, e.coordX, rows, false, func(done, total int) { calls = append(calls, [2]int{done, total}) })
	if err != nil || !rep.OK() || rep.Created != n || rep.Updated != 0 || rep.Unchanged != 0 {
		t.Fatalf("import: %+v, %v", rep, err)
	}
	if len(calls) == 0 || calls[len(calls)-1] != [2]int{n, n} {
		t.Errorf("progress calls %v, want the last to be (%d, %d)", calls, n, n)
	}
	if got := e.tables(); got != fmt.Sprintf("students=%d guardians=%d events=%d audit=%d", n, 2*n, n, baseAudit+n) {
		t.Errorf("after import: %s", got)
	}
	if k := e.count(`SELECT COUNT(*) FROM audit_log WHERE action = 'student.create'`); k != n {
		t.Errorf("%d student.create entries, want %d", k, n)
	}
	if k := e.count(`SELECT COUNT(DISTINCT object_id) FROM audit_log WHERE action = 'student.create'`); k != n {
		t.Errorf("student.create entries name %d students, want %d", k, n)
	}
	if id := e.count(`SELECT school_id FROM students WHERE student_no = 'A0003'`); int64(id) != e.a2.ID {
		t.Errorf("row naming school code %s went to school %d", e.a2.Code, id)
	}
	rec := e.record(e.coordX, e.idOf("A0001"))
	wantG := []student.Guardian{{Name: "家长学生1", Relation: "mother", Phone: "13800000000"},
		{Name: "父亲", Relation: "father", Phone: "+86 139-0000-0000"}}
	if rec.Student.Grade != 8 || !reflect.DeepEqual(rec.Student.Guardians, wantG) {
		t.Errorf("A0001 = grade %d, guardians %+v", rec.Student.Grade, rec.Student.Guardians)
	}

	// The same file again changes nothing and audits nothing.
	before := e.tables()
	rep = e.importRows(e.coordX, rows, false)
	if !rep.OK() || rep.Created != 0 || rep.Updated != 0 || rep.Unchanged != n {
		t.Errorf("re-import: %+v", rep)
	}
	if after := e.tables(); after != before {
		t.Errorf("re-import wrote: %s → %s", before, after)
	}

	// One changed class updates one student.
	rows[7].ClassName = "3班"
	before = e.tables()
	auditBefore := e.audits()
	rep = e.importRows(e.coordX, rows, false)
	if !rep.OK() || rep.Created != 0 || rep.Updated != 1 || rep.Unchanged != n-1 {
		t.Errorf("import with one change: %+v", rep)
	}
	e.wroteOne(auditBefore, "student.update", e.idOf("A0007"), e.coordX)
	if c := e.count(`SELECT COUNT(*) FROM students WHERE class_name = '3班'`); c != 1 || e.idOf("A0007") == 0 {
		t.Errorf("%d students in 3班, want A0007 alone", c)
	}
	if e.count(`SELECT COUNT(*) FROM students`) != n || e.count(`SELECT COUNT(*) FROM guardians`) != 2*n {
		t.Errorf("update duplicated rows: %s → %s", before, e.tables())
	}
	e.verifyAudit()
}

// A student number whose record belongs to a school outside the caller's
// scope is refused: that child must be transferred, not re-imported.
func TestImportStudentOfAnotherSchool(t *testing.T) {
	e := newEnv(t)
	e.seed(row(2, "B0001", "孙七", e.b, 7))
	rows := []student.RosterRow{row(2, "A0001", "张三", e.a, 7), row(3, "B0001", "孙七", e.a, 7)}
	before := e.tables()
	for _, dry := range []bool{true, false} {
		rep := e.importRows(e.counsellorA, rows, dry)
		want := []student.RowProblem{{Line: 3, Field: "student_no", Problem: "student.exists_elsewhere"}}
		if !reflect.DeepEqual(rep.Problems, want) {
			t.Errorf("dry run %v: problems %+v, want %+v", dry, rep.Problems, want)
		}
	}
	if after := e.tables(); after != before {
		t.Errorf("refused import wrote: %s → %s", before, after)
	}
	if id := e.count(`SELECT school_id FROM students WHERE student_no = 'B0001'`); int64(id) != e.b.ID {
		t.Errorf("B0001 moved to school %d", id)
	}
}

func TestImportRefusesEmptyAndHuge(t *testing.T) {
	e := newEnv(t)
	_, err := e.s.Import(e.ctx, e.counsellorA, nil, true, nil)
	wantCode(t, "empty roster", err, apperr.EInvalid)
	_, err = e.s.Import(e.ctx, e.counsellorA, make([]student.RosterRow, 200001), true, nil)
	wantCode(t, "200,001 rows", err, apperr.EInvalid)
}

// Progress is reported as rows are written, not only at the end.
func TestImportProgress(t *testing.T) {
	e := newEnv(t)
	const n = 2500
	rows := make([]student.RosterRow, n)
	for i := range rows {
		rows[i] = row(i+2, fmt.Sprintf("P%06d", i), "学生", e.a, 7)
	}
	var calls [][2]int
	if _, err := e.s.Import(e.ctx, e.counsellorA, rows, false, func(d, t int) { calls = append(calls, [2]int{d, t}) }); err != nil {
		t.Fatal(err)
	}
	if len(calls) < 3 || calls[len(calls)-1] != [2]int{n, n} {
		t.Fatalf("progress calls = %v, want several, ending at (%d, %d)", calls, n, n)
	}
	for i, c := range calls {
		if c[1] != n || (i > 0 && c[0] <= calls[i-1][0]) {
			t.Errorf("progress calls = %v: totals must be %d and counts must rise", calls, n)
			break
		}
	}
}

// A school name that two schools in the importer's reach share is
// ambiguous (the file must use the code), not unknown; the code works.
func TestImportSharedSchoolNameIsAmbiguous(t *testing.T) {
	e := newEnv(t)
	twin := e.unit(org.School, e.a.Name, "TWIN-1", e.x)
	rows := []student.RosterRow{row(2, "T0001", "学生甲", e.a, 7), row(3, "T0002", "学生乙", twin, 7)}
	rows[1].School = "TWIN-1"
	rep := e.importRows(e.coordX, rows, true)
	want := []student.RowProblem{{Line: 2, Field: "school", Problem: "student.school_ambiguous"}}
	if !reflect.DeepEqual(rep.Problems, want) {
		t.Errorf("problems:\n got  %+v\n want %+v", rep.Problems, want)
	}
}
