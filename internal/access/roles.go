// Package access is the one place that decides who may do what. A role's
// powers are declared here as data (the Roles table), shown to security
// administrators on the roles page, and pinned by a golden test. A caller's
// scope is its memberships' org subtrees; Scope turns it into SQL so that no
// list, search, export or count can include a row outside it.
package access

import "sort"

// Permission names one action. Routes name the permission they need.
type Permission string

// The permissions. Later steps of the closed loop add theirs here.
const (
	OrgRead    Permission = "org.read"    // see units of the network in scope
	OrgManage  Permission = "org.manage"  // create, rename, move, deactivate units
	UserRead   Permission = "user.read"   // list staff accounts in scope
	UserManage Permission = "user.manage" // create and deactivate accounts, reset passwords
	RoleAssign Permission = "role.assign" // grant and revoke roles, reset second factors
	RoleRead   Permission = "role.read"   // see the powers of every role
	AuditRead  Permission = "audit.read"  // read and verify the audit trail

	RecordRead       Permission = "record.read"       // read a child's identified record
	RecordWrite      Permission = "record.write"      // write to a child's record
	RecordAttention  Permission = "record.attention"  // see only that a student needs attention
	HotlineContact   Permission = "hotline.contact"   // answer and record hotline contacts
	HotlineSupervise Permission = "hotline.supervise" // supervise counsellors, co-sign
	HotlineTelephony Permission = "hotline.telephony" // report calls and upload recordings (a PBX's service account)
	CrisisPolice     Permission = "crisis.police"     // see and update incidents handed to the police unit
	ReferralHospital Permission = "referral.hospital" // see and update referrals sent to the hospital
	ResearchExtract  Permission = "research.extract"  // download de-identified extracts
	ReportRead       Permission = "report.read"       // dashboards and briefings
	InstrumentManage Permission = "instrument.manage" // import instrument definitions

	AlertHandle   Permission = "alert.handle"   // see, acknowledge and decide alerts of students in scope
	RuleManage    Permission = "rule.manage"    // write warning rules for one's unit (never weaken a parent's)
	ConcernReport Permission = "concern.report" // report an observed concern about a student (重点摸排)
	CaseManage    Permission = "case.manage"    // cases, support plans, follow-ups, counselling notes
	CaseSignoff   Permission = "case.signoff"   // sign off the closing of a case
	ReviewManage  Permission = "review.manage"  // hold risk reviews (研判) and case reviews (复盘)
	DutyManage    Permission = "duty.manage"    // keep the duty roster of one's unit (who owns alerts out of hours)

	CrisisHandle    Permission = "crisis.handle"    // open crisis incidents and record their steps
	CrisisCosign    Permission = "crisis.cosign"    // co-sign sending a rescue and closing an incident
	ReferralManage  Permission = "referral.manage"  // refer a child to a hospital or agency and follow the referral
	SharingManage   Permission = "sharing.manage"   // keep sharing agreements; read the disclosure log of one's units
	EmergencyAccess Permission = "record.emergency" // break the glass: time-limited access to one child's record, audited
	MeetingManage   Permission = "meeting.manage"   // joint meetings of agencies (联席会议) and their action items

	WorkforceManage Permission = "workforce.manage" // keep the counsellor registry and certifications of one's units
	TrainingManage  Permission = "training.manage"  // courses, sessions, enrolment and attendance of one's units
	OutreachManage  Permission = "outreach.manage"  // record outreach activities and keep venues of one's units
	VenueRate       Permission = "venue.rate"       // rate venues yearly and publish the ranking
	ContentPublish  Permission = "content.publish"  // publish guidance articles and announcements to families
	FamilyConsult   Permission = "family.consult"   // see and keep guardians' consultation bookings with one's unit
	ResearchDefine  Permission = "research.define"  // define de-identified research extracts (a disclosure)

	TokenOwn Permission = "token.own" // manage one's own API tokens
)

// Role is a named set of permissions held in an org unit.
type Role struct {
	Name        string
	Permissions []Permission
	// Identified is true when the role can read a child's identified data;
	// such roles, and the administrative ones, must use a second factor.
	Identified bool
	// SecondFactor is true when sign-in requires TOTP.
	SecondFactor bool
}

// Role names.
const (
	Coordinator       = "coordinator"        // city or district centre staff
	SchoolCounsellor  = "school_counsellor"  // school psychology teacher
	HeadTeacher       = "head_teacher"       // 班主任
	SchoolLeader      = "school_leader"      // 分管校领导: the school's step of the escalation chain
	CommunityWorker   = "community_worker"   // 社区儿童主任: reports concerns
	HotlineCounsellor = "hotline_counsellor" // 热线咨询员
	HotlineSupervisor = "hotline_supervisor" // 督导
	TelephonyGateway  = "telephony_gateway"  // a PBX or cloud call centre's service account at a station
	HospitalLiaison   = "hospital_liaison"
	PoliceLiaison     = "police_liaison"
	Researcher        = "researcher"
	SysAdmin          = "sysadmin"       // runs the system; cannot read children's records
	SecurityAdmin     = "security_admin" // grants roles; cannot read children's records
	Auditor           = "auditor"        // the only reader of the audit trail
)

// Roles is the table of every role's powers.
var Roles = map[string]Role{
	Coordinator: {Name: Coordinator, Identified: true, SecondFactor: true, Permissions: []Permission{
		OrgRead, UserRead, RecordRead, RecordWrite, RecordAttention, ReportRead, InstrumentManage, TokenOwn,
		AlertHandle, RuleManage, ConcernReport, CaseManage, CaseSignoff, ReviewManage, DutyManage,
		CrisisHandle, CrisisCosign, ReferralManage, SharingManage, EmergencyAccess, MeetingManage,
		WorkforceManage, TrainingManage, OutreachManage, VenueRate, ContentPublish, FamilyConsult, ResearchDefine}},
	SchoolCounsellor: {Name: SchoolCounsellor, Identified: true, SecondFactor: true, Permissions: []Permission{
		OrgRead, RecordRead, RecordWrite, RecordAttention, ReportRead, TokenOwn,
		AlertHandle, ConcernReport, CaseManage, ReviewManage, CrisisHandle, ReferralManage,
		OutreachManage, FamilyConsult}},
	SchoolLeader: {Name: SchoolLeader, Identified: true, SecondFactor: true, Permissions: []Permission{
		OrgRead, RecordAttention, ReportRead, TokenOwn, AlertHandle, RuleManage, ConcernReport, CaseSignoff, ReviewManage,
		CrisisCosign}},
	HeadTeacher: {Name: HeadTeacher, SecondFactor: true, Permissions: []Permission{
		OrgRead, RecordAttention, TokenOwn, ConcernReport}},
	CommunityWorker: {Name: CommunityWorker, SecondFactor: true, Permissions: []Permission{
		OrgRead, TokenOwn, ConcernReport, OutreachManage}},
	HotlineCounsellor: {Name: HotlineCounsellor, Identified: true, SecondFactor: true, Permissions: []Permission{
		OrgRead, HotlineContact, TokenOwn, CrisisHandle, EmergencyAccess}},
	HotlineSupervisor: {Name: HotlineSupervisor, Identified: true, SecondFactor: true, Permissions: []Permission{
		OrgRead, UserRead, HotlineContact, HotlineSupervise, ReportRead, TokenOwn, AlertHandle, CaseSignoff, DutyManage,
		CrisisHandle, CrisisCosign, ReferralManage, EmergencyAccess, WorkforceManage, TrainingManage}},
	// The gateway reports calls and uploads recordings; it reads nothing
	// back. Its account signs in once (with a second factor) to make the
	// API token the PBX uses.
	TelephonyGateway: {Name: TelephonyGateway, SecondFactor: true, Permissions: []Permission{
		HotlineTelephony, TokenOwn}},
	HospitalLiaison: {Name: HospitalLiaison, Identified: true, SecondFactor: true, Permissions: []Permission{
		OrgRead, ReferralHospital, TokenOwn}},
	PoliceLiaison: {Name: PoliceLiaison, Identified: true, SecondFactor: true, Permissions: []Permission{
		OrgRead, CrisisPolice, TokenOwn}},
	Researcher: {Name: Researcher, Permissions: []Permission{
		ResearchExtract}},
	SysAdmin: {Name: SysAdmin, SecondFactor: true, Permissions: []Permission{
		OrgRead, OrgManage, UserRead, UserManage, TokenOwn}},
	SecurityAdmin: {Name: SecurityAdmin, SecondFactor: true, Permissions: []Permission{
		OrgRead, UserRead, RoleAssign, RoleRead, TokenOwn}},
	Auditor: {Name: Auditor, SecondFactor: true, Permissions: []Permission{
		AuditRead, RoleRead, TokenOwn}},
}

// RoleNames lists the roles in a stable order.
func RoleNames() []string {
	names := make([]string, 0, len(Roles))
	for n := range Roles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// AllPermissions lists every permission some role holds, sorted.
func AllPermissions() []Permission {
	seen := map[Permission]bool{}
	for _, r := range Roles {
		for _, p := range r.Permissions {
			seen[p] = true
		}
	}
	out := make([]Permission, 0, len(seen))
	for p := range seen {
		out = append(out, p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i] < out[j] })
	return out
}

// Has reports whether role holds perm. Unknown roles hold nothing.
func Has(role string, perm Permission) bool {
	for _, p := range Roles[role].Permissions {
		if p == perm {
			return true
		}
	}
	return false
}
