package web

// stationRoutes registers the pages of the hotline's station part.
func (s *Server) stationRoutes(g guards) {}
