// Package i18n holds every visible string of careloop in Chinese (zh-CN,
// the default) and English. Catalogs are embedded JSON files with identical
// keys; a test keeps them complete and checks every key the templates use.
package i18n

import (
	"embed"
	"encoding/json"
	"fmt"
	"strings"

	"golang.org/x/text/language"
)

//go:embed catalog/*.json
var catalogFS embed.FS

// Default is the locale of a user who has not chosen one.
const Default = "zh-CN"

// Locales lists the supported locales, default first.
var Locales = []string{"zh-CN", "en"}

var catalogs = map[string]map[string]string{}

func init() {
	for _, l := range Locales {
		b, err := catalogFS.ReadFile("catalog/" + l + ".json")
		if err != nil {
			panic(err)
		}
		m := map[string]string{}
		if err := json.Unmarshal(b, &m); err != nil {
			panic(fmt.Sprintf("i18n: catalog %s: %v", l, err))
		}
		catalogs[l] = m
	}
}

// Keys returns the catalog of locale l (for tests).
func Keys(l string) map[string]string { return catalogs[l] }

// T translates key into locale l, replacing {0}, {1}, ... with args. A
// missing key shows the key itself, which a test forbids in templates.
func T(l, key string, args ...any) string {
	m, ok := catalogs[l]
	if !ok {
		m = catalogs[Default]
	}
	s, ok := m[key]
	if !ok {
		s = key
	}
	for i, a := range args {
		s = strings.ReplaceAll(s, fmt.Sprintf("{%d}", i), fmt.Sprint(a))
	}
	return s
}

// Has reports whether key exists in the default catalog.
func Has(key string) bool {
	_, ok := catalogs[Default][key]
	return ok
}

var matcher = language.NewMatcher([]language.Tag{language.SimplifiedChinese, language.English})

// Match picks the supported locale best matching an Accept-Language header.
func Match(acceptLanguage string) string {
	tags, _, err := language.ParseAcceptLanguage(acceptLanguage)
	if err != nil || len(tags) == 0 {
		return Default
	}
	_, i, conf := matcher.Match(tags...)
	if conf == language.No {
		return Default
	}
	return Locales[i]
}

// Valid reports whether l is a supported locale.
func Valid(l string) bool {
	_, ok := catalogs[l]
	return ok
}
