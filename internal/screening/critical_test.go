package screening_test

import (
	"encoding/json"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/screening"
	"github.com/careloop/careloop/internal/screening/instrument"
)

// TestPHQAItem9IsCritical pins the item the other tests answer: PHQ-A's
// item "9" above 0 is a critical rule in phq-a.json.
func TestPHQAItem9IsCritical(t *testing.T) {
	cat, err := instrument.Library()
	if err != nil {
		t.Fatal(err)
	}
	inst, _ := cat.Get("phq-a")
	raw, _ := json.Marshal(inst)
	if hits := instrument.CriticalHits(inst, map[string]int{"9": 1}); len(hits) != 1 || hits[0].Item != "9" {
		t.Fatalf("PHQ-A item 9 = 1 gives critical hits %+v (definition %s)", hits, raw)
	}
	if hits := instrument.CriticalHits(inst, map[string]int{"9": 0}); len(hits) != 0 {
		t.Fatalf("PHQ-A item 9 = 0 gives critical hits %+v", hits)
	}
}

func (e *env) tierOf(sid int64) (string, int) {
	e.t.Helper()
	return e.str(`SELECT tier FROM student_tiers WHERE student_id = ?`, sid),
		e.count(`SELECT critical FROM student_tiers WHERE student_id = ?`, sid)
}

func TestCriticalAnswerInDraftActsAtOnce(t *testing.T) {
	e, cid, sid, token := one(t)
	if err := e.svc.SaveDraft(e.ctx, token, screening.Answers{"phq-a": {"1": 0, "9": 1}}); err != nil {
		t.Fatal(err)
	}
	if tier, crit := e.tierOf(sid); tier != "red" || crit != 1 {
		t.Errorf("after a critical draft answer: tier %s critical %d, want red 1", tier, crit)
	}
	if got := e.tally(sid); got.critical != 1 || got.completed != 0 || got.responses != 0 {
		t.Errorf("after a critical draft answer: %+v, want one critical row and nothing else", got)
	}
	if n := e.count(`SELECT COUNT(*) FROM outbox WHERE kind = 'screening.critical' AND student_id = ? AND ref_id = ?`, sid, cid); n != 1 {
		t.Errorf("critical row does not name the campaign: %d", n)
	}
	if n := e.audits("screening.critical", id(sid)); n != 1 {
		t.Errorf("%d screening.critical audit entries, want 1", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM student_events WHERE student_id = ? AND kind = 'screening_critical'`, sid); n != 1 {
		t.Errorf("%d screening_critical timeline events, want 1", n)
	}
	// Saving again, critical or not, adds nothing.
	for _, a := range []screening.Answers{{"phq-a": {"9": 2}}, {"phq-a": {"2": 1}}, {"gad-7": {"1": 1}}} {
		if err := e.svc.SaveDraft(e.ctx, token, a); err != nil {
			t.Fatal(err)
		}
	}
	if got := e.tally(sid); got.critical != 1 {
		t.Errorf("critical rows after saving again: %d, want 1", got.critical)
	}
	out, err := e.svc.Submit(e.ctx, token, screening.Submission{IdempotencyKey: "k", Answers: critical, Elapsed: patient})
	if err != nil {
		t.Fatal(err)
	}
	if out.Tier != instrument.Red || !out.Critical {
		t.Errorf("Outcome = %+v, want red and critical", out)
	}
	if tier, crit := e.tierOf(sid); tier != "red" || crit != 1 {
		t.Errorf("after submission: tier %s critical %d, want red 1", tier, crit)
	}
	if got := e.tally(sid); got.critical != 1 || got.completed != 1 || got.responses != 2 {
		t.Errorf("after submission: %+v", got)
	}
	if n := e.count(`SELECT critical FROM responses WHERE student_id = ? AND instrument_id = 'phq-a'`, sid); n != 1 {
		t.Errorf("PHQ-A response critical = %d, want 1", n)
	}
	if p := e.str(`SELECT payload FROM outbox WHERE kind = 'screening.completed' AND student_id = ?`, sid); !strings.Contains(p, "critical=true") {
		t.Errorf("completed event payload %q does not say critical", p)
	}
}

func TestCriticalAnswerFirstSeenAtSubmission(t *testing.T) {
	e, _, sid, token := one(t)
	out, err := e.svc.Submit(e.ctx, token, screening.Submission{IdempotencyKey: "k", Answers: critical, Elapsed: patient})
	if err != nil {
		t.Fatal(err)
	}
	if out.Tier != instrument.Red || !out.Critical {
		t.Errorf("Outcome = %+v, want red and critical", out)
	}
	if tier, crit := e.tierOf(sid); tier != "red" || crit != 1 {
		t.Errorf("tier %s critical %d, want red 1", tier, crit)
	}
	if got := e.tally(sid); got.critical != 1 || got.completed != 1 {
		t.Errorf("%+v, want one critical and one completed row", got)
	}
}

func TestNoCriticalAnswerNoCriticalRow(t *testing.T) {
	e, _, sid, token := one(t)
	if err := e.svc.SaveDraft(e.ctx, token, screening.Answers{"phq-a": severe["phq-a"]}); err != nil {
		t.Fatal(err)
	}
	if n := e.tally(sid).tiers; n != 0 {
		t.Errorf("a draft without critical answers set a tier")
	}
	out, err := e.svc.Submit(e.ctx, token, screening.Submission{IdempotencyKey: "k", Answers: severe, Elapsed: patient})
	if err != nil {
		t.Fatal(err)
	}
	if out.Tier != instrument.Red || out.Critical {
		t.Errorf("Outcome = %+v, want red without critical", out)
	}
	if tier, crit := e.tierOf(sid); tier != "red" || crit != 0 {
		t.Errorf("tier %s critical %d, want red 0", tier, crit)
	}
	if n := e.count(`SELECT COUNT(*) FROM outbox WHERE kind = 'screening.critical'`); n != 0 {
		t.Errorf("%d critical rows without a critical answer", n)
	}
}

func TestTooFastIsKeptAndFlagged(t *testing.T) {
	e, _, sid, token := one(t)
	results, tier := expected(t, e.cat, worried)
	out, err := e.svc.Submit(e.ctx, token, screening.Submission{IdempotencyKey: "k", Answers: worried, Elapsed: rushed})
	if err != nil {
		t.Fatalf("a rushed Submit was refused: %v", err)
	}
	if !slices.Contains(out.Flags, instrument.FlagTooFast) || out.Tier != tier {
		t.Errorf("Outcome = %+v, want flag too_fast and tier %s", out, tier)
	}
	for inst, res := range results {
		flags := e.str(`SELECT flags FROM responses WHERE student_id = ? AND instrument_id = ?`, sid, inst)
		total := e.count(`SELECT total FROM responses WHERE student_id = ? AND instrument_id = ?`, sid, inst)
		if !slices.Contains(strings.Fields(flags), instrument.FlagTooFast) || total != res.Total {
			t.Errorf("%s stored flags %q total %d, want too_fast and %d", inst, flags, total, res.Total)
		}
	}
	if got := e.tally(sid); got.responses != 2 || got.completed != 1 || got.submits != 1 {
		t.Errorf("a flagged response was not recorded in full: %+v", got)
	}
	hist, _, err := e.svc.History(e.ctx, e.counsellorA, sid)
	if err != nil || len(hist) != 2 || !strings.Contains(hist[0].Flags, instrument.FlagTooFast) {
		t.Errorf("History shows %+v, %v; want the too_fast flag", hist, err)
	}
}

// TestElapsedDefaultsToTheSitting: a page that sends no Elapsed is timed
// from the opening of the sitting, on the service's clock.
func TestElapsedDefaultsToTheSitting(t *testing.T) {
	e, cid, _, slow := one(t)
	fast := e.open(cid, e.a, "二号")
	e.clk.Set(today.Add(2 * time.Second))
	out, err := e.svc.Submit(e.ctx, fast, screening.Submission{IdempotencyKey: "fast", Answers: calm})
	if err != nil || !slices.Contains(out.Flags, instrument.FlagTooFast) {
		t.Errorf("Submit 2 s after opening = %+v, %v; want too_fast", out, err)
	}
	e.clk.Set(today.Add(12 * time.Minute))
	out, err = e.svc.Submit(e.ctx, slow, screening.Submission{IdempotencyKey: "slow", Answers: calm})
	if err != nil || len(out.Flags) != 0 {
		t.Errorf("Submit 12 min after opening = %+v, %v; want no flags", out, err)
	}
	if n := e.count(`SELECT COUNT(*) FROM responses WHERE idempotency_key = 'slow' AND elapsed_ms > 60000`); n != 2 {
		t.Errorf("%d slow responses store the elapsed time of the sitting, want 2", n)
	}
}
