package warning_test

import (
	"context"
	"errors"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/screening"
	"github.com/careloop/careloop/internal/warning"
)

// battery is a complete PHQ-A and GAD-7 answer set.
func battery(phq [9]int, gad [7]int) screening.Answers {
	a := screening.Answers{"phq-a": {}, "gad-7": {}}
	for i, v := range phq {
		a["phq-a"][strconv.Itoa(i+1)] = v
	}
	for i, v := range gad {
		a["gad-7"][strconv.Itoa(i+1)] = v
	}
	return a
}

var (
	criticalAnswers = battery([9]int{1, 0, 0, 0, 0, 0, 0, 0, 1}, [7]int{}) // PHQ-A 2, item 9 = 1
	calmAnswers     = battery([9]int{0, 1, 0, 1, 0, 0, 0, 0, 0}, [7]int{0, 1, 0, 0, 0, 0, 0})
)

// screen returns a screening service wired to early warning as the app
// does, a campaign over school A and a sitting token per student number.
func (e *env) screen(nos ...string) (*screening.Service, int64, []int64, map[string]string) {
	e.t.Helper()
	sc := &screening.Service{DB: e.d, Audit: e.log, Seal: e.keys, Catalog: e.cat, Now: e.clk.Now}
	sc.OnScreened = e.svc.OnScreened
	ids := e.students(e.a, nos...)
	now := e.clk.Now()
	cid, err := sc.CreateCampaign(e.ctx, e.registrar, screening.NewCampaign{OrgUnitID: e.x.ID, Name: "春季筛查",
		Instruments: []string{"phq-a", "gad-7"}, StartsAt: now.Add(-time.Hour), EndsAt: now.Add(7 * 24 * time.Hour),
		ConsentRule: screening.ConsentNone, ConsentText: "v1", Targets: []screening.Target{{SchoolID: e.a.ID}}})
	if err != nil {
		e.t.Fatalf("CreateCampaign: %v", err)
	}
	slips, err := sc.Slips(e.ctx, e.registrar, cid, e.a.ID)
	if err != nil {
		e.t.Fatalf("Slips: %v", err)
	}
	tokens := map[string]string{}
	for _, s := range slips {
		no := strings.TrimPrefix(s.StudentName, "学生")
		if tokens[no], err = sc.OpenWithCode(e.ctx, s.Code); err != nil {
			e.t.Fatalf("OpenWithCode: %v", err)
		}
	}
	return sc, cid, ids, tokens
}

func submit(sc *screening.Service, token, key string, a screening.Answers) (*screening.Outcome, error) {
	return sc.Submit(context.Background(), token, screening.Submission{IdempotencyKey: key, Answers: a, Elapsed: 10 * time.Minute})
}

func TestSubmissionRaisesAlertInItsTransaction(t *testing.T) {
	e := newEnv(t)
	counsellor := e.user("school_counsellor", e.a)
	sc, cid, ids, tokens := e.screen("SCR-1", "SCR-2")
	out, err := submit(sc, tokens["SCR-1"], "k1", criticalAnswers)
	if err != nil || !out.Critical {
		t.Fatalf("Submit = %+v, %v; want a critical outcome", out, err)
	}
	if _, err := submit(sc, tokens["SCR-2"], "k2", calmAnswers); err != nil {
		t.Fatal(err)
	}
	id := e.num(`SELECT id FROM alerts WHERE student_id = ?`, ids[0])
	a := e.alert(id)
	if a.Level != warning.Red || a.Owner == 0 || a.Owner != counsellor.UserID || a.State != "open" {
		t.Errorf("alert = %+v; want red, open, owned by the school counsellor %d", a, counsellor.UserID)
	}
	if a.AckDue != micro(monday10.Add(15*time.Minute)) || a.ContactDue != micro(monday10.Add(2*time.Hour)) {
		t.Errorf("deadlines ack %d contact %d; want 15 minutes and 2 hours after %v", a.AckDue, a.ContactDue, monday10)
	}
	reason := e.str(`SELECT reason FROM alert_signals WHERE alert_id = ? AND source = 'screening' AND source_id = ?`, id, cid)
	if !strings.Contains(reason, "critical-answer@") || !strings.Contains(reason, "item=phq-a.9") {
		t.Errorf("signal reason %q; want critical-answer and item=phq-a.9", reason)
	}
	jobs := e.deadlineJobs(id)
	if len(jobs) != 1 || jobs[warning.DeadlineArgs{AlertID: id, Seq: 0, Deadline: "ack"}] != "scheduled" {
		t.Errorf("deadline jobs %v; want one scheduled ack timer of seq 0", jobs)
	}
	if n := e.num(`SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = 'alert.raised' AND ref_id = ?`, counsellor.UserID, id); n != 1 {
		t.Errorf("%d alert.raised notifications for the owner, want 1", n)
	}
	if n := e.audits("alert.raise", id, 0); n != 1 {
		t.Errorf("%d alert.raise audit entries, want 1", n)
	}
	if n := e.num(`SELECT COUNT(*) FROM alerts WHERE student_id = ?`, ids[1]); n != 0 {
		t.Errorf("a calm screening raised %d alerts", n)
	}
}

// A critical answer in a draft raises the alert before submission; the
// submission then joins the same alert.
func TestCriticalDraftRaisesAtOnce(t *testing.T) {
	e := newEnv(t)
	e.user("school_counsellor", e.a)
	sc, _, ids, tokens := e.screen("DRF-1")
	if err := sc.SaveDraft(e.ctx, tokens["DRF-1"], screening.Answers{"phq-a": {"9": 2}}); err != nil {
		t.Fatal(err)
	}
	id := e.num(`SELECT id FROM alerts WHERE student_id = ?`, ids[0])
	if a := e.alert(id); a.Level != warning.Red {
		t.Errorf("after a critical draft answer: %+v, want red", a)
	}
	if src := e.str(`SELECT source FROM alert_signals WHERE alert_id = ?`, id); src != "draft" {
		t.Errorf("signal source %q, want draft", src)
	}
	if _, err := submit(sc, tokens["DRF-1"], "k", criticalAnswers); err != nil {
		t.Fatal(err)
	}
	if n := e.num(`SELECT COUNT(*) FROM alerts WHERE student_id = ?`, ids[0]); n != 1 {
		t.Errorf("%d alerts after the submission, want the draft's one", n)
	}
	if n := e.num(`SELECT COUNT(*) FROM alert_signals WHERE alert_id = ?`, id); n != 2 {
		t.Errorf("%d signals, want the draft's and the submission's", n)
	}
}

// A handler that fails undoes the whole submission: no response, no alert,
// no timer. A retry with the same key then records once.
func TestFailingHandlerLeavesNothing(t *testing.T) {
	e := newEnv(t)
	e.user("school_counsellor", e.a)
	sc, _, ids, tokens := e.screen("ATM-1")
	boom := errors.New("handler failed")
	sc.OnScreened = func(ctx context.Context, tx *db.Tx, ev screening.Screened) error {
		if err := e.svc.OnScreened(ctx, tx, ev); err != nil {
			return err
		}
		return boom
	}
	if _, err := submit(sc, tokens["ATM-1"], "k", criticalAnswers); !errors.Is(err, boom) {
		t.Fatalf("Submit with a failing handler = %v, want %v", err, boom)
	}
	for _, q := range []string{
		`SELECT COUNT(*) FROM responses WHERE student_id = ?`,
		`SELECT COUNT(*) FROM alerts WHERE student_id = ?`,
		`SELECT COUNT(*) FROM student_events WHERE student_id = ? AND kind IN ('screened', 'alert')`,
		`SELECT COUNT(*) FROM river_job WHERE kind = 'warning.deadline' AND ? > 0`,
		`SELECT COUNT(*) FROM notifications WHERE ? > 0`,
	} {
		if n := e.num(q, ids[0]); n != 0 {
			t.Errorf("%s: %d rows after a failed submission, want 0", q, n)
		}
	}
	sc.OnScreened = e.svc.OnScreened
	if _, err := submit(sc, tokens["ATM-1"], "k", criticalAnswers); err != nil {
		t.Fatalf("retry: %v", err)
	}
	if n := e.num(`SELECT COUNT(*) FROM alerts WHERE student_id = ?`, ids[0]); n != 1 {
		t.Errorf("%d alerts after the retry, want 1", n)
	}
}

// When early warning itself fails (here: the red level has no deadlines),
// the submission fails with it rather than being recorded without an alert.
func TestRaiseFailureFailsSubmission(t *testing.T) {
	e := newEnv(t)
	e.user("school_counsellor", e.a)
	sc, _, ids, tokens := e.screen("ATM-2")
	if _, err := e.d.Exec(e.ctx, `DELETE FROM alert_deadlines WHERE level = 'red'`); err != nil {
		t.Fatal(err)
	}
	if _, err := submit(sc, tokens["ATM-2"], "k", criticalAnswers); err == nil {
		t.Fatal("Submit succeeded although the alert could not be raised")
	}
	if n := e.num(`SELECT COUNT(*) FROM responses WHERE student_id = ?`, ids[0]); n != 0 {
		t.Errorf("%d responses recorded without their alert", n)
	}
}
