package care_test

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/care"
	"github.com/careloop/careloop/internal/db"
)

func TestLoopReviewDecisionsBecomeTasks(t *testing.T) {
	e := newLoopEnv(t)
	cA, leader, teacher := e.user(access.SchoolCounsellor, e.a), e.user(access.SchoolLeader, e.a), e.user(access.HeadTeacher, e.a)
	cB, otherTeacher := e.user(access.SchoolCounsellor, e.b), e.user(access.HeadTeacher, e.a)
	kids, other := e.students(e.a, "A", 4), e.students(e.b, "B", 1)[0]
	e.exec(`INSERT INTO student_tiers (student_id, tier, critical, campaign_id, at) VALUES (?, 'red', 1, 7, 1), (?, 'orange', 0, 7, 1)`, kids[0], kids[1])
	held, due := loopToday.Add(-time.Hour), loopToday.Add(7*24*time.Hour)
	minutes := "研判纪要：学生甲近期情绪明显好转，继续观察"
	review := func() care.Review {
		return care.Review{OrgUnitID: e.a.ID, Kind: "regular", HeldAt: held, Attendees: []int64{leader.UserID, cA.UserID, cA.UserID},
			Minutes: minutes, Decisions: []care.ReviewDecision{
				{StudentID: kids[0], Decision: "tier_change", NewTier: "orange", TaskOwner: cA.UserID, TaskDue: due},
				{StudentID: kids[1], Decision: "keep"},
				{StudentID: kids[2], Decision: "referral", TaskOwner: leader.UserID, TaskDue: due.Add(24 * time.Hour)},
				{StudentID: kids[3], Decision: "tier_change", NewTier: "yellow", TaskOwner: teacher.UserID, TaskDue: due},
			}}
	}
	bad := []struct {
		what, field, key string
		code             apperr.Code
		p                access.Principal
		change           func(r *care.Review)
	}{
		{"no task owner", "decisions[1].task_owner", "form.required", apperr.EInvalid, cA,
			func(r *care.Review) { r.Decisions[1].Decision = "plan_change" }},
		{"no task date", "decisions[2].task_due", "form.required", apperr.EInvalid, cA,
			func(r *care.Review) { r.Decisions[2].TaskDue = time.Time{} }},
		{"no new tier", "decisions[0].new_tier", "form.required", apperr.EInvalid, cA,
			func(r *care.Review) { r.Decisions[0].NewTier = "" }},
		{"same student twice", "decisions[1].student_id", "review.duplicate_student", apperr.EInvalid, cA,
			func(r *care.Review) { r.Decisions[1].StudentID = kids[0] }},
		{"student of another school", "decisions[1].student_id", "review.student_out_of_unit", apperr.EInvalid, cA,
			func(r *care.Review) { r.Decisions[1].StudentID = other }},
		{"unknown attendee", "attendees", "form.invalid", apperr.EInvalid, cA,
			func(r *care.Review) { r.Attendees = append(r.Attendees, 777777) }},
		{"unknown task owner", "decisions[2].task_owner", "review.bad_owner", apperr.EInvalid, cA,
			func(r *care.Review) { r.Decisions[2].TaskOwner = 777777 }},
		{"bad kind", "kind", "form.invalid", apperr.EInvalid, cA, func(r *care.Review) { r.Kind = "chat" }},
		{"no review.manage at the unit", "", "", apperr.EForbidden, cB, func(r *care.Review) {}},
		{"head teacher", "", "", apperr.EForbidden, teacher, func(r *care.Review) {}},
	}
	for _, c := range bad {
		r := review()
		c.change(&r)
		_, err := e.svc.HoldReview(e.ctx, c.p, r)
		loopWant(t, c.what, err, c.code, c.field, c.key)
	}
	if n := e.num(`SELECT COUNT(*) FROM risk_reviews`) + e.num(`SELECT COUNT(*) FROM tasks`); n != 0 {
		t.Fatalf("refused reviews wrote %d rows", n)
	}

	id, err := e.svc.HoldReview(e.ctx, cA, review())
	if err != nil {
		t.Fatalf("HoldReview: %v", err)
	}
	if n := e.num(`SELECT COUNT(*) FROM review_decisions WHERE review_id = ?`, id); n != 4 {
		t.Errorf("decisions = %d, want 4", n)
	}
	for _, c := range []struct {
		student, owner int64
		kind           string
	}{{kids[0], cA.UserID, "tier_change"}, {kids[2], leader.UserID, "referral"}, {kids[3], teacher.UserID, "tier_change"}} {
		if n := e.num(`SELECT COUNT(*) FROM tasks WHERE review_id = ? AND student_id = ? AND owner_id = ? AND kind = ? AND done_at = 0`,
			id, c.student, c.owner, c.kind); n != 1 {
			t.Errorf("task %s for student %d: %d rows", c.kind, c.student, n)
		}
		if n := e.num(`SELECT COUNT(*) FROM notifications n JOIN tasks k ON k.id = n.ref_id WHERE n.kind = 'task.assigned'
			AND n.ref_type = 'task' AND n.user_id = ? AND k.student_id = ?`, c.owner, c.student); n != 1 {
			t.Errorf("notification of the %s task for student %d: %d", c.kind, c.student, n)
		}
	}
	if n := e.num(`SELECT COUNT(*) FROM tasks`); n != 3 {
		t.Errorf("tasks = %d, want 3 (keep makes none)", n)
	}
	if n := e.num(`SELECT COUNT(*) FROM tasks WHERE due_at = ?`, db.Micro(due.Add(24*time.Hour))); n != 1 {
		t.Errorf("the referral's due date was not kept")
	}
	if n := e.num(`SELECT COUNT(*) FROM student_tiers WHERE (student_id = ? AND tier = 'orange' AND critical = 1 AND campaign_id = 7)
		OR (student_id = ? AND tier = 'orange') OR (student_id = ? AND tier = 'yellow')`, kids[0], kids[1], kids[3]); n != 3 {
		t.Errorf("tiers after the review: %d of 3 as expected", n)
	}
	if n := e.num(`SELECT COUNT(*) FROM student_events WHERE kind = 'tier_change' AND student_id = ? AND detail = ?`,
		kids[0], "review="+strconv.FormatInt(id, 10)+" from=red to=orange"); n != 1 {
		t.Errorf("tier_change event of student 0: %d", n)
	}
	if n := e.num(`SELECT COUNT(*) FROM student_events WHERE kind = 'tier_change'`); n != 2 {
		t.Errorf("tier_change events = %d, want 2", n)
	}
	if raw := e.raw(`SELECT minutes FROM risk_reviews WHERE id = ?`, id); len(raw) == 0 || strings.Contains(string(raw), "学生甲") ||
		strings.Contains(string(raw), minutes) {
		t.Errorf("minutes are not sealed in the database: %q", raw)
	}

	got, err := e.svc.FindReview(e.ctx, leader, id)
	if err != nil || got.Minutes != minutes || got.Kind != "regular" || !got.HeldAt.Equal(held) || len(got.Attendees) != 2 ||
		len(got.Decisions) != 4 || got.CreatedBy != cA.UserID {
		t.Fatalf("FindReview = %+v, %v", got, err)
	}
	d0, d1 := got.Decisions[0], got.Decisions[1]
	if d0.StudentID != kids[0] || d0.StudentName == "" || d0.NewTier != "orange" || d0.TaskID == 0 || d0.TaskOwner != cA.UserID ||
		!d0.TaskDue.Equal(due) || !d0.TaskDone.IsZero() || d1.Decision != "keep" || d1.TaskID != 0 {
		t.Errorf("decisions = %+v", got.Decisions)
	}
	_, err = e.svc.FindReview(e.ctx, cB, id)
	loopWant(t, "FindReview from school B", err, apperr.ENotFound, "", "")
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'review.read'`); n != 1 {
		t.Errorf("review.read audit entries = %d, want 1", n)
	}

	task := func(student int64) int64 { return e.num(`SELECT id FROM tasks WHERE student_id = ?`, student) }
	loopWant(t, "CompleteTask by another school", e.svc.CompleteTask(e.ctx, cB, task(kids[2])), apperr.ENotFound, "", "")
	loopWant(t, "CompleteTask by a head teacher not its owner", e.svc.CompleteTask(e.ctx, otherTeacher, task(kids[3])), apperr.ENotFound, "", "")
	for _, c := range []struct {
		p       access.Principal
		student int64
	}{{cA, kids[2]}, {teacher, kids[3]}, {cA, kids[0]}, {cA, kids[0]}} {
		if err := e.svc.CompleteTask(e.ctx, c.p, task(c.student)); err != nil {
			t.Errorf("CompleteTask of student %d's task by %s: %v", c.student, c.p.Username, err)
		}
	}
	if n := e.num(`SELECT COUNT(*) FROM tasks WHERE done_at = ?`, db.Micro(loopToday)); n != 3 {
		t.Errorf("done tasks = %d, want 3", n)
	}
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'task.complete'`); n != 3 {
		t.Errorf("task.complete audit entries = %d, want 3 (completing twice records once)", n)
	}

	if _, err := e.svc.HoldReview(e.ctx, leader, care.Review{OrgUnitID: e.a.ID, Kind: "case_review", HeldAt: loopToday,
		Attendees: []int64{leader.UserID}, Minutes: "个案复盘"}); err != nil {
		t.Fatalf("case review: %v", err)
	}
	list, err := e.svc.FindReviews(e.ctx, e.user(access.Coordinator, e.x), e.x.ID)
	if err != nil || len(list) != 2 || list[0].Kind != "case_review" || list[1].ID != id || list[1].Minutes != "" || list[1].Decisions != nil ||
		list[1].DecisionCount != 4 || list[0].DecisionCount != 0 {
		t.Errorf("FindReviews(X) = %+v, %v", list, err)
	}
	if list, err := e.svc.FindReviews(e.ctx, e.user(access.Coordinator, e.city), e.y.ID); err != nil || len(list) != 0 {
		t.Errorf("FindReviews(Y) = %+v, %v", list, err)
	}
}

func TestLoopReviewAgenda(t *testing.T) {
	e := newLoopEnv(t)
	cA := e.user(access.SchoolCounsellor, e.a)
	st, sb := e.students(e.a, "A", 6), e.students(e.b, "B", 1)[0]
	day := func(d int) time.Time { return loopToday.Add(time.Duration(d) * 24 * time.Hour) }
	if _, err := e.svc.HoldReview(e.ctx, cA, care.Review{OrgUnitID: e.a.ID, Kind: "regular", HeldAt: day(-10),
		Attendees: []int64{cA.UserID}}); err != nil {
		t.Fatal(err)
	}
	alert := func(student int64, school int64, raised time.Time) int64 {
		return e.alert(loopAlert{Student: student, SchoolID: school, Level: "orange", Signal: raised, Raised: raised,
			AckDue: raised.Add(time.Hour), ContactDue: raised.Add(2 * time.Hour)}, cA.UserID)
	}
	g1, g2, g3 := alert(st[0], e.a.ID, day(-5)), alert(st[1], e.a.ID, day(-18)), alert(st[2], e.a.ID, day(-18))
	alert(sb, e.b.ID, day(-5))
	e.exec(`INSERT INTO escalations (item_type, item_id, seq, deadline, due_at, at, step, to_user_id, to_org_id)
		VALUES ('alert', ?, 1, 'ack', ?, ?, 1, ?, ?)`, g2, db.Micro(day(-7)), db.Micro(day(-6)), cA.UserID, e.a.ID)
	e.exec(`INSERT INTO escalations (item_type, item_id, seq, deadline, due_at, at, step, to_user_id, to_org_id)
		VALUES ('alert', ?, 1, 'ack', ?, ?, 1, ?, ?)`, g3, db.Micro(day(-17)), db.Micro(day(-16)), cA.UserID, e.a.ID)
	for i, tier := range []string{"red", "orange", "yellow", "red"} {
		e.exec(`INSERT INTO student_tiers (student_id, tier, critical, campaign_id, at) VALUES (?, ?, ?, 1, ?)`, st[i], tier, i%2, db.Micro(day(-20+i)))
	}
	e.exec(`INSERT INTO student_tiers (student_id, tier, critical, campaign_id, at) VALUES (?, 'red', 0, 1, 1)`, sb)
	e.exec(`UPDATE students SET status = 'graduated' WHERE id = ?`, st[3])
	k1, k2 := e.openCase(st[0], cA.UserID, day(-6)), e.openCase(st[1], cA.UserID, day(-30))
	k3, k4 := e.openCase(st[2], cA.UserID, day(-30)), e.openCase(st[4], cA.UserID, day(-30))
	e.exec(`UPDATE cases SET state = 'closed', closed_at = ? WHERE id = ?`, db.Micro(day(-1)), k3)
	fu1 := e.followUp(k1, st[0], cA.UserID, day(-2), time.Time{})
	e.followUp(k1, st[0], cA.UserID, day(-1), day(-1))
	e.followUp(k1, st[0], cA.UserID, day(3), time.Time{})
	e.plan(k1, 1, day(2), day(-6))
	e.plan(k1, 2, day(24), day(-1))
	e.plan(k2, 1, day(5), day(-20))
	e.plan(k3, 1, day(1), day(-20))
	e.plan(k4, 1, day(13), day(-20))

	ag, err := e.svc.ReviewAgenda(e.ctx, cA, e.a.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !ag.Since.Equal(day(-10)) {
		t.Errorf("Since = %v, want the previous review %v", ag.Since, day(-10))
	}
	if len(ag.Alerts) != 2 || ag.Alerts[0].RefID != g2 || !ag.Alerts[0].Escalated || ag.Alerts[1].RefID != g1 || ag.Alerts[1].Escalated ||
		ag.Alerts[1].StudentName == "" || ag.Alerts[1].Code != "orange" || ag.Alerts[1].SchoolID != e.a.ID {
		t.Errorf("Alerts = %+v", ag.Alerts)
	}
	if len(ag.Students) != 2 || ag.Students[0].StudentID != st[0] || ag.Students[0].Code != "red" || ag.Students[0].Critical ||
		ag.Students[1].StudentID != st[1] || ag.Students[1].Code != "orange" || !ag.Students[1].Critical {
		t.Errorf("Students = %+v", ag.Students)
	}
	if len(ag.Overdue) != 1 || ag.Overdue[0].RefID != fu1 || !ag.Overdue[0].At.Equal(day(-2)) || ag.Overdue[0].OwnerID != cA.UserID {
		t.Errorf("Overdue = %+v", ag.Overdue)
	}
	if len(ag.PlansDue) != 1 || ag.PlansDue[0].RefID != k2 || !ag.PlansDue[0].At.Equal(day(5)) {
		t.Errorf("PlansDue = %+v", ag.PlansDue)
	}
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'review.agenda'`); n != 1 {
		t.Errorf("review.agenda audit entries = %d, want 1", n)
	}

	coordX := e.user(access.Coordinator, e.x)
	ag, err = e.svc.ReviewAgenda(e.ctx, coordX, e.x.ID)
	if err != nil || !ag.Since.Equal(day(-30)) || len(ag.Alerts) != 3 || ag.Alerts[2].RefID != g1 || len(ag.Students) != 2 {
		t.Errorf("agenda of X (no review yet) = %+v, %v", ag, err)
	}
	_, err = e.svc.ReviewAgenda(e.ctx, coordX, e.y.ID)
	loopWant(t, "agenda of another district", err, apperr.EForbidden, "", "")
}
