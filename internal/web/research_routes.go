package web

import "github.com/careloop/careloop/internal/access"

// researchRoutes registers the pages of internal/research: the definer's
// extracts and form, and the researcher's downloads (the researcher's role
// holds research.extract only, so these are the only pages it opens).
func (s *Server) researchRoutes(g guards) {
	g.perm("GET /research", access.ResearchDefine, s.researchPage)
	g.perm("POST /research", access.ResearchDefine, s.defineResearch)
	g.perm("GET /research/extracts", access.ResearchExtract, s.researchExtracts)
	g.perm("GET /research/extracts/{id}/{format}", access.ResearchExtract, s.researchDownload)
}
