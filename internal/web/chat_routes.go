package web

// chatRoutes registers the pages of the hotline's chat part.
func (s *Server) chatRoutes(g guards) {}
