package screening_test

import (
	"fmt"
	"sync"
	"testing"

	"github.com/careloop/careloop/internal/screening"
	"github.com/careloop/careloop/internal/student"
)

// together runs fn(0..n-1) in n goroutines released at once and returns
// their errors.
func together(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			errs[i] = fn(i)
		}()
	}
	close(start)
	wg.Wait()
	return errs
}

func TestConcurrentSubmissionsOfDifferentStudents(t *testing.T) {
	e := newEnv(t)
	const n = 20
	kids := make([]string, n)
	roster := make([]student.RosterRow, 0, n)
	for i := 0; i < n; i++ {
		kids[i] = fmt.Sprintf("学生%02d", i)
		roster = append(roster, kid(fmt.Sprintf("C%04d", i), kids[i], e.a, 7+i%3, fmt.Sprintf("%d班", 1+i%2), age14))
	}
	e.seed(roster...)
	cid := e.create(e.coordX, campaign(e.x, screening.ConsentNone, screening.Target{SchoolID: e.a.ID}))
	codes := e.codes(cid, e.a)
	tokens := make([]string, n)
	for i, name := range kids {
		tok, err := e.svc.OpenWithCode(e.ctx, codes[name])
		if err != nil {
			t.Fatalf("open %s: %v", name, err)
		}
		tokens[i] = tok
	}
	batteries := []screening.Answers{calm, worried, severe, critical, mildOnly}
	outs := make([]*screening.Outcome, n)
	errs := together(n, func(i int) error {
		var err error
		outs[i], err = e.svc.Submit(e.ctx, tokens[i], screening.Submission{IdempotencyKey: fmt.Sprintf("key-%d", i),
			Answers: batteries[i%len(batteries)], Elapsed: patient})
		return err
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("Submit %d: %v", i, err)
		} else if _, tier := expected(t, e.cat, batteries[i%len(batteries)]); outs[i].Tier != tier || outs[i].Duplicate {
			t.Errorf("Submit %d: %+v, want tier %s", i, outs[i], tier)
		}
	}
	checks := []struct {
		what string
		q    string
		want int
	}{
		{"responses", `SELECT COUNT(*) FROM responses WHERE campaign_id = ?`, 2 * n},
		{"completed events", `SELECT COUNT(*) FROM outbox WHERE kind = 'screening.completed' AND ref_id = ?`, n},
		{"critical events", `SELECT COUNT(*) FROM outbox WHERE kind = 'screening.critical' AND ref_id = ?`, n / len(batteries)},
		{"completed students", `SELECT COUNT(*) FROM campaign_students WHERE state = 'completed' AND campaign_id = ?`, n},
		{"tiers", `SELECT COUNT(*) FROM student_tiers WHERE campaign_id = ?`, n},
		{"submit audits", `SELECT COUNT(*) FROM audit_log WHERE action = 'screening.submit' AND detail LIKE '%' || ? || ' %'`, n},
	}
	for _, c := range checks {
		arg := any(cid)
		if c.what == "submit audits" {
			arg = "campaign=" + id(cid)
		}
		if got := e.count(c.q, arg); got != c.want {
			t.Errorf("%s: %d, want %d", c.what, got, c.want)
		}
	}
}

// TestDoubleClickIsHarmless: the same submission sent several times at once
// (a double click, a retry racing the first try) records once, and every
// copy gets an answer that is not an error.
func TestDoubleClickIsHarmless(t *testing.T) {
	e, _, sid, token := one(t)
	outs := make([]*screening.Outcome, 6)
	errs := together(len(outs), func(i int) error {
		var err error
		outs[i], err = e.svc.Submit(e.ctx, token, screening.Submission{IdempotencyKey: "same", Answers: worried, Elapsed: patient})
		return err
	})
	first := 0
	for i, err := range errs {
		if err != nil {
			t.Errorf("copy %d: %v", i, err)
		} else if !outs[i].Duplicate {
			first++
		}
	}
	if first != 1 {
		t.Errorf("%d copies recorded as new, want 1", first)
	}
	if got := e.tally(sid); got.responses != 2 || got.completed != 1 || got.submits != 1 {
		t.Errorf("after a double click: %+v", got)
	}
}

// TestConcurrentCriticalDraftsRaiseOneEvent: two tabs autosaving the same
// critical answer at once still write one screening.critical row.
func TestConcurrentCriticalDraftsRaiseOneEvent(t *testing.T) {
	e, cid, sid, token := one(t)
	second, err := e.svc.OpenWithNumber(e.ctx, cid, "A0001", age13)
	if err != nil {
		t.Fatal(err)
	}
	errs := together(8, func(i int) error {
		tok := []string{token, second}[i%2]
		return e.svc.SaveDraft(e.ctx, tok, screening.Answers{"phq-a": {"9": 1 + i%3}})
	})
	for i, err := range errs {
		if err != nil {
			t.Errorf("SaveDraft %d: %v", i, err)
		}
	}
	if got := e.tally(sid); got.critical != 1 {
		t.Errorf("%d screening.critical rows after concurrent saves, want 1", got.critical)
	}
	if n := e.audits("screening.critical", id(sid)); n != 1 {
		t.Errorf("%d screening.critical audit entries, want 1", n)
	}
}
