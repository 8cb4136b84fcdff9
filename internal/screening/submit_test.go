package screening_test

import (
	"bytes"
	"context"
	"reflect"
	"testing"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/screening"
)

// one returns a campaign (rule none) over school A with one 13-year-old,
// the student's id and an open sitting.
func one(t *testing.T) (e *env, cid, sid int64, token string) {
	e = newEnv(t)
	ids := e.seed(kid("A0001", "李小明", e.a, 7, "1班", age13), kid("A0002", "二号", e.a, 7, "1班", age13))
	cid = e.create(e.coordX, campaign(e.x, screening.ConsentNone, screening.Target{SchoolID: e.a.ID}))
	return e, cid, ids["A0001"], e.open(cid, e.a, "李小明")
}

func (e *env) draft(token string) screening.Answers {
	e.t.Helper()
	st, err := e.svc.Sitting(e.ctx, token)
	if err != nil {
		e.t.Fatalf("Sitting: %v", err)
	}
	return st.Draft
}

func TestDraftResumesAfterAClosedTab(t *testing.T) {
	e, cid, sid, token := one(t)
	st, err := e.svc.Sitting(e.ctx, token)
	if err != nil || len(st.Battery) != 2 || st.Battery[0].ID != "phq-a" || st.Battery[1].ID != "gad-7" ||
		st.GivenName != "小明" || st.Completed || len(st.Draft) != 0 {
		t.Fatalf("fresh Sitting = %+v, %v", st, err)
	}
	steps := []screening.Answers{
		{"phq-a": {"1": 1, "2": 2}},
		{"phq-a": {"2": 3, "3": 1}, "gad-7": {"1": 2}},
		// Dropped: unknown item, value not an option, instrument not in the battery.
		{"phq-a": {"99": 1, "4": 7, "5": -1}, "scared-c": {"1": 1}, "phq-9": {"1": 1}, "gad-7": {"2": 0, "8": 9}},
	}
	for _, a := range steps {
		if err := e.svc.SaveDraft(e.ctx, token, a); err != nil {
			t.Fatalf("SaveDraft(%v): %v", a, err)
		}
	}
	want := screening.Answers{"phq-a": {"1": 1, "2": 3, "3": 1}, "gad-7": {"1": 2, "2": 0}}
	if got := e.draft(token); !reflect.DeepEqual(got, want) {
		t.Errorf("draft = %v, want %v", got, want)
	}
	// The tab closes; a new page load with the same token, and a new sitting
	// by class link, both see the answers so far.
	if got := e.draft(token); !reflect.DeepEqual(got, want) {
		t.Errorf("draft on reload = %v, want %v", got, want)
	}
	again, err := e.svc.OpenWithNumber(e.ctx, cid, "A0001", age13)
	if err != nil {
		t.Fatal(err)
	}
	if got := e.draft(again); !reflect.DeepEqual(got, want) {
		t.Errorf("draft in a new sitting = %v, want %v", got, want)
	}
	// Drafts are sealed at rest.
	var sealed []byte
	if err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT answers FROM response_drafts WHERE student_id = ?`, sid).Scan(&sealed)
	}); err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(sealed, []byte("phq-a")) || bytes.Contains(sealed, []byte(`"1":`)) {
		t.Errorf("draft stored in plaintext: %q", sealed)
	}
	// Another student's sitting does not see this draft.
	if other := e.draft(e.open(cid, e.a, "二号")); len(other) != 0 {
		t.Errorf("another student's sitting sees %v", other)
	}
	if n := e.count(`SELECT COUNT(*) FROM outbox`); n != 0 {
		t.Errorf("drafts without critical answers wrote %d outbox rows", n)
	}
}

// tally counts what a submission writes for a student.
type tally struct{ responses, screened, completed, critical, submits, drafts, tiers int }

func (e *env) tally(sid int64) tally {
	return tally{
		responses: e.count(`SELECT COUNT(*) FROM responses WHERE student_id = ?`, sid),
		screened:  e.count(`SELECT COUNT(*) FROM student_events WHERE student_id = ? AND kind = 'screened'`, sid),
		completed: e.count(`SELECT COUNT(*) FROM outbox WHERE kind = 'screening.completed' AND student_id = ?`, sid),
		critical:  e.count(`SELECT COUNT(*) FROM outbox WHERE kind = 'screening.critical' AND student_id = ?`, sid),
		submits:   e.audits("screening.submit", id(sid)),
		drafts:    e.count(`SELECT COUNT(*) FROM response_drafts WHERE student_id = ?`, sid),
		tiers:     e.count(`SELECT COUNT(*) FROM student_tiers WHERE student_id = ?`, sid),
	}
}

func TestSubmitRecordsTheBatteryOnce(t *testing.T) {
	e, cid, sid, token := one(t)
	if err := e.svc.SaveDraft(e.ctx, token, screening.Answers{"phq-a": worried["phq-a"]}); err != nil {
		t.Fatal(err)
	}
	results, tier := expected(t, e.cat, worried)
	out, err := e.svc.Submit(e.ctx, token, screening.Submission{IdempotencyKey: "key-1",
		Answers: screening.Answers{"gad-7": worried["gad-7"]}, Elapsed: patient})
	if err != nil {
		t.Fatalf("Submit: %v", err)
	}
	if out.Tier != tier || out.Critical || out.Duplicate || len(out.Flags) != 0 {
		t.Errorf("Outcome = %+v, want tier %s, no flags", out, tier)
	}
	for inst, res := range results {
		var total, crit int
		var band, rtier, flags, key string
		var sealed []byte
		err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
			return tx.QueryRow(ctx, `SELECT total, band, tier, critical, flags, idempotency_key, answers FROM responses
				WHERE campaign_id = ? AND student_id = ? AND instrument_id = ?`, cid, sid, inst).
				Scan(&total, &band, &rtier, &crit, &flags, &key, &sealed)
		})
		if err != nil {
			t.Errorf("response %s: %v", inst, err)
			continue
		}
		if total != res.Total || band != res.Band.Key || rtier != string(res.Band.Tier) || crit != 0 || flags != "" || key != "key-1" {
			t.Errorf("%s stored total %d band %s tier %s critical %d flags %q key %q; want %d %s %s",
				inst, total, band, rtier, crit, flags, key, res.Total, res.Band.Key, res.Band.Tier)
		}
		if bytes.Contains(sealed, []byte(`"1":`)) {
			t.Errorf("%s answers stored in plaintext", inst)
		}
	}
	want := tally{responses: 2, screened: 1, completed: 1, submits: 1, tiers: 1}
	if got := e.tally(sid); got != want {
		t.Errorf("after Submit: %+v, want %+v", got, want)
	}
	if s := e.str(`SELECT state FROM campaign_students WHERE student_id = ?`, sid); s != screening.Completed {
		t.Errorf("state %q, want completed", s)
	}
	if got := e.str(`SELECT tier FROM student_tiers WHERE student_id = ?`, sid); got != string(tier) {
		t.Errorf("student_tiers.tier %q, want %s", got, tier)
	}
	if st, err := e.svc.Sitting(e.ctx, token); err != nil || !st.Completed {
		t.Errorf("Sitting after Submit = %+v, %v", st, err)
	}

	// A retry with the same key is harmless; another key is refused.
	again, err := e.svc.Submit(e.ctx, token, screening.Submission{IdempotencyKey: "key-1", Answers: calm, Elapsed: patient})
	if err != nil || !again.Duplicate {
		t.Errorf("retry with the same key = %+v, %v; want Duplicate", again, err)
	}
	_, err = e.svc.Submit(e.ctx, token, screening.Submission{IdempotencyKey: "key-2", Answers: calm, Elapsed: patient})
	wantCode(t, "second submission with a new key", err, apperr.EConflict)
	if err := e.svc.SaveDraft(e.ctx, token, calm); err != nil {
		t.Errorf("SaveDraft after completion: %v", err)
	}
	if got := e.tally(sid); got != want {
		t.Errorf("after retries: %+v, want %+v", got, want)
	}
	if got := e.str(`SELECT tier FROM student_tiers WHERE student_id = ?`, sid); got != string(tier) {
		t.Errorf("a retry changed the tier to %s", got)
	}
	_, err = e.svc.Submit(e.ctx, token, screening.Submission{IdempotencyKey: "  ", Answers: calm, Elapsed: patient})
	wantCode(t, "blank idempotency key", err, apperr.EInvalid)
}

func TestSubmitWithMissingAnswersWritesNothing(t *testing.T) {
	e, _, sid, token := one(t)
	if err := e.svc.SaveDraft(e.ctx, token, screening.Answers{"phq-a": calm["phq-a"]}); err != nil {
		t.Fatal(err)
	}
	before := e.tally(sid)
	draft := e.draft(token)
	gad := map[string]int{"1": 0, "2": 1, "3": 9, "4": 0, "5": 0, "6": 0} // item 3 not an option, item 7 missing
	_, err := e.svc.Submit(e.ctx, token, screening.Submission{IdempotencyKey: "k", Answers: screening.Answers{"gad-7": gad}, Elapsed: patient})
	wantCode(t, "Submit with GAD-7 incomplete", err, apperr.EInvalid)
	if f := apperr.FieldsOf(err); f["gad-7"] == "" || f["phq-a"] != "" {
		t.Errorf("fields %v, want gad-7 only", f)
	}
	if got := e.tally(sid); got != before || got.responses != 0 || got.drafts != 1 {
		t.Errorf("refused Submit wrote: %+v, before %+v", got, before)
	}
	if n := e.count(`SELECT COUNT(*) FROM outbox`); n != 0 {
		t.Errorf("refused Submit wrote %d outbox rows", n)
	}
	if s := e.str(`SELECT state FROM campaign_students WHERE student_id = ?`, sid); s != screening.Started {
		t.Errorf("state %q after a refused Submit, want started", s)
	}
	if got := e.draft(token); !reflect.DeepEqual(got, draft) {
		t.Errorf("draft changed by a refused Submit: %v, want %v", got, draft)
	}
	// The same key then works with the missing answers given.
	out, err := e.svc.Submit(e.ctx, token, screening.Submission{IdempotencyKey: "k", Answers: calm, Elapsed: patient})
	if err != nil || out.Duplicate || out.Tier != "green" {
		t.Errorf("Submit after completing = %+v, %v", out, err)
	}
	if got := e.tally(sid); got.responses != 2 || got.completed != 1 || got.drafts != 0 {
		t.Errorf("after the complete Submit: %+v", got)
	}
}

// TestIdempotencyKeysBelongToOneStudent: two children whose pages happen to
// send the same key are two submissions, not one.
func TestIdempotencyKeysBelongToOneStudent(t *testing.T) {
	e, cid, sid, token := one(t)
	other := e.open(cid, e.a, "二号")
	if _, err := e.svc.Submit(e.ctx, token, screening.Submission{IdempotencyKey: "submit-1", Answers: calm, Elapsed: patient}); err != nil {
		t.Fatal(err)
	}
	out, err := e.svc.Submit(e.ctx, other, screening.Submission{IdempotencyKey: "submit-1", Answers: worried, Elapsed: patient})
	if err != nil || out.Duplicate {
		t.Errorf("second student's Submit with the first student's key = %+v, %v", out, err)
	}
	if n := e.count(`SELECT COUNT(*) FROM responses WHERE student_id <> ?`, sid); n != 2 {
		t.Errorf("second student has %d responses, want 2", n)
	}
}
