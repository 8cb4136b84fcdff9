package web

// sharingRoutes registers the pages of sharing.
func (s *Server) sharingRoutes(g guards) {}
