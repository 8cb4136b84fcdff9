package warning_test

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/warning"
)

func (e *env) list(p access.Principal, f warning.AlertFilter) []int64 {
	e.t.Helper()
	alerts, err := e.svc.FindAlerts(e.ctx, p, f)
	if err != nil {
		e.t.Fatalf("FindAlerts: %v", err)
	}
	var ids []int64
	for _, a := range alerts {
		ids = append(ids, a.ID)
	}
	return ids
}

func TestAlertScope(t *testing.T) {
	e := newEnv(t)
	counsellorA := e.user(access.SchoolCounsellor, e.a)
	counsellorB := e.user(access.SchoolCounsellor, e.b)
	e.user(access.SchoolCounsellor, e.a2)
	coordX := e.user(access.Coordinator, e.x)
	teacherA := e.user(access.HeadTeacher, e.a)
	inA := e.mustRaise(red(e.students(e.a, "SCO-1")[0]))
	inA2 := e.mustRaise(phq(e.students(e.a2, "SCO-2")[0], 11))
	inB := e.mustRaise(phq(e.students(e.b, "SCO-3")[0], 16))

	for _, c := range []struct {
		who  string
		p    access.Principal
		want []int64
	}{
		{"counsellor of A", counsellorA, []int64{inA}},
		{"counsellor of B", counsellorB, []int64{inB}},
		{"district X coordinator", coordX, []int64{inA2, inA}},
		{"head teacher of A", teacherA, nil},
	} {
		if got := e.list(c.p, warning.AlertFilter{}); !slices.Equal(got, c.want) {
			t.Errorf("FindAlerts for the %s = %v, want %v", c.who, got, c.want)
		}
	}
	wantCode(t, "FindAlert of school B by the counsellor of A", errOf(e.svc.FindAlert(e.ctx, counsellorA, inB)), apperr.ENotFound)
	wantCode(t, "FindAlert by a head teacher", errOf(e.svc.FindAlert(e.ctx, teacherA, inA)), apperr.ENotFound)
	wantCode(t, "Acknowledge by a head teacher", e.svc.Acknowledge(e.ctx, teacherA, inA), apperr.ENotFound)

	if got := e.list(coordX, warning.AlertFilter{Level: warning.Red}); !slices.Equal(got, []int64{inA}) {
		t.Errorf("red alerts of district X = %v, want [%d]", got, inA)
	}
	if got := e.list(coordX, warning.AlertFilter{Mine: true}); len(got) != 0 {
		t.Errorf("district coordinator's own alerts = %v, want none", got)
	}
	if got := e.list(counsellorA, warning.AlertFilter{Mine: true, Open: true}); !slices.Equal(got, []int64{inA}) {
		t.Errorf("counsellor A's own open alerts = %v", got)
	}
	if got := e.list(coordX, warning.AlertFilter{Limit: 1}); !slices.Equal(got, []int64{inA2}) {
		t.Errorf("first page of one = %v, want the newest", got)
	}
	if got := e.list(coordX, warning.AlertFilter{Limit: 1, After: inA2}); !slices.Equal(got, []int64{inA}) {
		t.Errorf("second page of one = %v", got)
	}
	e.clk.Advance(20 * time.Minute)
	if got := e.list(coordX, warning.AlertFilter{Overdue: true}); !slices.Equal(got, []int64{inA}) {
		t.Errorf("overdue alerts of district X after 20 minutes = %v, want the red one", got)
	}
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'alert.list' AND actor_user_id = ?`, coordX.UserID); n != 6 {
		t.Errorf("%d alert.list audit entries for the coordinator, want one per list (6)", n)
	}

	d, err := e.svc.FindAlert(e.ctx, counsellorA, inA)
	if err != nil || d.ID != inA || d.StudentName != "学生SCO-1" || d.SchoolName != e.a.Name || d.OwnerID != counsellorA.UserID ||
		len(d.Signals) != 1 || d.Signals[0].Level != warning.Red {
		t.Errorf("FindAlert = %+v, %v", d, err)
	}
	if n := e.audits("alert.read", inA, counsellorA.UserID); n != 1 {
		t.Errorf("%d alert.read audit entries, want 1", n)
	}
}

// The owner sees and handles their alert even outside their subtree: the
// hotline supervisor on duty at night owns a school's alert.
func TestOwnerOutsideSubtreeSeesTheAlert(t *testing.T) {
	e := newEnv(t)
	station := e.unit(org.HotlineStation, "陶老师工作站", "", e.city)
	e.user(access.SchoolCounsellor, e.b)
	counsellorA := e.user(access.SchoolCounsellor, e.a)
	supervisor := e.user(access.HotlineSupervisor, station)
	e.duty(supervisor, station, monday22.Add(-time.Hour), 10*time.Hour)
	dayAlert := e.mustRaise(red(e.students(e.a, "NGT-1")[0]))
	e.clk.Set(monday22)
	id := e.mustRaise(red(e.students(e.b, "NGT-2")[0]))
	if got := e.list(supervisor, warning.AlertFilter{}); !slices.Equal(got, []int64{id}) {
		t.Errorf("FindAlerts for the supervisor on duty = %v, want only the alert they own (%d)", got, id)
	}
	if _, err := e.svc.FindAlert(e.ctx, supervisor, id); err != nil {
		t.Errorf("FindAlert by the owner: %v", err)
	}
	wantCode(t, "FindAlert of a day alert by the supervisor", errOf(e.svc.FindAlert(e.ctx, supervisor, dayAlert)), apperr.ENotFound)
	if err := e.svc.Acknowledge(e.ctx, supervisor, id); err != nil {
		t.Fatalf("Acknowledge by the owner outside the school: %v", err)
	}
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'alert.acknowledge' AND object_id = ? AND actor_user_id = ?
		AND actor_role = ?`, strconv.FormatInt(id, 10), supervisor.UserID, access.HotlineSupervisor); n != 1 {
		t.Errorf("%d alert.acknowledge entries by the supervisor, want 1", n)
	}
	if got := e.list(counsellorA, warning.AlertFilter{}); !slices.Equal(got, []int64{dayAlert}) {
		t.Errorf("FindAlerts for counsellor A = %v, want [%d]", got, dayAlert)
	}
}

func errOf[T any](_ T, err error) error { return err }
