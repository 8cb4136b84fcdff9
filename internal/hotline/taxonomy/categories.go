// Package taxonomy holds the hotline station's classification of contacts:
// the concern categories a counsellor records for each call or chat, and a
// short structured suicide-risk screen (risk.go).
//
// The default taxonomy (categories.json, embedded) is modelled on the
// category structure of the Child Helpline International (CHI) data
// framework — abuse and violence, family, school, peers, mental health,
// suicide and self-harm, sexuality, physical health, legal matters,
// substance use, commercial exploitation, discrimination, basic needs,
// information and "other" — so that the station's counts can be mapped to
// CHI's international reporting. The labels and sub-categories are
// careloop's own wording, with a few additions for China (left-behind
// children, zhongkao/gaokao exams, hukou status). An organisation may
// replace the whole taxonomy with its own JSON file (Load); see
// docs/hotline-taxonomy.md.
package taxonomy

import (
	"bytes"
	_ "embed"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"regexp"
	"strings"
)

// Category is one node of the taxonomy. Code is stable and stored with
// contact records: lower_snake for a top-level category, "parent.child" for
// a sub-category. ZH and EN are the display labels.
type Category struct {
	Code     string     `json:"code"`
	ZH       string     `json:"zh"`
	EN       string     `json:"en"`
	Children []Category `json:"children,omitempty"`
}

//go:embed categories.json
var defaultJSON []byte

// Default returns the taxonomy shipped with careloop (categories.json). Each
// call returns a fresh copy that the caller may change.
func Default() ([]Category, error) {
	tax, err := Load(bytes.NewReader(defaultJSON))
	if err != nil {
		return nil, fmt.Errorf("taxonomy: embedded categories.json: %w", err)
	}
	return tax, nil
}

// segment is one part of a code: lower_snake, starting with a letter.
var segment = regexp.MustCompile(`^[a-z][a-z0-9]*(_[a-z0-9]+)*$`)

// Load reads and validates an organisation's own taxonomy: a JSON array of
// nodes {"code", "zh", "en", "children"}. It refuses unknown fields, an
// empty taxonomy, malformed or duplicate codes, missing labels and child
// codes that are not "<parent code>.<segment>". Every problem is reported
// (errors.Join), each naming the node by its position and code.
func Load(r io.Reader) ([]Category, error) {
	dec := json.NewDecoder(r)
	dec.DisallowUnknownFields()
	var tax []Category
	if err := dec.Decode(&tax); err != nil {
		return nil, fmt.Errorf("taxonomy: invalid JSON: %w", err)
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, errors.New("taxonomy: invalid JSON: data after the top-level array")
	}
	if len(tax) == 0 {
		return nil, errors.New("taxonomy: no categories")
	}
	seen := map[string]string{} // code -> position of its first node
	var errs []error
	var check func(nodes []Category, parent, path string)
	check = func(nodes []Category, parent, path string) {
		for i, n := range nodes {
			pos := fmt.Sprintf("%s[%d]", path, i)
			name := pos
			if n.Code != "" {
				name = fmt.Sprintf("%s %q", pos, n.Code)
			}
			fail := func(format string, args ...any) {
				errs = append(errs, fmt.Errorf("taxonomy: node %s: %s", name, fmt.Sprintf(format, args...)))
			}
			codeOK := true
			switch {
			case n.Code == "":
				fail("missing code")
				codeOK = false
			case parent == "" && !segment.MatchString(n.Code):
				fail("code must be lower_snake (a-z, 0-9, _), starting with a letter")
				codeOK = false
			case parent != "" && !strings.HasPrefix(n.Code, parent+"."):
				fail("child code must start with its parent's code %q", parent+".")
				codeOK = false
			case parent != "" && !segment.MatchString(strings.TrimPrefix(n.Code, parent+".")):
				fail("child code must be %q followed by one lower_snake part", parent+".")
				codeOK = false
			}
			if codeOK {
				if first, dup := seen[n.Code]; dup {
					fail("duplicate code (first used at %s)", first)
				} else {
					seen[n.Code] = pos
				}
			}
			if strings.TrimSpace(n.ZH) == "" {
				fail("missing zh label")
			}
			if strings.TrimSpace(n.EN) == "" {
				fail("missing en label")
			}
			if codeOK {
				check(n.Children, n.Code, pos+".children")
			}
		}
	}
	check(tax, "", "categories")
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	return tax, nil
}

// find returns the node with the given code, or nil.
func find(tax []Category, code string) *Category {
	for i := range tax {
		if tax[i].Code == code {
			return &tax[i]
		}
		if strings.HasPrefix(code, tax[i].Code+".") {
			if c := find(tax[i].Children, code); c != nil {
				return c
			}
		}
	}
	return nil
}

// Valid checks codes recorded for a contact against the taxonomy and
// returns those it does not contain, in their given order (nil when all are
// known). A top-level code is valid as well as a sub-category code: a
// counsellor may record only the broad category.
func Valid(tax []Category, codes []string) (bad []string) {
	for _, c := range codes {
		if find(tax, c) == nil {
			bad = append(bad, c)
		}
	}
	return bad
}

// Label returns the display label of code: Chinese for a lang starting with
// "zh" (zh, zh-CN, zh-Hans…), English otherwise. An unknown code is returned
// as it is, so that records made under an older taxonomy still display
// something meaningful.
func Label(tax []Category, code, lang string) string {
	c := find(tax, code)
	if c == nil {
		return code
	}
	if strings.HasPrefix(strings.ToLower(lang), "zh") {
		return c.ZH
	}
	return c.EN
}
