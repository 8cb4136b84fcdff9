package web

import (
	"net/http"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/httpx"
)

// routeInfo records a registered page route and the permission it needs,
// so that tests can check that no route is left unguarded.
type routeInfo struct {
	Pattern    string
	Permission access.Permission // "" means public or any signed-in user
	Public     bool
}

// Routes lists every registered route (filled by routes; read by tests).
var Routes []routeInfo

// routes registers every page of the interface, each with its guard:
// public (no session), signedIn (any fully signed-in user) or a permission.
func (s *Server) routes(mux *http.ServeMux) {
	Routes = nil
	handle := func(pattern string, h http.Handler) {
		mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			httpx.NoteRoute(r)
			h.ServeHTTP(w, r)
		}))
	}
	public := func(pattern string, h http.HandlerFunc) {
		Routes = append(Routes, routeInfo{Pattern: pattern, Public: true})
		handle(pattern, h)
	}
	signedIn := func(pattern string, h http.HandlerFunc) {
		Routes = append(Routes, routeInfo{Pattern: pattern})
		handle(pattern, s.require("", h))
	}
	perm := func(pattern string, p access.Permission, h http.HandlerFunc) {
		Routes = append(Routes, routeInfo{Pattern: pattern, Permission: p})
		handle(pattern, s.require(p, h))
	}

	public("GET /static/", s.static)
	public("GET /login", s.loginForm)
	public("POST /login", s.login)
	public("GET /login/second-factor", s.secondFactorForm)
	public("POST /login/second-factor", s.secondFactor)
	public("GET /login/enrol", s.enrolForm)
	public("POST /login/enrol", s.enrol)
	public("POST /logout", s.logout)
	public("POST /language", s.setLanguage)
	public("GET /s", s.codeForm)
	public("POST /s", s.openCode)
	public("GET /c/{id}", s.numberForm)
	public("POST /c/{id}", s.openNumber)
	public("GET /s/q", s.question)
	public("POST /s/q", s.saveAnswers)
	public("GET /s/review", s.review)
	public("POST /s/submit", s.submitAnswers)
	public("POST /s/answers", s.submitJSON)
	public("GET /s/thanks", s.thanks)

	signedIn("GET /{$}", s.home)
	signedIn("GET /account", s.account)
	signedIn("GET /notifications", s.notifications)
	signedIn("POST /notifications/read", s.readNotifications)
	signedIn("GET /account/password", s.passwordForm)
	signedIn("POST /account/password", s.changePassword)
	perm("GET /account/tokens", access.TokenOwn, s.tokens)
	perm("POST /account/tokens", access.TokenOwn, s.createToken)
	perm("POST /account/tokens/{id}/revoke", access.TokenOwn, s.revokeToken)

	perm("GET /my-class", access.RecordAttention, s.myClass)
	perm("POST /classes", access.RecordWrite, s.assignClass)
	perm("GET /students", access.RecordRead, s.students)
	perm("GET /students/{id}", access.RecordRead, s.studentRecord)
	perm("POST /students/{id}/risk-factors", access.RecordWrite, s.addRiskFactor)
	perm("POST /students/{id}/risk-factors/{fid}/end", access.RecordWrite, s.endRiskFactor)
	perm("POST /students/{id}/transfer", access.RecordWrite, s.transferStudent)
	perm("POST /students/{id}/status", access.RecordWrite, s.setStudentStatus)
	perm("POST /students/{id}/rescreen", access.RecordWrite, s.offerRescreen)
	perm("POST /roster/promote", access.RecordWrite, s.promoteSchool)
	perm("GET /roster", access.RecordWrite, s.importForm)
	perm("POST /roster", access.RecordWrite, s.importUpload)
	perm("GET /roster/template", access.RecordWrite, s.importTemplate)
	perm("POST /roster/{token}", access.RecordWrite, s.importRun)
	perm("GET /roster/{token}", access.RecordWrite, s.importStatus)

	perm("GET /campaigns", access.ReportRead, s.campaigns)
	perm("POST /campaigns", access.RecordWrite, s.createCampaign)
	perm("GET /campaigns/{id}", access.RecordRead, s.campaign)
	perm("GET /campaigns/{id}/summary", access.ReportRead, s.campaignSummary)
	perm("POST /campaigns/{id}/consents", access.RecordWrite, s.recordConsent)
	perm("GET /campaigns/{id}/slips", access.RecordWrite, s.slips)
	perm("GET /campaigns/{id}/export", access.RecordRead, s.exportCampaign)

	perm("GET /alerts", access.AlertHandle, s.alerts)
	perm("GET /alerts/{id}", access.AlertHandle, s.alert)
	perm("POST /alerts/{id}/acknowledge", access.AlertHandle, s.acknowledgeAlert)
	perm("POST /alerts/{id}/contact", access.AlertHandle, s.contactAlert)
	perm("POST /alerts/{id}/close", access.AlertHandle, s.closeAlert)
	perm("POST /alerts/{id}/case", access.CaseManage, s.openCase)
	perm("GET /work", access.AlertHandle, s.work)
	perm("GET /cases/{id}", access.CaseManage, s.caseDetail)
	perm("POST /cases/{id}/plan", access.CaseManage, s.savePlan)
	perm("POST /cases/{id}/follow-ups", access.CaseManage, s.planFollowUp)
	perm("POST /cases/{id}/follow-ups/{fid}", access.CaseManage, s.recordFollowUp)
	perm("POST /cases/{id}/close-request", access.CaseManage, s.requestCloseCase)
	perm("POST /cases/{id}/sign-off", access.CaseSignoff, s.signOffCase)
	perm("POST /cases/{id}/reopen", access.CaseManage, s.reopenCase)
	perm("GET /follow-ups/{id}", access.AlertHandle, s.followUp)
	perm("POST /tasks/{id}/done", access.AlertHandle, s.completeTask)
	perm("GET /counselling", access.CaseManage, s.counselling)
	perm("POST /appointments", access.CaseManage, s.requestAppointment)
	perm("POST /appointments/{id}", access.CaseManage, s.setAppointment)
	perm("POST /sessions", access.CaseManage, s.recordSession)
	perm("GET /reviews", access.ReviewManage, s.reviews)
	perm("POST /reviews", access.ReviewManage, s.holdReview)
	perm("GET /reviews/{id}", access.ReviewManage, s.riskReview)
	perm("GET /loop", access.ReportRead, s.loopMetrics)
	perm("GET /rules", access.RuleManage, s.rules)
	perm("POST /rules", access.RuleManage, s.saveRule)
	perm("POST /rules/preview", access.RuleManage, s.previewRule)
	perm("GET /rules/{id}", access.RuleManage, s.ruleHistory)
	perm("POST /rules/deadlines", access.RuleManage, s.setDeadlines)
	perm("GET /duty", access.DutyManage, s.duty)
	perm("POST /duty", access.DutyManage, s.addShift)
	perm("POST /duty/{id}/end", access.DutyManage, s.endShift)
	perm("GET /concerns/new", access.ConcernReport, s.concernForm)
	perm("POST /concerns", access.ConcernReport, s.reportConcern)
	perm("GET /contacts", access.HotlineContact, s.contacts)
	perm("POST /contacts", access.HotlineContact, s.startContact)
	perm("GET /contacts/{id}", access.HotlineContact, s.contact)
	perm("POST /contacts/{id}", access.HotlineContact, s.saveContact)
	perm("POST /contacts/{id}/draft", access.HotlineContact, s.autosaveContact)
	perm("POST /contacts/{id}/finalise", access.HotlineContact, s.finaliseContact)
	perm("POST /contacts/{id}/transfer", access.HotlineContact, s.transferContact)
	perm("POST /contacts/{id}/link", access.HotlineContact, s.linkContact)
	perm("POST /contacts/{id}/alert", access.HotlineContact, s.raiseContactAlert)
	perm("POST /contacts/{id}/crisis", access.HotlineContact, s.escalateContact)

	perm("GET /instruments", access.RecordRead, s.instruments)
	perm("GET /instruments/{id}/fhir", access.RecordRead, s.instrumentFHIR)
	perm("POST /instruments", access.InstrumentManage, s.importInstrument)

	perm("GET /orgs", access.OrgRead, s.orgs)
	perm("GET /orgs/{id}", access.OrgRead, s.orgUnit)
	perm("POST /orgs/{id}/children", access.OrgManage, s.createUnit)
	perm("POST /orgs/{id}/rename", access.OrgManage, s.renameUnit)
	perm("POST /orgs/{id}/move", access.OrgManage, s.moveUnit)
	perm("POST /orgs/{id}/active", access.OrgManage, s.setUnitActive)

	perm("GET /users", access.UserRead, s.users)
	perm("POST /users", access.UserManage, s.createUser)
	perm("GET /users/{id}", access.UserRead, s.user)
	perm("POST /users/{id}/roles", access.RoleAssign, s.grantRole)
	perm("POST /users/{id}/roles/{mid}/revoke", access.RoleAssign, s.revokeRole)
	perm("POST /users/{id}/active", access.UserManage, s.setUserActive)
	perm("POST /users/{id}/password", access.UserManage, s.resetPassword)
	perm("POST /users/{id}/second-factor", access.RoleAssign, s.resetSecondFactor)

	perm("GET /roles", access.RoleRead, s.roles)
	perm("GET /audit", access.AuditRead, s.auditTrail)
	perm("POST /audit/verify", access.AuditRead, s.auditVerify)

	perm("GET /stats", access.ReportRead, s.statsDashboard)
	perm("GET /stats/indicators", access.ReportRead, s.statsIndicators)
	signedIn("POST /exports", s.requestExport)
	signedIn("GET /exports", s.exportsList)
	signedIn("GET /exports/{id}", s.exportPage)
	signedIn("GET /exports/{id}/download", s.exportDownload)
	perm("GET /briefings", access.ReportRead, s.briefings)
	perm("POST /briefings", access.ReportRead, s.draftBriefing)
	perm("GET /briefings/{id}", access.ReportRead, s.briefing)
	perm("POST /briefings/{id}", access.ReportRead, s.saveBriefing)
	perm("POST /briefings/{id}/retake", access.ReportRead, s.retakeBriefing)
	perm("GET /briefings/{id}/print", access.ReportRead, s.printBriefing)
	perm("GET /briefings/{id}/docx", access.ReportRead, s.briefingDocx)

	g := guards{public: public, signedIn: signedIn, perm: perm}
	s.chatRoutes(g)
	s.wechatRoutes(g)
	s.phoneRoutes(g)
	s.letterRoutes(g)
	s.stationRoutes(g)
	s.crisisRoutes(g)
	s.referralRoutes(g)
	s.sharingRoutes(g)
	s.workforceRoutes(g)
	s.trainingRoutes(g)
	s.outreachRoutes(g)
	s.familyRoutes(g)
	s.researchRoutes(g)

	public("/", s.notFound)
}
