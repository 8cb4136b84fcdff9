package web

import "github.com/careloop/careloop/internal/access"

// referralRoutes registers the pages of referral (医教结合): the sender's
// side under /referrals (referral.manage; the metrics need report.read),
// and the receiving hospital's or agency's side under /hospital
// (referral.hospital). The services decide which referrals each caller
// reaches.
func (s *Server) referralRoutes(g guards) {
	g.perm("GET /referrals", access.ReferralManage, s.referrals)
	g.perm("GET /referrals/new", access.ReferralManage, s.referralForm)
	g.perm("POST /referrals", access.ReferralManage, s.sendReferral)
	g.perm("GET /referrals/metrics", access.ReportRead, s.referralMetrics)
	g.perm("POST /referrals/deadlines", access.ReferralManage, s.setReferralDeadlines)
	g.perm("GET /referrals/{id}", access.ReferralManage, s.referral)
	g.perm("POST /referrals/{id}/close", access.ReferralManage, s.closeReferral)
	g.perm("POST /referrals/{id}/consent", access.ReferralManage, s.recordReferralConsent)
	g.perm("POST /referrals/{id}/withdraw-detail", access.ReferralManage, s.withdrawReferralDetail)
	g.perm("POST /referrals/{id}/documents", access.ReferralManage, s.addReferralDocuments)
	g.perm("GET /referrals/{id}/documents/{doc}", access.ReferralManage, s.referralDocument)
	g.perm("POST /referrals/{id}/feedback/{fid}/adopt", access.ReferralManage, s.adoptReturnPlan)

	g.perm("GET /hospital", access.ReferralHospital, s.hospital)
	g.perm("GET /hospital/{id}", access.ReferralHospital, s.hospitalReferral)
	g.perm("POST /hospital/{id}/accept", access.ReferralHospital, s.hospitalAccept)
	g.perm("POST /hospital/{id}/decline", access.ReferralHospital, s.hospitalDecline)
	g.perm("POST /hospital/{id}/appointment", access.ReferralHospital, s.hospitalAppointment)
	g.perm("POST /hospital/{id}/seen", access.ReferralHospital, s.hospitalSeen)
	g.perm("POST /hospital/{id}/feedback", access.ReferralHospital, s.hospitalFeedback)
	g.perm("GET /hospital/{id}/documents/{doc}", access.ReferralHospital, s.hospitalDocument)
}
