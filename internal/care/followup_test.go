package care

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// timers returns the pending follow-up timers as "id/seq" by scheduled time.
func (e *casesEnv) timers() map[FollowUpDueArgs]time.Time {
	e.t.Helper()
	out := map[FollowUpDueArgs]time.Time{}
	err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		args := "json(args)" // River's SQLite driver stores JSONB
		if tx.Dialect() == db.Postgres {
			args = "args::text"
		}
		rows, err := tx.Query(ctx, `SELECT `+args+`, scheduled_at FROM river_job WHERE kind = 'care.follow_up_due'`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var raw []byte
			var at time.Time
			if err := rows.Scan(&raw, &at); err != nil {
				return err
			}
			var a FollowUpDueArgs
			if err := json.Unmarshal(raw, &a); err != nil {
				return err
			}
			out[a] = at
		}
		return rows.Err()
	})
	if err != nil {
		e.t.Fatalf("timers: %v", err)
	}
	return out
}

func TestCasesFollowUpMeetsTheAlertsFirstContact(t *testing.T) {
	e := newCasesEnv(t)
	s := e.students(e.a, "A001")[0]
	alert := e.redAlert(s)
	id := e.open(e.counsellorA, s, 0) // the alert stays open
	e.exec(`INSERT INTO student_tiers (student_id, tier, critical, campaign_id, at) VALUES (?, 'red', 1, 7, 1)`, s)
	_, err := e.svc.PlanFollowUp(e.ctx, e.counsellorA, id, "neighbour", e.clk.Now().Add(time.Hour))
	casesWant(t, "unknown kind", err, apperr.EInvalid, "form.invalid")
	_, err = e.svc.PlanFollowUp(e.ctx, e.counsellorA, id, "family", e.clk.Now().Add(-time.Hour))
	if apperr.FieldsOf(err)["due"] != "form.bad_date" {
		t.Errorf("due in the past: %v", err)
	}
	fu, err := e.svc.PlanFollowUp(e.ctx, e.counsellorA2, id, "family", e.clk.Now().Add(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	if o := e.num(`SELECT owner_id FROM follow_ups WHERE id = ?`, fu); o != e.counsellorA.UserID {
		t.Errorf("follow-up owner %d, want the case owner", o)
	}
	e.clk.Advance(30 * time.Minute)
	err = e.svc.RecordFollowUp(e.ctx, e.counsellorA, fu, FollowUpRecord{Notes: "母亲说孩子睡眠好转", TierChange: "purple"})
	if apperr.FieldsOf(err)["tier_change"] != "follow_up.tier_unknown" {
		t.Errorf("bad tier: %v", err)
	}
	casesWant(t, "other school", e.svc.RecordFollowUp(e.ctx, e.counsellorB, fu, FollowUpRecord{Notes: "x"}), apperr.ENotFound, "")
	if err := e.svc.RecordFollowUp(e.ctx, e.counsellorA, fu, FollowUpRecord{Notes: "母亲说孩子睡眠好转", TierChange: "orange"}); err != nil {
		t.Fatal(err)
	}
	now := db.Micro(e.clk.Now())
	if n := e.num(`SELECT COUNT(*) FROM alerts WHERE id = ? AND state = 'contacted' AND first_contact_at = ? AND closed_at = 0`, alert, now); n != 1 {
		t.Error("the alert's first contact was not met")
	}
	if n := e.num(`SELECT COUNT(*) FROM student_tiers WHERE student_id = ? AND tier = 'orange' AND critical = 1 AND at = ?`, s, now); n != 1 {
		t.Error("tier not changed, or the critical mark lost")
	}
	if n := e.num(`SELECT COUNT(*) FROM student_events WHERE student_id = ? AND kind = 'tier_change' AND detail = ?`, s, "tier=orange follow_up="+itoa(fu)); n != 1 {
		t.Error("no timeline entry for the tier change")
	}
	if n := e.num(`SELECT COUNT(*) FROM follow_ups WHERE id = ? AND done_at = ? AND done_by = ? AND tier_change = 'orange'`, fu, now, e.counsellorA.UserID); n != 1 {
		t.Error("follow-up not marked done")
	}
	if n := e.num(`SELECT COUNT(*) FROM case_events WHERE case_id = ? AND kind = 'follow_up'`, id); n != 1 {
		t.Error("no case event")
	}
	casesWant(t, "recorded twice", e.svc.RecordFollowUp(e.ctx, e.counsellorA, fu, FollowUpRecord{Notes: "again"}), apperr.EConflict, "follow_up.done")
	d, err := e.svc.FindCase(e.ctx, e.counsellorA, id)
	if err != nil || len(d.FollowUps) != 1 || d.FollowUps[0].Notes != "母亲说孩子睡眠好转" {
		t.Fatalf("FindCase: %+v, %v", d, err)
	}
	err = e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		var notes []byte
		if err := tx.QueryRow(ctx, `SELECT notes FROM follow_ups WHERE id = ?`, fu).Scan(&notes); err != nil {
			return err
		}
		if bytes.Contains(notes, []byte("睡眠")) {
			t.Error("notes stored in plain text")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if e.audits("follow_up.plan", e.counsellorA2.UserID, itoa(id)) != 1 || e.audits("follow_up.record", e.counsellorA.UserID, itoa(id)) != 1 {
		t.Error("follow-up writes not audited")
	}
	// A tier change for a student without a tier inserts one.
	s2 := e.students(e.a, "A002")[0]
	id2 := e.open(e.counsellorA, s2, 0)
	fu2, _ := e.svc.PlanFollowUp(e.ctx, e.counsellorA, id2, "student", e.clk.Now().Add(time.Hour))
	if err := e.svc.RecordFollowUp(e.ctx, e.counsellorA, fu2, FollowUpRecord{Notes: "谈话", TierChange: "yellow"}); err != nil {
		t.Fatal(err)
	}
	if n := e.num(`SELECT COUNT(*) FROM student_tiers WHERE student_id = ? AND tier = 'yellow' AND critical = 0`, s2); n != 1 {
		t.Error("tier not inserted")
	}
}

func TestCasesFollowUpEscalatesOncePerGeneration(t *testing.T) {
	e := newCasesEnv(t)
	s := e.students(e.a, "A001")[0]
	id := e.open(e.counsellorA, s, 0)
	due := e.clk.Now().Add(2 * time.Hour)
	fu, err := e.svc.PlanFollowUp(e.ctx, e.counsellorA, id, "student", due)
	if err != nil {
		t.Fatal(err)
	}
	if at, ok := e.timers()[FollowUpDueArgs{FollowUpID: fu}]; !ok || !at.Equal(due) {
		t.Fatalf("timer %v %v, want at %v", at, ok, due)
	}
	// Early: wait until the due date, and the worker snoozes.
	e.clk.Advance(30 * time.Minute)
	esc, wait, err := e.svc.EscalateFollowUp(e.ctx, FollowUpDueArgs{FollowUpID: fu})
	if err != nil || esc || wait != 90*time.Minute {
		t.Fatalf("early: %v %v %v", esc, wait, err)
	}
	w := &FollowUpWorker{S: e.svc}
	var snooze *rivertype.JobSnoozeError
	if err := w.Work(e.ctx, &river.Job[FollowUpDueArgs]{JobRow: &rivertype.JobRow{}, Args: FollowUpDueArgs{FollowUpID: fu}}); !errors.As(err, &snooze) {
		t.Errorf("worker before due: %v, want a snooze", err)
	}
	// Missed: one step up, once.
	e.clk.Advance(2 * time.Hour)
	for i, want := range []bool{true, false} {
		esc, _, err := e.svc.EscalateFollowUp(e.ctx, FollowUpDueArgs{FollowUpID: fu})
		if err != nil || esc != want {
			t.Fatalf("run %d: escalated %v, %v; want %v", i, esc, err, want)
		}
	}
	if n := e.num(`SELECT COUNT(*) FROM follow_ups WHERE id = ? AND step = 1 AND seq = 1 AND owner_id = ? AND due_at = ?`, fu, e.counsellorA.UserID, db.Micro(due)); n != 1 {
		t.Error("follow-up not moved to step 1 keeping its due date and owner")
	}
	next := e.clk.Now().Add(FollowUpGrace)
	if n := e.num(`SELECT COUNT(*) FROM river_job WHERE kind = 'care.follow_up_due'`); n != 2 {
		t.Errorf("%d timers, want the first and the next (at %v)", n, next)
	}
	if n := e.num(`SELECT COUNT(*) FROM escalations WHERE item_type = 'follow_up' AND item_id = ? AND seq = 1 AND to_user_id = ? AND due_at = ?`,
		fu, e.leaderA.UserID, db.Micro(due)); n != 1 {
		t.Error("no escalation row to the school leader")
	}
	if n := e.num(`SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = 'follow_up.overdue' AND ref_id = ?`, e.leaderA.UserID, fu); n != 1 {
		t.Errorf("%d notifications to the leader", n)
	}
	if at, ok := e.timers()[FollowUpDueArgs{FollowUpID: fu, Seq: 1}]; !ok || !at.Equal(next) {
		t.Errorf("next timer %v %v", at, ok)
	}
	// The escalation row is the guard: a rerun of the same generation that
	// got past the seq check still escalates once.
	e.exec(`UPDATE follow_ups SET seq = 0, step = 0 WHERE id = ?`, fu)
	e.clk.Advance(FollowUpGrace + time.Minute)
	if esc, _, err := e.svc.EscalateFollowUp(e.ctx, FollowUpDueArgs{FollowUpID: fu}); err != nil || esc {
		t.Errorf("rerun of generation 0: %v %v", esc, err)
	}
	e.exec(`UPDATE follow_ups SET seq = 1, step = 1 WHERE id = ?`, fu)
	if wl := casesItems(e, e.leaderA); len(wl) != 1 || wl[0].Kind != WorkFollowUp || wl[0].ID != fu || !wl[0].Overdue {
		t.Errorf("leader's work list %+v", wl)
	}
	// The next generation goes to the district; the leader no longer sees it.
	if esc, _, err := e.svc.EscalateFollowUp(e.ctx, FollowUpDueArgs{FollowUpID: fu, Seq: 1}); err != nil || !esc {
		t.Fatalf("second escalation: %v %v", esc, err)
	}
	if e.num(`SELECT to_user_id FROM escalations WHERE item_id = ? AND seq = 2`, fu) != e.coordX.UserID {
		t.Error("second escalation not to the district coordinator")
	}
	if wl := casesItems(e, e.leaderA); len(wl) != 0 {
		t.Errorf("leader still sees %+v", wl)
	}
	if wl := casesItems(e, e.coordX); len(wl) != 1 || wl[0].ID != fu {
		t.Errorf("coordinator's work list %+v", wl)
	}
	if wl := casesItems(e, e.counsellorA); len(wl) != 1 || wl[0].ID != fu {
		t.Errorf("owner's work list %+v", wl)
	}
	// An old generation's timer, and any timer of a done follow-up, do nothing.
	if esc, _, err := e.svc.EscalateFollowUp(e.ctx, FollowUpDueArgs{FollowUpID: fu, Seq: 1}); err != nil || esc {
		t.Errorf("stale timer: %v %v", esc, err)
	}
	if err := e.svc.RecordFollowUp(e.ctx, e.counsellorA, fu, FollowUpRecord{Notes: "补做谈话"}); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(48 * time.Hour)
	if esc, wait, err := e.svc.EscalateFollowUp(e.ctx, FollowUpDueArgs{FollowUpID: fu, Seq: 2}); err != nil || esc || wait != 0 {
		t.Errorf("done follow-up: %v %v %v", esc, wait, err)
	}
	if e.audits("follow_up.escalate", 0, itoa(fu)) != 2 || e.num(`SELECT COUNT(*) FROM escalations`) != 2 {
		t.Error("escalations not audited once each")
	}
}
