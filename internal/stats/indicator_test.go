package stats_test

import (
	"os"
	"regexp"
	"strings"
	"testing"

	"github.com/careloop/careloop/internal/i18n"
	"github.com/careloop/careloop/internal/stats"
)

// The shipped registry is valid, every group and unit has its labels, and
// every ratio's parts exist.
func TestShippedIndicators(t *testing.T) {
	reg, err := stats.Indicators()
	if err != nil {
		t.Fatal(err)
	}
	if len(reg.List) < 30 {
		t.Fatalf("%d indicators", len(reg.List))
	}
	for _, g := range stats.Groups {
		if !i18n.Has("stats.group." + g) {
			t.Errorf("no label for group %s", g)
		}
	}
	names := map[string]string{}
	for _, in := range reg.List {
		for _, n := range in.Name {
			if other, dup := names[n]; dup {
				t.Errorf("%s and %s are both named %q", other, in.ID, n)
			}
			names[n] = in.ID
		}
		if !i18n.Has("stats.unit_kind." + in.Unit) {
			t.Errorf("%s: no label for unit %s", in.ID, in.Unit)
		}
	}
	for _, id := range stats.TrendIndicators {
		if _, ok := reg.Get(id); !ok {
			t.Errorf("trend indicator %s is not in the registry", id)
		}
	}
}

// A registry with a mistake is refused with a message naming it.
func TestIndicatorRegistryRefusesMistakes(t *testing.T) {
	facts := `SELECT 1 AS unit_id, 0 AS at, 0 AS until, 1 AS subject, 1 AS amount, 0 AS grade, '' AS class_name FROM org_units`
	ok := `{"id": "a", "group": "network", "kind": "flow", "agg": "sum", "unit": "count", "name": ["甲", "A"], "definition": ["甲", "A"], "facts": "` + facts + `"}`
	cases := map[string]string{
		"repeated id":      `[` + ok + `, ` + ok + `]`,
		"unknown group":    `[` + strings.Replace(ok, `"network"`, `"sport"`, 1) + `]`,
		"bad kind":         `[` + strings.Replace(ok, `"flow"`, `"level"`, 1) + `]`,
		"bad agg":          `[` + strings.Replace(ok, `"sum"`, `"avg"`, 1) + `]`,
		"no english":       `[` + strings.Replace(ok, `"name": ["甲", "A"]`, `"name": ["甲", ""]`, 1) + `]`,
		"missing column":   `[` + strings.Replace(ok, `0 AS until, `, ``, 1) + `]`,
		"placeholder":      `[` + strings.Replace(ok, `FROM org_units`, `FROM org_units WHERE id = ?`, 1) + `]`,
		"two statements":   `[` + strings.Replace(ok, `FROM org_units`, `FROM org_units; DELETE FROM students`, 1) + `]`,
		"ratio of nothing": `[` + ok + `, {"id": "r", "group": "network", "ratio": ["a", "zz"], "unit": "share", "name": ["乙", "B"], "definition": ["乙", "B"]}]`,
	}
	if _, err := stats.ParseIndicators([]byte(`{"indicators": [` + ok + `]}`)); err != nil {
		t.Fatalf("a good registry is refused: %v", err)
	}
	for name, list := range cases {
		if _, err := stats.ParseIndicators([]byte(`{"indicators": ` + list + `}`)); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
}

// Viewers who may not see identities never read a count of 1 to 4, and
// every number they read is a multiple of 5, so no sum or difference of
// what they read is a hidden count.
func TestShownHidesSmallCounts(t *testing.T) {
	for v := int64(0); v < 1000; v++ {
		exact, hidden := stats.Shown(v, true)
		if exact != v || hidden {
			t.Fatalf("an identity viewer reads %d as %d (hidden %v)", v, exact, hidden)
		}
		got, hidden := stats.Shown(v, false)
		switch {
		case v == 0 && (got != 0 || hidden):
			t.Errorf("0 reads as %d hidden %v", got, hidden)
		case v > 0 && v < 5 && !hidden:
			t.Errorf("%d is not hidden", v)
		case v >= 5 && (hidden || got%5 != 0 || got-v > 2 || v-got > 2):
			t.Errorf("%d reads as %d (hidden %v): want the nearest multiple of 5", v, got, hidden)
		}
	}
}

func TestPeriods(t *testing.T) {
	for _, s := range []string{"2026-11", "2026-Q4", "2026", "2026-01", "2025-Q1"} {
		p, err := stats.ParsePeriod(s)
		if err != nil || p.String() != s {
			t.Errorf("%s: %v %v", s, p, err)
		}
	}
	for _, s := range []string{"", "26", "2026-13", "2026-Q5", "2026-1", "abcd", "2026-Q0", "1999"} {
		if _, err := stats.ParsePeriod(s); err == nil {
			t.Errorf("%q accepted", s)
		}
	}
	q := stats.Quarter(2026, 4)
	if q.Start.Month() != 10 || q.End.Year() != 2027 || q.Prev().String() != "2026-Q3" || stats.Quarter(2026, 1).Prev().String() != "2025-Q4" {
		t.Errorf("quarters: %v %v", q.Start, q.End)
	}
	if got := stats.Month(2026, 1).Prev().String(); got != "2025-12" {
		t.Errorf("the month before January: %s", got)
	}
	// Periods are China Standard Time: 2026-11-30 20:00 UTC is in December there.
	if got := stats.Containing(stats.Month(2026, 12).Start.Add(-0))[0].String(); got != "2026-12" {
		t.Errorf("containing: %s", got)
	}
}

// docs/indicators.md documents every indicator of the registry.
func TestIndicatorsDocumented(t *testing.T) {
	b, err := os.ReadFile("../../docs/indicators.md")
	if err != nil {
		t.Fatal(err)
	}
	reg, err := stats.Indicators()
	if err != nil {
		t.Fatal(err)
	}
	for _, in := range reg.List {
		if !strings.Contains(string(b), "| `"+in.ID+"` |") {
			t.Errorf("docs/indicators.md lacks %s", in.ID)
		}
	}
}

// Every figure the default briefing names exists.
func TestBriefingTemplateNamesKnownFigures(t *testing.T) {
	reg, err := stats.Indicators()
	if err != nil {
		t.Fatal(err)
	}
	secs, err := stats.BriefingSections()
	if err != nil {
		t.Fatal(err)
	}
	ph := regexp.MustCompile(`\{([a-z_]+)\}`)
	for _, s := range secs {
		for _, text := range s.Text {
			for _, m := range ph.FindAllStringSubmatch(text, -1) {
				if _, ok := reg.Get(m[1]); !ok && m[1] != "unit" && m[1] != "period" {
					t.Errorf("section %s names {%s}", s.Key, m[1])
				}
			}
		}
		for _, id := range s.Figures {
			if _, ok := reg.Get(id); !ok {
				t.Errorf("section %s tables %s", s.Key, id)
			}
		}
	}
}
