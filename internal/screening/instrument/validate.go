package instrument

import (
	"fmt"
	"regexp"
	"slices"
)

var idPattern = regexp.MustCompile(`^[a-z0-9][a-z0-9.-]{0,63}$`)

// Validate checks a definition and returns an EInvalid error wrapping a
// *DefinitionError that lists every problem found: duplicate ids, options
// and rule values out of range, gaps and overlaps between bands, rules on
// unknown items, and texts missing in zh-CN or English where required.
func Validate(inst *Instrument) error { return validate(inst.ID, inst) }

type checker struct{ problems []Problem }

func (c *checker) addf(path, format string, args ...any) {
	c.problems = append(c.problems, Problem{Path: path, Message: fmt.Sprintf(format, args...)})
}

// text requires t in every locale of Locales.
func (c *checker) text(path string, t Text) {
	for _, l := range Locales {
		if t[l] == "" {
			c.addf(path, "missing %s text", l)
		}
	}
}

func validate(source string, inst *Instrument) error {
	c := &checker{}
	c.header(inst)
	c.items(inst)
	c.subscales(inst)
	c.bands(inst)
	c.critical(inst)
	c.missing(inst)
	if len(c.problems) > 0 {
		return definitionError(source, c.problems)
	}
	return nil
}

func (c *checker) header(inst *Instrument) {
	if !idPattern.MatchString(inst.ID) {
		c.addf("id", "%q is not an id (lower-case letters, digits, '.' and '-', at most 64)", inst.ID)
	}
	if inst.Version == "" {
		c.addf("version", "missing")
	}
	switch inst.Licence {
	case Ship, ScoresOnly, ImportOnly:
	default:
		c.addf("licence", "%q is not one of ship, scores-only, import-only", inst.Licence)
	}
	c.text("title", inst.Title)
	if inst.Licence == Ship && inst.Instructions != nil {
		c.text("instructions", inst.Instructions)
	}
	if inst.Source == "" {
		c.addf("source", "missing: cite the text and the cut-offs")
	}
	if inst.AgeMin < 0 || inst.AgeMax < 0 || (inst.AgeMax != 0 && inst.AgeMax < inst.AgeMin) {
		c.addf("age_max", "age range %d–%d is not a range", inst.AgeMin, inst.AgeMax)
	}
	if inst.MinSeconds < 0 {
		c.addf("min_seconds_per_item", "must not be negative")
	}
	if len(inst.Items) == 0 {
		c.addf("items", "an instrument needs at least one item")
	}
	if inst.Total != nil && !validMethod(inst.Total.Method) {
		c.addf("total.method", "%q is not sum or max", inst.Total.Method)
	}
}

func validMethod(m string) bool { return m == MethodSum || m == MethodMax }

func itemPath(i int, it *Item) string {
	if it.ID == "" {
		return fmt.Sprintf("items[%d]", i)
	}
	return "item " + it.ID
}

func (c *checker) items(inst *Instrument) {
	ids, links := map[string]int{}, map[string]int{}
	subs := map[string]bool{}
	for _, s := range inst.Subscales {
		subs[s.ID] = true
	}
	for i := range inst.Items {
		it := &inst.Items[i]
		p := itemPath(i, it)
		if it.ID == "" {
			c.addf(p, "missing id")
		} else if j, dup := ids[it.ID]; dup {
			c.addf(p, "duplicate item id, also items[%d]", j)
		} else {
			ids[it.ID] = i
		}
		if j, dup := links[it.LinkID]; dup && it.LinkID != "" {
			c.addf(p, "duplicate link_id %q, also items[%d]", it.LinkID, j)
		} else {
			links[it.LinkID] = i
		}
		if inst.Licence == Ship {
			c.text(p+".text", it.Text)
		}
		c.options(inst, p, it)
		if it.Reverse && it.Unscored {
			c.addf(p, "an unscored item cannot be reverse-scored")
		}
		if it.Unscored && len(it.Subscales) > 0 {
			c.addf(p, "an unscored item cannot belong to a subscale")
		}
		for j, s := range it.Subscales {
			if !subs[s] {
				c.addf(p+".subscales", "unknown subscale %q", s)
			} else if slices.Index(it.Subscales, s) != j {
				c.addf(p+".subscales", "subscale %q listed twice", s)
			}
		}
		if w := it.EnableWhen; w != nil {
			j, ok := ids[w.Item]
			switch {
			case !ok || j >= i:
				c.addf(p+".enable_when", "refers to %q, which is not an earlier item", w.Item)
			case w.Op != "=" && w.Op != "!=":
				c.addf(p+".enable_when", "operator %q: skip logic compares with = or != only", w.Op)
			case !inst.Items[j].HasOption(w.Value):
				c.addf(p+".enable_when", "value %d is not an option of item %s", w.Value, w.Item)
			}
		}
		if v := it.Validity; v != nil {
			if len(v.Expected) == 0 {
				c.addf(p+".validity", "lists no expected answer")
			}
			for _, e := range v.Expected {
				if !it.HasOption(e) {
					c.addf(p+".validity", "expected value %d is not an option of the item", e)
				}
			}
		}
	}
}

func (c *checker) options(inst *Instrument, p string, it *Item) {
	if len(it.Options) < 2 {
		c.addf(p+".options", "an item needs at least two answer options")
	}
	seen := map[int]bool{}
	for _, o := range it.Options {
		if o.Value < 0 {
			c.addf(p+".options", "value %d is outside the range of scores (0 or more)", o.Value)
		}
		if seen[o.Value] {
			c.addf(p+".options", "duplicate value %d", o.Value)
		}
		seen[o.Value] = true
		if inst.Licence == Ship {
			c.text(fmt.Sprintf("%s.options[%d].label", p, o.Value), o.Label)
		}
	}
}

func (c *checker) subscales(inst *Instrument) {
	seen := map[string]bool{}
	for i, s := range inst.Subscales {
		p := fmt.Sprintf("subscales[%d]", i)
		if s.ID == "" {
			c.addf(p, "missing id")
		} else if seen[s.ID] {
			c.addf(p, "duplicate subscale id %q", s.ID)
		}
		seen[s.ID] = true
		c.text(p+".title", s.Title)
		if !validMethod(s.Method) {
			c.addf(p+".method", "%q is not sum or max", s.Method)
		}
		if len(scaleItems(inst, s.ID)) == 0 {
			c.addf(p, "subscale %q has no items", s.ID)
		}
	}
}

func (c *checker) critical(inst *Instrument) {
	for i, r := range inst.Critical {
		p := fmt.Sprintf("critical[%d]", i)
		it, ok := inst.Item(r.Item)
		if !ok {
			c.addf(p, "critical rule on unknown item %q", r.Item)
			continue
		}
		if !ops[r.Op] {
			c.addf(p, "operator %q is not one of = != > >= < <=", r.Op)
			continue
		}
		lo, hi := it.span()
		if r.Value < lo || r.Value > hi {
			c.addf(p, "value %d is outside the option range %d–%d of item %s", r.Value, lo, hi, r.Item)
			continue
		}
		fires := false
		for _, o := range it.Options {
			fires = fires || holds(r.Op, o.Value, r.Value)
		}
		if !fires {
			c.addf(p, "no answer to item %s can satisfy %s %d", r.Item, r.Op, r.Value)
		}
	}
}

func (c *checker) missing(inst *Instrument) {
	m := inst.Missing
	switch m.Mode {
	case Refuse:
		if m.MaxMissing != 0 {
			c.addf("missing.max_missing", "must be 0 when missing answers are refused")
		}
	case Prorate:
		n := len(scaleItems(inst, ""))
		switch {
		case m.MaxMissing < 1 || m.MaxMissing >= n:
			c.addf("missing.max_missing", "%d: prorating needs 1 to %d", m.MaxMissing, n-1)
		case inst.Total == nil || inst.Total.Method != MethodSum:
			c.addf("missing.mode", "prorating needs a summed total")
		case len(inst.Subscales) > 0:
			c.addf("missing.mode", "prorating subscales is not defined; use refuse")
		}
	default:
		c.addf("missing.mode", "%q is not refuse or prorate", m.Mode)
	}
}
