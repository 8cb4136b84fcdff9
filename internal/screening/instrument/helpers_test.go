package instrument

import (
	"errors"
	"slices"
	"strings"
	"testing"

	"github.com/careloop/careloop/internal/apperr"
)

// shipped is the library as it must be: a test of its own, independent of
// the JSON files, so that a file that goes missing fails here.
var shipped = []string{"c-ssrs-screen", "ces-dc", "gad-7", "k6", "phq-9", "phq-a", "scared-c"}

func mustGet(t *testing.T, id string) *Instrument {
	t.Helper()
	c, err := Library()
	if err != nil {
		t.Fatalf("Library: %v", err)
	}
	inst, ok := c.Get(id)
	if !ok {
		t.Fatalf("instrument %q not in the library", id)
	}
	return inst
}

// withScores answers the scored items listed in ids (all scored items when
// ids is nil) so that their scored values add up to total, filling items in
// order; every other scored item gets the raw answer that scores 0.
func withScores(t *testing.T, inst *Instrument, ids []string, total int) map[string]int {
	t.Helper()
	answers := map[string]int{}
	left := total
	for i := range inst.Items {
		it := &inst.Items[i]
		if it.Unscored {
			continue
		}
		lo, hi := it.span()
		s := lo
		if ids == nil || slices.Contains(ids, it.ID) {
			s = min(hi, lo+left)
			left -= s - lo
		}
		raw := s
		if it.Reverse {
			raw = lo + hi - s
		}
		if !it.HasOption(raw) {
			t.Fatalf("%s item %s: no option scores %d", inst.ID, it.ID, s)
		}
		answers[it.ID] = raw
	}
	if left != 0 {
		t.Fatalf("%s: cannot reach %d with items %v", inst.ID, total, ids)
	}
	return answers
}

func mustScore(t *testing.T, inst *Instrument, answers map[string]int) *Result {
	t.Helper()
	r, err := Score(inst, answers)
	if err != nil {
		t.Fatalf("Score(%s, %v): %v", inst.ID, answers, err)
	}
	return r
}

// checkTotal scores answers and compares total, band key and tier.
func checkTotal(t *testing.T, inst *Instrument, answers map[string]int, total int, key string, tier Tier) {
	t.Helper()
	r := mustScore(t, inst, answers)
	if r.Total != total {
		t.Errorf("%s: total %d, want %d", inst.ID, r.Total, total)
	}
	if r.Band == nil || r.Band.Key != key || r.Band.Tier != tier {
		t.Errorf("%s total %d: band %+v, want %s/%s", inst.ID, total, r.Band, key, tier)
	}
}

func answerProblem(t *testing.T, err error) *AnswerError {
	t.Helper()
	var ae *AnswerError
	if !errors.As(err, &ae) {
		t.Fatalf("want *AnswerError, got %v", err)
	}
	if apperr.CodeOf(err) != apperr.EInvalid {
		t.Errorf("code %s, want invalid", apperr.CodeOf(err))
	}
	return ae
}

func missingProblem(t *testing.T, err error) *MissingError {
	t.Helper()
	var me *MissingError
	if !errors.As(err, &me) {
		t.Fatalf("want *MissingError, got %v", err)
	}
	return me
}

// definitionProblems returns the problems of a *DefinitionError as text.
func definitionProblems(t *testing.T, err error) string {
	t.Helper()
	var de *DefinitionError
	if !errors.As(err, &de) {
		t.Fatalf("want *DefinitionError, got %v", err)
	}
	if apperr.CodeOf(err) != apperr.EInvalid {
		t.Errorf("code %s, want invalid", apperr.CodeOf(err))
	}
	var parts []string
	for _, p := range de.Problems {
		parts = append(parts, p.String())
	}
	return strings.Join(parts, "\n")
}

func without(answers map[string]int, ids ...string) map[string]int {
	out := map[string]int{}
	for k, v := range answers {
		if !slices.Contains(ids, k) {
			out[k] = v
		}
	}
	return out
}

func with(answers map[string]int, kv ...any) map[string]int {
	out := without(answers)
	for i := 0; i < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1].(int)
	}
	return out
}
