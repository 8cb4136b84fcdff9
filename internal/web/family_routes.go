package web

// familyRoutes registers the pages of internal/family.
func (s *Server) familyRoutes(g guards) {
}
