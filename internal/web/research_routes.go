package web

// researchRoutes registers the pages of internal/research.
func (s *Server) researchRoutes(g guards) {
}
