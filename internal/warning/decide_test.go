package warning_test

import (
	"bytes"
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/warning"
)

func TestAcknowledgeContactClose(t *testing.T) {
	e := newEnv(t)
	counsellor := e.user(access.SchoolCounsellor, e.a)
	leader := e.user(access.SchoolLeader, e.a)
	ids := e.students(e.a, "DEC-1")
	id := e.mustRaise(red(ids[0]))

	e.clk.Advance(3 * time.Minute)
	if err := e.svc.Acknowledge(e.ctx, leader, id); err != nil {
		t.Fatal(err)
	}
	a := e.alert(id)
	if a.State != "acknowledged" || a.AckAt != micro(e.clk.Now()) || a.Owner != leader.UserID || a.OwnerOrg != e.a.ID {
		t.Errorf("after Acknowledge: %+v; want acknowledged now, owned by the one who acknowledged", a)
	}
	e.clk.Advance(time.Minute)
	if err := e.svc.Acknowledge(e.ctx, counsellor, id); err != nil {
		t.Errorf("second Acknowledge: %v", err)
	}
	if b := e.alert(id); b.AckAt != a.AckAt || b.Owner != leader.UserID {
		t.Errorf("a second Acknowledge changed the alert: %+v", b)
	}

	e.clk.Advance(time.Minute)
	if err := e.svc.RecordContact(e.ctx, leader, id); err != nil {
		t.Fatal(err)
	}
	if a := e.alert(id); a.State != "contacted" || a.ContactAt != micro(e.clk.Now()) {
		t.Errorf("after RecordContact: %+v", a)
	}

	for _, c := range []struct {
		what  string
		c     warning.Closing
		field string
	}{
		{"no decision", warning.Closing{}, "decision"},
		{"unknown decision", warning.Closing{Decision: "forgotten"}, "decision"},
		{"false positive without a reason", warning.Closing{Decision: warning.DecisionFalsePositive, Note: "  "}, "note"},
	} {
		err := e.svc.Close(e.ctx, leader, id, c.c)
		if apperr.CodeOf(err) != apperr.EInvalid || apperr.FieldsOf(err)[c.field] == "" {
			t.Errorf("Close with %s = %v; want EInvalid on %s", c.what, err, c.field)
		}
	}
	if a := e.alert(id); a.ClosedAt != 0 {
		t.Fatalf("a refused Close closed the alert: %+v", a)
	}

	outsider := e.user(access.SchoolCounsellor, e.b)
	wantCode(t, "Close by a counsellor of another school", e.svc.Close(e.ctx, outsider, id,
		warning.Closing{Decision: warning.DecisionReferred}), apperr.ENotFound)
	wantCode(t, "Acknowledge by a counsellor of another school", e.svc.Acknowledge(e.ctx, outsider, id), apperr.ENotFound)

	reason := "家长说明是玩笑，老师当面核实"
	if err := e.svc.Close(e.ctx, counsellor, id, warning.Closing{Decision: warning.DecisionFalsePositive, Note: reason}); err != nil {
		t.Fatal(err)
	}
	a = e.alert(id)
	if a.State != "closed" || a.ClosedAt == 0 || a.ClosedBy != counsellor.UserID || a.Decision != warning.DecisionFalsePositive {
		t.Errorf("after Close: %+v", a)
	}
	var note []byte
	if err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT decision_note FROM alerts WHERE id = ?`, id).Scan(&note)
	}); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(note, []byte(reason)) {
		t.Error("the decision note is stored in plain text")
	}
	if plain, err := e.keys.Open(note, "alerts:"+strconv.FormatInt(id, 10)+":decision_note"); err != nil || string(plain) != reason {
		t.Errorf("decision note opens to %q, %v", plain, err)
	}

	wantCode(t, "Acknowledge a closed alert", e.svc.Acknowledge(e.ctx, counsellor, id), apperr.EConflict)
	wantCode(t, "RecordContact on a closed alert", e.svc.RecordContact(e.ctx, counsellor, id), apperr.EConflict)
	wantCode(t, "Close a closed alert", e.svc.Close(e.ctx, counsellor, id, warning.Closing{Decision: warning.DecisionCase}), apperr.EConflict)

	for _, c := range []struct {
		action string
		actor  access.Principal
		n      int64
	}{
		{"alert.acknowledge", leader, 1}, {"alert.contact", leader, 1}, {"alert.close", counsellor, 1},
		{"alert.close", leader, 0}, {"alert.acknowledge", outsider, 0},
	} {
		if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = ? AND object_type = 'alert' AND object_id = ? AND actor_user_id = ?
			AND actor_role = ? AND outcome = 'success'`, c.action, strconv.FormatInt(id, 10), c.actor.UserID, c.actor.Memberships[0].Role); n != c.n {
			t.Errorf("%d %s audit entries by %s, want %d", n, c.action, c.actor.Memberships[0].Role, c.n)
		}
	}
	if d := e.str(`SELECT detail FROM audit_log WHERE action = 'alert.close' AND object_id = ?`, strconv.FormatInt(id, 10)); d != "decision=false_positive case=0" {
		t.Errorf("alert.close detail %q", d)
	}
	if n := e.num(`SELECT COUNT(*) FROM student_events WHERE student_id = ? AND kind = 'alert_closed'`, ids[0]); n != 1 {
		t.Errorf("%d alert_closed timeline events, want 1", n)
	}
}

// Closing an alert nobody acknowledged acknowledges it by the same hand,
// and records the case it opened.
func TestCloseAcknowledges(t *testing.T) {
	e := newEnv(t)
	counsellor := e.user(access.SchoolCounsellor, e.a)
	ids := e.students(e.a, "DEC-2")
	id := e.mustRaise(phq(ids[0], 16))
	e.clk.Advance(time.Hour)
	if err := e.svc.Close(e.ctx, counsellor, id, warning.Closing{Decision: warning.DecisionCase, CaseID: 42}); err != nil {
		t.Fatal(err)
	}
	a := e.alert(id)
	if a.AckAt != micro(e.clk.Now()) || a.ClosedAt != micro(e.clk.Now()) || a.Decision != warning.DecisionCase {
		t.Errorf("after closing an unacknowledged alert: %+v", a)
	}
	if n := e.num(`SELECT case_id FROM alerts WHERE id = ?`, id); n != 42 {
		t.Errorf("case_id %d, want 42", n)
	}
	if n := e.num(`SELECT acknowledged_by FROM alerts WHERE id = ?`, id); n != counsellor.UserID {
		t.Errorf("acknowledged_by %d, want %d", n, counsellor.UserID)
	}
}

// NoteContact meets the first-contact deadline of the student's open alert
// from another part of the loop (a case follow-up).
func TestNoteContact(t *testing.T) {
	e := newEnv(t)
	counsellor := e.user(access.SchoolCounsellor, e.a)
	ids := e.students(e.a, "DEC-3")
	id := e.mustRaise(red(ids[0]))
	e.clk.Advance(time.Minute)
	if err := e.d.Tx(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		return e.svc.NoteContact(ctx, tx, ids[0], counsellor.UserID)
	}); err != nil {
		t.Fatal(err)
	}
	if a := e.alert(id); a.ContactAt != micro(e.clk.Now()) || a.AckAt != micro(e.clk.Now()) || a.State != "contacted" {
		t.Errorf("after NoteContact: %+v", a)
	}
	e.clk.Advance(3 * time.Hour)
	if ok, _, err := e.svc.Escalate(e.ctx, warning.DeadlineArgs{AlertID: id, Seq: 0, Deadline: "contact"}); ok || err != nil {
		t.Errorf("contact deadline after NoteContact escalated: %v, %v", ok, err)
	}
}
