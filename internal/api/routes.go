package api

import (
	"net/http"

	"github.com/careloop/careloop/internal/access"
)

// route is one API operation: what registers the handler and what the
// OpenAPI document describes, so the two cannot drift apart.
type route struct {
	Method, Path string
	Permission   access.Permission
	Public       bool
	Summary      string
	OperationID  string
	Request      string // schema name of the JSON body, "" for none
	Response     string // schema name of the 2xx body
	List         bool   // the response is an array of Response
	Query        []string
	Handler      func(http.ResponseWriter, *http.Request, access.Principal) error
}

// routes lists every route of the API, each with its permission.
func (s *Server) routes() []route {
	return []route{
		{Method: "GET", Path: "/api/v1/openapi.json", Public: true, Summary: "This OpenAPI document",
			OperationID: "getOpenAPI", Response: "", Handler: s.openapi},
		{Method: "GET", Path: "/api/v1/me", Summary: "The caller's account and roles",
			OperationID: "getMe", Response: "Me", Handler: s.me},
		{Method: "GET", Path: "/api/v1/orgs", Permission: access.OrgRead, Summary: "Org units in the caller's scope",
			OperationID: "listOrgUnits", Response: "OrgUnit", List: true, Query: []string{"q", "parent_id", "kind", "include_inactive"}, Handler: s.listUnits},
		{Method: "GET", Path: "/api/v1/orgs/{id}", Permission: access.OrgRead, Summary: "One org unit",
			OperationID: "getOrgUnit", Response: "OrgUnit", Handler: s.getUnit},
		{Method: "POST", Path: "/api/v1/orgs", Permission: access.OrgManage, Summary: "Create an org unit",
			OperationID: "createOrgUnit", Request: "NewOrgUnit", Response: "OrgUnit", Handler: s.createUnit},
		{Method: "PATCH", Path: "/api/v1/orgs/{id}", Permission: access.OrgManage, Summary: "Rename, move, deactivate or reactivate an org unit",
			OperationID: "updateOrgUnit", Request: "OrgUnitUpdate", Response: "OrgUnit", Handler: s.updateUnit},
		{Method: "GET", Path: "/api/v1/instruments", Permission: access.RecordRead, Summary: "The instrument library, shipped and imported",
			OperationID: "listInstruments", Response: "InstrumentSummary", List: true, Handler: s.listInstruments},
		{Method: "GET", Path: "/api/v1/instruments/{id}/fhir", Permission: access.RecordRead, Summary: "An instrument as a FHIR R4 Questionnaire",
			OperationID: "getInstrumentFHIR", Response: "", Handler: s.instrumentFHIR},
		{Method: "POST", Path: "/api/v1/instruments", Permission: access.InstrumentManage, Summary: "Import an instrument from a FHIR R4 Questionnaire",
			OperationID: "importInstrument", Request: "", Response: "InstrumentSummary", Handler: s.importInstrument},
		{Method: "GET", Path: "/api/v1/roles", Permission: access.RoleRead, Summary: "Every role and its permissions",
			OperationID: "listRoles", Response: "Role", List: true, Handler: s.listRoles},
	}
}
