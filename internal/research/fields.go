package research

import "slices"

// Record kinds an extract may carry.
const (
	KindScreening   = "screening"   // screening results
	KindAlert       = "alert"       // early-warning alerts
	KindCase        = "case"        // cases and their support plans
	KindFollowUp    = "follow_up"   // follow-ups of cases
	KindCounselling = "counselling" // counselling sessions attended
	KindContact     = "contact"     // hotline contacts linked to a student
	KindIncident    = "incident"    // crisis incidents of a student
	KindReferral    = "referral"    // referrals of a student
)

// Kinds lists the record kinds in the order of the form and the file.
var Kinds = []string{KindScreening, KindAlert, KindCase, KindFollowUp, KindCounselling, KindContact, KindIncident, KindReferral}

// Fields is the whitelist: per kind, the only fields an extract may carry.
// Each is a code, a number or a date (shifted per person); free text,
// names, student numbers, guardians, phone numbers, addresses and notes
// have no field here and so cannot be chosen.
var Fields = map[string][]string{
	KindScreening:   {"instrument", "instrument_version", "score", "band", "tier", "critical", "validity", "attempt", "minutes_taken", "at"},
	KindAlert:       {"level", "sources", "state", "decision", "step", "raised_at", "minutes_to_ack", "minutes_to_contact", "minutes_to_close"},
	KindCase:        {"state", "opened_at", "closed_at", "days_open", "close_reason", "reopened", "plan_versions", "plan_frequency", "tier", "case_ref"},
	KindFollowUp:    {"case_ref", "kind", "due_at", "done_at", "late", "tier_change"},
	KindCounselling: {"kind", "held_at", "minutes"},
	KindContact:     {"channel", "caller_type", "categories", "risk_level", "at", "minutes"},
	KindIncident:    {"source", "risk_level", "state", "opened_at", "closed_at", "minutes_to_close", "police", "state_minutes"},
	KindReferral:    {"urgency", "state", "basis", "to_kind", "sent_at", "minutes_to_accept", "days_to_appointment", "days_to_seen", "days_to_feedback", "closed_at"},
}

// Bases on which an extract is disclosed (sharing.Bases that fit research).
var Bases = []string{"agreement", "law"}

// QI names the quasi-identifiers every row carries, generalised together.
var QI = []string{"gender", "birth", "grade", "school"}

// validField reports whether kind.field is on the whitelist.
func validField(kind, field string) bool {
	return slices.Contains(Fields[kind], field)
}
