package chat

import (
	_ "embed"
	"encoding/json"
	"strings"
	"unicode"
)

//go:embed lexicon.json
var lexiconJSON []byte

// Lexicon is the risk expressions a chat message is checked against, in
// Chinese and English, by category (suicide, self_harm, abuse).
type Lexicon struct {
	cats []lexCategory
}

type lexCategory struct {
	Code string   `json:"code"`
	ZH   []string `json:"zh"`
	EN   []string `json:"en"`
}

// ParseLexicon reads a lexicon in the format of lexicon.json.
func ParseLexicon(b []byte) (*Lexicon, error) {
	var f struct {
		Categories []lexCategory `json:"categories"`
	}
	if err := json.Unmarshal(b, &f); err != nil {
		return nil, err
	}
	for i := range f.Categories {
		c := &f.Categories[i]
		for j, w := range c.ZH {
			c.ZH[j] = squeeze(w)
		}
		for j, w := range c.EN {
			c.EN[j] = " " + words(w) + " "
		}
	}
	return &Lexicon{cats: f.Categories}, nil
}

// DefaultLexicon is the shipped lexicon.
func DefaultLexicon() *Lexicon {
	l, err := ParseLexicon(lexiconJSON)
	if err != nil {
		panic("chat: bad embedded lexicon: " + err.Error())
	}
	return l
}

// Match returns the categories whose expressions occur in text. Chinese
// expressions match anywhere, ignoring spaces and punctuation between
// characters; English ones match whole words, ignoring case and
// apostrophes ("don't" and "dont" are the same).
func (l *Lexicon) Match(text string) []string {
	zh, en := squeeze(text), " "+words(text)+" "
	var out []string
	for _, c := range l.cats {
		if hit(zh, c.ZH) || hit(en, c.EN) {
			out = append(out, c.Code)
		}
	}
	return out
}

func hit(text string, terms []string) bool {
	for _, t := range terms {
		if t != "" && t != "  " && strings.Contains(text, t) {
			return true
		}
	}
	return false
}

// squeeze lowercases text and drops everything but letters and digits.
func squeeze(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		if unicode.IsLetter(r) || unicode.IsDigit(r) {
			b.WriteRune(r)
		}
	}
	return b.String()
}

// words lowercases text, drops apostrophes and turns every other run of
// non-letters into one space.
func words(s string) string {
	var b strings.Builder
	space := false
	for _, r := range strings.ToLower(s) {
		switch {
		case r == '\'' || r == '’':
		case unicode.IsLetter(r) || unicode.IsDigit(r):
			if space && b.Len() > 0 {
				b.WriteByte(' ')
			}
			space = false
			b.WriteRune(r)
		default:
			space = true
		}
	}
	return b.String()
}
