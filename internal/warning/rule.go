// Package warning is early warning (监测预警): rules written as data in
// CEL, evaluated on every signal about a student (a screening, a critical
// draft answer, a concern report), and the alerts they raise. An alert has
// an owner from the moment it exists, deadlines that escalate along the
// chain (counsellor → school leader → district centre → city centre) when
// they pass, and ends only with a recorded decision.
package warning

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/google/cel-go/cel"

	"github.com/careloop/careloop/internal/apperr"
)

// Levels of an alert, most severe first.
const (
	Red    = "red"
	Orange = "orange"
	Yellow = "yellow"
)

// Levels lists the levels from the most severe.
var Levels = []string{Red, Orange, Yellow}

var levelRank = map[string]int{"": 0, Yellow: 1, Orange: 2, Red: 3}

// higher reports whether level a is more severe than b.
func higher(a, b string) bool { return levelRank[a] > levelRank[b] }

// Rule is one version of a warning rule.
type Rule struct {
	ID         int64
	OrgUnitID  int64
	OrgPath    string
	OrgName    string
	Name       string
	Version    int
	Active     bool
	Expression string
	Level      string
	TitleZH    string
	TitleEN    string
	Source     string
}

// Title is the rule's title in the language given.
func (r *Rule) Title(lang string) string {
	if strings.HasPrefix(lang, "en") {
		return r.TitleEN
	}
	return r.TitleZH
}

// The variables a rule can use. Every instrument id has an entry in scores,
// bands and change (0 or "" when the student did not take it), so that a
// rule never fails on a missing key.
var env = mustEnv()

func mustEnv() *cel.Env {
	e, err := cel.NewEnv(
		cel.Variable("source", cel.StringType),                             // screening, draft, concern
		cel.Variable("tier", cel.StringType),                               // green, yellow, orange, red ("" for a concern)
		cel.Variable("scores", cel.MapType(cel.StringType, cel.IntType)),   // total by instrument id
		cel.Variable("bands", cel.MapType(cel.StringType, cel.StringType)), // band key by instrument id
		cel.Variable("change", cel.MapType(cel.StringType, cel.IntType)),   // total minus the previous screening's
		cel.Variable("critical", cel.ListType(cel.StringType)),             // "phq-a.9", "c-ssrs-screen.4"
		cel.Variable("flags", cel.ListType(cel.StringType)),                // validity flags
		cel.Variable("factors", cel.ListType(cel.StringType)),              // active risk factor kinds
		cel.Variable("signs", cel.ListType(cel.StringType)),                // signs of a concern report
		cel.Variable("age", cel.IntType),
	)
	if err != nil {
		panic(err)
	}
	return e
}

// Variables names what a rule may use, for the rules page.
var Variables = []string{"source", "tier", "scores", "bands", "change", "critical", "flags", "factors", "signs", "age"}

// Compile checks an expression and returns its program. A rule must be a
// yes/no condition. Errors are EInvalid with plain-word field messages.
func Compile(expr string) (cel.Program, error) {
	expr = strings.TrimSpace(expr)
	if expr == "" {
		return nil, apperr.Invalid("rule.err.empty", map[string]string{"expression": "rule.err.empty"})
	}
	if len(expr) > 2000 {
		return nil, apperr.Invalid("rule.err.too_long", map[string]string{"expression": "rule.err.too_long"})
	}
	ast, iss := env.Compile(expr)
	if iss != nil && iss.Err() != nil {
		return nil, plain(iss.Err().Error())
	}
	if ast.OutputType() != cel.BoolType {
		return nil, apperr.Invalid("rule.err.not_bool", map[string]string{"expression": "rule.err.not_bool"})
	}
	prg, err := env.Program(ast, cel.EvalOptions(cel.OptOptimize), cel.CostLimit(10000))
	if err != nil {
		return nil, plain(err.Error())
	}
	return prg, nil
}

// RuleError is a compile error in plain words: a catalog key, its
// arguments, and where in the expression it is.
type RuleError struct {
	Key    string
	Args   []any
	Column int
}

var (
	reWhere     = regexp.MustCompile(`<input>:(\d+):(\d+): (.*)`)
	reUndeclare = regexp.MustCompile(`undeclared reference to '([^']+)'`)
	reOverload  = regexp.MustCompile(`found no matching overload for '([^']+)' applied to '\(([^)]*)\)'`)
)

// Explain turns a CEL error message into plain words.
func Explain(msg string) RuleError {
	re := RuleError{Key: "rule.err.syntax"}
	if m := reWhere.FindStringSubmatch(msg); m != nil {
		re.Column, _ = strconv.Atoi(m[2])
		msg = m[3]
	}
	switch {
	case reUndeclare.MatchString(msg):
		re.Key = "rule.err.unknown_name"
		re.Args = []any{reUndeclare.FindStringSubmatch(msg)[1], strings.Join(Variables, ", ")}
	case reOverload.MatchString(msg):
		m := reOverload.FindStringSubmatch(msg)
		re.Key = "rule.err.types"
		re.Args = []any{strings.Trim(m[1], "_"), m[2]}
	case strings.Contains(msg, "Syntax error"), strings.Contains(msg, "mismatched input"), strings.Contains(msg, "extraneous input"):
		re.Key = "rule.err.syntax"
	default:
		re.Key = "rule.err.other"
	}
	return re
}

func (e *RuleError) Error() string { return e.Key }

// plain returns EInvalid carrying the RuleError, so that a page can show
// the words with their arguments (errors.As).
func plain(msg string) error {
	re := Explain(msg)
	return &apperr.Error{Code: apperr.EInvalid, Message: re.Key, Fields: map[string]string{"expression": re.Key}, Err: &re}
}

// evalBool runs a program over a signal's variables.
func evalBool(prg cel.Program, vars map[string]any) (bool, error) {
	out, _, err := prg.Eval(vars)
	if err != nil {
		return false, err
	}
	b, ok := out.Value().(bool)
	if !ok {
		return false, fmt.Errorf("rule result is %T", out.Value())
	}
	return b, nil
}
