package i18n_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// sink says where a string literal goes.
type sink int

const (
	sinkMessage    sink = iota // anything that is not provably one of the below
	sinkAction                 // an audit action name
	sinkChange                 // an org history change name (the "change" parameter)
	sinkPermission             // a const of type Permission
)

type literal struct {
	value string
	pos   string // file:line
	sink  sink
}

// scanLiterals parses every non-test .go file under root and returns the
// string literals matching re, each classified by the syntax around it.
func scanLiterals(t *testing.T, root string, re *regexp.Regexp) []literal {
	t.Helper()
	byDir := map[string][]*ast.File{}
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return err
		}
		f, err := parser.ParseFile(fset, p, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		byDir[filepath.Dir(p)] = append(byDir[filepath.Dir(p)], f)
		return nil
	})
	if err != nil {
		t.Fatalf("scan %s: %v", root, err)
	}
	var out []literal
	for _, files := range byDir {
		params := namedParams(files)
		for _, f := range files {
			var stack []ast.Node
			ast.Inspect(f, func(n ast.Node) bool {
				if n == nil {
					stack = stack[:len(stack)-1]
					return true
				}
				stack = append(stack, n)
				lit, ok := n.(*ast.BasicLit)
				if !ok || lit.Kind != token.STRING {
					return true
				}
				v, err := strconv.Unquote(lit.Value)
				if err != nil || !re.MatchString(v) {
					return true
				}
				p := fset.Position(lit.Pos())
				out = append(out, literal{value: v, pos: filepath.Base(p.Filename) + ":" + strconv.Itoa(p.Line),
					sink: classify(stack, params)})
				return true
			})
		}
	}
	return out
}

// namedParams maps a function or method name of a package to the indexes
// of its parameters named "action" or "change".
func namedParams(files []*ast.File) map[string]map[int]sink {
	out := map[string]map[int]sink{}
	for _, f := range files {
		for _, d := range f.Decls {
			fn, ok := d.(*ast.FuncDecl)
			if !ok {
				continue
			}
			i := 0
			for _, field := range fn.Type.Params.List {
				names := field.Names
				if len(names) == 0 {
					i++
					continue
				}
				for _, n := range names {
					if s, ok := sinkOfName(n.Name); ok {
						if out[fn.Name.Name] == nil {
							out[fn.Name.Name] = map[int]sink{}
						}
						out[fn.Name.Name][i] = s
					}
					i++
				}
			}
		}
	}
	return out
}

func sinkOfName(name string) (sink, bool) {
	switch name {
	case "action":
		return sinkAction, true
	case "change":
		return sinkChange, true
	}
	return 0, false
}

// classify walks from the literal (last on stack) outwards and returns the
// first sink the syntax proves.
func classify(stack []ast.Node, params map[string]map[int]sink) sink {
	for i := len(stack) - 2; i >= 0; i-- {
		child := stack[i+1]
		switch n := stack[i].(type) {
		case *ast.KeyValueExpr:
			if k, ok := n.Key.(*ast.Ident); ok && k.Name == "Action" && child == n.Value {
				return sinkAction
			}
		case *ast.CallExpr:
			name := ""
			switch fn := n.Fun.(type) {
			case *ast.Ident:
				name = fn.Name
			case *ast.SelectorExpr:
				name = fn.Sel.Name
			}
			for j, a := range n.Args {
				if a == child {
					if s, ok := params[name][j]; ok {
						return s
					}
				}
			}
			return sinkMessage
		case *ast.AssignStmt:
			for _, l := range n.Lhs {
				if id, ok := l.(*ast.Ident); ok {
					if s, ok := sinkOfName(id.Name); ok {
						return s
					}
				}
			}
			return sinkMessage
		case *ast.ValueSpec:
			if id, ok := n.Type.(*ast.Ident); ok && id.Name == "Permission" {
				return sinkPermission
			}
			return sinkMessage
		case ast.Stmt, *ast.FuncDecl:
			return sinkMessage
		}
	}
	return sinkMessage
}
