package warning_test

import (
	"bytes"
	"context"
	"strconv"
	"testing"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/student"
	"github.com/careloop/careloop/internal/warning"
)

func TestReportConcernByHeadTeacher(t *testing.T) {
	e := newEnv(t)
	counsellor := e.user(access.SchoolCounsellor, e.a)
	teacher := e.user(access.HeadTeacher, e.a)
	ids := e.students(e.a, "CNC-1")
	desc := "最近常一个人坐着，不和同学说话"
	rid, aid, err := e.svc.ReportConcern(e.ctx, teacher, warning.ConcernReport{StudentID: ids[0], Signs: []string{"withdrawal", "low_mood", "made-up"},
		Since: "2025-02-20", Factors: []string{"left_behind", "not-a-kind"}, Description: desc}, student.RiskFactorKinds)
	if err != nil || rid == 0 || aid == 0 {
		t.Fatalf("ReportConcern = %d, %d, %v; want a report and an alert", rid, aid, err)
	}
	if a := e.alert(aid); a.Level != warning.Yellow || a.Owner != counsellor.UserID {
		t.Errorf("alert %+v; want yellow, owned by the counsellor", a)
	}
	var signs, factors string
	var sealed []byte
	var reporter, unit int64
	if err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT signs, factors, description, reporter_id, org_unit_id FROM concern_reports WHERE id = ?`, rid).
			Scan(&signs, &factors, &sealed, &reporter, &unit)
	}); err != nil {
		t.Fatal(err)
	}
	if signs != "withdrawal low_mood" || factors != "left_behind" || reporter != teacher.UserID || unit != e.a.ID {
		t.Errorf("report: signs %q factors %q reporter %d unit %d; unknown codes must be dropped", signs, factors, reporter, unit)
	}
	if bytes.Contains(sealed, []byte(desc)) || len(sealed) == 0 {
		t.Error("the description is not sealed")
	}
	reason := e.str(`SELECT reason FROM alert_signals WHERE alert_id = ? AND source = 'concern' AND source_id = ?`, aid, rid)
	if got := (warning.AlertSignal{Reason: reason}).Rules(); len(got) != 1 || got[0] != "concern-reported" {
		t.Errorf("rules %v (reason %q), want concern-reported", got, reason)
	}
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'concern.report' AND actor_user_id = ? AND object_id = ?`,
		teacher.UserID, strconv.FormatInt(ids[0], 10)); n != 1 {
		t.Errorf("%d concern.report audit entries, want 1", n)
	}
	if n := e.num(`SELECT COUNT(*) FROM student_events WHERE student_id = ? AND kind = 'concern'`, ids[0]); n != 1 {
		t.Errorf("%d concern timeline events, want 1", n)
	}
	// The counsellor who owns the alert reads what the teacher saw.
	d, err := e.svc.FindAlert(e.ctx, counsellor, aid)
	if err != nil {
		t.Fatal(err)
	}
	if sg := d.Signals[0]; sg.Description != desc || len(sg.Signs) != 2 || sg.Relation != "" {
		t.Errorf("the alert's concern report reads %+v", sg)
	}
}

// A community worker cannot search records, so reports by student number.
func TestReportConcernByCommunityWorker(t *testing.T) {
	e := newEnv(t)
	e.user(access.SchoolCounsellor, e.a)
	worker := e.user(access.CommunityWorker, e.x)
	ids := e.students(e.a, "CNC-2")
	rid, aid, err := e.svc.ReportConcern(e.ctx, worker, warning.ConcernReport{StudentNo: " CNC-2 ", Signs: []string{"self_harm"}}, nil)
	if err != nil || rid == 0 || aid == 0 {
		t.Fatalf("ReportConcern = %d, %d, %v", rid, aid, err)
	}
	if a := e.alert(aid); a.Level != warning.Red {
		t.Errorf("alert %+v; want red for self-harm", a)
	}
	if n := e.num(`SELECT student_id FROM concern_reports WHERE id = ?`, rid); n != ids[0] {
		t.Errorf("report names student %d, want %d", n, ids[0])
	}
}

func TestReportConcernRefusals(t *testing.T) {
	e := newEnv(t)
	e.user(access.SchoolCounsellor, e.a)
	teacherA := e.user(access.HeadTeacher, e.a)
	teacherB := e.user(access.HeadTeacher, e.b)
	worker := e.user(access.CommunityWorker, e.x)
	ids := e.students(e.a, "CNC-3")
	for _, c := range []struct {
		what  string
		p     access.Principal
		r     warning.ConcernReport
		field string
	}{
		{"unknown student number", worker, warning.ConcernReport{StudentNo: "NOPE-9", Signs: []string{"low_mood"}}, "student_no"},
		{"no student", worker, warning.ConcernReport{Signs: []string{"low_mood"}}, "student_no"},
		{"student of another school", teacherB, warning.ConcernReport{StudentID: ids[0], Signs: []string{"low_mood"}}, "student_no"},
		{"no signs", teacherA, warning.ConcernReport{StudentID: ids[0]}, "signs"},
		{"only unknown signs", teacherA, warning.ConcernReport{StudentID: ids[0], Signs: []string{"vibes"}}, "signs"},
		{"since in the future", teacherA, warning.ConcernReport{StudentID: ids[0], Signs: []string{"anger"}, Since: "2030-01-01"}, "since"},
		{"since not a date", teacherA, warning.ConcernReport{StudentID: ids[0], Signs: []string{"anger"}, Since: "last week"}, "since"},
	} {
		_, _, err := e.svc.ReportConcern(e.ctx, c.p, c.r, student.RiskFactorKinds)
		if apperr.CodeOf(err) != apperr.EInvalid || apperr.FieldsOf(err)[c.field] == "" {
			t.Errorf("%s: %v (fields %v); want EInvalid on %s", c.what, err, apperr.FieldsOf(err), c.field)
		}
	}
	if n := e.num(`SELECT COUNT(*) FROM concern_reports`); n != 0 {
		t.Errorf("%d reports stored by refused calls", n)
	}
}

// The report and its alert commit together: if the alert cannot be raised
// (the yellow level has no deadlines) there is no report either.
func TestReportConcernIsAtomic(t *testing.T) {
	e := newEnv(t)
	e.user(access.SchoolCounsellor, e.a)
	teacher := e.user(access.HeadTeacher, e.a)
	ids := e.students(e.a, "CNC-4")
	if _, err := e.d.Exec(e.ctx, `DELETE FROM alert_deadlines WHERE level = 'yellow'`); err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.svc.ReportConcern(e.ctx, teacher, warning.ConcernReport{StudentID: ids[0], Signs: []string{"anger"}}, nil); err == nil {
		t.Fatal("ReportConcern succeeded without its alert")
	}
	for _, q := range []string{`SELECT COUNT(*) FROM concern_reports`, `SELECT COUNT(*) FROM alerts`,
		`SELECT COUNT(*) FROM audit_log WHERE action = 'concern.report'`} {
		if n := e.num(q); n != 0 {
			t.Errorf("%s = %d after a failed report", q, n)
		}
	}
}
