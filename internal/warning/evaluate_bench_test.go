package warning

import (
	"context"
	"testing"

	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/screening/instrument"
	"github.com/careloop/careloop/internal/testutil"
)

// benchSignal is an orange screening of a student with a risk factor that
// fires five of the default rules.
var benchSignal = Signal{StudentID: 1, Source: "screening", Tier: "orange",
	Scores:   map[string]int{"phq-a": 16, "gad-7": 11},
	Bands:    map[string]string{"phq-a": "moderately_severe", "gad-7": "moderate"},
	Previous: map[string]int{"phq-a": 9, "gad-7": 10}}

func benchService(b *testing.B) *Service {
	cat, err := instrument.Library()
	if err != nil {
		b.Fatal(err)
	}
	var ids []string
	for _, in := range cat.All() {
		ids = append(ids, in.ID)
	}
	return &Service{Instruments: func() []string { return ids }}
}

// BenchmarkEvaluate judges one signal with the whole default rule set, as
// evaluate does once the rules are read: the variables, the cached program
// of each rule, and its run.
func BenchmarkEvaluate(b *testing.B) {
	s := benchService(b)
	rules, err := DefaultRules()
	if err != nil {
		b.Fatal(err)
	}
	for i := range rules {
		rules[i].ID, rules[i].Version = int64(i+1), 1
	}
	su := &subject{id: 1, age: 13, factors: []string{"left_behind"}}
	b.ReportAllocs()
	for b.Loop() {
		vars := s.vars(benchSignal, su)
		var hits []Hit
		for _, r := range rules {
			prg, err := s.program(&r)
			fired := err != nil
			if err == nil {
				ok, err := evalBool(prg, vars)
				fired = ok || err != nil
			}
			if fired {
				hits = append(hits, Hit{Rule: r})
			}
		}
		if level, _ := reason(hits); len(hits) != 5 || level != Orange {
			b.Fatalf("%d hits at %s, want 5 at orange", len(hits), level)
		}
	}
}

// BenchmarkEvaluateWithRules adds reading the rules that apply to the
// student's school (RulesFor), as Raise does in every submission.
func BenchmarkEvaluateWithRules(b *testing.B) {
	ctx := context.Background()
	d := testutil.DB(b)
	s := benchService(b)
	s.DB = d
	log, err := audit.New("sha256", nil)
	if err != nil {
		b.Fatal(err)
	}
	city, err := (&org.Service{DB: d, Audit: log}).CreateRoot(ctx, "江海市", "Jianghai")
	if err != nil {
		b.Fatal(err)
	}
	if err := s.InstallDefaults(ctx, city.ID); err != nil {
		b.Fatal(err)
	}
	su := &subject{id: 1, schoolPath: city.Path, age: 13, factors: []string{"left_behind"}}
	b.ReportAllocs()
	for b.Loop() {
		var hits []Hit
		err := d.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
			var err error
			hits, err = s.evaluate(ctx, tx, benchSignal, su)
			return err
		})
		if err != nil || len(hits) != 5 {
			b.Fatalf("%d hits, %v", len(hits), err)
		}
	}
}
