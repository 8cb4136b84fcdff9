package web

import "github.com/careloop/careloop/internal/access"

// familyRoutes registers the pages of internal/family: the parent portal
// (public routes: a guardian has no staff account; each handler checks the
// guardian's own session, see family.go) and the staff's calendar of
// consultations and guidance content.
func (s *Server) familyRoutes(g guards) {
	g.public("GET /family", s.familySignInForm)
	g.public("POST /family/code", s.familyRequestCode)
	g.public("POST /family/signin", s.familySignIn)
	g.public("POST /family/logout", s.familySignOut)
	g.public("GET /family/home", s.familyHome)
	g.public("GET /family/children/{id}", s.familyChild)
	g.public("POST /family/children/{id}/consent", s.familyConsent)
	g.public("GET /family/children/{id}/concern", s.familyConcernForm)
	g.public("POST /family/children/{id}/concern", s.familyConcern)
	g.public("GET /family/children/{id}/book", s.familyBookForm)
	g.public("POST /family/children/{id}/book", s.familyBook)
	g.public("GET /family/bookings", s.familyBookings)
	g.public("POST /family/bookings/{id}/cancel", s.familyCancelBooking)
	g.public("GET /family/articles", s.familyArticles)
	g.public("GET /family/articles/{id}", s.familyArticle)

	g.perm("GET /calendar", access.FamilyConsult, s.calendar)
	g.perm("POST /calendar/slots", access.FamilyConsult, s.calendarAddSlot)
	g.perm("POST /calendar/slots/{id}/cancel", access.FamilyConsult, s.calendarCancelSlot)
	g.perm("POST /calendar/bookings/{id}/confirm", access.FamilyConsult, s.calendarConfirm)
	g.perm("POST /calendar/bookings/{id}/cancel", access.FamilyConsult, s.calendarCancelBooking)

	g.perm("GET /content", access.ContentPublish, s.contentList)
	g.perm("GET /content/new", access.ContentPublish, s.contentNew)
	g.perm("POST /content", access.ContentPublish, s.contentCreate)
	g.perm("GET /content/{id}", access.ContentPublish, s.contentEdit)
	g.perm("POST /content/{id}", access.ContentPublish, s.contentSave)
	g.perm("POST /content/{id}/state", access.ContentPublish, s.contentState)
}
