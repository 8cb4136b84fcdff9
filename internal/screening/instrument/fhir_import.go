package instrument

import (
	"encoding/json"
	"fmt"
	"math"
	"strconv"
	"strings"
)

// FromFHIR imports a FHIR R4 Questionnaire as an instrument and validates
// it. Choice items become items (group items are read through, display
// items skipped); each answer's score is its ordinalValue (or itemWeight)
// extension, or else its code read as an integer. careloop's extensions
// carry the scoring; without them the instrument is "import-only", refuses
// missing answers and has no total, and a missing version reads as "1". Errors are EInvalid *apperr.Error
// values wrapping a *DefinitionError that lists every problem, each at a
// path such as "item[3].answerOption[1]".
func FromFHIR(data []byte) (*Instrument, error) {
	var q fhirQuestionnaire
	if err := json.Unmarshal(data, &q); err != nil {
		return nil, definitionError("questionnaire", []Problem{{Message: "bad JSON: " + err.Error()}})
	}
	if q.ResourceType != fhirResourceType {
		return nil, definitionError("questionnaire", []Problem{{Path: "resourceType",
			Message: fmt.Sprintf("%q is not Questionnaire", q.ResourceType)}})
	}
	im := &importer{base: q.Language, ids: map[string]string{}, codes: map[string]map[string]int{}}
	if im.base == "" {
		im.base = fhirDefaultImportL
	}
	inst := &Instrument{ID: q.ID, Version: q.Version, Copyright: q.Copyright, Licence: ImportOnly,
		Missing: MissingRule{Mode: Refuse}, Source: strings.TrimSpace("FHIR Questionnaire " + q.URL)}
	if inst.Version == "" {
		inst.Version = "1"
	}
	for _, id := range q.Identifier {
		if id.System == IdentifierSystem && id.Value != "" {
			inst.ID = id.Value
		}
	}
	if q.Status == "" {
		im.addf("status", "missing (draft, active, retired or unknown)")
	}
	inst.Title = im.text("title", q.Title, q.TitleX)
	inst.Instructions = im.text("description", q.Description, q.DescriptionX)
	for _, c := range q.Code {
		if c.System == LOINCSystem && c.Code != "" && inst.LOINC == "" {
			inst.LOINC = c.Code
		}
	}
	var flat []pathItem
	flatten(q.Item, "item", &flat)
	inst.Items = im.items(flat)
	im.instrumentExtensions(inst, q.Extension)
	source := inst.ID
	if source == "" {
		source = "questionnaire"
	}
	if len(im.problems) > 0 {
		return nil, definitionError(source, im.problems)
	}
	normalize(inst)
	if err := validate(source, inst); err != nil {
		return nil, err
	}
	return inst, nil
}

type importer struct {
	checker
	base  string                    // the language of plain text
	ids   map[string]string         // linkId -> item id
	codes map[string]map[string]int // linkId -> answer code -> value
}

type pathItem struct {
	path string
	item fhirItem
}

// flatten lists the answerable items depth-first, skipping display items
// and reading through groups.
func flatten(items []fhirItem, path string, out *[]pathItem) {
	for i, it := range items {
		p := fmt.Sprintf("%s[%d]", path, i)
		switch it.Type {
		case "display":
		case "group":
			flatten(it.Item, p+".item", out)
		default:
			*out = append(*out, pathItem{p, it})
		}
	}
}

// text reads a localized string: the plain value in the base language and
// the translation extensions.
func (im *importer) text(path, s string, el *fhirElement) Text {
	t := Text{}
	if s != "" {
		t[im.base] = s
	}
	if el == nil {
		return t.compact()
	}
	for _, e := range el.Extension {
		if e.URL == ExtTranslation {
			im.translation(path, t, e)
		}
	}
	return t.compact()
}

func (im *importer) translation(path string, t Text, e fhirExtension) {
	var lang, content string
	for _, p := range e.Extension {
		switch {
		case p.URL == "lang" && p.ValueCode != nil:
			lang = *p.ValueCode
		case p.URL == "content" && p.ValueString != nil:
			content = *p.ValueString
		}
	}
	switch {
	case lang == "" || content == "":
		im.addf(path, "a translation needs lang (valueCode) and content (valueString)")
	case t[lang] != "":
		im.addf(path, "two texts in language %q", lang)
	default:
		t[lang] = content
	}
}

func (im *importer) items(flat []pathItem) []Item {
	var out []Item
	var whens []fhirEnableWhen
	var whenPaths []string
	for _, pi := range flat {
		p, fi := pi.path, pi.item
		if fi.LinkID == "" {
			im.addf(p, "missing linkId")
			continue
		}
		if _, dup := im.ids[fi.LinkID]; dup {
			im.addf(p, "duplicate linkId %q", fi.LinkID)
			continue
		}
		if fi.Type != fhirChoice {
			im.addf(p, "type %q: careloop scores choice items only", fi.Type)
			continue
		}
		if len(fi.AnswerOption) == 0 {
			im.addf(p, "choice item %q without answerOption (answerValueSet is not supported)", fi.LinkID)
			continue
		}
		it := Item{ID: fi.LinkID, LinkID: fi.LinkID}
		it.Text = im.text(p+".text", fi.Text, fi.TextX)
		im.codes[fi.LinkID] = map[string]int{}
		for j, ao := range fi.AnswerOption {
			if o, ok := im.option(fmt.Sprintf("%s.answerOption[%d]", p, j), fi.LinkID, ao); ok {
				it.Options = append(it.Options, o)
			}
		}
		im.itemExtensions(p, &it, fi.Extension)
		im.ids[fi.LinkID] = it.ID
		switch len(fi.EnableWhen) {
		case 0:
			whens = append(whens, fhirEnableWhen{})
		case 1:
			whens = append(whens, fi.EnableWhen[0])
		default:
			im.addf(p+".enableWhen", "only one enableWhen condition is supported")
			whens = append(whens, fhirEnableWhen{})
		}
		whenPaths = append(whenPaths, p+".enableWhen")
		out = append(out, it)
	}
	for i := range out {
		if w := whens[i]; w.Question != "" || w.Operator != "" || w.AnswerCoding != nil {
			out[i].EnableWhen = im.condition(whenPaths[i], w)
		}
	}
	return out
}

func (im *importer) option(p, linkID string, ao fhirAnswerOption) (Option, bool) {
	c := ao.ValueCoding
	if c == nil {
		im.addf(p, "only valueCoding answers are supported")
		return Option{}, false
	}
	v, ok := im.ordinal(p, append(append([]fhirExtension{}, ao.Extension...), c.Extension...), c.Code)
	if !ok {
		return Option{}, false
	}
	if _, dup := im.codes[linkID][c.Code]; dup {
		im.addf(p, "duplicate answer code %q", c.Code)
	}
	im.codes[linkID][c.Code] = v
	return Option{Value: v, Label: im.text(p+".valueCoding.display", c.Display, c.DisplayX)}, true
}

// ordinal reads an answer's score from its ordinalValue or itemWeight
// extension, or else from its code.
func (im *importer) ordinal(p string, exts []fhirExtension, code string) (int, bool) {
	for _, e := range exts {
		if e.URL != ExtOrdinalValue && e.URL != extItemWeight {
			continue
		}
		if e.ValueDecimal == nil {
			im.addf(p, "ordinalValue without valueDecimal")
			return 0, false
		}
		return im.integer(p, *e.ValueDecimal)
	}
	v, err := strconv.Atoi(code)
	if err != nil {
		im.addf(p, "no ordinalValue, and code %q is not an integer score", code)
		return 0, false
	}
	return v, true
}

// integer accepts a decimal only when it is a whole number of sane size.
func (im *importer) integer(p string, n json.Number) (int, bool) {
	f, err := strconv.ParseFloat(string(n), 64)
	if err != nil || f != math.Trunc(f) || math.Abs(f) > 1e6 {
		im.addf(p, "ordinalValue %s is not an integer score", n)
		return 0, false
	}
	return int(f), true
}

func (im *importer) condition(p string, w fhirEnableWhen) *Condition {
	id, ok := im.ids[w.Question]
	if !ok {
		im.addf(p, "question %q is not a choice item of this questionnaire", w.Question)
		return nil
	}
	if w.AnswerCoding == nil {
		im.addf(p, "only answerCoding conditions are supported")
		return nil
	}
	v, ok := im.codes[w.Question][w.AnswerCoding.Code]
	if !ok {
		im.addf(p, "answer code %q is not an option of %q", w.AnswerCoding.Code, w.Question)
		return nil
	}
	return &Condition{Item: id, Op: w.Operator, Value: v}
}
