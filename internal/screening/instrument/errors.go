package instrument

import (
	"fmt"
	"strings"

	"github.com/careloop/careloop/internal/apperr"
)

// Problem is one fault in a definition, at a path such as "items[3].options".
type Problem struct {
	Path    string
	Message string
}

func (p Problem) String() string {
	if p.Path == "" {
		return p.Message
	}
	return p.Path + ": " + p.Message
}

// DefinitionError lists every fault found in one definition (a library file
// or an imported FHIR Questionnaire). Source names the file or instrument.
type DefinitionError struct {
	Source   string
	Problems []Problem
}

func (e *DefinitionError) Error() string {
	parts := make([]string, len(e.Problems))
	for i, p := range e.Problems {
		parts[i] = p.String()
	}
	return fmt.Sprintf("instrument definition %s: %s", e.Source, strings.Join(parts, "; "))
}

// MissingError refuses a response with unanswered scored items. Critical
// still lists the critical answers that were given, which must be acted on
// even though the response cannot be scored.
type MissingError struct {
	Instrument string
	Items      []string // ids of the unanswered items, in item order
	Critical   []CriticalHit
}

func (e *MissingError) Error() string {
	return fmt.Sprintf("instrument %s: %d unanswered item(s): %s", e.Instrument, len(e.Items), strings.Join(e.Items, ", "))
}

// The problems an AnswerError reports.
const (
	UnknownItem = "unknown_item"  // the answers name an item the instrument lacks
	NotAnOption = "not_an_option" // the value is none of the item's option values
	SkippedItem = "skipped_item"  // the skip logic says the item is not asked
)

// AnswerError rejects an answer that cannot be scored.
type AnswerError struct {
	Instrument string
	Item       string
	Value      int
	Problem    string // UnknownItem, NotAnOption or SkippedItem
}

func (e *AnswerError) Error() string {
	return fmt.Sprintf("instrument %s: item %q value %d: %s", e.Instrument, e.Item, e.Value, e.Problem)
}

// invalid wraps a typed error of this package in careloop's one error type,
// so the surfaces map it to a 4xx once; errors.As still finds the typed
// error. fields names what to fix, for forms and import reports.
func invalid(err error, fields map[string]string) error {
	return &apperr.Error{Code: apperr.EInvalid, Message: "error.invalid", Fields: fields, Err: err}
}

func definitionError(source string, problems []Problem) error {
	fields := map[string]string{}
	for _, p := range problems {
		key := p.Path
		if key == "" {
			key = "definition"
		}
		if old, ok := fields[key]; ok {
			fields[key] = old + "; " + p.Message
		} else {
			fields[key] = p.Message
		}
	}
	return invalid(&DefinitionError{Source: source, Problems: problems}, fields)
}
