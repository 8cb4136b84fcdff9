package student_test

import (
	"testing"

	"github.com/careloop/careloop/internal/student"
)

// TestReimportKeepsStatus: an old roster imported again after a student
// graduated updates nothing and does not make them active again.
func TestReimportKeepsStatus(t *testing.T) {
	e := newEnv(t)
	rows := []student.RosterRow{row(2, "R000001", "毕业生", e.a, 9)}
	e.seed(rows...)
	id := e.idOf("R000001")
	if err := e.s.SetStatus(e.ctx, e.counsellorA, id, student.Graduated); err != nil {
		t.Fatal(err)
	}
	rep := e.importRows(e.counsellorA, []student.RosterRow{row(2, "R000001", "毕业生", e.a, 9)}, false)
	if rep.Unchanged != 1 || rep.Updated != 0 {
		t.Errorf("re-import of an unchanged row: %+v, want unchanged 1", rep)
	}
	if n := e.count(`SELECT COUNT(*) FROM students WHERE id = ? AND status = 'graduated'`, id); n != 1 {
		t.Error("re-importing an old roster made a graduated student active again")
	}
}

// TestImportMoveIsATransfer: a roster that puts a student in another school
// of the caller's scope records the move on the timeline.
func TestImportMoveIsATransfer(t *testing.T) {
	e := newEnv(t)
	e.seed(row(2, "R000002", "转学生", e.a, 8))
	id := e.idOf("R000002")
	rep := e.importRows(e.coordX, []student.RosterRow{row(2, "R000002", "转学生", e.a2, 8)}, false)
	if rep.Updated != 1 {
		t.Fatalf("moving import: %+v, want updated 1", rep)
	}
	if n := e.count(`SELECT COUNT(*) FROM student_events WHERE student_id = ? AND kind IN ('transferred_out', 'transferred_in')`, id); n != 2 {
		t.Errorf("%d transfer events, want 2", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM students WHERE id = ? AND school_id = ?`, id, e.a2.ID); n != 1 {
		t.Error("the record did not move to the new school")
	}
	e.verifyAudit()
}
