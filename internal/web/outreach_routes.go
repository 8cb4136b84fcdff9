package web

import "github.com/careloop/careloop/internal/access"

// outreachRoutes registers the pages of internal/outreach: activities
// with their calendar and attachments, venues, and the yearly rating of
// venues with its ranking. The service decides which rows each caller
// reaches.
func (s *Server) outreachRoutes(g guards) {
	g.perm("GET /outreach", access.OutreachManage, s.outreachList)
	g.perm("GET /outreach/calendar", access.OutreachManage, s.outreachCalendar)
	g.perm("GET /outreach/new", access.OutreachManage, s.outreachNew)
	g.perm("POST /outreach", access.OutreachManage, s.outreachCreate)
	g.perm("GET /outreach/{id}", access.OutreachManage, s.outreachActivity)
	g.perm("GET /outreach/{id}/edit", access.OutreachManage, s.outreachEdit)
	g.perm("POST /outreach/{id}", access.OutreachManage, s.outreachUpdate)
	g.perm("POST /outreach/{id}/attachments", access.OutreachManage, s.outreachUpload)
	g.perm("GET /outreach/{id}/attachments/{att}", access.OutreachManage, s.outreachAttachment)

	g.perm("GET /venues", access.OutreachManage, s.venueList)
	g.perm("POST /venues", access.OutreachManage, s.venueCreate)
	g.perm("GET /venues/{id}", access.OutreachManage, s.venueEdit)
	g.perm("POST /venues/{id}", access.OutreachManage, s.venueUpdate)
	// Published rankings are read with outreach.manage over the rating's
	// unit, drafts and every write need venue.rate: the service decides.
	g.perm("GET /venues/ratings", access.OutreachManage, s.venueRatings)
	g.perm("POST /venues/ratings", access.VenueRate, s.venueDefineRating)
	g.perm("GET /venues/ratings/{id}", access.OutreachManage, s.venueRanking)
	g.perm("POST /venues/ratings/{id}/scores", access.VenueRate, s.venueScore)
	g.perm("POST /venues/ratings/{id}/publish", access.VenueRate, s.venueRatingPublish)
}
