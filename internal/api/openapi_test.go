package api_test

import (
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"
)

type operation struct {
	OperationID string         `json:"operationId"`
	Summary     string         `json:"summary"`
	Description string         `json:"description"`
	Security    []any          `json:"security"`
	Parameters  []parameter    `json:"parameters"`
	RequestBody map[string]any `json:"requestBody"`
	Responses   map[string]any `json:"responses"`
}

type parameter struct {
	Name     string `json:"name"`
	In       string `json:"in"`
	Required bool   `json:"required"`
}

type document struct {
	OpenAPI    string                          `json:"openapi"`
	Paths      map[string]map[string]operation `json:"paths"`
	Components struct {
		Schemas map[string]any `json:"schemas"`
	} `json:"components"`
}

var (
	pathParam = regexp.MustCompile(`\{([a-z_]+)\}`)
	refs      = regexp.MustCompile(`"\$ref":"#/components/schemas/([A-Za-z]+)"`)
	permDoc   = regexp.MustCompile("permission `([a-z.]+)`")
)

func fetchDocument(t *testing.T, base string) (document, string) {
	t.Helper()
	r := call(t, base, "GET", "/api/v1/openapi.json", "", "")
	if r.status != http.StatusOK || !strings.HasPrefix(r.header.Get("Content-Type"), "application/json") {
		t.Fatalf("openapi.json without a token: %d %s", r.status, r.header.Get("Content-Type"))
	}
	var d document
	r.decode(t, &d)
	if !strings.HasPrefix(d.OpenAPI, "3.") || len(d.Paths) == 0 {
		t.Fatalf("not an OpenAPI 3 document with paths: %.200s", r.body)
	}
	return d, r.body
}

// public reports whether an operation opts out of the global bearer security.
func (o operation) public() bool { return o.Security != nil && len(o.Security) == 0 }

func TestOpenAPIDocumentIsComplete(t *testing.T) {
	inst := start(t)
	d, raw := fetchDocument(t, inst.URL)
	for _, m := range refs.FindAllStringSubmatch(raw, -1) {
		if _, ok := d.Components.Schemas[m[1]]; !ok {
			t.Errorf("$ref to undefined schema %s", m[1])
		}
	}
	ids := map[string]string{}
	for path, item := range d.Paths {
		for method, op := range item {
			name := strings.ToUpper(method) + " " + path
			if op.OperationID == "" || op.Summary == "" {
				t.Errorf("%s: operationId %q, summary %q", name, op.OperationID, op.Summary)
			}
			if prev, dup := ids[op.OperationID]; dup {
				t.Errorf("operationId %q used by %s and %s", op.OperationID, prev, name)
			}
			ids[op.OperationID] = name
			ok2xx := false
			for code := range op.Responses {
				ok2xx = ok2xx || strings.HasPrefix(code, "2")
			}
			if !ok2xx {
				t.Errorf("%s: no 2xx response in %v", name, op.Responses)
			}
			if !op.public() {
				for _, code := range []string{"401", "403"} {
					if _, ok := op.Responses[code]; !ok {
						t.Errorf("%s: needs a token but does not document %s", name, code)
					}
				}
			}
			for _, m := range pathParam.FindAllStringSubmatch(path, -1) {
				found := false
				for _, p := range op.Parameters {
					found = found || p.Name == m[1] && p.In == "path" && p.Required
				}
				if !found {
					t.Errorf("%s: path parameter %s is not declared as a required path parameter", name, m[1])
				}
			}
			if (method == "post" || method == "patch" || method == "put") && op.RequestBody == nil {
				t.Errorf("%s: no requestBody", name)
			}
		}
	}
}

// TestOpenAPIMatchesServedRoutes compares the documented operations with
// the operations the running server actually serves, found by probing and
// not by reading the route table. The API mux ends in a catch-all that
// answers every unknown method and path with one fixed 404 body; a probe
// is "served" when its answer differs from that body. Probes carry a token
// with every permission the operations need except role.read (a 403 still
// proves the route exists), use the id of an existing unit in scope (so a
// real route never answers 404), and send a malformed JSON body (so a real
// write route answers 422 and changes nothing). The candidates are every
// documented path and some plausible undocumented ones, each with every
// method but HEAD, which net/http serves for every GET by itself.
func TestOpenAPIMatchesServedRoutes(t *testing.T) {
	inst := start(t)
	admin := newBrowser(t, inst.URL).signIn("admin")
	full := admin.token("probe", "org.read", "org.manage", "user.read", "user.manage")
	readOnly := admin.token("read-only", "org.read")
	d, _ := fetchDocument(t, inst.URL)
	root := units(t, inst.URL, full, "")[0].ID
	fill := func(p string) string { return pathParam.ReplaceAllString(p, strconv.FormatInt(root, 10)) }

	catchAll := call(t, inst.URL, "GET", "/api/v1/no-such-route-at-all", full, "")
	var ce apiError
	catchAll.decode(t, &ce)
	if catchAll.status != http.StatusNotFound || ce.Error.Code != "not_found" || ce.Error.Key != "error.not_found" {
		t.Fatalf("catch-all answer: %d %s", catchAll.status, catchAll.body)
	}
	isCatchAll := func(r result) bool { return r.status == catchAll.status && r.body == catchAll.body }

	documented := map[string]bool{}
	candidates := map[string]bool{"/api/v1": true, "/api/v1/": true, "/api/v1/orgs/": true, "/api/v1/users": true,
		"/api/v1/users/{id}": true, "/api/v1/tokens": true, "/api/v1/audit": true, "/api/v1/orgs/{id}/children": true,
		"/api/v1/orgs/{id}/history": true, "/api/v1/roles/{id}": true, "/api/v1/me/tokens": true, "/api/v2/orgs": true,
		"/api/v1/openapi.yaml": true, "/api/openapi.json": true}
	for path, item := range d.Paths {
		candidates[path] = true
		for method := range item {
			documented[strings.ToUpper(method)+" "+path] = true
		}
	}
	served := map[string]bool{}
	for path := range candidates {
		for _, method := range []string{"GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"} {
			body := ""
			if method != "GET" && method != "OPTIONS" {
				body = "{"
			}
			if !isCatchAll(call(t, inst.URL, method, fill(path), full, body)) {
				served[method+" "+path] = true
			}
		}
	}
	if got, want := keys(served), keys(documented); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("served operations differ from the document:\nserved:     %v\ndocumented: %v", got, want)
	}

	// Each documented operation behaves as documented without a token and
	// with a token that lacks the documented permission.
	for path, item := range d.Paths {
		for method, op := range item {
			m, p := strings.ToUpper(method), fill(path)
			r := call(t, inst.URL, m, p, "", "")
			if op.public() && r.status != http.StatusOK {
				t.Errorf("public %s %s without a token: %d", m, path, r.status)
			}
			if !op.public() && r.status != http.StatusUnauthorized {
				t.Errorf("%s %s without a token: %d, want 401", m, path, r.status)
			}
			perm := permDoc.FindStringSubmatch(op.Description)
			if perm != nil && perm[1] != "org.read" {
				if r := call(t, inst.URL, m, p, readOnly, "{}"); r.status != http.StatusForbidden {
					t.Errorf("%s %s documents %s; an org.read-only token got %d, want 403", m, path, perm[1], r.status)
				}
			}
		}
	}
}

func keys(m map[string]bool) []string {
	out := make([]string, 0, len(m))
	for k := range m {
		out = append(out, k)
	}
	sort.Strings(out)
	return out
}
