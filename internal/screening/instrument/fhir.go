package instrument

import (
	"bytes"
	"encoding/json"
	"maps"
	"slices"
	"strconv"
	"strings"
)

// FHIR URLs. careloop's own scoring rides in extensions under ExtBase; each
// is described in docs/instruments.md.
const (
	FHIRBase           = "https://careloop.example/fhir/"
	ExtBase            = FHIRBase + "StructureDefinition/"
	QuestionnaireBase  = FHIRBase + "Questionnaire/"
	IdentifierSystem   = FHIRBase + "instrument"
	LOINCSystem        = "http://loinc.org"
	ExtTranslation     = "http://hl7.org/fhir/StructureDefinition/translation"
	ExtOrdinalValue    = "http://hl7.org/fhir/StructureDefinition/ordinalValue"
	extItemWeight      = "http://hl7.org/fhir/StructureDefinition/itemWeight" // R5/SDC name, read only
	extLicence         = ExtBase + "instrument-licence"
	extSource          = ExtBase + "instrument-source"
	extAgeMin          = ExtBase + "instrument-age-min"
	extAgeMax          = ExtBase + "instrument-age-max"
	extMinSeconds      = ExtBase + "instrument-min-seconds-per-item"
	extMissing         = ExtBase + "instrument-missing-rule"
	extTotal           = ExtBase + "instrument-total"
	extSubscale        = ExtBase + "instrument-subscale"
	extBand            = ExtBase + "instrument-band"
	extCritical        = ExtBase + "instrument-critical"
	extItemID          = ExtBase + "item-id"
	extItemReverse     = ExtBase + "item-reverse"
	extItemSubscale    = ExtBase + "item-subscale"
	extItemUnscored    = ExtBase + "item-unscored"
	extItemValidity    = ExtBase + "item-validity"
	fhirResourceType   = "Questionnaire"
	fhirChoice         = "choice"
	fhirBaseLanguage   = LocaleZH // the language of text; others are translations
	fhirDefaultImportL = LocaleEN // assumed when an imported resource names none
)

type fhirQuestionnaire struct {
	ResourceType string           `json:"resourceType"`
	ID           string           `json:"id,omitempty"`
	Language     string           `json:"language,omitempty"`
	Extension    []fhirExtension  `json:"extension,omitempty"`
	URL          string           `json:"url,omitempty"`
	Identifier   []fhirIdentifier `json:"identifier,omitempty"`
	Version      string           `json:"version,omitempty"`
	Name         string           `json:"name,omitempty"`
	Title        string           `json:"title,omitempty"`
	TitleX       *fhirElement     `json:"_title,omitempty"`
	Status       string           `json:"status"`
	SubjectType  []string         `json:"subjectType,omitempty"`
	Description  string           `json:"description,omitempty"`
	DescriptionX *fhirElement     `json:"_description,omitempty"`
	Copyright    string           `json:"copyright,omitempty"`
	Code         []fhirCoding     `json:"code,omitempty"`
	Item         []fhirItem       `json:"item,omitempty"`
}

type fhirIdentifier struct {
	System string `json:"system,omitempty"`
	Value  string `json:"value,omitempty"`
}

// fhirElement holds the extensions of a primitive ("_text").
type fhirElement struct {
	Extension []fhirExtension `json:"extension,omitempty"`
}

type fhirExtension struct {
	URL          string          `json:"url"`
	Extension    []fhirExtension `json:"extension,omitempty"`
	ValueString  *string         `json:"valueString,omitempty"`
	ValueCode    *string         `json:"valueCode,omitempty"`
	ValueInteger *int            `json:"valueInteger,omitempty"`
	ValueDecimal *json.Number    `json:"valueDecimal,omitempty"`
	ValueBoolean *bool           `json:"valueBoolean,omitempty"`
}

type fhirCoding struct {
	Extension []fhirExtension `json:"extension,omitempty"`
	System    string          `json:"system,omitempty"`
	Code      string          `json:"code,omitempty"`
	Display   string          `json:"display,omitempty"`
	DisplayX  *fhirElement    `json:"_display,omitempty"`
}

type fhirItem struct {
	Extension    []fhirExtension    `json:"extension,omitempty"`
	LinkID       string             `json:"linkId"`
	Text         string             `json:"text,omitempty"`
	TextX        *fhirElement       `json:"_text,omitempty"`
	Type         string             `json:"type"`
	EnableWhen   []fhirEnableWhen   `json:"enableWhen,omitempty"`
	Required     *bool              `json:"required,omitempty"`
	AnswerOption []fhirAnswerOption `json:"answerOption,omitempty"`
	Item         []fhirItem         `json:"item,omitempty"`
}

type fhirEnableWhen struct {
	Question     string      `json:"question"`
	Operator     string      `json:"operator"`
	AnswerCoding *fhirCoding `json:"answerCoding,omitempty"`
}

type fhirAnswerOption struct {
	Extension   []fhirExtension `json:"extension,omitempty"`
	ValueCoding *fhirCoding     `json:"valueCoding,omitempty"`
}

func ptr[T any](v T) *T { return &v }

func decimal(f float64) *json.Number {
	return ptr(json.Number(strconv.FormatFloat(f, 'f', -1, 64)))
}

// localized splits t into the base-language string and the translation
// extensions of the other locales, sorted by locale.
func localized(t Text) (string, *fhirElement) {
	var exts []fhirExtension
	for _, l := range slices.Sorted(maps.Keys(t)) {
		if l != fhirBaseLanguage {
			exts = append(exts, fhirExtension{URL: ExtTranslation, Extension: []fhirExtension{
				{URL: "lang", ValueCode: ptr(l)}, {URL: "content", ValueString: ptr(t[l])}}})
		}
	}
	if exts == nil {
		return t[fhirBaseLanguage], nil
	}
	return t[fhirBaseLanguage], &fhirElement{Extension: exts}
}

// textParts encodes t inside a complex extension: one part named name per
// locale, each with "lang" and "content".
func textParts(name string, t Text) []fhirExtension {
	var out []fhirExtension
	for _, l := range slices.Sorted(maps.Keys(t)) {
		out = append(out, fhirExtension{URL: name, Extension: []fhirExtension{
			{URL: "lang", ValueCode: ptr(l)}, {URL: "content", ValueString: ptr(t[l])}}})
	}
	return out
}

// fhirName makes a computer-friendly Questionnaire.name from an id.
func fhirName(id string) string {
	name := strings.Map(func(r rune) rune {
		if r >= 'a' && r <= 'z' {
			return r - 'a' + 'A'
		}
		if r >= '0' && r <= '9' {
			return r
		}
		return '_'
	}, id)
	if name == "" || name[0] < 'A' || name[0] > 'Z' {
		name = "I" + name
	}
	return name
}

// ToFHIR exports a valid instrument as a FHIR R4 Questionnaire (JSON).
// Text is in zh-CN (Questionnaire.language) with English and any other
// locale as translation extensions; scores are ordinalValue extensions on
// the answer options; careloop's scoring rules are extensions under ExtBase.
func ToFHIR(inst *Instrument) ([]byte, error) {
	if err := Validate(inst); err != nil {
		return nil, err
	}
	q := fhirQuestionnaire{
		ResourceType: fhirResourceType, ID: inst.ID, Language: fhirBaseLanguage,
		Extension: instrumentExtensions(inst),
		URL:       QuestionnaireBase + inst.ID, Identifier: []fhirIdentifier{{System: IdentifierSystem, Value: inst.ID}},
		Version: inst.Version, Name: fhirName(inst.ID), Status: "active", SubjectType: []string{"Patient"},
		Copyright: inst.Copyright,
	}
	q.Title, q.TitleX = localized(inst.Title)
	q.Description, q.DescriptionX = localized(inst.Instructions)
	if inst.LOINC != "" {
		q.Code = []fhirCoding{{System: LOINCSystem, Code: inst.LOINC}}
	}
	links := map[string]string{}
	for _, it := range inst.Items {
		links[it.ID] = it.LinkID
	}
	for _, it := range inst.Items {
		q.Item = append(q.Item, toFHIRItem(it, links))
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetEscapeHTML(false)
	enc.SetIndent("", "  ")
	if err := enc.Encode(q); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

func instrumentExtensions(inst *Instrument) []fhirExtension {
	ext := []fhirExtension{
		{URL: extLicence, ValueCode: ptr(string(inst.Licence))},
		{URL: extSource, ValueString: ptr(inst.Source)},
	}
	if inst.AgeMin != 0 {
		ext = append(ext, fhirExtension{URL: extAgeMin, ValueInteger: ptr(inst.AgeMin)})
	}
	if inst.AgeMax != 0 {
		ext = append(ext, fhirExtension{URL: extAgeMax, ValueInteger: ptr(inst.AgeMax)})
	}
	if inst.MinSeconds != 0 {
		ext = append(ext, fhirExtension{URL: extMinSeconds, ValueDecimal: decimal(inst.MinSeconds)})
	}
	missing := fhirExtension{URL: extMissing, Extension: []fhirExtension{{URL: "mode", ValueCode: ptr(inst.Missing.Mode)}}}
	if inst.Missing.MaxMissing != 0 {
		missing.Extension = append(missing.Extension, fhirExtension{URL: "maxMissing", ValueInteger: ptr(inst.Missing.MaxMissing)})
	}
	ext = append(ext, missing)
	if inst.Total != nil {
		ext = append(ext, fhirExtension{URL: extTotal, Extension: []fhirExtension{{URL: "method", ValueCode: ptr(inst.Total.Method)}}})
	}
	for _, s := range inst.Subscales {
		parts := []fhirExtension{{URL: "id", ValueCode: ptr(s.ID)}, {URL: "method", ValueCode: ptr(s.Method)}}
		ext = append(ext, fhirExtension{URL: extSubscale, Extension: append(parts, textParts("title", s.Title)...)})
	}
	for _, b := range inst.Bands {
		var parts []fhirExtension
		if b.Scale != "" {
			parts = append(parts, fhirExtension{URL: "scale", ValueCode: ptr(b.Scale)})
		}
		parts = append(parts,
			fhirExtension{URL: "key", ValueCode: ptr(b.Key)},
			fhirExtension{URL: "min", ValueInteger: ptr(b.Min)},
			fhirExtension{URL: "max", ValueInteger: ptr(b.Max)},
			fhirExtension{URL: "tier", ValueCode: ptr(string(b.Tier))})
		ext = append(ext, fhirExtension{URL: extBand, Extension: append(parts, textParts("label", b.Label)...)})
	}
	links := map[string]string{}
	for _, it := range inst.Items {
		links[it.ID] = it.LinkID
	}
	for _, r := range inst.Critical {
		ext = append(ext, fhirExtension{URL: extCritical, Extension: []fhirExtension{
			{URL: "item", ValueString: ptr(links[r.Item])},
			{URL: "operator", ValueCode: ptr(r.Op)},
			{URL: "value", ValueInteger: ptr(r.Value)}}})
	}
	return ext
}

func toFHIRItem(it Item, links map[string]string) fhirItem {
	fi := fhirItem{LinkID: it.LinkID, Type: fhirChoice, Required: ptr(!it.Unscored)}
	if it.ID != it.LinkID {
		fi.Extension = append(fi.Extension, fhirExtension{URL: extItemID, ValueCode: ptr(it.ID)})
	}
	if it.Reverse {
		fi.Extension = append(fi.Extension, fhirExtension{URL: extItemReverse, ValueBoolean: ptr(true)})
	}
	for _, s := range it.Subscales {
		fi.Extension = append(fi.Extension, fhirExtension{URL: extItemSubscale, ValueCode: ptr(s)})
	}
	if it.Unscored {
		fi.Extension = append(fi.Extension, fhirExtension{URL: extItemUnscored, ValueBoolean: ptr(true)})
	}
	if it.Validity != nil {
		v := fhirExtension{URL: extItemValidity}
		for _, e := range it.Validity.Expected {
			v.Extension = append(v.Extension, fhirExtension{URL: "expected", ValueInteger: ptr(e)})
		}
		fi.Extension = append(fi.Extension, v)
	}
	fi.Text, fi.TextX = localized(it.Text)
	if w := it.EnableWhen; w != nil {
		fi.EnableWhen = []fhirEnableWhen{{Question: links[w.Item], Operator: w.Op,
			AnswerCoding: &fhirCoding{Code: strconv.Itoa(w.Value)}}}
	}
	for _, o := range it.Options {
		c := &fhirCoding{Code: strconv.Itoa(o.Value)}
		c.Display, c.DisplayX = localized(o.Label)
		fi.AnswerOption = append(fi.AnswerOption, fhirAnswerOption{
			Extension:   []fhirExtension{{URL: ExtOrdinalValue, ValueDecimal: decimal(float64(o.Value))}},
			ValueCoding: c})
	}
	return fi
}
