package main

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"fmt"
	mrand "math/rand/v2"

	"github.com/careloop/careloop/internal/screening"
	"github.com/careloop/careloop/internal/screening/instrument"
)

// Shares of students whose answers take the critical path (PHQ-A item 9
// above 0), and of submissions sent twice with the same idempotency key
// (a double click), which must be recorded once.
const (
	criticalShare = 0.03
	retryShare    = 0.01
)

// job is one student's sitting: the code from the slip and the body of the
// whole-battery submission, built before the clock starts.
type job struct {
	Code     string
	Body     []byte
	Critical bool // the answers hit a critical rule
	Retry    bool // send the same submission again after it is recorded
}

// submission is the JSON body of POST /s/answers.
type submission struct {
	IdempotencyKey string            `json:"idempotency_key"`
	Answers        screening.Answers `json:"answers"`
}

// makeJobs builds a full, valid, random PHQ-A + GAD-7 answer set per code,
// from the instrument definitions themselves (every item, valid options).
func makeJobs(codes []string, rng *mrand.Rand) ([]job, error) {
	catalog, err := instrument.Library()
	if err != nil {
		return nil, err
	}
	var insts []*instrument.Instrument
	for _, id := range battery {
		inst, ok := catalog.Get(id)
		if !ok {
			return nil, fmt.Errorf("instrument %s missing from the library", id)
		}
		insts = append(insts, inst)
	}
	jobs := make([]job, len(codes))
	for i, code := range codes {
		critical := rng.Float64() < criticalShare
		sub := submission{IdempotencyKey: newKey(), Answers: screening.Answers{}}
		for _, inst := range insts {
			a := map[string]int{}
			for _, it := range inst.Items {
				a[it.ID] = pick(it.Options, rng)
			}
			calm(inst, a)
			if critical && inst.ID == "phq-a" {
				a["9"] = 1 + rng.IntN(3) // thoughts of being better off dead or of self-harm
			}
			sub.Answers[inst.ID] = a
		}
		body, err := json.Marshal(sub)
		if err != nil {
			return nil, err
		}
		jobs[i] = job{Code: code, Body: body, Critical: critical, Retry: rng.Float64() < retryShare}
	}
	return jobs, nil
}

// pick draws an option value, skewed to the first (lowest) options as in a
// school population: half the answers are the first option.
func pick(opts []instrument.Option, rng *mrand.Rand) int {
	if rng.IntN(2) == 0 {
		return opts[0].Value
	}
	return opts[rng.IntN(len(opts))].Value
}

// calm changes answers that hit a critical rule to an option that does not.
func calm(inst *instrument.Instrument, a map[string]int) {
	for _, hit := range instrument.CriticalHits(inst, a) {
		it, ok := inst.Item(hit.Item)
		if !ok {
			continue
		}
		for _, o := range it.Options {
			a[hit.Item] = o.Value
			if !hits(inst, a, hit.Item) {
				break
			}
		}
	}
}

func hits(inst *instrument.Instrument, a map[string]int, item string) bool {
	for _, h := range instrument.CriticalHits(inst, a) {
		if h.Item == item {
			return true
		}
	}
	return false
}

func newKey() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	return hex.EncodeToString(b[:])
}
