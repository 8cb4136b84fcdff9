package warning_test

import (
	"testing"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/hotline"
	"github.com/careloop/careloop/internal/org"
)

// From a hotline contact: a crisis escalation reaches the station's
// supervisors at once; an alert for a student needs the contact linked to
// the record first (by someone who may write to it), and a high-risk
// contact raises a red alert that the school's counsellor owns.
func TestAlertsAndCrisisFromAContact(t *testing.T) {
	e := newEnv(t)
	station := e.unit(org.HotlineStation, "热线站", "", e.city)
	other := e.unit(org.HotlineStation, "另一热线", "", e.city)
	stu := e.students(e.a, "HL001")[0]
	owner := e.user(access.SchoolCounsellor, e.a)
	pepper, err := e.keys.Derive("contact identifiers")
	if err != nil {
		t.Fatal(err)
	}
	hl := &hotline.Service{DB: e.d, Audit: e.log, Seal: e.keys, Pepper: pepper, Warning: e.svc, Notify: e.svc.Notify, Now: e.clk.Now}
	counsellor := e.user(access.HotlineCounsellor, station)
	sup := e.user(access.HotlineSupervisor, station)
	farSup := e.user(access.HotlineSupervisor, other)
	stranger := e.user(access.HotlineCounsellor, other)

	c, _, err := hl.Start(e.ctx, counsellor, hotline.NewContact{StationID: station.ID, Channel: "phone"})
	if err != nil {
		t.Fatal(err)
	}
	told, err := hl.EscalateCrisis(e.ctx, counsellor, c.ID)
	if err != nil || told != 1 {
		t.Fatalf("escalate: told %d, %v; want the station's one supervisor", told, err)
	}
	if n := e.num(`SELECT COUNT(*) FROM notifications WHERE user_id = ? AND ref_type = 'contact' AND ref_id = ?`, sup.UserID, c.ID); n != 1 {
		t.Errorf("supervisor has %d crisis notifications, want 1", n)
	}
	if n := e.num(`SELECT COUNT(*) FROM notifications WHERE user_id = ?`, farSup.UserID); n != 0 {
		t.Errorf("another station's supervisor was notified")
	}
	_, err = hl.EscalateCrisis(e.ctx, stranger, c.ID)
	if apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("a counsellor of another station escalates: %v", err)
	}

	_, err = hl.RaiseAlert(e.ctx, counsellor, c.ID)
	if apperr.CodeOf(err) != apperr.EConflict {
		t.Errorf("alert without a linked student: %v", err)
	}
	if err := hl.LinkStudentNo(e.ctx, counsellor, c.ID, "HL001"); apperr.CodeOf(err) != apperr.EInvalid {
		t.Errorf("a counsellor without the record links: %v", err)
	}
	linker := counsellor
	linker.Memberships = append(linker.Memberships, access.Membership{OrgID: e.x.ID, OrgPath: e.x.Path, Role: access.Coordinator})
	if err := hl.LinkStudentNo(e.ctx, linker, c.ID, "HL001"); err != nil {
		t.Fatalf("link: %v", err)
	}
	if _, err := e.d.Exec(e.ctx, `UPDATE contacts SET risk_level = 'high' WHERE id = ?`, c.ID); err != nil {
		t.Fatal(err)
	}
	id, err := hl.RaiseAlert(e.ctx, counsellor, c.ID)
	if err != nil || id == 0 {
		t.Fatalf("raise: %d %v", id, err)
	}
	a := e.alert(id)
	if a.Level != "red" || a.Owner != owner.UserID {
		t.Errorf("alert = %+v, want red and owned by the school counsellor %d", a, owner.UserID)
	}
	if n := e.num(`SELECT COUNT(*) FROM alerts WHERE student_id = ?`, stu); n != 1 {
		t.Errorf("%d alerts for the student, want 1", n)
	}
}
