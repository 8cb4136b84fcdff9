package care

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// casesPages reads p's whole work list limit items at a time.
func casesPages(e *casesEnv, p access.Principal, limit int) (items []WorkItem, calls int) {
	e.t.Helper()
	var cur Cursor
	for {
		page, next, err := e.svc.WorkList(e.ctx, p, cur, limit)
		calls++
		if err != nil {
			e.t.Fatalf("WorkList: %v", err)
		}
		if len(page) > limit || (next != Cursor{} && len(page) != limit) {
			e.t.Fatalf("page of %d with limit %d, next %+v", len(page), limit, next)
		}
		items = append(items, page...)
		if next == (Cursor{}) || calls > 100 {
			return items, calls
		}
		cur = next
	}
}

func casesItems(e *casesEnv, p access.Principal) []WorkItem {
	items, _ := casesPages(e, p, 200)
	return items
}

func (e *casesEnv) task(studentID int64, owner access.Principal, due time.Time, done bool) int64 {
	e.t.Helper()
	var id int64
	err := e.d.Tx(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		id, err = tx.InsertID(ctx, `INSERT INTO tasks (student_id, kind, owner_id, due_at, done_at, created_at) VALUES (?, 'keep', ?, ?, ?, ?)`,
			studentID, owner.UserID, db.Micro(due), db.Micro(map[bool]time.Time{true: e.clk.Now()}[done]), db.Micro(e.clk.Now()))
		return err
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return id
}

func TestCasesWorkListOrderPagesAndScope(t *testing.T) {
	e := newCasesEnv(t)
	s := e.students(e.a, "A001", "A002", "A003", "A004", "A005", "A006")
	now := e.clk.Now()
	alert1 := e.redAlert(s[0]) // due at the acknowledgement deadline: now + 15 minutes
	alert2 := e.redAlert(s[1])
	if err := e.warn.Acknowledge(e.ctx, e.counsellorA, alert2); err != nil { // due at first contact: now + 2 hours
		t.Fatal(err)
	}
	c3 := e.open(e.counsellorA, s[2], 0)
	plan := casesPlan(e)
	plan.NextReview = now.Add(3 * 24 * time.Hour)
	e.svc.SavePlan(e.ctx, e.counsellorA, c3, plan)
	c4 := e.open(e.counsellorA, s[3], 0)
	e.svc.SavePlan(e.ctx, e.counsellorA, c4, casesPlan(e)) // review in a month: not yet
	var fus []int64
	for _, d := range []time.Duration{time.Hour, time.Hour, 48 * time.Hour} {
		id, err := e.svc.PlanFollowUp(e.ctx, e.counsellorA, c3, "student", now.Add(d))
		if err != nil {
			t.Fatal(err)
		}
		fus = append(fus, id)
	}
	t1 := e.task(s[4], e.counsellorA, now.Add(time.Hour), false)
	t0 := e.task(s[4], e.counsellorA, now.Add(-time.Hour), false)
	e.task(s[4], e.counsellorA, now.Add(-2*time.Hour), true)
	// Another counsellor's case, follow-up and task.
	c6 := e.open(e.counsellorA2, s[5], 0)
	other, _ := e.svc.PlanFollowUp(e.ctx, e.counsellorA2, c6, "family", now.Add(time.Minute))
	e.task(s[5], e.counsellorA2, now.Add(-3*time.Hour), false)

	want := []struct {
		kind    string
		id      int64
		overdue bool
	}{{WorkTask, t0, true}, {WorkAlert, alert1, false}, {WorkFollowUp, fus[0], false}, {WorkFollowUp, fus[1], false},
		{WorkTask, t1, false}, {WorkAlert, alert2, false}, {WorkFollowUp, fus[2], false}, {WorkPlanReview, c3, false}}
	all := casesItems(e, e.counsellorA)
	if len(all) != len(want) {
		t.Fatalf("%d items, want %d: %+v", len(all), len(want), all)
	}
	for i, w := range want {
		if it := all[i]; it.Kind != w.kind || it.ID != w.id || it.Overdue != w.overdue || it.StudentName == "" {
			t.Errorf("item %d: %+v, want %s %d overdue=%v", i, it, w.kind, w.id, w.overdue)
		}
	}
	if all[1].Level != "red" || all[1].StudentID != s[0] || !all[1].Due.Equal(now.Add(15*time.Minute)) {
		t.Errorf("alert item %+v", all[1])
	}
	for _, limit := range []int{1, 2, 3, 7} {
		paged, calls := casesPages(e, e.counsellorA, limit)
		if len(paged) != len(all) {
			t.Errorf("limit %d: %d items over %d pages, want %d", limit, len(paged), calls, len(all))
			continue
		}
		for i := range all {
			if paged[i].Kind != all[i].Kind || paged[i].ID != all[i].ID {
				t.Errorf("limit %d: item %d is %s %d, want %s %d", limit, i, paged[i].Kind, paged[i].ID, all[i].Kind, all[i].ID)
			}
		}
	}
	// Scope: another counsellor's items never appear, and the other way round.
	for _, it := range casesItems(e, e.counsellorA2) {
		if it.StudentID != s[5] {
			t.Errorf("counsellor A2 sees %+v", it)
		}
	}
	if got := casesItems(e, e.counsellorA2); len(got) != 2 || got[1].ID != other {
		t.Errorf("counsellor A2's list %+v", got)
	}
	if got := casesItems(e, e.counsellorB); len(got) != 0 {
		t.Errorf("counsellor B sees %+v", got)
	}
	// Alerts and follow-ups leave the list when done.
	e.clk.Advance(3 * time.Hour)
	if err := e.svc.RecordFollowUp(e.ctx, e.counsellorA, fus[0], FollowUpRecord{Notes: "谈话"}); err != nil {
		t.Fatal(err)
	}
	got := casesItems(e, e.counsellorA)
	if len(got) != len(want)-1 || got[0].Kind != WorkTask || !got[1].Overdue || got[1].ID != alert1 {
		t.Errorf("after a follow-up: %+v", got)
	}
	if _, _, err := e.svc.WorkList(e.ctx, access.Principal{}, Cursor{}, 10); apperr.CodeOf(err) != apperr.EForbidden {
		t.Errorf("anonymous: %v", err)
	}
	if n := e.audits("worklist.read", e.counsellorA.UserID, itoa(e.counsellorA.UserID)); n != 1+8+4+3+2+1 {
		t.Errorf("%d work list reads audited", n)
	}
}

func TestCasesFindScope(t *testing.T) {
	e := newCasesEnv(t)
	s := e.students(e.a, "A001", "A002", "A003")
	ids := []int64{e.open(e.counsellorA, s[0], 0), e.open(e.counsellorA, s[1], 0), e.open(e.counsellorA2, s[2], 0)}
	if _, err := e.svc.FindCase(e.ctx, e.counsellorB, ids[0]); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("other school: %v", err)
	}
	// The student moves to school B: B's counsellor now sees the case, its
	// owner still does, A's other counsellor no longer does.
	if err := e.stu.Transfer(e.ctx, e.registrar, s[0], e.b.ID, 7, "2班"); err != nil {
		t.Fatal(err)
	}
	for _, p := range []access.Principal{e.counsellorB, e.counsellorA} {
		if d, err := e.svc.FindCase(e.ctx, p, ids[0]); err != nil || d.StudentName != "学生A001" || d.SchoolID != e.b.ID {
			t.Errorf("user %d: %+v, %v", p.UserID, d, err)
		}
	}
	if _, err := e.svc.FindCase(e.ctx, e.counsellorA2, ids[0]); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("former school's counsellor: %v", err)
	}
	token := e.counsellorA
	token.Limit = []access.Permission{access.TokenOwn}
	if _, err := e.svc.FindCase(e.ctx, token, ids[0]); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("the owner's token without case.manage: %v", err)
	}
	list := func(p access.Principal, f CaseFilter) []int64 {
		cs, err := e.svc.FindCases(e.ctx, p, f)
		if err != nil {
			t.Fatal(err)
		}
		var out []int64
		for _, c := range cs {
			out = append(out, c.ID)
		}
		return out
	}
	eq := func(what string, got []int64, want ...int64) {
		if len(got) != len(want) || (len(got) > 0 && (got[0] != want[0] || got[len(got)-1] != want[len(want)-1])) {
			t.Errorf("%s: %v, want %v", what, got, want)
		}
	}
	eq("A2, all", list(e.counsellorA2, CaseFilter{}), ids[2], ids[1])
	eq("A2, mine", list(e.counsellorA2, CaseFilter{Mine: true}), ids[2])
	eq("A, mine", list(e.counsellorA, CaseFilter{Mine: true}), ids[1], ids[0])
	eq("A, page 2", list(e.counsellorA, CaseFilter{Limit: 1, After: ids[1]}), ids[0])
	eq("B", list(e.counsellorB, CaseFilter{}), ids[0])
	e.exec(`UPDATE cases SET state = 'closed' WHERE id = ?`, ids[1])
	eq("A2, open", list(e.counsellorA2, CaseFilter{Open: true}), ids[2])
	if e.audits("case.list", e.counsellorA2.UserID, "") != 3 {
		t.Error("lists not audited")
	}
}

// TestCasesWorkListPlans checks that every sub-query of the work list
// reads its rows through the owner index it names: a range scan. Run with
// -v to see the plans (EXPLAIN QUERY PLAN on SQLite, EXPLAIN with
// sequential scans disabled on PostgreSQL, whose planner would otherwise
// choose them for tables this small).
func TestCasesWorkListPlans(t *testing.T) {
	e := newCasesEnv(t)
	indexes := []string{"alerts_owner", "alerts_owner", "follow_ups_owner", "", "cases_owner", "tasks_owner"}
	sorted := []bool{false, true, false, true, true, false} // a sort after the scan is expected
	qs := workQueries(e.counsellorA.UserID, Cursor{Due: 5, Kind: WorkFollowUp, ID: 9}, 50, e.clk.Now())
	if len(qs) != len(indexes) {
		t.Fatalf("%d sub-queries", len(qs))
	}
	for i, q := range qs {
		var plan []string
		err := e.d.Tx(e.ctx, func(ctx context.Context, tx *db.Tx) error {
			prefix := "EXPLAIN QUERY PLAN "
			if tx.Dialect() == db.Postgres {
				prefix = "EXPLAIN "
				if _, err := tx.Exec(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
					return err
				}
			}
			rows, err := tx.Query(ctx, prefix+q.sql, q.args...)
			if err != nil {
				return err
			}
			defer rows.Close()
			cols, _ := rows.Columns()
			for rows.Next() {
				vals := make([]any, len(cols))
				var line string
				vals[len(vals)-1] = &line
				for j := range len(vals) - 1 {
					vals[j] = new(any)
				}
				if err := rows.Scan(vals...); err != nil {
					return err
				}
				plan = append(plan, line)
			}
			return rows.Err()
		})
		if err != nil {
			t.Fatalf("sub-query %d: %v", i, err)
		}
		text := strings.Join(plan, "\n")
		t.Logf("sub-query %d (%s):\n%s", i, q.kind, text)
		if e.d.Dialect == db.SQLite && indexes[i] != "" && !strings.Contains(text, indexes[i]) {
			t.Errorf("sub-query %d does not use %s", i, indexes[i])
		}
		if e.d.Dialect == db.SQLite && !sorted[i] && strings.Contains(text, "TEMP B-TREE") {
			t.Errorf("sub-query %d sorts instead of reading the index in order", i)
		}
	}
}
