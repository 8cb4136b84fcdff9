package web

// referralRoutes registers the pages of referral.
func (s *Server) referralRoutes(g guards) {}
