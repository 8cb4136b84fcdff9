package station

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
)

// Rubric is what a supervisor scores a finished contact against: criteria,
// each scored from Min to Max. It is data (rubric.json, embedded); a
// station may use its own through LoadRubric.
type Rubric struct {
	Version  string      `json:"version"`
	Criteria []Criterion `json:"criteria"`
	Min      int         `json:"min"`
	Max      int         `json:"max"`
}

// Criterion is one line of the rubric, with its labels and a hint of what
// a good score means.
type Criterion struct {
	Code   string `json:"code"`
	ZH     string `json:"zh"`
	EN     string `json:"en"`
	HelpZH string `json:"help_zh"`
	HelpEN string `json:"help_en"`
}

// Label is the criterion's name in locale.
func (c Criterion) Label(locale string) string {
	if strings.HasPrefix(strings.ToLower(locale), "zh") {
		return c.ZH
	}
	return c.EN
}

// Help is the criterion's hint in locale.
func (c Criterion) Help(locale string) string {
	if strings.HasPrefix(strings.ToLower(locale), "zh") {
		return c.HelpZH
	}
	return c.HelpEN
}

//go:embed rubric.json
var rubricJSON []byte

// DefaultRubric returns the rubric shipped with careloop.
func DefaultRubric() *Rubric {
	r, err := LoadRubric(bytes.NewReader(rubricJSON))
	if err != nil {
		panic("station: embedded rubric.json: " + err.Error())
	}
	return r
}

// LoadRubric reads and checks a rubric: a version, at least one criterion,
// codes that are unique lower_snake words without '=' or spaces, both
// labels, and 1 <= Min < Max <= 10.
func LoadRubric(r io.Reader) (*Rubric, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var ru Rubric
	if err := dec.Decode(&ru); err != nil {
		return nil, fmt.Errorf("rubric: invalid JSON: %w", err)
	}
	var errs []error
	if strings.TrimSpace(ru.Version) == "" {
		errs = append(errs, errors.New("rubric: missing version"))
	}
	if len(ru.Criteria) == 0 {
		errs = append(errs, errors.New("rubric: no criteria"))
	}
	if ru.Min < 1 || ru.Max <= ru.Min || ru.Max > 10 {
		errs = append(errs, fmt.Errorf("rubric: scores must run from min >= 1 to max <= 10, got %d..%d", ru.Min, ru.Max))
	}
	seen := map[string]bool{}
	for i, c := range ru.Criteria {
		if !segment(c.Code) {
			errs = append(errs, fmt.Errorf("rubric: criterion %d: code %q is not lower_snake", i, c.Code))
		}
		if seen[c.Code] {
			errs = append(errs, fmt.Errorf("rubric: criterion %d: duplicate code %q", i, c.Code))
		}
		seen[c.Code] = true
		if strings.TrimSpace(c.ZH) == "" || strings.TrimSpace(c.EN) == "" {
			errs = append(errs, fmt.Errorf("rubric: criterion %q: missing zh or en label", c.Code))
		}
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return &ru, nil
}

func segment(code string) bool {
	if code == "" || code[0] < 'a' || code[0] > 'z' {
		return false
	}
	for _, c := range code {
		if (c < 'a' || c > 'z') && (c < '0' || c > '9') && c != '_' {
			return false
		}
	}
	return true
}

// Check validates scores against the rubric: every criterion scored, in
// range, and nothing else. It returns the field problems (keyed
// "score_<code>"), or nil.
func (ru *Rubric) Check(scores map[string]int) map[string]string {
	bad := map[string]string{}
	for _, c := range ru.Criteria {
		v, ok := scores[c.Code]
		switch {
		case !ok:
			bad["score_"+c.Code] = "form.required"
		case v < ru.Min || v > ru.Max:
			bad["score_"+c.Code] = "station.bad_score"
		}
	}
	for code := range scores {
		if !ru.has(code) {
			bad["scores"] = "station.bad_score"
		}
	}
	if len(bad) == 0 {
		return nil
	}
	return bad
}

func (ru *Rubric) has(code string) bool {
	for _, c := range ru.Criteria {
		if c.Code == code {
			return true
		}
	}
	return false
}

// Scale returns the allowed scores, Min to Max.
func (ru *Rubric) Scale() []int {
	var out []int
	for v := ru.Min; v <= ru.Max; v++ {
		out = append(out, v)
	}
	return out
}

// Score is one criterion's score in a review.
type Score struct {
	Code  string
	Value int
}

// encodeScores writes scores in the rubric's order: "rapport=4 ...".
func (ru *Rubric) encodeScores(scores map[string]int) string {
	parts := make([]string, 0, len(ru.Criteria))
	for _, c := range ru.Criteria {
		parts = append(parts, c.Code+"="+strconv.Itoa(scores[c.Code]))
	}
	return strings.Join(parts, " ")
}

// decodeScores reads the stored form; unreadable parts are skipped, so a
// review made under an older rubric still shows what it can.
func decodeScores(s string) []Score {
	var out []Score
	for _, part := range strings.Fields(s) {
		code, v, ok := strings.Cut(part, "=")
		n, err := strconv.Atoi(v)
		if ok && err == nil {
			out = append(out, Score{Code: code, Value: n})
		}
	}
	return out
}

func (s *Service) rubric() *Rubric {
	if s.Rubric != nil {
		return s.Rubric
	}
	return defaultRubric
}

var defaultRubric = DefaultRubric()
