package instrument

import (
	"slices"
)

// Result is the score of one response. It is a screening signal, never a
// diagnosis (see Disclaimer).
type Result struct {
	Instrument string
	Version    string
	// Total is the score of the total scale; 0 and Band nil when the
	// instrument has none. For C-SSRS it is the risk level reached (0–3).
	Total         int
	Subscales     map[string]int // subscale id -> score
	Band          *Band          // the band of the total, if bands cover it
	SubscaleBands map[string]Band
	Critical      []CriticalHit
	Missing       []string // ids of unanswered scored items, when prorated
	Prorated      bool
}

// CriticalHit is an answer that satisfied a critical rule.
type CriticalHit struct {
	Item  string
	Value int // the raw answer
	Rule  CriticalRule
}

// Score scores answers (item id -> raw option value) exactly as the
// instrument's definition says:
//
//   - an answer to an unknown item, a value that is not one of the item's
//     option values, or an answer to an item the skip logic did not ask is
//     refused with an *AnswerError;
//   - reverse-scored items count min+max-raw (for 0-based options, max-raw);
//   - unanswered scored items are refused with a *MissingError (which still
//     carries the critical answers), unless the rule is "prorate" and at
//     most MaxMissing are missing: the total is then
//     round-half-up(sum × expected ÷ answered) and Prorated is set;
//   - unscored items may be left unanswered.
//
// Errors are EInvalid *apperr.Error values; use errors.As for the details.
func Score(inst *Instrument, answers map[string]int) (*Result, error) {
	if err := checkAnswers(inst, answers); err != nil {
		return nil, err
	}
	critical := CriticalHits(inst, answers)
	var missing []string
	var scored []*Item // enabled scored items
	for i := range inst.Items {
		it := &inst.Items[i]
		if it.Unscored || !it.enabled(answers) {
			continue
		}
		scored = append(scored, it)
		if _, ok := answers[it.ID]; !ok {
			missing = append(missing, it.ID)
		}
	}
	r := &Result{Instrument: inst.ID, Version: inst.Version, Critical: critical}
	if len(missing) > 0 {
		if inst.Missing.Mode != Prorate || len(missing) > inst.Missing.MaxMissing {
			fields := map[string]string{}
			for _, id := range missing {
				fields[id] = "screening.unanswered"
			}
			return nil, invalid(&MissingError{Instrument: inst.ID, Items: missing, Critical: critical}, fields)
		}
		r.Missing, r.Prorated = missing, true
	}
	if inst.Total != nil {
		r.Total = combine(inst.Total.Method, scored, nil, answers)
		if r.Prorated {
			// Validation allows prorating only for a summed total.
			answered := len(scored) - len(missing)
			r.Total = (2*r.Total*len(scored) + answered) / (2 * answered)
		}
		r.Band = findBand(inst, "", r.Total)
	}
	if len(inst.Subscales) > 0 {
		r.Subscales = map[string]int{}
		for _, s := range inst.Subscales {
			v := combine(s.Method, scored, &s.ID, answers)
			r.Subscales[s.ID] = v
			if b := findBand(inst, s.ID, v); b != nil {
				if r.SubscaleBands == nil {
					r.SubscaleBands = map[string]Band{}
				}
				r.SubscaleBands[s.ID] = *b
			}
		}
	}
	return r, nil
}

// combine sums, or takes the maximum of, the scored values of the answered
// items (restricted to one subscale when sub is not nil).
func combine(method string, items []*Item, sub *string, answers map[string]int) int {
	total, first := 0, true
	for _, it := range items {
		if sub != nil && !slices.Contains(it.Subscales, *sub) {
			continue
		}
		raw, ok := answers[it.ID]
		if !ok {
			continue
		}
		v := it.scored(raw)
		switch {
		case method == MethodSum:
			total += v
		case first || v > total:
			total = v
		}
		first = false
	}
	return total
}

func findBand(inst *Instrument, scale string, v int) *Band {
	for i := range inst.Bands {
		b := inst.Bands[i]
		if b.Scale == scale && b.Min <= v && v <= b.Max {
			return &b
		}
	}
	return nil
}

// checkAnswers refuses unknown items, values that are not options, and
// answers to items the skip logic did not ask. The first problem in item
// order (unknown items first, by id) is reported.
func checkAnswers(inst *Instrument, answers map[string]int) error {
	var unknown []string
	for id := range answers {
		if _, ok := inst.Item(id); !ok {
			unknown = append(unknown, id)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return answerError(inst, unknown[0], answers[unknown[0]], UnknownItem)
	}
	for i := range inst.Items {
		it := &inst.Items[i]
		v, ok := answers[it.ID]
		switch {
		case !ok:
		case !it.HasOption(v):
			return answerError(inst, it.ID, v, NotAnOption)
		case !it.enabled(answers):
			return answerError(inst, it.ID, v, SkippedItem)
		}
	}
	return nil
}

func answerError(inst *Instrument, item string, v int, problem string) error {
	return invalid(&AnswerError{Instrument: inst.ID, Item: item, Value: v, Problem: problem},
		map[string]string{item: "screening." + problem})
}

// CriticalHits returns the answers that satisfy the instrument's critical
// rules, in rule order. It needs no complete response: a critical answer
// must reach a counsellor even when the response cannot be scored. Values
// that are not options of their item are ignored.
func CriticalHits(inst *Instrument, answers map[string]int) []CriticalHit {
	var hits []CriticalHit
	for _, r := range inst.Critical {
		v, ok := answers[r.Item]
		it, known := inst.Item(r.Item)
		if ok && known && it.HasOption(v) && holds(r.Op, v, r.Value) {
			hits = append(hits, CriticalHit{Item: r.Item, Value: v, Rule: r})
		}
	}
	return hits
}
