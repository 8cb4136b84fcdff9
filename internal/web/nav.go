package web

import "github.com/careloop/careloop/internal/access"

// navItem is one entry of the navigation. Items appear only for callers who
// hold their permission, so each role sees the parts of the closed loop it
// may use; later steps of the loop add their entries here.
type navItem struct {
	Key  string // i18n key
	Href string
	Perm access.Permission // "" for every signed-in user
	Hide access.Permission // not shown to callers who hold this (they have a fuller page)
	ID   string            // stable name for tests and the active marker
}

var navItems = []navItem{
	{Key: "nav.home", Href: "/", ID: "home"},
	{Key: "nav.my_class", Href: "/my-class", Perm: access.RecordAttention, Hide: access.RecordRead, ID: "my-class"},
	{Key: "nav.work", Href: "/work", Perm: access.AlertHandle, ID: "work"},
	{Key: "nav.alerts", Href: "/alerts", Perm: access.AlertHandle, ID: "alerts"},
	{Key: "nav.counselling", Href: "/counselling", Perm: access.CaseManage, ID: "counselling"},
	{Key: "nav.contacts", Href: "/contacts", Perm: access.HotlineContact, ID: "contacts"},
	{Key: "nav.queue", Href: "/hotline/queue", Perm: access.HotlineContact, ID: "queue"},
	{Key: "phone.nav", Href: "/phone", Perm: access.HotlineContact, ID: "phone"},
	{Key: "letter.nav", Href: "/letters", Perm: access.HotlineContact, ID: "letters"},
	{Key: "station.nav", Href: "/station", Perm: access.HotlineContact, ID: "station"},
	{Key: "emergency.title", Href: "/emergency", Perm: access.EmergencyAccess, ID: "emergency"},
	{Key: "sharing.agreements", Href: "/sharing", Perm: access.SharingManage, ID: "sharing"},
	{Key: "meeting.list", Href: "/meetings", Perm: access.MeetingManage, ID: "meetings"},
	{Key: "crisis.nav", Href: "/crisis", Perm: access.CrisisHandle, ID: "crisis"},
	{Key: "crisis.cosign_list", Href: "/crisis/cosign", Perm: access.CrisisCosign, Hide: access.CrisisHandle, ID: "crisis-cosign"},
	{Key: "police.nav", Href: "/police", Perm: access.CrisisPolice, ID: "police"},
	{Key: "referral.nav", Href: "/referrals", Perm: access.ReferralManage, ID: "referrals"},
	{Key: "hospital.nav", Href: "/hospital", Perm: access.ReferralHospital, ID: "hospital"},
	{Key: "workforce.nav", Href: "/workforce", Perm: access.WorkforceManage, ID: "workforce"},
	{Key: "coverage.title", Href: "/workforce/coverage", Perm: access.ReportRead, Hide: access.WorkforceManage, ID: "coverage"},
	{Key: "training.nav", Href: "/training", Perm: access.TrainingManage, ID: "training"},
	{Key: "training.mine_nav", Href: "/training/mine", Hide: access.TrainingManage, ID: "my-training"},
	{Key: "outreach.nav", Href: "/outreach", Perm: access.OutreachManage, ID: "outreach"},
	{Key: "venue.nav", Href: "/venues", Perm: access.OutreachManage, ID: "venues"},
	{Key: "family.calendar_nav", Href: "/calendar", Perm: access.FamilyConsult, ID: "calendar"},
	{Key: "content.nav", Href: "/content", Perm: access.ContentPublish, ID: "content"},
	{Key: "research.nav", Href: "/research", Perm: access.ResearchDefine, ID: "research"},
	{Key: "research.downloads_nav", Href: "/research/extracts", Perm: access.ResearchExtract, ID: "research-extracts"},
	{Key: "nav.reviews", Href: "/reviews", Perm: access.ReviewManage, ID: "reviews"},
	{Key: "nav.loop", Href: "/loop", Perm: access.RecordRead, ID: "loop"}, // exact counts: record readers only
	{Key: "stats.nav", Href: "/stats", Perm: access.ReportRead, ID: "stats"},
	{Key: "stats.briefings", Href: "/briefings", Perm: access.ReportRead, ID: "briefings"},
	{Key: "nav.concern", Href: "/concerns/new", Perm: access.ConcernReport, Hide: access.RecordAttention, ID: "concern"},
	{Key: "nav.students", Href: "/students", Perm: access.RecordRead, ID: "students"},
	{Key: "nav.campaigns", Href: "/campaigns", Perm: access.ReportRead, ID: "campaigns"},
	{Key: "nav.instruments", Href: "/instruments", Perm: access.RecordRead, ID: "instruments"},
	{Key: "nav.rules", Href: "/rules", Perm: access.RuleManage, ID: "rules"},
	{Key: "nav.duty", Href: "/duty", Perm: access.DutyManage, ID: "duty"},
	{Key: "nav.network", Href: "/orgs", Perm: access.OrgRead, ID: "network"},
	{Key: "nav.users", Href: "/users", Perm: access.UserRead, ID: "users"},
	{Key: "nav.roles", Href: "/roles", Perm: access.RoleRead, ID: "roles"},
	{Key: "nav.audit", Href: "/audit", Perm: access.AuditRead, ID: "audit"},
	{Key: "export.title", Href: "/exports", Perm: access.ReportRead, ID: "exports"},
	{Key: "nav.account", Href: "/account", ID: "account"},
}

func navFor(p access.Principal) []navItem {
	var out []navItem
	for _, n := range navItems {
		if (n.Perm == "" || p.Can(n.Perm)) && (n.Hide == "" || !p.Can(n.Hide)) {
			out = append(out, n)
		}
	}
	return out
}
