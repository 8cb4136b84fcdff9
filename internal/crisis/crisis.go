// Package crisis is crisis intervention: an incident opened in seconds
// from a contact, an alert, a follow-up or by the person on duty, a state
// machine of timestamped, attributed, irreversible steps (with the police,
// 110), timers that escalate until the child's safety is confirmed, the
// guardian decision, and the case review that feeds the support plan.
package crisis

// Service runs crisis incidents.
type Service struct{}
