package instrument

import (
	"bytes"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sync"
)

//go:embed library/*.json
var libraryFS embed.FS

// Catalog is a validated set of instruments, keyed by id.
type Catalog struct {
	byID map[string]*Instrument
	ids  []string
}

// Get returns the instrument with the given id.
func (c *Catalog) Get(id string) (*Instrument, bool) {
	inst, ok := c.byID[id]
	return inst, ok
}

// All returns the instruments ordered by id.
func (c *Catalog) All() []*Instrument {
	out := make([]*Instrument, len(c.ids))
	for i, id := range c.ids {
		out[i] = c.byID[id]
	}
	return out
}

var library = sync.OnceValues(func() (*Catalog, error) {
	sub, err := fs.Sub(libraryFS, "library")
	if err != nil {
		return nil, err
	}
	return Load(sub)
})

// Library returns the instruments careloop ships, loaded from the embedded
// library/*.json once and validated. An error here is a defect of a shipped
// file; the application refuses to start with it.
func Library() (*Catalog, error) { return library() }

// Load reads and validates every *.json file at the root of fsys, one
// instrument per file. The error is an EInvalid *apperr.Error wrapping a
// *DefinitionError per faulty file (use errors.As), or a read error.
func Load(fsys fs.FS) (*Catalog, error) {
	names, err := fs.Glob(fsys, "*.json")
	if err != nil {
		return nil, err
	}
	c := &Catalog{byID: map[string]*Instrument{}}
	from := map[string]string{}
	var errs []error
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return nil, err
		}
		inst, err := parse(path.Base(name), data)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if prev, dup := from[inst.ID]; dup {
			errs = append(errs, definitionError(name, []Problem{{Path: "id",
				Message: fmt.Sprintf("duplicate instrument id %q, also defined in %s", inst.ID, prev)}}))
			continue
		}
		from[inst.ID] = name
		c.byID[inst.ID] = inst
		c.ids = append(c.ids, inst.ID)
	}
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	slices.Sort(c.ids)
	return c, nil
}

// Parse decodes and validates one instrument definition in careloop's JSON
// form (the format of library/*.json). Unknown fields are an error, so that
// a misspelt "reverse" cannot silently change a score.
func Parse(data []byte) (*Instrument, error) { return parse("", data) }

// fileInstrument is the JSON form: it may list default answer options once
// for all items that list none.
type fileInstrument struct {
	Instrument
	Options []Option `json:"options,omitempty"`
}

func parse(source string, data []byte) (*Instrument, error) {
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var f fileInstrument
	if err := dec.Decode(&f); err != nil {
		return nil, definitionError(source, []Problem{{Message: "bad JSON: " + err.Error()}})
	}
	if dec.More() {
		return nil, definitionError(source, []Problem{{Message: "bad JSON: more than one value"}})
	}
	inst := f.Instrument
	for i := range inst.Items {
		if len(inst.Items[i].Options) == 0 {
			inst.Items[i].Options = slices.Clone(f.Options)
		}
	}
	normalize(&inst)
	if source == "" {
		source = inst.ID
	}
	if err := validate(source, &inst); err != nil {
		return nil, err
	}
	return &inst, nil
}

// normalize fills defaults and turns empty texts, maps and lists into nil,
// so that one definition has one in-memory form however it was read.
func normalize(inst *Instrument) {
	inst.Title = inst.Title.compact()
	inst.Instructions = inst.Instructions.compact()
	if inst.Total != nil && inst.Total.Method == "" {
		inst.Total.Method = MethodSum
	}
	for i := range inst.Items {
		it := &inst.Items[i]
		if it.LinkID == "" {
			it.LinkID = it.ID
		}
		it.Text = it.Text.compact()
		for j := range it.Options {
			it.Options[j].Label = it.Options[j].Label.compact()
		}
		it.Options = nilIfEmpty(it.Options)
		it.Subscales = nilIfEmpty(it.Subscales)
		if it.Validity != nil {
			it.Validity.Expected = nilIfEmpty(it.Validity.Expected)
		}
	}
	for i := range inst.Subscales {
		inst.Subscales[i].Title = inst.Subscales[i].Title.compact()
		if inst.Subscales[i].Method == "" {
			inst.Subscales[i].Method = MethodSum
		}
	}
	for i := range inst.Bands {
		inst.Bands[i].Label = inst.Bands[i].Label.compact()
	}
	inst.Items = nilIfEmpty(inst.Items)
	inst.Subscales = nilIfEmpty(inst.Subscales)
	inst.Bands = nilIfEmpty(inst.Bands)
	inst.Critical = nilIfEmpty(inst.Critical)
}

func nilIfEmpty[T any](s []T) []T {
	if len(s) == 0 {
		return nil
	}
	return s
}
