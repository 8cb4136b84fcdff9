package instrument

import (
	"strings"
	"testing"
	"testing/fstest"

	"github.com/careloop/careloop/internal/apperr"
)

// testInstrument returns a small valid definition to break in tests.
func testInstrument() *Instrument {
	opts := func() []Option {
		var o []Option
		for v := 0; v <= 3; v++ {
			o = append(o, Option{Value: v, Label: Text{LocaleZH: "选项", LocaleEN: "option"}})
		}
		return o
	}
	item := func(id string, subs ...string) Item {
		return Item{ID: id, LinkID: id, Text: Text{LocaleZH: "题目" + id, LocaleEN: "item " + id}, Options: opts(), Subscales: subs}
	}
	label := Text{LocaleZH: "标签", LocaleEN: "label"}
	return &Instrument{
		ID: "test-1", Version: "1", Title: Text{LocaleZH: "测试", LocaleEN: "Test"}, Licence: Ship, Source: "test",
		Items:     []Item{item("a", "s"), item("b", "s"), item("c"), item("d")},
		Subscales: []Subscale{{ID: "s", Title: label, Method: MethodSum}},
		Total:     &Scale{Method: MethodSum},
		Bands: []Band{
			{Key: "low", Min: 0, Max: 5, Tier: Green, Label: label},
			{Key: "high", Min: 6, Max: 12, Tier: Red, Label: label},
			{Scale: "s", Key: "low", Min: 0, Max: 3, Tier: Green, Label: label},
			{Scale: "s", Key: "high", Min: 4, Max: 6, Tier: Yellow, Label: label},
		},
		Critical: []CriticalRule{{Item: "d", Op: ">", Value: 0}},
		Missing:  MissingRule{Mode: Refuse},
	}
}

func TestValidateFindsEachProblem(t *testing.T) {
	if err := Validate(testInstrument()); err != nil {
		t.Fatalf("the test definition is valid: %v", err)
	}
	for _, tc := range []struct {
		name   string
		break_ func(*Instrument)
		want   string
	}{
		{"bad id", func(i *Instrument) { i.ID = "PHQ 9" }, `id: "PHQ 9" is not an id`},
		{"licence", func(i *Instrument) { i.Licence = "free" }, `"free" is not one of ship`},
		{"duplicate item", func(i *Instrument) { i.Items[1].ID = "a"; i.Items[1].LinkID = "b" }, "item a: duplicate item id, also items[0]"},
		{"duplicate linkId", func(i *Instrument) { i.Items[2].LinkID = "a" }, `duplicate link_id "a"`},
		{"negative option", func(i *Instrument) { i.Items[0].Options[0].Value = -1 }, "value -1 is outside the range"},
		{"duplicate option", func(i *Instrument) { i.Items[0].Options[1].Value = 0 }, "item a.options: duplicate value 0"},
		{"one option", func(i *Instrument) { i.Items[0].Options = i.Items[0].Options[:1] }, "at least two answer options"},
		{"band gap", func(i *Instrument) { i.Bands[1].Min = 7 }, `gap between "low" and "high": scores 6–6 have no band`},
		{"band overlap", func(i *Instrument) { i.Bands[1].Min = 5 }, `"low" and "high" overlap at 5–5`},
		{"band short", func(i *Instrument) { i.Bands[1].Max = 11 }, "end at 11, but the highest possible score is 12"},
		{"band start", func(i *Instrument) { i.Bands[0].Min = 1 }, "start at 1, but the lowest possible score is 0"},
		{"subscale band gap", func(i *Instrument) { i.Bands[3].Min = 5 }, `bands of subscale s: gap between "low" and "high"`},
		{"band unknown subscale", func(i *Instrument) { i.Bands[3].Scale = "x" }, `unknown subscale "x"`},
		{"band tier", func(i *Instrument) { i.Bands[0].Tier = "blue" }, `tier "blue"`},
		{"band label", func(i *Instrument) { delete(i.Bands[0].Label, LocaleEN) }, "bands[0].label: missing en text"},
		{"critical unknown item", func(i *Instrument) { i.Critical[0].Item = "z" }, `critical rule on unknown item "z"`},
		{"critical out of range", func(i *Instrument) { i.Critical[0].Value = 4 }, "value 4 is outside the option range 0–3"},
		{"critical never fires", func(i *Instrument) { i.Critical[0].Op = ">"; i.Critical[0].Value = 3 }, "can satisfy > 3"},
		{"critical operator", func(i *Instrument) { i.Critical[0].Op = "=>" }, `operator "=>"`},
		{"missing zh text", func(i *Instrument) { delete(i.Items[2].Text, LocaleZH) }, "item c.text: missing zh-CN text"},
		{"missing en label", func(i *Instrument) { delete(i.Items[3].Options[2].Label, LocaleEN) }, "item d.options[2].label: missing en text"},
		{"missing title", func(i *Instrument) { i.Title = Text{LocaleEN: "Test"} }, "title: missing zh-CN text"},
		{"unknown subscale", func(i *Instrument) { i.Items[2].Subscales = []string{"t"} }, `unknown subscale "t"`},
		{"empty subscale", func(i *Instrument) { i.Items[0].Subscales, i.Items[1].Subscales = nil, nil }, `subscale "s" has no items`},
		{"unscored reverse", func(i *Instrument) { i.Items[2].Unscored, i.Items[2].Reverse = true, true }, "cannot be reverse-scored"},
		{"enable_when later", func(i *Instrument) { i.Items[0].EnableWhen = &Condition{Item: "b", Op: "=", Value: 1} }, `refers to "b", which is not an earlier item`},
		{"enable_when value", func(i *Instrument) { i.Items[1].EnableWhen = &Condition{Item: "a", Op: "=", Value: 9} }, "value 9 is not an option of item a"},
		{"validity value", func(i *Instrument) { i.Items[2].Validity = &Validity{Expected: []int{7}} }, "expected value 7 is not an option"},
		{"prorate with subscales", func(i *Instrument) { i.Missing = MissingRule{Mode: Prorate, MaxMissing: 1} }, "prorating subscales is not defined"},
		{"prorate too many", func(i *Instrument) {
			i.Subscales, i.Bands = nil, i.Bands[:2]
			i.Items[0].Subscales, i.Items[1].Subscales = nil, nil
			i.Missing = MissingRule{Mode: Prorate, MaxMissing: 4}
		}, "prorating needs 1 to 3"},
		{"missing mode", func(i *Instrument) { i.Missing.Mode = "" }, `"" is not refuse or prorate`},
		{"no total", func(i *Instrument) { i.Total = nil }, "a band on the total, but the instrument has no total"},
		{"age", func(i *Instrument) { i.AgeMin, i.AgeMax = 12, 9 }, "age range 12–9"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inst := testInstrument()
			tc.break_(inst)
			err := Validate(inst)
			if err == nil {
				t.Fatal("no error")
			}
			if got := definitionProblems(t, err); !strings.Contains(got, tc.want) {
				t.Errorf("problems:\n%s\nwant one containing %q", got, tc.want)
			}
		})
	}
}

// A licensed instrument imported by its licensee may carry no item text.
func TestImportOnlyNeedsNoItemText(t *testing.T) {
	inst := testInstrument()
	inst.Licence = ImportOnly
	for i := range inst.Items {
		inst.Items[i].Text = nil
		for j := range inst.Items[i].Options {
			inst.Items[i].Options[j].Label = nil
		}
	}
	if err := Validate(inst); err != nil {
		t.Fatal(err)
	}
	inst.Licence = Ship
	if err := Validate(inst); err == nil {
		t.Fatal("a shipped instrument needs its texts")
	}
}

const goodFile = `{"id": "x-1", "version": "1", "title": {"zh-CN": "甲", "en": "A"}, "licence": "scores-only",
 "source": "test", "age_min": 10, "age_max": 0,
 "options": [{"value": 0}, {"value": 1}],
 "items": [{"id": "1"}, {"id": "2"}],
 "total": {}, "missing": {"mode": "refuse"}, "min_seconds_per_item": 1}`

func TestLoad(t *testing.T) {
	c, err := Load(fstest.MapFS{"x.json": {Data: []byte(goodFile)}, "notes.txt": {Data: []byte("ignored")}})
	if err != nil {
		t.Fatal(err)
	}
	inst, ok := c.Get("x-1")
	if !ok || len(inst.Items) != 2 || len(inst.Items[1].Options) != 2 || inst.Total.Method != MethodSum || inst.Items[0].LinkID != "1" {
		t.Fatalf("defaults not filled: %+v", inst)
	}
	for _, tc := range []struct {
		name  string
		files fstest.MapFS
		want  string
	}{
		{"duplicate id", fstest.MapFS{"a.json": {Data: []byte(goodFile)}, "b.json": {Data: []byte(goodFile)}}, `duplicate instrument id "x-1", also defined in a.json`},
		{"unknown field", fstest.MapFS{"a.json": {Data: []byte(strings.Replace(goodFile, `"total"`, `"totl"`, 1))}}, `unknown field "totl"`},
		{"bad JSON", fstest.MapFS{"a.json": {Data: []byte(goodFile[:40])}}, "bad JSON"},
		{"two values", fstest.MapFS{"a.json": {Data: []byte(goodFile + "{}")}}, "more than one value"},
		{"invalid", fstest.MapFS{"a.json": {Data: []byte(strings.Replace(goodFile, `"id": "2"`, `"id": "1"`, 1))}}, "a.json: item 1: duplicate item id"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(tc.files)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("error %v, want %q", err, tc.want)
			}
			if apperr.CodeOf(err) != apperr.EInvalid {
				t.Errorf("code %s", apperr.CodeOf(err))
			}
		})
	}
}
