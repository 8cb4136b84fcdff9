package training_test

import (
	"bytes"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/testutil"
	"github.com/careloop/careloop/internal/training"
)

// xlsx builds a workbook of rows (the first is the header).
func xlsx(t *testing.T, rows [][]string) *bytes.Reader {
	t.Helper()
	f := excelize.NewFile()
	for i, r := range rows {
		for j, v := range r {
			cell, _ := excelize.CoordinatesToCellName(j+1, i+1)
			if err := f.SetCellStr("Sheet1", cell, v); err != nil {
				t.Fatal(err)
			}
		}
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return bytes.NewReader(b.Bytes())
}

func TestImportAttendanceDryRunThenAllOrNothing(t *testing.T) {
	e := newEnv(t)
	c := e.course(e.coordA, e.distA, training.NewCourse{})
	s := e.session(e.coordA, c, monday.Add(-time.Hour), 3)
	if err := e.svc.Assign(e.ctx, e.coordA, s, e.counsellorA1.Username); err != nil {
		t.Fatal(err)
	}
	headA2Name := "head_teacher " + e.headA2.Username // testutil.Staff's display name
	bad := [][]string{
		{"用户名", "姓名", "单位"},
		{e.counsellorA1.Username, "", ""}, // 2 enrolled: fine
		{"nobody-here", "", ""},           // 3 unknown
		{e.headA1.Username, "", ""},       // 4 walk-in: fine
		{e.counsellorA1.Username, "", ""}, // 5 duplicate
		{"", headA2Name, "东城第二中学"},        // 6 by name and unit: fine
		{e.headB1.Username, "", ""},       // 7 another district: not offered
		{"", "", ""},                      // blank: skipped
		{"", "某老师", ""},                   // 9 name without unit
		{e.supervisor.Username, "", ""},   // 10 not offered
	}
	rows, err := training.ParseAttendance(xlsx(t, bad))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 8 {
		t.Fatalf("parsed %d rows, want 8 (the blank one skipped)", len(rows))
	}
	rep, err := e.svc.ImportAttendance(e.ctx, e.coordA, s, rows, true)
	if err != nil {
		t.Fatal(err)
	}
	want := map[int]string{3: "training.import_unknown", 5: "training.import_duplicate", 7: "training.import_not_offered",
		9: "training.import_incomplete", 10: "training.import_not_offered"}
	got := map[int]string{}
	for _, p := range rep.Problems {
		got[p.Line] = p.Problem
	}
	for l, w := range want {
		if got[l] != w {
			t.Errorf("line %d: %q, want %q", l, got[l], w)
		}
	}
	if len(got) != len(want) || rep.ToMark != 3 || rep.NewPlaces != 2 {
		t.Fatalf("dry run: %+v", rep)
	}
	// The real run of a file with problems writes nothing.
	rep, err = e.svc.ImportAttendance(e.ctx, e.coordA, s, rows, false)
	if err != nil || rep.Imported {
		t.Fatalf("real run with problems: %+v %v", rep, err)
	}
	if n := testutil.Num(t, e.d, `SELECT COUNT(*) FROM training_enrolments WHERE session_id = ?`, s); n != 1 {
		t.Fatalf("a bad file wrote enrolments: %d", n)
	}
	// Capacity: three places, so a fourth new person is a problem.
	good := [][]string{{"username"}, {e.counsellorA1.Username}, {e.headA1.Username}, {e.headA2.Username}, {e.coordA.Username}}
	rows, _ = training.ParseAttendance(xlsx(t, good))
	rep, _ = e.svc.ImportAttendance(e.ctx, e.coordA, s, rows, true)
	if len(rep.Problems) != 1 || rep.Problems[0].Line != 5 || rep.Problems[0].Problem != "training.import_full" {
		t.Fatalf("over capacity: %+v", rep.Problems)
	}
	rows, _ = training.ParseAttendance(xlsx(t, good[:4]))
	rep, err = e.svc.ImportAttendance(e.ctx, e.coordA, s, rows, false)
	if err != nil || !rep.Imported || rep.ToMark != 3 {
		t.Fatalf("import: %+v %v", rep, err)
	}
	if n := testutil.Num(t, e.d, `SELECT COUNT(*) FROM training_enrolments WHERE session_id = ? AND attended = 1 AND attended_how = 'import'`, s); n != 3 {
		t.Fatalf("imported attendances: %d", n)
	}
	// Again: all already recorded.
	rep, _ = e.svc.ImportAttendance(e.ctx, e.coordA, s, rows, false)
	if rep.Already != 3 || rep.ToMark != 0 {
		t.Fatalf("second import: %+v", rep)
	}
	// Another district's coordinator cannot import into the session.
	if _, err := e.svc.ImportAttendance(e.ctx, e.coordB, s, rows, true); apperr.CodeOf(err) != apperr.ENotFound {
		t.Fatalf("coordB imports: %v", err)
	}
	// A file without the columns is refused as a whole.
	if _, err := training.ParseAttendance(xlsx(t, [][]string{{"电话"}, {"123"}})); apperr.MessageOf(err) != "training.file_columns" {
		t.Fatalf("no columns: %v", err)
	}
	if _, err := training.ParseAttendance(bytes.NewReader([]byte("not a workbook"))); apperr.CodeOf(err) != apperr.EInvalid {
		t.Fatalf("not a workbook: %v", err)
	}
}
