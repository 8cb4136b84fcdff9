package student_test

import (
	"fmt"
	"testing"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/student"
)

// scoped seeds two students in each of schools A, A2 and B.
func scoped(t *testing.T) (*env, map[string]int64) {
	e := newEnv(t)
	ids := e.seed(
		row(2, "A0001", "张三", e.a, 7), row(3, "A0002", "李四", e.a, 8),
		row(4, "A2001", "王五", e.a2, 7), row(5, "A2002", "赵六", e.a2, 9),
		row(6, "B0001", "孙七", e.b, 7), row(7, "B0002", "周八", e.b, 8),
	)
	return e, ids
}

func TestFindRecordInScope(t *testing.T) {
	e, ids := scoped(t)
	before := e.audits()
	rec := e.record(e.counsellorA, ids["A0001"])
	e.wroteOne(before, "student.read", ids["A0001"], e.counsellorA)
	st := rec.Student
	if st.Name != "张三" || st.SchoolID != e.a.ID || st.Grade != 7 || st.Gender != "female" || st.Initials != "zs" {
		t.Errorf("student = %+v", st)
	}
	if len(st.Guardians) != 1 || st.Guardians[0] != (student.Guardian{Name: "家长张三", Relation: "mother", Phone: "13800000000"}) {
		t.Errorf("guardians = %+v", st.Guardians)
	}
	if len(rec.Timeline) != 1 || rec.Timeline[0].Kind != "imported" || rec.Timeline[0].OrgUnitID != e.a.ID {
		t.Errorf("timeline = %+v", rec.Timeline)
	}

	_, err := e.s.FindRecord(e.ctx, e.counsellorA, ids["B0001"])
	wantCode(t, "counsellor at A reads a student of B", err, apperr.ENotFound)
	_, err = e.s.FindRecord(e.ctx, e.counsellorA, ids["A2001"])
	wantCode(t, "counsellor at A reads a student of A2", err, apperr.ENotFound)
	_, err = e.s.FindRecord(e.ctx, e.counsellorA, 999999)
	wantCode(t, "a student that does not exist", err, apperr.ENotFound)

	before = e.audits()
	e.record(e.counsellorB, ids["B0001"])
	e.wroteOne(before, "student.read", ids["B0001"], e.counsellorB)
	e.verifyAudit()
}

func TestCoordinatorSeesTheDistrict(t *testing.T) {
	e, ids := scoped(t)
	for _, no := range []string{"A0001", "A0002", "A2001", "A2002"} {
		before := e.audits()
		e.record(e.coordX, ids[no])
		e.wroteOne(before, "student.read", ids[no], e.coordX)
	}
	for _, no := range []string{"B0001", "B0002"} {
		_, err := e.s.FindRecord(e.ctx, e.coordX, ids[no])
		wantCode(t, "coordinator of X reads "+no, err, apperr.ENotFound)
	}
	before := e.audits()
	list, err := e.s.FindStudents(e.ctx, e.coordX, student.StudentFilter{})
	if err != nil {
		t.Fatal(err)
	}
	e.wroteOne(before, "student.search", 0, e.coordX)
	if got := nos(list); len(list) != 4 || !got["A0001"] || !got["A0002"] || !got["A2001"] || !got["A2002"] {
		t.Errorf("coordinator of X lists %v, want the four students of A and A2", got)
	}
	e.verifyAudit()
}

// FindStudents never returns a row outside the caller's scope, whatever
// the filter asks for.
func TestFindStudentsStaysInScope(t *testing.T) {
	e, _ := scoped(t)
	callers := []struct {
		name    string
		p       access.Principal
		schools []*org.Unit
	}{
		{"counsellor A", e.counsellorA, []*org.Unit{e.a}},
		{"counsellor B", e.counsellorB, []*org.Unit{e.b}},
		{"coordinator X", e.coordX, []*org.Unit{e.a, e.a2}},
		{"coordinator of the city", e.cityCoord, []*org.Unit{e.a, e.a2, e.b}},
		{"counsellor at A and at B", access.Principal{UserID: 900, Memberships: []access.Membership{
			{OrgID: e.a.ID, OrgPath: e.a.Path, Role: access.SchoolCounsellor},
			{OrgID: e.b.ID, OrgPath: e.b.Path, Role: access.SchoolCounsellor}}}, []*org.Unit{e.a, e.b}},
	}
	filters := []student.StudentFilter{{}, {Query: "A"}, {Query: "B0001"}, {Query: "z"}, {SchoolID: e.b.ID},
		{SchoolID: e.a.ID}, {Grade: 7}, {ClassName: "1班"}, {Status: student.Archived}, {Limit: 5000}}
	for _, c := range callers {
		allowed := map[int64]bool{}
		for _, s := range c.schools {
			allowed[s.ID] = true
		}
		total := 0
		for _, f := range filters {
			before := e.audits()
			list, err := e.s.FindStudents(e.ctx, c.p, f)
			if err != nil {
				t.Fatalf("%s %+v: %v", c.name, f, err)
			}
			e.wroteOne(before, "student.search", 0, c.p)
			for _, s := range list {
				if !allowed[s.SchoolID] {
					t.Errorf("%s with filter %+v sees %s of school %d", c.name, f, s.StudentNo, s.SchoolID)
				}
			}
			if f == (student.StudentFilter{}) {
				total = len(list)
			}
		}
		if total != 2*len(c.schools) {
			t.Errorf("%s lists %d students, want %d", c.name, total, 2*len(c.schools))
		}
	}
	e.verifyAudit()
}

func TestFindStudentsAuditsRowCount(t *testing.T) {
	e, _ := scoped(t)
	if _, err := e.s.FindStudents(e.ctx, e.coordX, student.StudentFilter{Grade: 7}); err != nil {
		t.Fatal(err)
	}
	if detail := e.lastDetail(); detail != "rows=2" {
		t.Errorf("search audit detail = %q, want rows=2", detail)
	}
}

func TestHeadTeacherCannotReadRecords(t *testing.T) {
	e, ids := scoped(t)
	before := e.audits()
	list, err := e.s.FindStudents(e.ctx, e.teacherA, student.StudentFilter{})
	wantCode(t, "head teacher lists students", err, apperr.EForbidden)
	if list != nil {
		t.Errorf("head teacher got %d students", len(list))
	}
	rec, err := e.s.FindRecord(e.ctx, e.teacherA, ids["A0001"])
	if err == nil || rec != nil {
		t.Errorf("head teacher read the record of a student of the class's school: %+v, %v", rec, err)
	}
	_, err = e.s.Import(e.ctx, e.teacherA, []student.RosterRow{row(2, "A0009", "钱九", e.a, 7)}, true, nil)
	wantCode(t, "head teacher imports a roster", err, apperr.EForbidden)
	for _, p := range []access.Principal{{}, e.principal(access.SysAdmin, e.city), e.principal(access.HotlineCounsellor, e.city)} {
		_, err := e.s.FindStudents(e.ctx, p, student.StudentFilter{})
		wantCode(t, fmt.Sprintf("user %d with %v lists students", p.UserID, p.Roles()), err, apperr.EForbidden)
	}
	if n := e.audits(); n != before {
		t.Errorf("refused reads left %d audit entries", n-before)
	}
}

// An API token limited to other permissions reads nothing.
func TestLimitedTokenCannotRead(t *testing.T) {
	e, ids := scoped(t)
	p := e.counsellorA
	p.Limit = []access.Permission{access.OrgRead}
	_, err := e.s.FindStudents(e.ctx, p, student.StudentFilter{})
	wantCode(t, "limited token lists students", err, apperr.EForbidden)
	_, err = e.s.FindRecord(e.ctx, p, ids["A0001"])
	wantCode(t, "limited token reads a record", err, apperr.ENotFound)
}
