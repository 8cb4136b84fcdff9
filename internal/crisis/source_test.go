package crisis_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/crisis"
	"github.com/careloop/careloop/internal/db"
)

func (e *env) insert(q string, args ...any) int64 {
	e.t.Helper()
	var id int64
	if err := e.d.Tx(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		id, err = tx.InsertID(ctx, q, args...)
		return err
	}); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return id
}

// contact inserts a hotline contact at station s1 held by p.
func (e *env) contact(p access.Principal, studentID int64, risk string) int64 {
	now := db.Micro(e.clk.Now())
	return e.insert(`INSERT INTO contacts (station_id, channel, counsellor_id, author_id, started_at, risk, student_id, updated_at)
		VALUES (?, 'phone', ?, ?, ?, ?, ?, ?)`, e.s1.ID, p.UserID, p.UserID, now, risk, studentID, now)
}

// An incident opened from a contact takes the contact's station, its
// anonymous caller and its risk screen; from an alert, the student and the
// school. Only someone who may use the source may open from it.
func TestOpenFromSources(t *testing.T) {
	e := newEnv(t)
	counsellor := e.user(access.HotlineCounsellor, e.s1)
	c := e.contact(counsellor, 0, "thoughts=active plan=specific means=access timeframe=now attempts=none")
	id, err := e.svc.Open(e.ctx, counsellor, crisis.NewIncident{Source: "contact", SourceID: c})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.str(`SELECT unit_id || ' ' || contact_id || ' ' || student_id || ' ' || risk_level || ' ' || source FROM incidents WHERE id = ?`, id); got !=
		itoa(e.s1.ID)+" "+itoa(c)+" 0 imminent contact" {
		t.Errorf("incident from a contact: %q", got)
	}
	_, err = e.svc.Open(e.ctx, e.user(access.HotlineCounsellor, e.s2), crisis.NewIncident{Source: "contact", SourceID: c})
	wantCode(t, "another station's contact", err, apperr.ENotFound)
	_, err = e.svc.Open(e.ctx, counsellor, crisis.NewIncident{Source: "contact", SourceID: c + 99})
	wantCode(t, "an unknown contact", err, apperr.ENotFound)
	_, err = e.svc.Open(e.ctx, counsellor, crisis.NewIncident{Source: "carrier_pigeon"})
	wantCode(t, "an unknown source", err, apperr.EInvalid)

	school := e.user(access.SchoolCounsellor, e.a)
	stu := e.student(e.a, "SRC-1")
	now := db.Micro(e.clk.Now())
	alert := e.insert(`INSERT INTO alerts (student_id, school_id, level, owner_user_id, owner_org_id, signal_at, raised_at, ack_due_at, contact_due_at)
		VALUES (?, ?, 'red', ?, ?, ?, ?, ?, ?)`, stu, e.a.ID, school.UserID, e.a.ID, now, now, now, now)
	id, err = e.svc.Open(e.ctx, school, crisis.NewIncident{Source: "alert", SourceID: alert, Details: crisis.Details{Risk: crisis.Risk{Ideation: "passive"}}})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.str(`SELECT unit_id || ' ' || student_id || ' ' || risk_level FROM incidents WHERE id = ?`, id); got != itoa(e.a.ID)+" "+itoa(stu)+" low" {
		t.Errorf("incident from an alert: %q", got)
	}
	if n := e.num(`SELECT COUNT(*) FROM student_events WHERE student_id = ? AND kind = 'crisis'`, stu); n != 1 {
		t.Errorf("%d crisis events on the student's timeline", n)
	}
	_, err = e.svc.Open(e.ctx, counsellor, crisis.NewIncident{Source: "alert", SourceID: alert})
	wantCode(t, "a hotline counsellor opening from a school's alert", err, apperr.ENotFound)
	_, err = e.svc.Open(e.ctx, e.user(access.SchoolCounsellor, e.b), crisis.NewIncident{Source: "alert", SourceID: alert})
	wantCode(t, "another school's counsellor", err, apperr.ENotFound)
	_, err = e.svc.Open(e.ctx, school, crisis.NewIncident{UnitID: e.s1.ID, Source: "duty"})
	wantCode(t, "a unit where the caller does not handle crises", err, apperr.EInvalid)
	_, err = e.svc.Open(e.ctx, school, crisis.NewIncident{Source: "duty", Details: crisis.Details{Risk: crisis.Risk{Plan: "maybe"}}})
	wantCode(t, "a bad risk code", err, apperr.EInvalid)
}

// The planned follow-up of a known child goes into the support plan: a
// school counsellor's opens the case and plans the follow-up on it; a
// hotline counsellor's tells the case's owner, who is told of the review
// too.
func TestFollowUpFeedsTheSupportPlan(t *testing.T) {
	e := newEnv(t)
	school := e.user(access.SchoolCounsellor, e.a)
	leader := e.user(access.SchoolLeader, e.a)
	stu := e.student(e.a, "FEED-1")
	id, err := e.svc.Open(e.ctx, school, crisis.NewIncident{Source: "duty", StudentNo: "FEED-1"})
	if err != nil {
		t.Fatal(err)
	}
	e.step(school, id, crisis.StepInput{To: crisis.Assessing})
	e.step(school, id, crisis.StepInput{To: crisis.SafetyPlanAgreed})
	_, err = e.svc.Advance(e.ctx, school, id, crisis.StepInput{To: crisis.FollowUpPlanned, FollowUpKind: "student"})
	wantCode(t, "a known child's follow-up without a date", err, apperr.EInvalid)
	due := e.clk.Now().Add(72 * time.Hour)
	e.step(school, id, crisis.StepInput{To: crisis.FollowUpPlanned, FollowUpKind: "student", FollowUpDue: due})
	caseID := e.num(`SELECT id FROM cases WHERE student_id = ? AND state = 'open'`, stu)
	if n := e.num(`SELECT COUNT(*) FROM follow_ups WHERE case_id = ? AND kind = 'student' AND due_at = ?`, caseID, db.Micro(due)); n != 1 {
		t.Errorf("%d follow-ups planned on the case", n)
	}
	if d := e.str(`SELECT detail FROM incident_steps WHERE incident_id = ? AND state = 'follow_up_planned'`, id); d == "" {
		t.Error("the step does not name the case")
	}
	e.step(school, id, crisis.StepInput{To: crisis.Reviewed, Review: crisis.Review{WhatHappened: "a", WhatWorked: "b", WhatToChange: "c"}})
	if err := e.svc.RecordGuardian(e.ctx, school, id, crisis.GuardianDecision{Notified: true, NotifiedAt: e.clk.Now().Add(-time.Hour)}); err != nil {
		t.Fatal(err)
	}
	e.cosign(leader, id, e.step(school, id, crisis.StepInput{To: crisis.Closed}))

	// The hotline's incident about the same child, from a linked contact.
	hot := e.user(access.HotlineCounsellor, e.s1)
	c := e.contact(hot, stu, "")
	id2, err := e.svc.Open(e.ctx, hot, crisis.NewIncident{Source: "contact", SourceID: c})
	if err != nil {
		t.Fatal(err)
	}
	if got := e.num(`SELECT unit_id FROM incidents WHERE id = ?`, id2); got != e.s1.ID {
		t.Errorf("the hotline's incident is handled at unit %d", got)
	}
	e.step(hot, id2, crisis.StepInput{To: crisis.Assessing})
	e.step(hot, id2, crisis.StepInput{To: crisis.SafetyPlanAgreed})
	e.step(hot, id2, crisis.StepInput{To: crisis.FollowUpPlanned, FollowUpKind: "family", FollowUpDue: due})
	if n := e.num(`SELECT COUNT(*) FROM follow_ups WHERE case_id = ?`, caseID); n != 1 {
		t.Errorf("the hotline planned on the school's case (%d follow-ups)", n)
	}
	if n := e.num(`SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = 'incident.follow_up' AND ref_id = ?`, school.UserID, id2); n != 1 {
		t.Errorf("%d follow-up notes to the case owner", n)
	}
	e.step(hot, id2, crisis.StepInput{To: crisis.Reviewed, Review: crisis.Review{WhatHappened: "a", WhatWorked: "b", WhatToChange: "c"}})
	if n := e.num(`SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = 'incident.reviewed' AND ref_id = ?`, school.UserID, id2); n != 1 {
		t.Errorf("%d review notes to the case owner", n)
	}
	// The case owner sees the hotline's incident through the school.
	if _, err := e.svc.Find(e.ctx, school, id2); err != nil {
		t.Errorf("the case owner cannot read the incident: %v", err)
	}
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
