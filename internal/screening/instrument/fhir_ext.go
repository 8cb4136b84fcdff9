package instrument

import (
	"fmt"
	"strconv"
	"strings"
)

// Typed readers of extension values: each records a problem and returns
// the zero value when the value has another type.

func (im *importer) code(p string, e fhirExtension) string {
	if e.ValueCode == nil {
		im.addf(p, "%s needs valueCode", e.URL)
		return ""
	}
	return *e.ValueCode
}

func (im *importer) str(p string, e fhirExtension) string {
	if e.ValueString == nil {
		im.addf(p, "%s needs valueString", e.URL)
		return ""
	}
	return *e.ValueString
}

func (im *importer) integerValue(p string, e fhirExtension) int {
	if e.ValueInteger == nil {
		im.addf(p, "%s needs valueInteger", e.URL)
		return 0
	}
	return *e.ValueInteger
}

func (im *importer) boolean(p string, e fhirExtension) bool {
	if e.ValueBoolean == nil {
		im.addf(p, "%s needs valueBoolean", e.URL)
		return false
	}
	return *e.ValueBoolean
}

// unknown refuses an extension in careloop's namespace that this version
// does not know: ignoring it could change a score. Foreign extensions are
// ignored, as FHIR allows for extensions that are not modifiers.
func (im *importer) unknown(p string, e fhirExtension) {
	if strings.HasPrefix(e.URL, ExtBase) {
		im.addf(p, "unknown careloop extension %s", e.URL)
	}
}

func (im *importer) itemExtensions(p string, it *Item, exts []fhirExtension) {
	for i, e := range exts {
		ep := fmt.Sprintf("%s.extension[%d]", p, i)
		switch e.URL {
		case extItemID:
			it.ID = im.code(ep, e)
		case extItemReverse:
			it.Reverse = im.boolean(ep, e)
		case extItemSubscale:
			it.Subscales = append(it.Subscales, im.code(ep, e))
		case extItemUnscored:
			it.Unscored = im.boolean(ep, e)
		case extItemValidity:
			v := &Validity{}
			for j, part := range e.Extension {
				if part.URL != "expected" {
					im.addf(fmt.Sprintf("%s.extension[%d]", ep, j), "unknown part %q", part.URL)
					continue
				}
				v.Expected = append(v.Expected, im.integerValue(ep, part))
			}
			it.Validity = v
		default:
			im.unknown(ep, e)
		}
	}
}

func (im *importer) instrumentExtensions(inst *Instrument, exts []fhirExtension) {
	for i, e := range exts {
		p := fmt.Sprintf("extension[%d]", i)
		switch e.URL {
		case extLicence:
			inst.Licence = Licence(im.code(p, e))
		case extSource:
			inst.Source = im.str(p, e)
		case extAgeMin:
			inst.AgeMin = im.integerValue(p, e)
		case extAgeMax:
			inst.AgeMax = im.integerValue(p, e)
		case extMinSeconds:
			if e.ValueDecimal == nil {
				im.addf(p, "%s needs valueDecimal", e.URL)
			} else if f, err := strconv.ParseFloat(string(*e.ValueDecimal), 64); err != nil || f < 0 {
				im.addf(p, "%s: %q is not a number of seconds", e.URL, *e.ValueDecimal)
			} else {
				inst.MinSeconds = f
			}
		case extMissing:
			inst.Missing = MissingRule{}
			im.parts(p, e, map[string]func(string, fhirExtension){
				"mode":       func(pp string, x fhirExtension) { inst.Missing.Mode = im.code(pp, x) },
				"maxMissing": func(pp string, x fhirExtension) { inst.Missing.MaxMissing = im.integerValue(pp, x) },
			})
		case extTotal:
			inst.Total = &Scale{}
			im.parts(p, e, map[string]func(string, fhirExtension){
				"method": func(pp string, x fhirExtension) { inst.Total.Method = im.code(pp, x) },
			})
		case extSubscale:
			s := Subscale{Title: Text{}}
			im.parts(p, e, map[string]func(string, fhirExtension){
				"id":     func(pp string, x fhirExtension) { s.ID = im.code(pp, x) },
				"method": func(pp string, x fhirExtension) { s.Method = im.code(pp, x) },
				"title":  func(pp string, x fhirExtension) { im.translation(pp, s.Title, x) },
			})
			inst.Subscales = append(inst.Subscales, s)
		case extBand:
			b := Band{Label: Text{}}
			im.parts(p, e, map[string]func(string, fhirExtension){
				"scale": func(pp string, x fhirExtension) { b.Scale = im.code(pp, x) },
				"key":   func(pp string, x fhirExtension) { b.Key = im.code(pp, x) },
				"min":   func(pp string, x fhirExtension) { b.Min = im.integerValue(pp, x) },
				"max":   func(pp string, x fhirExtension) { b.Max = im.integerValue(pp, x) },
				"tier":  func(pp string, x fhirExtension) { b.Tier = Tier(im.code(pp, x)) },
				"label": func(pp string, x fhirExtension) { im.translation(pp, b.Label, x) },
			})
			inst.Bands = append(inst.Bands, b)
		case extCritical:
			var r CriticalRule
			im.parts(p, e, map[string]func(string, fhirExtension){
				"item":     func(pp string, x fhirExtension) { r.Item = im.criticalItem(pp, im.str(pp, x)) },
				"operator": func(pp string, x fhirExtension) { r.Op = im.code(pp, x) },
				"value":    func(pp string, x fhirExtension) { r.Value = im.integerValue(pp, x) },
			})
			inst.Critical = append(inst.Critical, r)
		default:
			im.unknown(p, e)
		}
	}
}

// parts reads the parts of a complex extension, refusing unknown ones.
func (im *importer) parts(p string, e fhirExtension, read map[string]func(string, fhirExtension)) {
	for j, x := range e.Extension {
		pp := fmt.Sprintf("%s.extension[%d]", p, j)
		if f, ok := read[x.URL]; ok {
			f(pp, x)
		} else {
			im.addf(pp, "unknown part %q of %s", x.URL, e.URL)
		}
	}
}

// criticalItem maps a critical rule's linkId to the item's id.
func (im *importer) criticalItem(p, linkID string) string {
	id, ok := im.ids[linkID]
	if !ok {
		im.addf(p, "critical rule on unknown item %q", linkID)
	}
	return id
}
