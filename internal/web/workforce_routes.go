package web

import "github.com/careloop/careloop/internal/access"

// workforceRoutes registers the pages of internal/workforce: the
// counsellor registry, a person's record (to its managers and to the
// person), coverage of schools by psychology teachers, and the settings.
func (s *Server) workforceRoutes(g guards) {
	g.perm("GET /workforce", access.WorkforceManage, s.workforceList)
	g.perm("POST /workforce/people", access.WorkforceManage, s.workforceAdd)
	g.perm("GET /workforce/people/{id}", access.WorkforceManage, s.workforcePerson)
	// One's own record (the entry linked to one's account, whatever one's
	// role), or a page saying there is none.
	g.signedIn("GET /workforce/mine", s.workforceMine)
	g.perm("POST /workforce/people/{id}", access.WorkforceManage, s.workforceEdit)
	g.perm("POST /workforce/people/{id}/certs", access.WorkforceManage, s.workforceAddCert)
	g.perm("POST /workforce/people/{id}/certs/{cert}/end", access.WorkforceManage, s.workforceEndCert)
	g.perm("GET /workforce/coverage", access.ReportRead, s.workforceCoverage)
	g.perm("GET /workforce/coverage/gaps", access.ReportRead, s.workforceGaps)
	g.perm("GET /workforce/settings", access.WorkforceManage, s.workforceSettings)
	g.perm("POST /workforce/settings", access.WorkforceManage, s.workforceSaveSettings)
	g.perm("POST /workforce/levels", access.WorkforceManage, s.workforceAddLevel)
}
