package web

// outreachRoutes registers the pages of internal/outreach.
func (s *Server) outreachRoutes(g guards) {
}
