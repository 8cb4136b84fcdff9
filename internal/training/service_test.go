package training_test

import (
	"testing"
	"time"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/training"
)

func TestCourseSessionsAttendanceHoursEligibility(t *testing.T) {
	e := newEnv(t)
	cert := e.course(e.coordA, e.distA, training.NewCourse{Title: "中级心理辅导员认证", Kind: "certification", Level: "intermediate",
		RequiredSessions: 2, Hours: 3})
	s1 := e.session(e.coordA, cert, monday.Add(24*time.Hour), 30)
	s2 := e.session(e.coordA, cert, monday.Add(48*time.Hour), 30)
	// The counsellor enrols herself; a counsellor of another district is not offered the course.
	if err := e.svc.Enrol(e.ctx, e.counsellorA1, s1); err != nil {
		t.Fatalf("Enrol: %v", err)
	}
	if err := e.svc.Enrol(e.ctx, e.counsellorB1, s1); apperr.CodeOf(err) != apperr.ENotFound {
		t.Fatalf("Enrol from another district: %v, want not found", err)
	}
	if err := e.svc.Assign(e.ctx, e.coordA, s2, e.counsellorA1.Username); err != nil {
		t.Fatalf("Assign: %v", err)
	}
	if err := e.svc.Assign(e.ctx, e.coordA, s2, e.counsellorB1.Username); apperr.CodeOf(err) != apperr.EInvalid {
		t.Fatalf("Assign a person of another district: %v, want invalid", err)
	}
	// Attendance cannot be taken a day early.
	if err := e.svc.SetAttendance(e.ctx, e.coordA, s1, map[int64]bool{e.counsellorA1.UserID: true}); apperr.CodeOf(err) != apperr.EInvalid {
		t.Fatalf("early attendance: %v", err)
	}
	e.clk.Set(monday.Add(24*time.Hour + 10*time.Minute))
	if err := e.svc.SetAttendance(e.ctx, e.coordA, s1, map[int64]bool{e.counsellorA1.UserID: true}); err != nil {
		t.Fatalf("SetAttendance: %v", err)
	}
	sum, err := e.svc.Summary(e.ctx, e.counsellorA1, e.counsellorA1.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Hours != 3 || sum.Sessions != 1 || len(sum.Eligible) != 0 {
		t.Fatalf("after one session: %+v", sum)
	}
	e.clk.Set(monday.Add(48*time.Hour + 10*time.Minute))
	if err := e.svc.SetAttendance(e.ctx, e.coordA, s2, map[int64]bool{e.counsellorA1.UserID: true}); err != nil {
		t.Fatal(err)
	}
	// The district coordinator (training.manage) sees it; the head teacher does not.
	sum, err = e.svc.Summary(e.ctx, e.coordA, e.counsellorA1.UserID)
	if err != nil {
		t.Fatal(err)
	}
	if sum.Hours != 6 || sum.Sessions != 2 || len(sum.Eligible) != 1 || sum.Eligible[0] != "intermediate" {
		t.Fatalf("after two sessions: %+v", sum)
	}
	if _, err := e.svc.Summary(e.ctx, e.headA1, e.counsellorA1.UserID); apperr.CodeOf(err) != apperr.ENotFound {
		t.Fatalf("head teacher reads a colleague's training: %v", err)
	}
	if _, err := e.svc.Summary(e.ctx, e.coordB, e.counsellorA1.UserID); apperr.CodeOf(err) != apperr.ENotFound {
		t.Fatalf("another district's coordinator reads it: %v", err)
	}
	// Correcting the list withdraws the hours and the eligibility.
	if err := e.svc.SetAttendance(e.ctx, e.coordA, s2, map[int64]bool{e.counsellorA1.UserID: false}); err != nil {
		t.Fatal(err)
	}
	sum, _ = e.svc.Summary(e.ctx, e.counsellorA1, e.counsellorA1.UserID)
	if sum.Hours != 3 || sum.Sessions != 1 || len(sum.Eligible) != 0 {
		t.Fatalf("after the correction: %+v", sum)
	}
	mine, err := e.svc.MyTraining(e.ctx, e.counsellorA1)
	if err != nil {
		t.Fatal(err)
	}
	if len(mine.Enrolments) != 2 {
		t.Fatalf("my enrolments: %d", len(mine.Enrolments))
	}
}

func TestCourseFormProblems(t *testing.T) {
	e := newEnv(t)
	_, err := e.svc.CreateCourse(e.ctx, e.coordA, training.NewCourse{UnitID: e.distA.ID, Title: "", Kind: "certification", Hours: 0,
		RequiredFor: []string{"no_such_role"}})
	f := apperr.FieldsOf(err)
	for _, k := range []string{"title", "level", "hours", "required_for"} {
		if f[k] == "" {
			t.Errorf("no problem for %s: %v", k, f)
		}
	}
	// A unit out of scope is a field problem, not a course.
	if _, err := e.svc.CreateCourse(e.ctx, e.coordA, training.NewCourse{UnitID: e.distB.ID, Title: "x", Kind: "general", Hours: 1}); apperr.FieldsOf(err)["unit"] == "" {
		t.Fatalf("course at another district: %v", err)
	}
	c := e.course(e.coordA, e.distA, training.NewCourse{})
	_, err = e.svc.ScheduleSession(e.ctx, e.coordA, training.NewSession{CourseID: c, StartsAt: monday, EndsAt: monday.Add(-time.Hour)})
	f = apperr.FieldsOf(err)
	for _, k := range []string{"ends_at", "place", "capacity"} {
		if f[k] == "" {
			t.Errorf("no session problem for %s: %v", k, f)
		}
	}
}
