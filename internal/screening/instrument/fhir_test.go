package instrument

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata/fhir")

// TestFHIRGolden compares exports with their golden files: PHQ-9 and GAD-7
// (LOINC panels, unscored items) and C-SSRS (skip logic as enableWhen). Run
// with -update after a deliberate change and review the diff.
func TestFHIRGolden(t *testing.T) {
	for _, id := range []string{"phq-9", "gad-7", "c-ssrs-screen"} {
		inst := mustGet(t, id)
		got, err := ToFHIR(inst)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		path := filepath.Join("testdata", "fhir", id+".json")
		if *update {
			if err := os.WriteFile(path, got, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		want, err := os.ReadFile(path)
		if err != nil {
			t.Fatalf("%v (run go test -update to create it)", err)
		}
		if !bytes.Equal(got, want) {
			t.Errorf("%s: export differs from %s (run go test -update and review the diff)", id, path)
		}
	}
}

func TestFHIRRoundTrip(t *testing.T) {
	for _, id := range shipped {
		inst := mustGet(t, id)
		data, err := ToFHIR(inst)
		if err != nil {
			t.Fatal(err)
		}
		back, err := FromFHIR(data)
		if err != nil {
			t.Fatalf("%s: %v", id, err)
		}
		if !reflect.DeepEqual(back, inst) {
			a, _ := json.Marshal(inst)
			b, _ := json.Marshal(back)
			t.Errorf("%s: round trip differs\n%s\n%s", id, a, b)
		}
	}
}

// TestFHIRStandardFields reads the PHQ-9 export as plain JSON and checks
// the standard elements another FHIR system relies on.
func TestFHIRStandardFields(t *testing.T) {
	data, err := ToFHIR(mustGet(t, "phq-9"))
	if err != nil {
		t.Fatal(err)
	}
	var q map[string]any
	if err := json.Unmarshal(data, &q); err != nil {
		t.Fatal(err)
	}
	get := func(v any, path ...any) any {
		for _, p := range path {
			switch k := p.(type) {
			case string:
				v = v.(map[string]any)[k]
			case int:
				v = v.([]any)[k]
			}
		}
		return v
	}
	for _, tc := range []struct {
		path []any
		want any
	}{
		{[]any{"resourceType"}, "Questionnaire"},
		{[]any{"url"}, "https://careloop.example/fhir/Questionnaire/phq-9"},
		{[]any{"status"}, "active"},
		{[]any{"language"}, "zh-CN"},
		{[]any{"code", 0, "system"}, "http://loinc.org"},
		{[]any{"code", 0, "code"}, "44249-1"},
		{[]any{"item", 8, "linkId"}, "9"},
		{[]any{"item", 8, "type"}, "choice"},
		{[]any{"item", 8, "text"}, "有不如死掉或用某种方式伤害自己的念头"},
		{[]any{"item", 8, "_text", "extension", 0, "url"}, "http://hl7.org/fhir/StructureDefinition/translation"},
		{[]any{"item", 8, "_text", "extension", 0, "extension", 0, "valueCode"}, "en"},
		{[]any{"item", 8, "_text", "extension", 0, "extension", 1, "valueString"}, "Thoughts that you would be better off dead or of hurting yourself in some way"},
		{[]any{"item", 8, "answerOption", 3, "valueCoding", "code"}, "3"},
		{[]any{"item", 8, "answerOption", 3, "valueCoding", "display"}, "几乎每天"},
		{[]any{"item", 8, "answerOption", 3, "extension", 0, "url"}, "http://hl7.org/fhir/StructureDefinition/ordinalValue"},
		{[]any{"item", 8, "answerOption", 3, "extension", 0, "valueDecimal"}, 3.0},
		{[]any{"item", 9, "required"}, false},
	} {
		if got := get(q, tc.path...); got != tc.want {
			t.Errorf("%v = %#v, want %#v", tc.path, got, tc.want)
		}
	}
}

// An English questionnaire made elsewhere, with LOINC answer codes and the
// ordinal on the coding, imports as an import-only instrument.
const foreign = `{"resourceType": "Questionnaire", "id": "demo-2", "status": "draft",
 "title": "Demo", "_title": {"extension": [{"url": "http://hl7.org/fhir/StructureDefinition/translation",
   "extension": [{"url": "lang", "valueCode": "zh-CN"}, {"url": "content", "valueString": "示例"}]}]},
 "extension": [{"url": "http://example.org/other", "valueString": "ignored"}],
 "item": [{"linkId": "intro", "type": "display", "text": "Read this"},
  {"linkId": "g", "type": "group", "item": [
   {"linkId": "/44250-9", "type": "choice", "answerOption": [
    {"valueCoding": {"system": "http://loinc.org", "code": "LA6568-5", "display": "Not at all",
      "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/ordinalValue", "valueDecimal": 0}]}},
    {"valueCoding": {"system": "http://loinc.org", "code": "LA6569-3", "display": "Several days",
      "extension": [{"url": "http://hl7.org/fhir/StructureDefinition/ordinalValue", "valueDecimal": 1.0}]}}]},
   {"linkId": "q2", "type": "choice", "enableWhen": [{"question": "/44250-9", "operator": "=", "answerCoding": {"code": "LA6569-3"}}],
    "answerOption": [{"valueCoding": {"code": "0"}}, {"valueCoding": {"code": "2"}}]}]}]}`

func TestFromFHIRForeign(t *testing.T) {
	inst, err := FromFHIR([]byte(foreign))
	if err != nil {
		t.Fatal(err)
	}
	want := &Instrument{ID: "demo-2", Version: "1", Title: Text{LocaleEN: "Demo", LocaleZH: "示例"}, Licence: ImportOnly,
		Source: "FHIR Questionnaire", Missing: MissingRule{Mode: Refuse},
		Items: []Item{
			{ID: "/44250-9", LinkID: "/44250-9", Options: []Option{{0, Text{LocaleEN: "Not at all"}}, {1, Text{LocaleEN: "Several days"}}}},
			{ID: "q2", LinkID: "q2", Options: []Option{{Value: 0}, {Value: 2}}, EnableWhen: &Condition{Item: "/44250-9", Op: "=", Value: 1}},
		}}
	if !reflect.DeepEqual(inst, want) {
		a, _ := json.Marshal(inst)
		t.Errorf("got %s", a)
	}
}

func TestFromFHIRErrors(t *testing.T) {
	phq, err := ToFHIR(mustGet(t, "phq-9"))
	if err != nil {
		t.Fatal(err)
	}
	edit := func(old, new string, n int) string {
		if !strings.Contains(string(phq), old) {
			t.Fatalf("golden text lacks %q", old)
		}
		return strings.Replace(string(phq), old, new, n)
	}
	for _, tc := range []struct {
		name, data, want string
	}{
		{"not JSON", "{", "bad JSON"},
		{"wrong resourceType", `{"resourceType": "Patient"}`, `resourceType: "Patient" is not Questionnaire`},
		{"no status", `{"resourceType": "Questionnaire", "id": "x"}`, "status: missing"},
		{"missing linkId", edit(`"linkId": "3"`, `"linkId": ""`, 1), "item[2]: missing linkId"},
		{"duplicate linkId", edit(`"linkId": "3"`, `"linkId": "2"`, 1), `item[2]: duplicate linkId "2"`},
		{"choice without options", `{"resourceType": "Questionnaire", "status": "draft", "item": [{"linkId": "a", "type": "choice"}]}`, `choice item "a" without answerOption`},
		{"other type", `{"resourceType": "Questionnaire", "status": "draft", "item": [{"linkId": "a", "type": "string"}]}`, `type "string"`},
		{"non-integer ordinal", edit(`"valueDecimal": 2`, `"valueDecimal": 2.5`, 1), "ordinalValue 2.5 is not an integer score"},
		{"no ordinal", edit(`"url": "http://hl7.org/fhir/StructureDefinition/ordinalValue",
              "valueDecimal": 1
            }
          ],
          "valueCoding": {
            "code": "1"`, `"url": "http://example.org/x"
            }
          ],
          "valueCoding": {
            "code": "one"`, 1), `no ordinalValue, and code "one" is not an integer score`},
		{"critical on unknown item", edit(`"valueString": "9"`, `"valueString": "99"`, 1), `critical rule on unknown item "99"`},
		{"unknown careloop part", edit(`"url": "maxMissing"`, `"url": "maxMising"`, 1), `unknown part "maxMising"`},
		{"bad translation", edit(`"url": "lang",
              "valueCode": "en"`, `"url": "lang"`, 1), "a translation needs lang"},
		{"validation", edit(`"valueInteger": 20`, `"valueInteger": 21`, 1), `gap between "moderately_severe" and "severe"`},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := FromFHIR([]byte(tc.data))
			if err == nil {
				t.Fatal("no error")
			}
			if got := definitionProblems(t, err); !strings.Contains(got, tc.want) {
				t.Errorf("problems:\n%s\nwant one containing %q", got, tc.want)
			}
		})
	}
	data, _ := ToFHIR(mustGet(t, "ces-dc"))
	_, err = FromFHIR([]byte(strings.Replace(string(data), "item-reverse", "item-reversed", 1)))
	if err == nil || !strings.Contains(definitionProblems(t, err), "unknown careloop extension") {
		t.Errorf("unknown careloop extension: %v", err)
	}
}

func TestToFHIRRefusesInvalid(t *testing.T) {
	inst := testInstrument()
	inst.Critical[0].Item = "nope"
	if _, err := ToFHIR(inst); err == nil {
		t.Fatal("exported an invalid definition")
	}
}
