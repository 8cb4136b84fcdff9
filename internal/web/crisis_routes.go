package web

import "github.com/careloop/careloop/internal/access"

// crisisRoutes registers the pages of crisis intervention: the handlers'
// list and one-form opening, an incident's page with its steps, the
// co-signers' list, and the police liaison's minimal pages.
func (s *Server) crisisRoutes(g guards) {
	g.perm("GET /crisis", access.CrisisHandle, s.crisisList)
	g.perm("POST /crisis", access.CrisisHandle, s.openIncident)
	g.perm("GET /crisis/cosign", access.CrisisCosign, s.crisisCosignList)
	g.perm("GET /crisis/{id}", access.CrisisHandle, s.incident)
	g.perm("GET /crisis/{id}/cosign", access.CrisisCosign, s.incident)
	g.perm("POST /crisis/{id}/steps", access.CrisisHandle, s.incidentStep)
	g.perm("POST /crisis/{id}/details", access.CrisisHandle, s.incidentDetails)
	g.perm("POST /crisis/{id}/identify", access.CrisisHandle, s.identifyIncident)
	g.perm("POST /crisis/{id}/guardian", access.CrisisHandle, s.incidentGuardian)
	g.perm("POST /crisis/{id}/steps/{sid}/cosign", access.CrisisCosign, s.incidentCosign)
	g.perm("POST /crisis/{id}/steps/{sid}/withdraw", access.CrisisHandle, s.incidentWithdraw)
	g.perm("POST /crisis/{id}/steps/{sid}/correct", access.CrisisHandle, s.incidentCorrect)
	g.perm("GET /police", access.CrisisPolice, s.policeList)
	g.perm("GET /police/{id}", access.CrisisPolice, s.policeIncident)
	g.perm("POST /police/{id}/steps", access.CrisisPolice, s.policeStep)
}
