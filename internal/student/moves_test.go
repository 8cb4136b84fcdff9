package student_test

import (
	"context"
	"testing"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/student"
)

func kinds(rec *student.Record) map[string]student.Event {
	out := map[string]student.Event{}
	for _, ev := range rec.Timeline {
		out[ev.Kind] = ev
	}
	return out
}

func TestTransfer(t *testing.T) {
	e := newEnv(t)
	id := e.seed(row(2, "A0001", "张三", e.a, 7))["A0001"]
	if err := e.s.AddRiskFactor(e.ctx, e.counsellorA, id, "left_behind", "父母在外地打工", "2024-09-01"); err != nil {
		t.Fatal(err)
	}
	e.record(e.counsellorA, id) // the old school reads it before the move

	before := e.audits()
	if err := e.s.Transfer(e.ctx, e.counsellorA, id, e.b.ID, 8, "2班"); err != nil {
		t.Fatalf("Transfer: %v", err)
	}
	e.wroteOne(before, "student.transfer", id, e.counsellorA)

	_, err := e.s.FindRecord(e.ctx, e.counsellorA, id)
	wantCode(t, "old school's counsellor after the transfer", err, apperr.ENotFound)
	if list, _ := e.s.FindStudents(e.ctx, e.counsellorA, student.StudentFilter{}); len(list) != 0 {
		t.Errorf("old school still lists %d students", len(list))
	}
	rec := e.record(e.counsellorB, id)
	st := rec.Student
	if st.SchoolID != e.b.ID || st.Grade != 8 || st.ClassName != "2班" || st.Name != "张三" || len(st.Guardians) != 1 {
		t.Errorf("after transfer: %+v", st)
	}
	if len(rec.RiskFactors) != 1 || rec.RiskFactors[0].Note != "父母在外地打工" {
		t.Errorf("the risk factors did not follow the child: %+v", rec.RiskFactors)
	}
	ev := kinds(rec)
	out, in := ev["transferred_out"], ev["transferred_in"]
	if out.OrgUnitID != e.a.ID || in.OrgUnitID != e.b.ID || ev["imported"].Kind == "" || ev["risk_factor_added"].Kind == "" {
		t.Errorf("timeline = %+v", rec.Timeline)
	}
	if out.ActorUserID != e.counsellorA.UserID || in.ActorUserID != e.counsellorA.UserID {
		t.Errorf("transfer events by %d and %d, want %d", out.ActorUserID, in.ActorUserID, e.counsellorA.UserID)
	}

	// The new school may move the child back; the old one no longer may.
	err = e.s.Transfer(e.ctx, e.counsellorA, id, e.a.ID, 8, "1班")
	wantCode(t, "old school transfers the student back", err, apperr.ENotFound)
	err = e.s.Transfer(e.ctx, e.counsellorB, id, e.b.ID, 8, "1班")
	wantCode(t, "transfer to the same school", err, apperr.EInvalid)
	err = e.s.Transfer(e.ctx, e.counsellorB, id, e.x.ID, 8, "1班")
	wantCode(t, "transfer to a district", err, apperr.EInvalid)
	err = e.s.Transfer(e.ctx, e.counsellorB, id, 999999, 8, "1班")
	wantCode(t, "transfer to no unit", err, apperr.EInvalid)
	err = e.s.Transfer(e.ctx, e.counsellorB, id, e.a.ID, 13, "1班")
	wantCode(t, "transfer into grade 13", err, apperr.EInvalid)
	err = e.s.Transfer(e.ctx, e.counsellorB, id, e.a.ID, 8, " ")
	wantCode(t, "transfer without a class", err, apperr.EInvalid)
	if got := e.count(`SELECT school_id FROM students WHERE id = ?`, id); int64(got) != e.b.ID {
		t.Errorf("refused transfers moved the student to %d", got)
	}
	e.verifyAudit()
}

func TestPromote(t *testing.T) {
	e := newEnv(t)
	ids := e.seed(row(2, "A0007", "七年级", e.a, 7), row(3, "A0008", "八年级", e.a, 8), row(4, "A0009", "九年级", e.a, 9),
		row(5, "A0088", "已归档", e.a, 8), row(6, "A2008", "他校", e.a2, 8))
	if err := e.s.SetStatus(e.ctx, e.counsellorA, ids["A0088"], student.Archived); err != nil {
		t.Fatal(err)
	}
	_, _, err := e.s.Promote(e.ctx, e.counsellorB, e.a.ID, 9)
	wantCode(t, "another school's counsellor promotes A", err, apperr.ENotFound)
	_, _, err = e.s.Promote(e.ctx, e.counsellorA, e.a.ID, 0)
	wantCode(t, "final grade 0", err, apperr.EInvalid)
	_, _, err = e.s.Promote(e.ctx, e.coordX, e.x.ID, 9)
	wantCode(t, "promote a district", err, apperr.ENotFound)

	before := e.audits()
	promoted, graduated, err := e.s.Promote(e.ctx, e.counsellorA, e.a.ID, 9)
	if err != nil || promoted != 2 || graduated != 1 {
		t.Fatalf("Promote = %d promoted, %d graduated, %v; want 2, 1", promoted, graduated, err)
	}
	if n := e.audits() - before; n != 3 {
		t.Errorf("promotion wrote %d audit entries, want one per student moved (3)", n)
	}
	want := map[string]struct {
		grade  int
		status string
	}{"A0007": {8, student.Active}, "A0008": {9, student.Active}, "A0009": {9, student.Graduated},
		"A0088": {8, student.Archived}, "A2008": {8, student.Active}}
	for no, w := range want {
		var grade int
		var status string
		err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
			return tx.QueryRow(ctx, `SELECT grade, status FROM students WHERE student_no = ?`, no).Scan(&grade, &status)
		})
		if err != nil {
			t.Fatal(err)
		}
		if grade != w.grade || status != w.status {
			t.Errorf("%s: grade %d %s, want %d %s", no, grade, status, w.grade, w.status)
		}
	}
	if ev := kinds(e.record(e.counsellorA, ids["A0007"])); ev["year_end"].Kind == "" {
		t.Errorf("no year_end event on a promoted student's timeline")
	}

	// A second promotion graduates the new ninth grade.
	promoted, graduated, err = e.s.Promote(e.ctx, e.counsellorA, e.a.ID, 9)
	if err != nil || promoted != 1 || graduated != 1 {
		t.Errorf("second Promote = %d, %d, %v; want 1, 1", promoted, graduated, err)
	}
	e.verifyAudit()
}

func TestSetStatus(t *testing.T) {
	e := newEnv(t)
	id := e.seed(row(2, "A0001", "张三", e.a, 7))["A0001"]
	err := e.s.SetStatus(e.ctx, e.counsellorA, id, "expelled")
	wantCode(t, "unknown status", err, apperr.EInvalid)
	err = e.s.SetStatus(e.ctx, e.counsellorB, id, student.Archived)
	wantCode(t, "other school archives", err, apperr.ENotFound)
	err = e.s.SetStatus(e.ctx, e.teacherA, id, student.Archived)
	wantCode(t, "head teacher archives", err, apperr.ENotFound)

	before := e.audits()
	if err := e.s.SetStatus(e.ctx, e.counsellorA, id, student.Archived); err != nil {
		t.Fatal(err)
	}
	e.wroteOne(before, "student.status", id, e.counsellorA)
	if list, _ := e.s.FindStudents(e.ctx, e.counsellorA, student.StudentFilter{}); len(list) != 0 {
		t.Errorf("an archived student is listed among active ones")
	}
	list, _ := e.s.FindStudents(e.ctx, e.counsellorA, student.StudentFilter{Status: student.Archived})
	if len(list) != 1 || list[0].Status != student.Archived {
		t.Errorf("archived list = %+v", list)
	}
	before = e.audits()
	if err := e.s.SetStatus(e.ctx, e.counsellorA, id, student.Archived); err != nil || e.audits() != before {
		t.Errorf("setting the same status again: %v, %d audit entries", err, e.audits()-before)
	}
	if err := e.s.SetStatus(e.ctx, e.counsellorA, id, student.Active); err != nil {
		t.Fatal(err)
	}
	ev := kinds(e.record(e.counsellorA, id))
	if ev["status_archived"].Kind == "" || ev["status_active"].Kind == "" {
		t.Errorf("timeline lacks the status changes")
	}
	e.verifyAudit()
}
