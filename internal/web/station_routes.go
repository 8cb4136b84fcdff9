package web

import "github.com/careloop/careloop/internal/access"

// stationRoutes registers the pages of the hotline's station part: the
// roster and call-backs, supervision, and statistics.
func (s *Server) stationRoutes(g guards) {
	g.perm("GET /station", access.HotlineContact, s.stationRoster)
	g.perm("POST /station/calls/{id}/called-back", access.HotlineContact, s.callBackCall)
	g.perm("POST /station/conversations/{id}/called-back", access.HotlineContact, s.callBackConversation)
	g.perm("GET /station/my-reviews", access.HotlineContact, s.myReviews)
	g.perm("GET /station/supervision", access.HotlineSupervise, s.supervision)
	g.perm("POST /station/supervision/sample", access.HotlineSupervise, s.drawSample)
	g.perm("GET /station/reviews/{id}", access.HotlineSupervise, s.reviewForm)
	g.perm("POST /station/reviews/{id}", access.HotlineSupervise, s.saveReview)
	g.perm("POST /station/debriefs/{id}", access.HotlineSupervise, s.saveDebrief)
	// Statistics: report.read on the route (every hotline supervisor holds
	// it too); the service admits hotline.supervise or report.read at the station.
	g.perm("GET /station/stats", access.ReportRead, s.stationStats)
	g.perm("GET /station/stats.xlsx", access.ReportRead, s.exportStationStats)
}
