// Package instrument is careloop's library of screening instruments (量表),
// defined as data: each instrument is a JSON file under library/ that lists
// its items, answer options, reverse-scored items, subscales, total, bands
// with cut-offs, critical items, missing-answer rule and licence. The
// package loads and validates those files, scores answers exactly, checks a
// response's validity, and converts definitions to and from FHIR R4
// Questionnaire resources.
//
// A score is a screening signal, never a diagnosis: every page that shows a
// Result must show Disclaimer beside it.
package instrument

// Text is a string in several locales, keyed by locale ("zh-CN", "en").
type Text map[string]string

// The locales every shipped text must have, default first.
const (
	LocaleZH = "zh-CN"
	LocaleEN = "en"
)

// Locales lists the locales a "ship" instrument must carry.
var Locales = []string{LocaleZH, LocaleEN}

// Get returns the text in locale l, falling back to zh-CN and then English.
func (t Text) Get(l string) string {
	for _, k := range []string{l, LocaleZH, LocaleEN} {
		if s := t[k]; s != "" {
			return s
		}
	}
	return ""
}

// Licence says what careloop may do with an instrument's text.
type Licence string

// The licence statuses.
const (
	// Ship: free to use; careloop ships items, options and scoring.
	Ship Licence = "ship"
	// ScoresOnly: careloop may ship the scoring but not the item text; a
	// response is entered from the licensed paper form.
	ScoresOnly Licence = "scores-only"
	// ImportOnly: careloop ships nothing; an organisation that holds a
	// licence imports its own definition (see FromFHIR).
	ImportOnly Licence = "import-only"
)

// Tier is the risk tier a band suggests; the campaign's tier rules decide.
type Tier string

// The tiers, lowest first (分层: green, yellow, orange, red).
const (
	Green  Tier = "green"
	Yellow Tier = "yellow"
	Orange Tier = "orange"
	Red    Tier = "red"
)

// Instrument is one questionnaire and its scoring. Instruments returned by
// this package are shared; treat them as read-only.
type Instrument struct {
	ID           string         `json:"id"`      // "phq-9"; lower case, digits, '-' and '.'
	Version      string         `json:"version"` // version of this definition
	Title        Text           `json:"title"`
	Instructions Text           `json:"instructions,omitempty"` // the stem read before the items
	Licence      Licence        `json:"licence"`
	Copyright    string         `json:"copyright,omitempty"` // the holder's notice and terms of use
	Source       string         `json:"source"`              // citation of the text and of the cut-offs
	AgeMin       int            `json:"age_min"`             // youngest age in years it is meant for
	AgeMax       int            `json:"age_max"`             // oldest age; 0 means no upper bound
	LOINC        string         `json:"loinc,omitempty"`     // LOINC panel code, where one exists
	Items        []Item         `json:"items"`
	Subscales    []Subscale     `json:"subscales,omitempty"`
	Total        *Scale         `json:"total,omitempty"` // nil: the instrument has no total
	Bands        []Band         `json:"bands,omitempty"`
	Critical     []CriticalRule `json:"critical,omitempty"`
	Missing      MissingRule    `json:"missing"`
	// MinSeconds is the least time a careful reader needs per answered item;
	// a faster response is flagged "too_fast".
	MinSeconds float64 `json:"min_seconds_per_item"`
}

// Item is one question with a fixed list of answer options.
type Item struct {
	ID        string   `json:"id"`                // the key of its answer in an answers map
	LinkID    string   `json:"link_id,omitempty"` // FHIR linkId; defaults to ID
	Text      Text     `json:"text,omitempty"`    // may be empty unless the licence is "ship"
	Options   []Option `json:"options,omitempty"` // in display order
	Reverse   bool     `json:"reverse,omitempty"` // scored as min+max-raw
	Subscales []string `json:"subscales,omitempty"`
	// Unscored items (a "how difficult" question, a yes/no follow-up) count
	// in no scale, may be left unanswered, and may still be critical.
	Unscored bool `json:"unscored,omitempty"`
	// EnableWhen is the skip logic: the item is asked only when it holds.
	EnableWhen *Condition `json:"enable_when,omitempty"`
	Validity   *Validity  `json:"validity,omitempty"`
}

// Option is one answer and its raw value.
type Option struct {
	Value int  `json:"value"`
	Label Text `json:"label,omitempty"`
}

// Validity marks a validity (lie) item: any answer outside Expected flags
// the response.
type Validity struct {
	Expected []int `json:"expected"`
}

// Subscale is a named group of items scored together.
type Subscale struct {
	ID     string `json:"id"`
	Title  Text   `json:"title"`
	Method string `json:"method,omitempty"` // "sum" (default) or "max"
}

// Scale says how a total is formed from the scored items.
type Scale struct {
	// Method is "sum", or "max" for an instrument whose answers carry a risk
	// level and whose result is the highest level reached (C-SSRS).
	Method string `json:"method"`
}

// The scale methods.
const (
	MethodSum = "sum"
	MethodMax = "max"
)

// Band is a range of a scale's score, inclusive at both ends. Scale is ""
// for the total, or a subscale id.
type Band struct {
	Scale string `json:"scale,omitempty"`
	Key   string `json:"key"` // "minimal", "mild", "moderate", ...
	Min   int    `json:"min"`
	Max   int    `json:"max"`
	Tier  Tier   `json:"tier"`
	Label Text   `json:"label"`
}

// Condition compares an item's raw answer with a value. Op is one of
// "=", "!=", ">", ">=", "<", "<=".
type Condition struct {
	Item  string `json:"item"`
	Op    string `json:"op"`
	Value int    `json:"value"`
}

// CriticalRule marks an answer that needs immediate attention, whatever the
// total: PHQ item 9 above 0, a C-SSRS "yes" on questions 3 to 6.
type CriticalRule struct {
	Item  string `json:"item"`
	Op    string `json:"op"`
	Value int    `json:"value"`
}

// MissingRule says what scoring does with unanswered scored items.
type MissingRule struct {
	Mode string `json:"mode"` // "refuse" or "prorate"
	// MaxMissing is how many items may be missing for "prorate"; the total
	// is then round-half-up(sum × expected ÷ answered).
	MaxMissing int `json:"max_missing,omitempty"`
}

// The missing-answer modes.
const (
	Refuse  = "refuse"
	Prorate = "prorate"
)

// holds reports whether raw value v satisfies op against w.
func holds(op string, v, w int) bool {
	switch op {
	case "=":
		return v == w
	case "!=":
		return v != w
	case ">":
		return v > w
	case ">=":
		return v >= w
	case "<":
		return v < w
	case "<=":
		return v <= w
	}
	return false
}

var ops = map[string]bool{"=": true, "!=": true, ">": true, ">=": true, "<": true, "<=": true}

// Item returns the item with the given id.
func (inst *Instrument) Item(id string) (*Item, bool) {
	for i := range inst.Items {
		if inst.Items[i].ID == id {
			return &inst.Items[i], true
		}
	}
	return nil, false
}

// HasOption reports whether v is one of the item's option values.
func (it *Item) HasOption(v int) bool {
	for _, o := range it.Options {
		if o.Value == v {
			return true
		}
	}
	return false
}

// span returns the lowest and highest option values of the item.
func (it *Item) span() (lo, hi int) {
	for i, o := range it.Options {
		if i == 0 || o.Value < lo {
			lo = o.Value
		}
		if i == 0 || o.Value > hi {
			hi = o.Value
		}
	}
	return lo, hi
}

// scored returns the item's scored value for raw answer v.
func (it *Item) scored(v int) int {
	if it.Reverse {
		lo, hi := it.span()
		return lo + hi - v
	}
	return v
}

// enabled reports whether the item is asked, given the answers so far.
func (it *Item) enabled(answers map[string]int) bool {
	if it.EnableWhen == nil {
		return true
	}
	v, ok := answers[it.EnableWhen.Item]
	return ok && holds(it.EnableWhen.Op, v, it.EnableWhen.Value)
}

// disclaimer is shown beside every result.
var disclaimer = Text{
	LocaleZH: "本结果是心理筛查信号，不是诊断。只有精神科医生才能作出诊断。请由受过培训的专业人员结合面谈和其他信息进一步评估。",
	LocaleEN: "This result is a screening signal, not a diagnosis. Only a psychiatrist can make a diagnosis. A trained professional should assess it further, together with an interview and other information.",
}

// Disclaimer returns, in locale l, the sentence that labels every result as
// a screening signal and not a diagnosis.
func Disclaimer(l string) string { return disclaimer.Get(l) }

// compact returns a copy of t without empty strings, or nil when t holds
// no text, so that equal definitions compare equal however they were read.
func (t Text) compact() Text {
	out := Text{}
	for k, v := range t {
		if v != "" {
			out[k] = v
		}
	}
	if len(out) == 0 {
		return nil
	}
	return out
}

// Enabled reports whether the item is asked, given the answers so far (its
// skip logic). An item without EnableWhen is always asked.
func (it *Item) Enabled(answers map[string]int) bool { return it.enabled(answers) }
