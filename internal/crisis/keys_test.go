package crisis_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"github.com/careloop/careloop/internal/crisis"
	"github.com/careloop/careloop/internal/i18n"
)

// Every code the pages turn into a key, and every message key in this
// package's code, has a text.
func TestKeysExist(t *testing.T) {
	var keys []string
	for _, s := range crisis.States {
		keys = append(keys, "crisis.state."+s, "crisis.step."+s)
	}
	for _, l := range crisis.RiskLevels {
		keys = append(keys, "crisis.level."+l)
	}
	for _, it := range crisis.RiskItems {
		keys = append(keys, "crisis.risk."+it.Field)
		for _, c := range it.Codes {
			keys = append(keys, "crisis.risk."+it.Field+"."+c)
		}
	}
	for _, d := range []string{crisis.Signed, crisis.Declined, crisis.Withdrawn} {
		keys = append(keys, "crisis.decision."+d)
	}
	for prefix, list := range map[string][]string{"crisis.source.": crisis.Sources, "crisis.handed.": crisis.HandOvers,
		"crisis.follow_up.": crisis.FollowUpKinds} {
		for _, c := range list {
			keys = append(keys, prefix+c)
		}
	}
	message := regexp.MustCompile(`^(crisis|form)\.[a-z_]+$`)
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			if lit, ok := n.(*ast.BasicLit); ok && lit.Kind == token.STRING {
				if v, err := strconv.Unquote(lit.Value); err == nil && message.MatchString(v) && v != (crisis.SafetyArgs{}).Kind() {
					keys = append(keys, v)
				}
			}
			return true
		})
	}
	for _, k := range keys {
		if !i18n.Has(k) {
			t.Errorf("no text for %q", k)
		}
	}
}
