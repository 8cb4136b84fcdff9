package warning_test

import (
	"context"
	"testing"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/warning"
)

// TestGuardianConcernRaisesOwnedAlert: a guardian's concern goes the
// staff concerns' way (the rules see source "concern"; the alert records
// "guardian_concern"): an alert owned at once by the
// school counsellor, audited with the guardian as actor; with no rule to
// fire, nothing is kept (no signal is silently lost).
func TestGuardianConcernRaisesOwnedAlert(t *testing.T) {
	e := newEnv(t)
	counsellor := e.user(access.SchoolCounsellor, e.a)
	kid := e.students(e.a, "GC-0001")[0]
	raise := func(c warning.GuardianConcern) (int64, error) {
		var id int64
		err := e.d.Tx(e.ctx, func(ctx context.Context, tx *db.Tx) error {
			var err error
			id, err = e.svc.RaiseGuardianConcern(ctx, tx, c)
			return err
		})
		return id, err
	}
	id, err := raise(warning.GuardianConcern{StudentID: kid, GuardianID: 77, ReportID: 5, Signs: []string{"low_mood"}})
	if err != nil || id == 0 {
		t.Fatalf("RaiseGuardianConcern = %d, %v", id, err)
	}
	if a := e.alert(id); a.Owner != counsellor.UserID || a.Level != "yellow" {
		t.Errorf("alert %+v: want yellow, owned by the counsellor %d", a, counsellor.UserID)
	}
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'concern.guardian' AND actor_user_id = 77 AND actor_role = 'guardian'`); n != 1 {
		t.Errorf("guardian's concern audited %d times", n)
	}
	if n := e.num(`SELECT COUNT(*) FROM alert_signals WHERE alert_id = ? AND source = 'guardian_concern' AND source_id = 5`, id); n != 1 {
		t.Errorf("signals %d", n)
	}
	// The counsellor who handles the alert reads what the guardian wrote.
	sealed, err := e.svc.Seal.Seal([]byte("孩子最近常说活着没意思"), "family_concerns:5:description")
	if err != nil {
		t.Fatal(err)
	}
	if err := e.d.Tx(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO family_concerns (id, student_id, guardian_id, relation, signs, urgency, description, alert_id, created_at)
			VALUES (5, ?, 77, '母亲', 'low_mood', 'urgent', ?, ?, 1)`, kid, sealed, id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	d, err := e.svc.FindAlert(e.ctx, counsellor, id)
	if err != nil {
		t.Fatal(err)
	}
	if sg := d.Signals[0]; sg.Description != "孩子最近常说活着没意思" || sg.Urgency != "urgent" || sg.Relation != "母亲" || len(sg.Signs) != 1 {
		t.Errorf("the alert's guardian report reads %+v", sg)
	}
	if _, err := raise(warning.GuardianConcern{StudentID: kid, GuardianID: 77, ReportID: 6, Signs: []string{"nonsense"}}); apperr.CodeOf(err) != apperr.EInvalid {
		t.Errorf("unknown signs: %v, want invalid", err)
	}
	// With no rule that fires, the concern is refused rather than lost.
	if err := e.d.Tx(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE warning_rules SET active = 0`)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	other := e.students(e.a, "GC-0002")[0]
	if _, err := raise(warning.GuardianConcern{StudentID: other, GuardianID: 78, ReportID: 7, Signs: []string{"low_mood"}}); apperr.CodeOf(err) != apperr.EInternal {
		t.Errorf("no rule fired: %v, want a refusal", err)
	}
}
