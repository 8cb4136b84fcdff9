package web

// crisisRoutes registers the pages of crisis.
func (s *Server) crisisRoutes(g guards) {}
