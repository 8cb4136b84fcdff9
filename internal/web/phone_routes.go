package web

// phoneRoutes registers the pages of the hotline's phone part.
func (s *Server) phoneRoutes(g guards) {}
