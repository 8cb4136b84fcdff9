package taxonomy

import (
	"slices"
	"strings"
	"testing"
)

func walk(tax []Category, f func(c Category, parent string), parent string) {
	for _, c := range tax {
		f(c, parent)
		walk(c.Children, f, c.Code)
	}
}

func TestDefaultLoads(t *testing.T) {
	tax, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	walk(tax, func(c Category, parent string) {
		if seen[c.Code] {
			t.Errorf("duplicate code %q", c.Code)
		}
		seen[c.Code] = true
		if strings.TrimSpace(c.ZH) == "" || strings.TrimSpace(c.EN) == "" {
			t.Errorf("%q: missing label (zh %q, en %q)", c.Code, c.ZH, c.EN)
		}
		if parent != "" && !strings.HasPrefix(c.Code, parent+".") {
			t.Errorf("%q: not prefixed by parent %q", c.Code, parent)
		}
		if parent == "" && strings.Contains(c.Code, ".") {
			t.Errorf("top-level code %q contains a dot", c.Code)
		}
	}, "")
	// The brief's required categories and sub-categories.
	for _, code := range []string{
		"family", "school", "school.academic_pressure", "school.bullying", "peer",
		"abuse", "abuse.physical", "abuse.sexual", "abuse.emotional", "abuse.neglect",
		"abuse.domestic_violence", "abuse.online",
		"mental_health", "mental_health.anxiety", "mental_health.depression",
		"mental_health.eating", "mental_health.sleep", "mental_health.other",
		"suicide", "suicide.thoughts", "suicide.attempt", "suicide.self_harm",
		"sexuality", "physical_health", "legal", "substance", "exploitation",
		"discrimination", "internet", "basic_needs", "basic_needs.homelessness",
		"basic_needs.poverty", "information", "other",
	} {
		if !seen[code] {
			t.Errorf("default taxonomy lacks %q", code)
		}
	}
	// Fresh copy per call.
	tax[0].EN = "changed"
	again, _ := Default()
	if again[0].EN == "changed" {
		t.Error("Default shares its slice between calls")
	}
}

func TestValidAndLabel(t *testing.T) {
	tax, err := Default()
	if err != nil {
		t.Fatal(err)
	}
	bad := Valid(tax, []string{"school", "school.bullying", "school.nope", "", "bullying", "school.bullying.x"})
	if want := []string{"school.nope", "", "bullying", "school.bullying.x"}; !slices.Equal(bad, want) {
		t.Errorf("Valid = %q, want %q", bad, want)
	}
	if bad := Valid(tax, []string{"other", "suicide.self_harm"}); bad != nil {
		t.Errorf("Valid = %q, want nil", bad)
	}
	for _, tc := range []struct{ code, lang, want string }{
		{"school.bullying", "zh", "校园欺凌"},
		{"school.bullying", "zh-CN", "校园欺凌"},
		{"school.bullying", "en", "Bullying at school"},
		{"school.bullying", "", "Bullying at school"},
		{"suicide", "ZH-Hans", "自杀与自伤"},
		{"retired.code", "zh", "retired.code"},
	} {
		if got := Label(tax, tc.code, tc.lang); got != tc.want {
			t.Errorf("Label(%q, %q) = %q, want %q", tc.code, tc.lang, got, tc.want)
		}
	}
}

func TestLoadCustom(t *testing.T) {
	good := `[{"code":"family","zh":"家庭","en":"Family","children":[
		{"code":"family.conflict","zh":"冲突","en":"Conflict","children":[
			{"code":"family.conflict.parents","zh":"父母","en":"Parents"}]}]},
		{"code":"other","zh":"其他","en":"Other"}]`
	tax, err := Load(strings.NewReader(good))
	if err != nil {
		t.Fatal(err)
	}
	if got := Label(tax, "family.conflict.parents", "zh"); got != "父母" {
		t.Errorf("deep label = %q", got)
	}

	for _, tc := range []struct{ name, json, want string }{
		{"not json", `{`, "invalid JSON"},
		{"object not array", `{"code":"a"}`, "invalid JSON"},
		{"unknown field", `[{"code":"a","zh":"甲","en":"A","label":"x"}]`, `unknown field "label"`},
		{"trailing data", `[{"code":"a","zh":"甲","en":"A"}] []`, "data after"},
		{"empty", `[]`, "no categories"},
		{"null", `null`, "no categories"},
		{"missing code", `[{"zh":"甲","en":"A"}]`, "node categories[0]: missing code"},
		{"bad code", `[{"code":"Family","zh":"家","en":"F"}]`, `node categories[0] "Family": code must be lower_snake`},
		{"dot in top code", `[{"code":"a.b","zh":"家","en":"F"}]`, `"a.b": code must be lower_snake`},
		{"space in code", `[{"code":"a b","zh":"家","en":"F"}]`, `"a b": code must be lower_snake`},
		{"duplicate top", `[{"code":"a","zh":"甲","en":"A"},{"code":"a","zh":"乙","en":"B"}]`,
			`node categories[1] "a": duplicate code (first used at categories[0])`},
		{"missing zh", `[{"code":"a","en":"A"}]`, `node categories[0] "a": missing zh label`},
		{"blank en", `[{"code":"a","zh":"甲","en":"  "}]`, `node categories[0] "a": missing en label`},
		{"child without prefix", `[{"code":"a","zh":"甲","en":"A","children":[{"code":"b","zh":"乙","en":"B"}]}]`,
			`node categories[0].children[0] "b": child code must start with its parent's code "a."`},
		{"child of other parent", `[{"code":"a","zh":"甲","en":"A"},{"code":"b","zh":"乙","en":"B","children":[{"code":"a.x","zh":"丙","en":"C"}]}]`,
			`node categories[1].children[0] "a.x": child code must start with its parent's code "b."`},
		{"child skips a level", `[{"code":"a","zh":"甲","en":"A","children":[{"code":"a.b.c","zh":"乙","en":"B"}]}]`,
			`"a.b.c": child code must be "a." followed by one lower_snake part`},
		{"child empty part", `[{"code":"a","zh":"甲","en":"A","children":[{"code":"a.","zh":"乙","en":"B"}]}]`,
			`"a.": child code must be "a." followed by one lower_snake part`},
		{"duplicate child", `[{"code":"a","zh":"甲","en":"A","children":[{"code":"a.x","zh":"乙","en":"B"},{"code":"a.x","zh":"丙","en":"C"}]}]`,
			`node categories[0].children[1] "a.x": duplicate code (first used at categories[0].children[0])`},
		{"child missing label", `[{"code":"a","zh":"甲","en":"A","children":[{"code":"a.x","zh":"乙"}]}]`,
			`node categories[0].children[0] "a.x": missing en label`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tax, err := Load(strings.NewReader(tc.json))
			if err == nil {
				t.Fatalf("Load succeeded: %+v", tax)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q\ndoes not contain %q", err, tc.want)
			}
		})
	}
}

func TestLoadReportsEveryProblem(t *testing.T) {
	_, err := Load(strings.NewReader(`[{"code":"a","zh":"","en":""},{"code":"B","zh":"乙","en":"B"}]`))
	if err == nil {
		t.Fatal("Load succeeded")
	}
	for _, want := range []string{`"a": missing zh label`, `"a": missing en label`, `"B": code must be lower_snake`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q\nlacks %q", err, want)
		}
	}
}
