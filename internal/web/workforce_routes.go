package web

// workforceRoutes registers the pages of internal/workforce.
func (s *Server) workforceRoutes(g guards) {
}
