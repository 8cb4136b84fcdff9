package web

// wechatRoutes registers the pages of the hotline's wechat part.
func (s *Server) wechatRoutes(g guards) {}
