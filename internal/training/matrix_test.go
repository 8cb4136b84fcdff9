package training_test

import (
	"slices"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/testutil"
	"github.com/careloop/careloop/internal/training"
)

// TestAuthorizationMatrixTraining: every role placed at every unit of the
// network (and at the root through an API token) tries every act on a
// course of district A and its sessions, the reports of district A and
// school A1, and school A1's counsellor's training; the expectation comes
// from the role table and the parent links alone.
func TestAuthorizationMatrixTraining(t *testing.T) {
	e := newEnv(t)
	course := e.course(e.coordA, e.distA, training.NewCourse{RequiredFor: []string{access.HeadTeacher}})
	past := e.session(e.coordA, course, monday.Add(-time.Hour), 1000)
	future := e.session(e.coordA, course, monday.Add(48*time.Hour), 1000)
	if err := e.svc.Assign(e.ctx, e.coordA, past, e.counsellorA1.Username); err != nil {
		t.Fatal(err)
	}
	units := []*org.Unit{e.city, e.distA, e.a1, e.a2, e.distB, e.b1, e.station}
	tr := testutil.Tree{}
	for _, u := range units {
		tr[u.ID] = u.ParentID
	}
	unitField := func(err error) bool {
		return testutil.Refused(err) || apperr.FieldsOf(err)["unit"] == "training.bad_unit"
	}
	m := &testutil.Matrix{T: t}
	for _, role := range access.RoleNames() {
		for _, home := range units {
			user := e.user(role, home)
			for _, v := range testutil.Variants {
				if v.Limit != nil && home != units[0] {
					continue
				}
				p := user
				p.Limit = v.Limit
				who := role + "@" + home.Name + v.Name
				has := func(perm access.Permission, u *org.Unit) bool { return tr.Holds(v, role, home, perm, u) }
				manage := has(access.TrainingManage, e.distA)

				_, err := e.svc.CreateCourse(e.ctx, p, training.NewCourse{UnitID: e.distA.ID, Title: "督导培训", Kind: "supervision", Hours: 2})
				m.Cell(who, "create a course of district A", manage, err, unitField)
				list, err := e.svc.Courses(e.ctx, p)
				m.Cell(who, "list district A's courses", manage,
					testutil.Found(slices.ContainsFunc(list, func(c training.Course) bool { return c.ID == course }), err), testutil.Refused)
				_, _, err = e.svc.FindCourse(e.ctx, p, course)
				m.Cell(who, "read the course", manage, err, testutil.Refused)
				_, err = e.svc.ScheduleSession(e.ctx, p, training.NewSession{CourseID: course, StartsAt: monday.Add(24 * time.Hour),
					EndsAt: monday.Add(26 * time.Hour), Place: "301", Capacity: 10})
				m.Cell(who, "schedule a session", manage, err, testutil.Refused)
				_, err = e.svc.FindSession(e.ctx, p, past)
				m.Cell(who, "read the attendance list", manage, err, testutil.Refused)
				err = e.svc.Assign(e.ctx, p, future, e.headA2.Username)
				m.Cell(who, "assign a person", manage, err, testutil.Refused)
				err = e.svc.SetAttendance(e.ctx, p, past, map[int64]bool{e.counsellorA1.UserID: true})
				m.Cell(who, "take attendance", manage, err, testutil.Refused)
				_, err = e.svc.CheckinCode(e.ctx, p, past)
				m.Cell(who, "make a check-in code", manage, err, testutil.Refused)
				_, err = e.svc.ImportAttendance(e.ctx, p, past, nil, true)
				m.Cell(who, "import attendance (dry run)", manage, err, testutil.Refused)
				up, err := e.svc.UpcomingSessions(e.ctx, p)
				m.Cell(who, "list the sessions", manage,
					testutil.Found(slices.ContainsFunc(up, func(s training.Session) bool { return s.ID == future }), err), testutil.Refused)
				for _, u := range []*org.Unit{e.distA, e.a1} {
					_, err = e.svc.Report(e.ctx, p, u.ID, monday.Add(-30*24*time.Hour), monday.Add(30*24*time.Hour))
					m.Cell(who, "report of "+u.Name, has(access.TrainingManage, u), err, testutil.Refused)
				}
				_, err = e.svc.Summary(e.ctx, p, e.counsellorA1.UserID)
				m.Cell(who, "read A1 counsellor's training", has(access.TrainingManage, e.a1) || has(access.WorkforceManage, e.a1), err, testutil.Refused)
				// Self-service: interactive callers holding a role in district A's subtree.
				self := v.Limit == nil && tr.Within(home, e.distA)
				err = e.svc.Enrol(e.ctx, p, future)
				m.Cell(who, "enrol themself", self, err, testutil.Refused)
				_, err = e.svc.Summary(e.ctx, p, p.UserID)
				m.Cell(who, "read their own training", v.Limit == nil || has(access.TrainingManage, home) || has(access.WorkforceManage, home), err, testutil.Refused)
			}
		}
	}
	m.Report("training")
}
