package crisis

import "slices"

// The states of an incident.
const (
	Opened             = "opened"
	Assessing          = "assessing"
	SafetyPlanAgreed   = "safety_plan_agreed"
	RescueNeeded       = "rescue_needed"
	PoliceRequested    = "police_requested"
	PoliceAcknowledged = "police_acknowledged"
	EnRoute            = "en_route"
	OnScene            = "on_scene"
	SafetyConfirmed    = "safety_confirmed"
	HandedOver         = "handed_over"
	FollowUpPlanned    = "follow_up_planned"
	Reviewed           = "reviewed"
	Closed             = "closed"
)

// States lists every state in the order of a full rescue.
var States = []string{Opened, Assessing, SafetyPlanAgreed, RescueNeeded, PoliceRequested, PoliceAcknowledged, EnRoute, OnScene,
	SafetyConfirmed, HandedOver, FollowUpPlanned, Reviewed, Closed}

// Transition is one allowed step. Cosign: it takes effect only when
// another person holding crisis.cosign over the incident's unit signs it.
// Police: a police liaison of the unit the incident was handed to may
// record it (the handling unit may too, when the police tell it by phone).
type Transition struct {
	From, To string
	Cosign   bool
	Police   bool
}

// Transitions is the state machine as data: a step not listed is refused.
// A safety plan may still turn into a rescue; a child found safe before
// the police arrive (or before they were needed) is confirmed safe at once.
var Transitions = []Transition{
	{From: Opened, To: Assessing},
	{From: Opened, To: RescueNeeded},
	{From: Assessing, To: SafetyPlanAgreed},
	{From: Assessing, To: RescueNeeded},
	{From: SafetyPlanAgreed, To: FollowUpPlanned},
	{From: SafetyPlanAgreed, To: RescueNeeded},
	{From: RescueNeeded, To: PoliceRequested, Cosign: true},
	{From: RescueNeeded, To: SafetyConfirmed},
	{From: PoliceRequested, To: PoliceAcknowledged, Police: true},
	{From: PoliceRequested, To: SafetyConfirmed, Police: true},
	{From: PoliceAcknowledged, To: EnRoute, Police: true},
	{From: PoliceAcknowledged, To: OnScene, Police: true},
	{From: PoliceAcknowledged, To: SafetyConfirmed, Police: true},
	{From: EnRoute, To: OnScene, Police: true},
	{From: EnRoute, To: SafetyConfirmed, Police: true},
	{From: OnScene, To: SafetyConfirmed, Police: true},
	{From: SafetyConfirmed, To: HandedOver},
	{From: HandedOver, To: FollowUpPlanned},
	{From: FollowUpPlanned, To: Reviewed},
	{From: Reviewed, To: Closed, Cosign: true},
}

// Allowed returns the transition from one state to another, if any.
func Allowed(from, to string) (Transition, bool) {
	i := slices.IndexFunc(Transitions, func(t Transition) bool { return t.From == from && t.To == to })
	if i < 0 {
		return Transition{}, false
	}
	return Transitions[i], true
}

// Next lists the transitions out of a state; with police, only the
// police's own.
func Next(from string, police bool) []Transition {
	var out []Transition
	for _, t := range Transitions {
		if t.From == from && (!police || t.Police) {
			out = append(out, t)
		}
	}
	return out
}

// safe reports whether the child's safety has been confirmed in state (or
// in an earlier step of the states that follow it).
func safe(state string) bool {
	return slices.Index(States, state) >= slices.Index(States, SafetyConfirmed)
}

// rescuing reports whether a rescue by the police is under way: the
// safety timer runs in these states.
func rescuing(state string) bool {
	return slices.Contains([]string{PoliceRequested, PoliceAcknowledged, EnRoute, OnScene}, state)
}

// Sources an incident may be opened from.
var Sources = []string{"contact", "alert", "follow_up", "duty"}

// HandOvers are whom a child is handed over to once safe.
var HandOvers = []string{"guardian", "hospital", "school"}

// FollowUpKinds are whom a planned follow-up contacts (care.FollowUpKinds).
var FollowUpKinds = []string{"student", "family", "teacher"}
