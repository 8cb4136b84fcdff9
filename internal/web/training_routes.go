package web

// trainingRoutes registers the pages of internal/training.
func (s *Server) trainingRoutes(g guards) {
}
