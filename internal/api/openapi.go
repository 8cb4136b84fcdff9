package api

import (
	"net/http"
	"reflect"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
)

// schemaTypes names the Go types the document describes.
var schemaTypes = map[string]reflect.Type{
	"OrgUnit":           reflect.TypeFor[OrgUnit](),
	"NewOrgUnit":        reflect.TypeFor[NewOrgUnit](),
	"OrgUnitUpdate":     reflect.TypeFor[OrgUnitUpdate](),
	"Me":                reflect.TypeFor[Me](),
	"Role":              reflect.TypeFor[Role](),
	"InstrumentSummary": reflect.TypeFor[InstrumentSummary](),
	"Error":             reflect.TypeFor[errorBody](),
}

// Document builds the OpenAPI 3.0 document from the route table.
func (s *Server) Document() map[string]any {
	paths := map[string]any{}
	for _, rt := range s.routes() {
		op := map[string]any{"summary": rt.Summary, "operationId": rt.OperationID}
		if rt.Permission != "" {
			op["description"] = "Requires the permission `" + string(rt.Permission) + "`; results are limited to the caller's org subtree."
		}
		if rt.Public {
			op["security"] = []any{}
		}
		var params []any
		if strings.Contains(rt.Path, "{id}") {
			idType := "integer"
			if strings.HasPrefix(rt.Path, "/api/v1/instruments/") {
				idType = "string"
			}
			params = append(params, map[string]any{"name": "id", "in": "path", "required": true, "schema": map[string]any{"type": idType}})
		}
		if rt.Request == "" && rt.Method == "POST" && rt.OperationID == "importInstrument" {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/fhir+json": map[string]any{"schema": map[string]any{"type": "object", "description": "A FHIR R4 Questionnaire resource"}}}}
		}
		for _, q := range rt.Query {
			params = append(params, map[string]any{"name": q, "in": "query", "required": false, "schema": map[string]any{"type": "string"}})
		}
		if len(params) > 0 {
			op["parameters"] = params
		}
		if rt.Request != "" {
			op["requestBody"] = map[string]any{"required": true, "content": map[string]any{
				"application/json": map[string]any{"schema": ref(rt.Request)}}}
		}
		okCode, okBody := "200", map[string]any{"description": "OK"}
		if rt.Method == "POST" {
			okCode = "201"
		}
		if rt.Response != "" {
			var sch any = ref(rt.Response)
			if rt.List {
				sch = map[string]any{"type": "array", "items": sch}
			}
			okBody["content"] = map[string]any{"application/json": map[string]any{"schema": sch}}
		}
		responses := map[string]any{okCode: okBody}
		for code, desc := range map[string]string{"401": "Missing, invalid, expired or revoked token", "403": "Permission not held",
			"404": "Not found in the caller's scope", "422": "Invalid input"} {
			if rt.Public {
				continue
			}
			responses[code] = map[string]any{"description": desc, "content": map[string]any{"application/json": map[string]any{"schema": ref("Error")}}}
		}
		op["responses"] = responses
		item, _ := paths[rt.Path].(map[string]any)
		if item == nil {
			item = map[string]any{}
			paths[rt.Path] = item
		}
		item[strings.ToLower(rt.Method)] = op
	}
	schemas := map[string]any{}
	for name, t := range schemaTypes {
		schemas[name] = schemaOf(t)
	}
	return map[string]any{
		"openapi": "3.0.3",
		"info": map[string]any{"title": "careloop API", "version": "1",
			"description": "careloop's JSON API. Authenticate with a personal API token: `Authorization: Bearer clt_...`."},
		"servers":    []any{map[string]any{"url": "/"}},
		"paths":      paths,
		"security":   []any{map[string]any{"bearer": []any{}}},
		"components": map[string]any{"schemas": schemas, "securitySchemes": map[string]any{"bearer": map[string]any{"type": "http", "scheme": "bearer"}}},
	}
}

func ref(name string) map[string]any { return map[string]any{"$ref": "#/components/schemas/" + name} }

// schemaOf describes a Go type as a JSON schema, following json tags.
func schemaOf(t reflect.Type) map[string]any {
	if t.Kind() == reflect.Pointer {
		s := schemaOf(t.Elem())
		s["nullable"] = true
		return s
	}
	switch {
	case t == reflect.TypeFor[time.Time]():
		return map[string]any{"type": "string", "format": "date-time"}
	case t == reflect.TypeFor[access.Permission]():
		return map[string]any{"type": "string"}
	}
	switch t.Kind() {
	case reflect.String:
		return map[string]any{"type": "string"}
	case reflect.Bool:
		return map[string]any{"type": "boolean"}
	case reflect.Int, reflect.Int64, reflect.Int32:
		return map[string]any{"type": "integer"}
	case reflect.Slice:
		return map[string]any{"type": "array", "items": schemaOf(t.Elem())}
	case reflect.Map:
		return map[string]any{"type": "object", "additionalProperties": schemaOf(t.Elem())}
	case reflect.Struct:
		props := map[string]any{}
		for i := range t.NumField() {
			f := t.Field(i)
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			props[name] = schemaOf(f.Type)
		}
		return map[string]any{"type": "object", "properties": props}
	}
	return map[string]any{}
}

func (s *Server) openapi(w http.ResponseWriter, r *http.Request, _ access.Principal) error {
	writeJSON(w, http.StatusOK, s.Document())
	return nil
}
