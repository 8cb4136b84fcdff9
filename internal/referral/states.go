package referral

import "slices"

// The states of a referral's closed loop. Closed and declined are final.
const (
	Sent             = "sent"
	Accepted         = "accepted"
	AppointmentSet   = "appointment_set"
	Seen             = "seen"
	FeedbackReceived = "feedback_received"
	Closed           = "closed"
	Declined         = "declined"
)

// States lists the states in the loop's order.
var States = []string{Sent, Accepted, AppointmentSet, Seen, FeedbackReceived, Closed, Declined}

// Sides of a referral: who may take a step.
const (
	SideSender   = "sender"
	SideHospital = "hospital"
)

// The steps (actions) that move a referral.
const (
	ActAccept      = "accept"
	ActDecline     = "decline"
	ActAppointment = "appointment"
	ActSeen        = "seen"
	ActFeedback    = "feedback"
	ActClose       = "close"
)

// Step is one allowed move of the state machine: the side that takes it,
// the states it may start from, and the state it leads to.
type Step struct {
	Action string
	Side   string
	From   []string
	To     string
}

// Steps is the state machine as data. An appointment may be set again
// (rescheduled) and feedback given again (after a discharge) without
// leaving the state; the sender may close at any point before the end.
var Steps = []Step{
	{ActAccept, SideHospital, []string{Sent}, Accepted},
	{ActDecline, SideHospital, []string{Sent, Accepted}, Declined},
	{ActAppointment, SideHospital, []string{Accepted, AppointmentSet}, AppointmentSet},
	{ActSeen, SideHospital, []string{AppointmentSet}, Seen},
	{ActFeedback, SideHospital, []string{Seen, FeedbackReceived}, FeedbackReceived},
	{ActClose, SideSender, []string{Sent, Accepted, AppointmentSet, Seen, FeedbackReceived}, Closed},
}

// Allowed returns the state an action leads to from state, taken by side,
// and whether the move is allowed at all.
func Allowed(state, action, side string) (string, bool) {
	for _, st := range Steps {
		if st.Action == action && st.Side == side && slices.Contains(st.From, state) {
			return st.To, true
		}
	}
	return "", false
}

// Actions lists the actions side may take from state, in Steps order.
func Actions(state, side string) []string {
	var out []string
	for _, st := range Steps {
		if st.Side == side && slices.Contains(st.From, state) {
			out = append(out, st.Action)
		}
	}
	return out
}

// Final reports whether state ends the loop.
func Final(state string) bool { return state == Closed || state == Declined }
