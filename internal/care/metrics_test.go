package care_test

import (
	"context"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/care"
	"github.com/careloop/careloop/internal/db"
)

func (e *loopEnv) num(q string, args ...any) int64 {
	e.t.Helper()
	var n int64
	if err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error { return tx.QueryRow(ctx, q, args...).Scan(&n) }); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return n
}

func (e *loopEnv) raw(q string, args ...any) []byte {
	e.t.Helper()
	var b []byte
	if err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error { return tx.QueryRow(ctx, q, args...).Scan(&b) }); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return b
}

// exec runs a statement.
func (e *loopEnv) exec(q string, args ...any) {
	e.t.Helper()
	if err := e.d.Tx(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		_, err := tx.Exec(ctx, q, args...)
		return err
	}); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
}

// insert runs an INSERT and returns the new row's id.
func (e *loopEnv) insert(q string, args ...any) int64 {
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

func (e *loopEnv) verifyAudit() {
	n, problem, err := audit.Verify(e.ctx, e.d)
	if err != nil || problem != nil {
		e.t.Errorf("audit.Verify: problem %v, err %v", problem, err)
	} else if want := e.num(`SELECT COUNT(*) FROM audit_log`); n != want {
		e.t.Errorf("audit.Verify checked %d entries, want %d", n, want)
	}
}

// loopAlert is an alert row built by hand; zero times are stored as 0.
type loopAlert struct {
	Student, SchoolID, Case                                  int64
	Level                                                    string
	Signal, Raised, AckDue, ContactDue, Ack, Contact, Closed time.Time
}

func (e *loopEnv) alert(a loopAlert, owner int64) int64 {
	e.t.Helper()
	return e.insert(`INSERT INTO alerts (student_id, school_id, level, owner_user_id, owner_org_id, signal_at, raised_at, ack_due_at,
		contact_due_at, acknowledged_at, first_contact_at, closed_at, case_id) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.Student, a.SchoolID, a.Level, owner, a.SchoolID, db.Micro(a.Signal), db.Micro(a.Raised), db.Micro(a.AckDue),
		db.Micro(a.ContactDue), db.Micro(a.Ack), db.Micro(a.Contact), db.Micro(a.Closed), a.Case)
}

func (e *loopEnv) openCase(student, owner int64, opened time.Time) int64 {
	e.t.Helper()
	return e.insert(`INSERT INTO cases (student_id, owner_user_id, opened_at, opened_by) VALUES (?, ?, ?, ?)`, student, owner, db.Micro(opened), owner)
}

func (e *loopEnv) followUp(caseID, student, owner int64, due, done time.Time) int64 {
	e.t.Helper()
	return e.insert(`INSERT INTO follow_ups (case_id, student_id, owner_id, kind, due_at, done_at, created_at) VALUES (?, ?, ?, 'student', ?, ?, ?)`,
		caseID, student, owner, db.Micro(due), db.Micro(done), db.Micro(due.Add(-72*time.Hour)))
}

func (e *loopEnv) plan(caseID int64, version int, nextReview, created time.Time) {
	e.t.Helper()
	e.exec(`INSERT INTO support_plans (case_id, version, body, frequency, next_review_at, author_id, created_at) VALUES (?, ?, ?, 'weekly', ?, 0, ?)`,
		caseID, version, []byte("sealed"), db.Micro(nextReview), db.Micro(created))
}

// TestLoopMetricsReconcile builds alerts, cases, plans, follow-ups and
// sessions by hand for March 2025 and checks every figure against the
// numbers worked out below (minutes after raising unless said otherwise).
func TestLoopMetricsReconcile(t *testing.T) {
	e := newLoopEnv(t)
	cA, cA2 := e.user(access.SchoolCounsellor, e.a), e.user(access.SchoolCounsellor, e.a2)
	owner := cA.UserID
	sa, sa2, sb := e.students(e.a, "A", 9), e.students(e.a2, "C", 2), e.students(e.b, "B", 1)[0]
	from, to := time.Date(2025, 3, 1, 0, 0, 0, 0, time.UTC), time.Date(2025, 4, 1, 0, 0, 0, 0, time.UTC)
	on := func(day, hour, minute int) time.Time { return time.Date(2025, 3, day, hour, minute, 0, 0, time.UTC) }
	plus := func(t time.Time, m int) time.Time { return t.Add(time.Duration(m) * time.Minute) }
	c1, c2 := e.openCase(sa[0], owner, on(10, 9, 0)), e.openCase(sa[8], owner, time.Date(2025, 2, 20, 0, 0, 0, 0, time.UTC))
	e.plan(c1, 1, on(24, 0, 0), plus(on(10, 8, 0), 2880))
	e.plan(c1, 2, on(30, 0, 0), on(20, 0, 0))
	e.plan(c2, 1, on(8, 0, 0), on(1, 0, 0)) // before its alert: time to plan 0
	e.plan(c2, 2, on(20, 0, 0), on(6, 0, 0))

	// signal→alert: 10 30 0 1 2 20 5 60 (sorted 0 1 2 5 10 20 30 60: median 7.5, worst 60)
	// alert→ack: a1 5, a2 2000, a4 40, a9 60, a10 100 (median 60, worst 2000); a6's ack is after `to`
	// alert→contact: a1 60, a2 2500, a4 90, a10 200 (median 145, worst 2500)
	// alert→plan: a1 2880, a10 0 (median 1440, worst 2880)
	r1, r2, r3, r4 := on(10, 8, 0), on(11, 8, 0), on(12, 8, 0), on(13, 8, 0)
	r5, r6, r9, r10 := on(31, 23, 55), on(20, 8, 0), on(25, 8, 0), on(5, 8, 0)
	alerts := []loopAlert{
		// a1: every deadline met
		{Student: sa[0], SchoolID: e.a.ID, Level: "red", Signal: plus(r1, -10), Raised: r1, AckDue: plus(r1, 15), ContactDue: plus(r1, 120),
			Ack: plus(r1, 5), Contact: plus(r1, 60), Case: c1},
		// a2: acknowledged late, contact in time
		{Student: sa[1], SchoolID: e.a.ID, Level: "orange", Signal: plus(r2, -30), Raised: r2, AckDue: plus(r2, 1440), ContactDue: plus(r2, 2880),
			Ack: plus(r2, 2000), Contact: plus(r2, 2500)},
		// a3: never acknowledged nor contacted, both deadlines passed before `to`
		{Student: sa2[0], SchoolID: e.a2.ID, Level: "yellow", Signal: r3, Raised: r3, AckDue: plus(r3, 10080), ContactDue: plus(r3, 20160)},
		// a4: escalated on ack (see below), then met the renewed deadline
		{Student: sa[2], SchoolID: e.a.ID, Level: "red", Signal: plus(r4, -1), Raised: r4, AckDue: plus(r4, 45), ContactDue: plus(r4, 150),
			Ack: plus(r4, 40), Contact: plus(r4, 90)},
		// a5: raised just before `to`; its deadlines fall after it
		{Student: sa2[1], SchoolID: e.a2.ID, Level: "red", Signal: plus(r5, -2), Raised: r5, AckDue: plus(r5, 15), ContactDue: plus(r5, 120)},
		// a6: acknowledged only after `to`, never contacted
		{Student: sa[3], SchoolID: e.a.ID, Level: "orange", Signal: plus(r6, -20), Raised: r6, AckDue: plus(r6, 1440), ContactDue: plus(r6, 2880),
			Ack: time.Date(2025, 4, 1, 9, 0, 0, 0, time.UTC)},
		// a7: district Y
		{Student: sb, SchoolID: e.b.ID, Level: "red", Signal: on(15, 8, 0), Raised: on(15, 8, 3), AckDue: on(15, 8, 18), ContactDue: on(15, 10, 3),
			Ack: on(15, 8, 6), Contact: on(15, 8, 33)},
		// a8: raised before `from`
		{Student: sa[4], SchoolID: e.a.ID, Level: "red", Signal: on(1, 0, 0).Add(-72 * time.Hour), Raised: on(1, 0, 0).Add(-71 * time.Hour),
			AckDue: on(1, 0, 0), ContactDue: on(1, 0, 0)},
		// a9: closed as a false positive (which acknowledges) before any deadline, never contacted
		{Student: sa[5], SchoolID: e.a.ID, Level: "yellow", Signal: plus(r9, -5), Raised: r9, AckDue: plus(r9, 10080), ContactDue: plus(r9, 20160),
			Ack: plus(r9, 60), Closed: plus(r9, 60)},
		// a10: joined a case whose first plan predates it
		{Student: sa[8], SchoolID: e.a.ID, Level: "orange", Signal: plus(r10, -60), Raised: r10, AckDue: plus(r10, 1440), ContactDue: plus(r10, 2880),
			Ack: plus(r10, 100), Contact: plus(r10, 200), Case: c2},
	}
	ids := make([]int64, len(alerts))
	for i, a := range alerts {
		ids[i] = e.alert(a, owner)
	}
	e.exec(`INSERT INTO escalations (item_type, item_id, seq, deadline, due_at, at, step, to_user_id, to_org_id)
		VALUES ('alert', ?, 1, 'ack', ?, ?, 1, ?, ?)`, ids[3], db.Micro(plus(r4, 15)), db.Micro(plus(r4, 30)), owner, e.a.ID)

	// Follow-ups due in March: f2 late, f3 and f7 never done, f4 done after `to` → 5 due, 4 overdue.
	e.followUp(c1, sa[0], owner, on(12, 10, 0), on(12, 9, 0))
	e.followUp(c1, sa[0], owner, on(15, 10, 0), on(17, 10, 0))
	e.followUp(c2, sa[8], owner, on(20, 10, 0), time.Time{})
	e.followUp(c2, sa[8], owner, on(28, 10, 0), time.Date(2025, 4, 2, 0, 0, 0, 0, time.UTC))
	e.followUp(c2, sa[8], owner, time.Date(2025, 4, 3, 0, 0, 0, 0, time.UTC), time.Time{})
	// Lost at `to`: c2 (no contact since opening on 20 Feb) and c3 (a follow-up 17 days overdue despite a recent
	// session); not c1 (contact on 17 March), c4 (closed), c5 (a group session 12 days before); c6 is in Y.
	c3 := e.openCase(sa[6], owner, on(1, 0, 0))
	e.followUp(c3, sa[6], owner, on(15, 0, 0), time.Time{})
	c4 := e.openCase(sa[7], owner, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	e.exec(`UPDATE cases SET state = 'closed', closed_at = ? WHERE id = ?`, db.Micro(on(20, 0, 0)), c4)
	e.openCase(sa2[0], owner, time.Date(2025, 1, 10, 0, 0, 0, 0, time.UTC))
	e.openCase(sb, owner, time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	if _, err := e.svc.RecordSession(e.ctx, cA, care.Session{Kind: "individual", OrgUnitID: e.a.ID, HeldAt: on(28, 10, 0), Minutes: 30,
		Attendees: []int64{sa[6]}}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.RecordSession(e.ctx, cA2, care.Session{Kind: "group", Topic: "压力", OrgUnitID: e.a2.ID, HeldAt: on(20, 10, 0),
		Minutes: 30, Attendees: []int64{sa2[0]}}); err != nil {
		t.Fatal(err)
	}

	m, err := e.svc.LoopMetrics(e.ctx, e.user(access.Coordinator, e.x), e.x.ID, from, to)
	if err != nil {
		t.Fatal(err)
	}
	iv := func(n int, median, worst time.Duration) care.Interval {
		return care.Interval{Count: n, Median: median, Worst: worst}
	}
	checks := []struct {
		what      string
		got, want any
	}{
		{"Alerts", m.Alerts, 8},
		{"AlertsByLevel", [3]int{m.AlertsByLevel["red"], m.AlertsByLevel["orange"], m.AlertsByLevel["yellow"]}, [3]int{3, 3, 2}},
		{"SignalToAlert", m.SignalToAlert, iv(8, 7*time.Minute+30*time.Second, 60*time.Minute)},
		{"AlertToAck", m.AlertToAck, iv(5, 60*time.Minute, 2000*time.Minute)},
		{"AlertToContact", m.AlertToContact, iv(4, 145*time.Minute, 2500*time.Minute)},
		{"AlertToPlan", m.AlertToPlan, iv(2, 1440*time.Minute, 2880*time.Minute)},
		{"AckPastDeadline", m.AckPastDeadline, 4},         // a2 a3 a4 a6
		{"ContactPastDeadline", m.ContactPastDeadline, 2}, // a3 a6
		{"AlertsPastDeadline", m.AlertsPastDeadline, 4},
		{"FollowUpsDue", m.FollowUpsDue, 5},
		{"FollowUpsOverdue", m.FollowUpsOverdue, 4},
		{"StudentsLostToFollowUp", m.StudentsLostToFollowUp, 2},
		{"IndividualSessions", m.IndividualSessions, care.SessionFigures{Sessions: 1, PersonTimes: 1, People: 1}},
		{"GroupSessions", m.GroupSessions, care.SessionFigures{Sessions: 1, PersonTimes: 1, People: 1}},
	}
	for _, c := range checks {
		if c.got != c.want {
			t.Errorf("X %s = %+v, want %+v", c.what, c.got, c.want)
		}
	}

	city, err := e.svc.LoopMetrics(e.ctx, e.user(access.Coordinator, e.city), e.city.ID, from, to)
	if err != nil || city.Alerts != 9 || city.AlertsByLevel["red"] != 4 || city.AlertsPastDeadline != 4 || city.StudentsLostToFollowUp != 3 ||
		city.SignalToAlert != iv(9, 5*time.Minute, 60*time.Minute) || city.AlertToAck.Count != 6 || city.AlertToAck.Median != 50*time.Minute {
		t.Errorf("city = %+v, %v", city, err)
	}
	schoolA, err := e.svc.LoopMetrics(e.ctx, cA, e.a.ID, from, to)
	if err != nil || schoolA.Alerts != 6 || schoolA.AlertsPastDeadline != 3 || schoolA.AckPastDeadline != 3 || schoolA.ContactPastDeadline != 1 ||
		schoolA.GroupSessions.Sessions != 0 || schoolA.StudentsLostToFollowUp != 2 {
		t.Errorf("school A = %+v, %v", schoolA, err)
	}
	// Judged a day later, a6's acknowledgement counts: same alerts, one more acknowledgement.
	later, err := e.svc.LoopMetrics(e.ctx, cA, e.a.ID, from, to.Add(24*time.Hour))
	if err != nil || later.AlertToAck.Count != 6 || later.Alerts != 6 {
		t.Errorf("school A to 2 April = %+v, %v", later, err)
	}

	_, err = e.svc.LoopMetrics(e.ctx, cA, e.x.ID, from, to)
	loopWant(t, "school counsellor for the district", err, apperr.EForbidden, "", "")
	_, err = e.svc.LoopMetrics(e.ctx, e.user(access.HeadTeacher, e.a), e.a.ID, from, to)
	loopWant(t, "head teacher (no report.read)", err, apperr.EForbidden, "", "")
	_, err = e.svc.LoopMetrics(e.ctx, e.user(access.SchoolLeader, e.a), e.a.ID, from, to)
	loopWant(t, "school leader (report.read without record.read: exact counts over any days)", err, apperr.EForbidden, "", "")
	_, err = e.svc.LoopMetrics(e.ctx, cA, e.a.ID, to, from)
	loopWant(t, "period ending before it starts", err, apperr.EInvalid, "to", "form.bad_date")
}
