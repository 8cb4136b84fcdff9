package web

import "github.com/careloop/careloop/internal/access"

// sharingRoutes registers the pages of lawful sharing: agreements and the
// disclosure log, a student's consents and disclosures, emergency access
// (break the glass) and joint meetings of agencies.
func (s *Server) sharingRoutes(g guards) {
	g.perm("GET /sharing", access.SharingManage, s.sharingAgreements)
	g.perm("POST /sharing/agreements", access.SharingManage, s.createAgreement)
	g.perm("POST /sharing/agreements/{id}/end", access.SharingManage, s.endAgreement)
	g.perm("GET /sharing/disclosures", access.SharingManage, s.unitDisclosures)

	g.perm("GET /students/{id}/consents", access.RecordWrite, s.sharingConsents)
	g.perm("POST /students/{id}/consents", access.RecordWrite, s.sharingRecordConsent)
	g.perm("POST /students/{id}/consents/{cid}/withdraw", access.RecordWrite, s.sharingWithdrawConsent)
	g.perm("GET /students/{id}/disclosures", access.RecordRead, s.studentDisclosures)

	g.perm("GET /emergency", access.EmergencyAccess, s.emergency)
	g.perm("POST /emergency", access.EmergencyAccess, s.startEmergency)
	g.perm("GET /emergency/{grant}", access.EmergencyAccess, s.emergencyRecord)
	g.perm("POST /emergency/{grant}/end", access.EmergencyAccess, s.endEmergency)
	// Those alerted of a grant (hotline supervisors, coordinators, school
	// leaders: all hold alert.handle) review it; the service admits only
	// the grant's recorded watchers.
	g.perm("GET /emergency/{grant}/review", access.AlertHandle, s.reviewEmergency)

	g.perm("GET /meetings", access.MeetingManage, s.meetings)
	g.perm("POST /meetings", access.MeetingManage, s.createMeeting)
	g.perm("GET /meetings/{id}", access.MeetingManage, s.meeting)
	g.perm("POST /meetings/{id}/attendance", access.MeetingManage, s.meetingAttendance)
	g.perm("POST /meetings/{id}/decisions", access.MeetingManage, s.meetingDecisions)
	g.perm("POST /meetings/{id}/items", access.MeetingManage, s.meetingItem)
	g.perm("POST /meetings/{id}/actions", access.MeetingManage, s.meetingAction)
	// An action item's owner may be staff of any member agency: their own
	// items only (the service checks ownership or meeting.manage).
	g.perm("GET /meetings/actions", access.OrgRead, s.myMeetingActions)
	g.perm("POST /meetings/actions/{id}/done", access.OrgRead, s.completeMeetingAction)
}
