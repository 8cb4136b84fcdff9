package stats

import (
	_ "embed"

	"encoding/json"
	"fmt"
	"github.com/careloop/careloop/internal/access"
	"slices"
	"strings"
)

//go:embed indicators.json
var indicatorsJSON []byte

// Indicator is one named, documented figure. A counted indicator has a
// facts query and an aggregation; a ratio divides two others.
type Indicator struct {
	ID         string    `json:"id"`
	Group      string    `json:"group"`
	Kind       string    `json:"kind"` // flow: facts in the period; stock: facts standing at its end
	Agg        string    `json:"agg"`  // sum: the amounts; people: distinct subjects
	Unit       string    `json:"unit"` // person, person_time, count, share, minutes, days
	Name       [2]string `json:"name"`
	Definition [2]string `json:"definition"`
	Facts      string    `json:"facts"`
	Ratio      []string  `json:"ratio"`
	// Parts are indicators counting disjoint parts of this one (the
	// hotline's channels): a reader can add them up, so small counts are
	// protected across them too.
	Parts []string `json:"parts"`
	Tier  string   `json:"tier"`
	// Records is the list page of the records behind the figure and the
	// permission it needs: [path, permission].
	Records []string `json:"records"`
}

// Groups orders the dashboard's sections.
var Groups = []string{"screening", "warning", "care", "hotline", "crisis", "referral", "workforce", "training", "outreach", "network"}

// Label returns the indicator's name in locale.
func (in Indicator) Label(locale string) string {
	if locale == "en" {
		return in.Name[1]
	}
	return in.Name[0]
}

// Explain returns the indicator's definition in locale.
func (in Indicator) Explain(locale string) string {
	if locale == "en" {
		return in.Definition[1]
	}
	return in.Definition[0]
}

// Counted reports whether the indicator is a count of people or things
// (hidden when small), as opposed to a ratio, minutes or days.
func (in Indicator) Counted() bool {
	return in.Ratio == nil && (in.Unit == "person" || in.Unit == "person_time" || in.Unit == "count")
}

// OpenGroups count institutions, staff and public events, not children:
// their figures read exactly to every reader, as the seed's briefing
// publishes them (schools, counselling rooms, certified counsellors,
// training sessions, activities).
var OpenGroups = []string{"workforce", "training", "outreach", "network"}

// Protected reports whether the indicator counts children or their
// contacts: a reader without record access reads it rounded, with small
// counts hidden and protected against every combination of figures.
func (in Indicator) Protected() bool {
	return in.Counted() && !slices.Contains(OpenGroups, in.Group)
}

// Registry is the indicators by id, in the file's order.
type Registry struct {
	List []Indicator
	byID map[string]int
}

// Get returns an indicator by id.
func (r *Registry) Get(id string) (Indicator, bool) {
	i, ok := r.byID[id]
	if !ok {
		return Indicator{}, false
	}
	return r.List[i], true
}

// Counted lists the indicators with a facts query.
func (r *Registry) Counted() []Indicator {
	var out []Indicator
	for _, in := range r.List {
		if in.Ratio == nil {
			out = append(out, in)
		}
	}
	return out
}

func knownPerm(p string) bool {
	return slices.Contains(access.AllPermissions(), access.Permission(p))
}

// Indicators reads and checks the embedded registry.
func Indicators() (*Registry, error) { return ParseIndicators(indicatorsJSON) }

// ParseIndicators reads and checks a registry: unique ids, known kinds,
// aggregations, units and groups, a facts query of the right shape or a
// ratio of two counted indicators.
func ParseIndicators(b []byte) (*Registry, error) {
	var doc struct {
		Indicators []Indicator `json:"indicators"`
	}
	if err := json.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("indicators: %w", err)
	}
	r := &Registry{List: doc.Indicators, byID: map[string]int{}}
	for i, in := range r.List {
		if _, dup := r.byID[in.ID]; in.ID == "" || dup {
			return nil, fmt.Errorf("indicator %d: missing or repeated id %q", i, in.ID)
		}
		r.byID[in.ID] = i
		if !slices.Contains(Groups, in.Group) {
			return nil, fmt.Errorf("indicator %s: unknown group %q", in.ID, in.Group)
		}
		if in.Name[0] == "" || in.Name[1] == "" || in.Definition[0] == "" || in.Definition[1] == "" {
			return nil, fmt.Errorf("indicator %s: needs a name and a definition in Chinese and English", in.ID)
		}
		if !slices.Contains([]string{"person", "person_time", "count", "share", "minutes", "days", "hours"}, in.Unit) {
			return nil, fmt.Errorf("indicator %s: unknown unit %q", in.ID, in.Unit)
		}
		if in.Records != nil && (len(in.Records) != 2 || !strings.HasPrefix(in.Records[0], "/") || !knownPerm(in.Records[1])) {
			return nil, fmt.Errorf("indicator %s: records must be [\"/path\", \"permission\"]", in.ID)
		}
		if in.Ratio != nil {
			if len(in.Ratio) != 2 || in.Facts != "" {
				return nil, fmt.Errorf("indicator %s: a ratio names two indicators and has no facts", in.ID)
			}
			continue
		}
		if in.Kind != "flow" && in.Kind != "stock" {
			return nil, fmt.Errorf("indicator %s: kind must be flow or stock", in.ID)
		}
		if in.Agg != "sum" && in.Agg != "people" {
			return nil, fmt.Errorf("indicator %s: agg must be sum or people", in.ID)
		}
		q := strings.ToLower(in.Facts)
		for _, col := range []string{" as unit_id", " as at", " as until", " as subject", " as amount", " as grade", " as class_name"} {
			if !strings.Contains(q, col) {
				return nil, fmt.Errorf("indicator %s: the facts query lacks%s", in.ID, col)
			}
		}
		if !strings.HasPrefix(q, "select ") || strings.Contains(q, ";") || strings.Contains(q, "?") {
			return nil, fmt.Errorf("indicator %s: the facts query must be one SELECT without placeholders", in.ID)
		}
	}
	for _, in := range r.List {
		for _, part := range in.Parts {
			j, ok := r.byID[part]
			if !ok || !r.List[j].Counted() || !in.Counted() || r.List[j].Kind != in.Kind || part == in.ID {
				return nil, fmt.Errorf("indicator %s: part %q must be another counted indicator of the same kind", in.ID, part)
			}
		}
		for _, part := range in.Ratio {
			j, ok := r.byID[part]
			if !ok || r.List[j].Ratio != nil {
				return nil, fmt.Errorf("indicator %s: ratio of unknown or derived indicator %q", in.ID, part)
			}
		}
	}
	return r, nil
}
