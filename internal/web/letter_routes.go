package web

// letterRoutes registers the pages of the hotline's letter part.
func (s *Server) letterRoutes(g guards) {}
