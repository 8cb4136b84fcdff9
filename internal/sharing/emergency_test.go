package sharing_test

import (
	"context"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/care"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/sharing"
)

const reason = "Caller says the child is on a rooftop now"

func (e *env) breakGlass(p access.Principal, no string, life bool) int64 {
	e.t.Helper()
	id, err := e.svc.StartEmergency(e.ctx, p, sharing.EmergencyRequest{StudentNo: no, Reason: reason, LifeException: life})
	if err != nil {
		e.t.Fatalf("StartEmergency: %v", err)
	}
	return id
}

func (e *env) notes(user access.Principal, kind string) int64 {
	e.t.Helper()
	return e.num(`SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = ?`, user.UserID, kind)
}

// Breaking the glass: the grant opens the one record, read-only and
// audited on every read; supervisors and the school's leader are alerted
// at once; the emergency exception gives the school counsellor a task.
func TestEmergencyGrant(t *testing.T) {
	e := newEnv(t)
	// The child has an open alert and a case at school.
	if err := e.d.Tx(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		now := db.Micro(monday)
		if _, err := tx.Exec(ctx, `INSERT INTO alerts (student_id, school_id, level, owner_user_id, owner_org_id, signal_at, raised_at, ack_due_at, contact_due_at)
			VALUES (?, ?, 'red', ?, ?, ?, ?, ?, ?)`, e.teen, e.a1.ID, e.counsellorA1.UserID, e.a1.ID, now, now, now, now); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `INSERT INTO cases (student_id, owner_user_id, opened_at, opened_by) VALUES (?, ?, ?, ?)`,
			e.teen, e.counsellorA1.UserID, now, e.counsellorA1.UserID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := e.stu.AddRiskFactor(e.ctx, e.counsellorA1, e.teen, "bullying", "secret note", "2026-01-01"); err != nil {
		t.Fatal(err)
	}
	id := e.breakGlass(e.hotline, "S-TEEN", true)

	// Alerts: the station's supervisor (the nearest above the branch) and
	// the school's leader; nobody else.
	if e.notes(e.supervisor, sharing.NoteEmergency) != 1 || e.notes(e.leaderA1, sharing.NoteEmergency) != 1 {
		t.Error("supervisor or school leader not alerted")
	}
	if n := e.num(`SELECT COUNT(*) FROM notifications WHERE kind = ?`, sharing.NoteEmergency); n != 2 {
		t.Errorf("%d emergency notifications, want 2", n)
	}
	if n := e.num(`SELECT COUNT(*) FROM notifications WHERE kind = ? AND (ref_type <> 'emergency' OR ref_id <> ?)`, sharing.NoteEmergency, id); n != 0 {
		t.Error("a notification points elsewhere than the grant")
	}
	// The task to inform the family afterwards, on the counsellor's work list.
	if n := e.num(`SELECT COUNT(*) FROM tasks WHERE owner_id = ? AND student_id = ? AND kind = ? AND due_at = ?`, e.counsellorA1.UserID, e.teen,
		sharing.InformTaskKind, db.Micro(monday.Add(sharing.DefaultInformWithin))); n != 1 {
		t.Errorf("%d inform tasks for the school counsellor, want 1", n)
	}
	cs := &care.Service{DB: e.d, Audit: e.svc.Audit, Seal: e.svc.Seal, Now: e.clk.Now}
	items, _, err := cs.WorkList(e.ctx, e.counsellorA1, care.Cursor{}, 50)
	found := false
	for _, it := range items {
		found = found || (it.Kind == care.WorkTask && it.StudentID == e.teen)
	}
	if err != nil || !found {
		t.Errorf("no task on the counsellor's work list: %+v %v", items, err)
	}
	if n := e.num(`SELECT COUNT(*) FROM river_job WHERE kind = 'sharing.emergency_expiry'`); n != 1 {
		t.Errorf("%d expiry timers, want 1", n)
	}
	_, ds, err := e.svc.StudentDisclosures(e.ctx, e.counsellorA1, e.teen)
	if err != nil || len(ds) != 1 || ds[0].Basis != "emergency" || ds[0].To.ID != e.branch.ID || ds[0].RefType != "emergency" || ds[0].RefID != id {
		t.Errorf("the record's owner does not see the emergency disclosure: %+v %v", ds, err)
	}
	if n := e.num(`SELECT COUNT(*) FROM student_events WHERE student_id = ? AND kind = 'emergency_access'`, e.teen); n != 1 {
		t.Error("emergency access not on the student's timeline")
	}
	var sealed []byte
	_ = e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT reason FROM emergency_grants WHERE id = ?`, id).Scan(&sealed)
	})
	if string(sealed) == reason || len(sealed) < 20 {
		t.Error("reason not sealed")
	}

	// Every read is checked and audited.
	for i := range 3 {
		v, err := e.svc.EmergencyRecord(e.ctx, e.hotline, id)
		if err != nil {
			t.Fatalf("read %d: %v", i, err)
		}
		if v.Child.ID != e.teen || len(v.Guardians) != 1 || v.Guardians[0].Phone != "13812345678" || v.AlertLevel != "red" ||
			v.CaseOwner == "" || len(v.RiskFactors) != 1 || v.RiskFactors[0].Kind != "bullying" || v.Grant.Reason != reason {
			t.Fatalf("view: %+v", v)
		}
	}
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'emergency.read' AND object_type = 'student' AND object_id = ? AND actor_user_id = ?
		AND detail = ?`, itoa(e.teen), e.hotline.UserID, "grant="+itoa(id)); n != 3 {
		t.Errorf("%d audited reads, want 3", n)
	}
	if e.audits("emergency.start", itoa(id)) != 1 {
		t.Error("start not audited")
	}

	// The one record only: nothing else opens, for the holder or anyone.
	if _, err := e.stu.FindRecord(e.ctx, e.hotline, e.teen); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("the grant widened the holder's scope: %v", err)
	}
	for name, p := range map[string]access.Principal{"supervisor": e.supervisor, "leader": e.leaderA1, "coordinator B": e.coordB} {
		if _, err := e.svc.EmergencyRecord(e.ctx, p, id); apperr.CodeOf(err) != apperr.ENotFound {
			t.Errorf("%s reads through another's grant: %v", name, err)
		}
	}
	if _, err := e.svc.EmergencyRecord(e.ctx, e.hotline, id+1000); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("unknown grant: %v", err)
	}
	if e.breakGlass(e.hotline, "S-TEEN", false) != id {
		t.Error("a second grant for the same child while the first is open")
	}

	// Review by those alerted only.
	g, err := e.svc.ReviewGrant(e.ctx, e.supervisor, id)
	if err != nil || g.Reason != reason || g.Reads != 3 || g.StudentNo != "S-TEEN" || !g.LifeException || g.TaskID == 0 {
		t.Errorf("review: %+v %v", g, err)
	}
	if _, err := e.svc.ReviewGrant(e.ctx, e.leaderA1, id); err != nil {
		t.Errorf("school leader's review: %v", err)
	}
	for name, p := range map[string]access.Principal{"coordinator B": e.coordB, "counsellor A1": e.counsellorA1, "holder": e.hotline} {
		if _, err := e.svc.ReviewGrant(e.ctx, p, id); apperr.CodeOf(err) != apperr.ENotFound {
			t.Errorf("%s reviews the grant: %v", name, err)
		}
	}

	// Expiry on the controllable clock: refused from the moment it ends,
	// ended and audited once, whether a read or the timer notices first.
	e.clk.Advance(sharing.DefaultEmergencyFor - time.Second)
	if _, err := e.svc.EmergencyRecord(e.ctx, e.hotline, id); err != nil {
		t.Errorf("read a second before expiry: %v", err)
	}
	e.clk.Advance(time.Second)
	if _, err := e.svc.EmergencyRecord(e.ctx, e.hotline, id); apperr.MessageOf(err) != "emergency.ended" {
		t.Errorf("read at expiry: %v", err)
	}
	if err := e.svc.ExpireEmergency(e.ctx, id); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.EmergencyRecord(e.ctx, e.hotline, id); apperr.MessageOf(err) != "emergency.ended" {
		t.Errorf("read after expiry: %v", err)
	}
	if e.audits("emergency.expire", itoa(id)) != 1 {
		t.Errorf("expiry audited %d times, want 1", e.audits("emergency.expire", itoa(id)))
	}
	if e.audits("emergency.read", itoa(e.teen)) != 4 {
		t.Error("a refused read was audited as a read")
	}
	mine, err := e.svc.MyGrants(e.ctx, e.hotline)
	if err != nil || len(mine) != 1 || mine[0].EndKind != "expired" || mine[0].Open(e.clk.Now()) {
		t.Errorf("my grants: %+v %v", mine, err)
	}
}

// Explicit end, the timer's expiry, and who may break the glass at all.
func TestEmergencyEndAndRules(t *testing.T) {
	e := newEnv(t)
	e.svc.EmergencyFor = time.Hour
	id := e.breakGlass(e.hotline, "S-YOUNG", false)
	if n := e.num(`SELECT COUNT(*) FROM tasks`); n != 0 {
		t.Error("a task without the emergency exception")
	}
	if err := e.svc.EndEmergency(e.ctx, e.supervisor, id); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("someone else ends the grant: %v", err)
	}
	if err := e.svc.EndEmergency(e.ctx, e.hotline, id); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.EmergencyRecord(e.ctx, e.hotline, id); apperr.MessageOf(err) != "emergency.ended" {
		t.Errorf("read after end: %v", err)
	}
	e.clk.Advance(2 * time.Hour)
	if err := e.svc.ExpireEmergency(e.ctx, id); err != nil {
		t.Fatal(err)
	}
	if e.audits("emergency.end", itoa(id)) != 1 || e.audits("emergency.expire", itoa(id)) != 0 {
		t.Error("end not audited once, or an ended grant expired again")
	}

	// The timer alone ends a grant nobody reads; it leaves one not yet due.
	id2 := e.breakGlass(e.hotline, "S-OTHER", false)
	if err := e.svc.ExpireEmergency(e.ctx, id2); err != nil {
		t.Fatal(err)
	}
	if e.audits("emergency.expire", itoa(id2)) != 0 {
		t.Error("a grant expired before its time")
	}
	e.clk.Advance(time.Hour)
	if err := e.svc.ExpireEmergency(e.ctx, id2); err != nil {
		t.Fatal(err)
	}
	if e.audits("emergency.expire", itoa(id2)) != 1 {
		t.Error("the timer did not end the grant")
	}

	// A coordinator breaks the glass only outside their scope; a school
	// counsellor cannot at all; the request must name a child and a reason.
	if _, err := e.svc.StartEmergency(e.ctx, e.coordA, sharing.EmergencyRequest{StudentNo: "S-TEEN", Reason: reason}); apperr.MessageOf(err) != "emergency.in_scope" {
		t.Errorf("coordinator A breaks the glass in scope: %v", err)
	}
	idB, err := e.svc.StartEmergency(e.ctx, e.coordB, sharing.EmergencyRequest{StudentNo: "S-TEEN", Reason: reason})
	if err != nil {
		t.Fatalf("coordinator B: %v", err)
	}
	if n := e.num(`SELECT COUNT(*) FROM emergency_watchers WHERE grant_id = ?`, idB); n != 1 || e.notes(e.leaderA1, sharing.NoteEmergency) != 2 {
		t.Errorf("coordinator B's grant alerted %d (the school leader only expected)", n)
	}
	if _, err := e.svc.StartEmergency(e.ctx, e.counsellorA1, sharing.EmergencyRequest{StudentNo: "S-OTHER", Reason: reason}); apperr.CodeOf(err) != apperr.EForbidden {
		t.Errorf("school counsellor: %v", err)
	}
	_, err = e.svc.StartEmergency(e.ctx, e.hotline, sharing.EmergencyRequest{StudentNo: " ", Reason: "short"})
	if f := apperr.FieldsOf(err); f["student_no"] == "" || f["reason"] == "" {
		t.Errorf("bad request: %v", f)
	}
	_, err = e.svc.StartEmergency(e.ctx, e.hotline, sharing.EmergencyRequest{StudentNo: "NO-SUCH", Reason: reason})
	if apperr.FieldsOf(err)["student_no"] != "emergency.unknown_student" {
		t.Errorf("unknown student: %v", err)
	}
}
