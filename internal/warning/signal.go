package warning

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/screening"
)

// Signal is one event about a student that the rules judge: a screening,
// a critical answer in a draft, or a concern report.
type Signal struct {
	StudentID int64
	Source    string // screening, draft, concern, contact (what the rules see)
	// Origin is the source written on the alert when it differs from what
	// the rules see: a guardian's concern is a "concern" to the rules and
	// a "guardian_concern" (its report in family_concerns) on the alert.
	Origin   string
	SourceID int64 // the campaign or the concern report
	At       time.Time
	Tier     string
	Scores   map[string]int
	Bands    map[string]string
	Previous map[string]int
	Critical []string
	Flags    []string
	Signs    []string
	Factors  []string // extra factors reported with a concern; the record's own are added
}

// Hit is a rule that fired.
type Hit struct {
	Rule Rule
}

// subject is what the rules and the owner need to know about a student.
type subject struct {
	id         int64
	schoolID   int64
	schoolPath string
	age        int
	factors    []string
}

func loadSubject(ctx context.Context, tx *db.Tx, studentID int64, at time.Time) (*subject, error) {
	su := &subject{id: studentID}
	var birth string
	if err := tx.QueryRow(ctx, `SELECT s.school_id, o.path, s.birth_date FROM students s JOIN org_units o ON o.id = s.school_id WHERE s.id = ?`,
		studentID).Scan(&su.schoolID, &su.schoolPath, &birth); err != nil {
		return nil, notFound(err)
	}
	if b, err := time.Parse("2006-01-02", birth); err == nil {
		su.age = at.Year() - b.Year()
		if at.YearDay() < b.YearDay() {
			su.age--
		}
	}
	rows, err := tx.Query(ctx, `SELECT DISTINCT kind FROM risk_factors WHERE student_id = ? AND ended_at = 0`, studentID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var k string
		if err := rows.Scan(&k); err != nil {
			return nil, err
		}
		su.factors = append(su.factors, k)
	}
	return su, rows.Err()
}

// vars builds the variables of a rule for a signal about su.
func (s *Service) vars(sig Signal, su *subject) map[string]any {
	scores, bands, change := map[string]int64{}, map[string]string{}, map[string]int64{}
	if s.Instruments != nil {
		for _, id := range s.Instruments() {
			scores[id], bands[id], change[id] = 0, "", 0
		}
	}
	for id, v := range sig.Scores {
		scores[id] = int64(v)
		if p, ok := sig.Previous[id]; ok {
			change[id] = int64(v - p)
		}
	}
	for id, b := range sig.Bands {
		bands[id] = b
	}
	factors := union(su.factors, sig.Factors)
	return map[string]any{
		"source": sig.Source, "tier": sig.Tier, "scores": scores, "bands": bands, "change": change,
		"critical": nonNil(sig.Critical), "flags": nonNil(sig.Flags), "factors": factors, "signs": nonNil(sig.Signs),
		"age": int64(su.age),
	}
}

// evaluate runs every rule that applies to su and returns those that fired.
// A rule that fails to run (a bad rule can only fail at run time on a
// value it did not expect) counts as fired: a broken rule must not hide a
// signal.
func (s *Service) evaluate(ctx context.Context, tx *db.Tx, sig Signal, su *subject) ([]Hit, error) {
	rules, err := RulesFor(ctx, tx, su.schoolPath)
	if err != nil {
		return nil, err
	}
	vars := s.vars(sig, su)
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
	return hits, nil
}

// OnScreened is the screening handler: it judges a submission or a
// critical draft answer inside its transaction.
func (s *Service) OnScreened(ctx context.Context, tx *db.Tx, e screening.Screened) error {
	src := "screening"
	if e.Source == "draft" {
		src = "draft"
	}
	_, err := s.Raise(ctx, tx, Signal{StudentID: e.StudentID, Source: src, SourceID: e.CampaignID, At: e.At, Tier: string(e.Tier),
		Scores: e.Scores, Bands: e.Bands, Previous: e.Previous, Critical: e.Critical, Flags: e.Flags})
	return err
}

func nonNil(l []string) []string {
	if l == nil {
		return []string{}
	}
	return l
}

func union(a, b []string) []string {
	seen := map[string]bool{}
	out := []string{}
	for _, l := range [][]string{a, b} {
		for _, v := range l {
			if v = strings.TrimSpace(v); v != "" && !seen[v] {
				seen[v] = true
				out = append(out, v)
			}
		}
	}
	sort.Strings(out)
	return out
}
