package referral_test

import (
	"slices"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/referral"
)

// The state machine as data: every allowed move, and a sample of the
// forbidden ones (each side only its own steps, nothing out of a final state).
func TestAllowedMoves(t *testing.T) {
	for _, tc := range []struct {
		state, action, side, to string
	}{
		{referral.Sent, referral.ActAccept, referral.SideHospital, referral.Accepted},
		{referral.Sent, referral.ActDecline, referral.SideHospital, referral.Declined},
		{referral.Accepted, referral.ActDecline, referral.SideHospital, referral.Declined},
		{referral.Accepted, referral.ActAppointment, referral.SideHospital, referral.AppointmentSet},
		{referral.AppointmentSet, referral.ActAppointment, referral.SideHospital, referral.AppointmentSet},
		{referral.AppointmentSet, referral.ActSeen, referral.SideHospital, referral.Seen},
		{referral.Seen, referral.ActFeedback, referral.SideHospital, referral.FeedbackReceived},
		{referral.FeedbackReceived, referral.ActFeedback, referral.SideHospital, referral.FeedbackReceived},
		{referral.FeedbackReceived, referral.ActClose, referral.SideSender, referral.Closed},
		{referral.Sent, referral.ActClose, referral.SideSender, referral.Closed},
		{referral.Sent, referral.ActSeen, referral.SideHospital, ""},
		{referral.Sent, referral.ActFeedback, referral.SideHospital, ""},
		{referral.Accepted, referral.ActSeen, referral.SideHospital, ""},
		{referral.Seen, referral.ActDecline, referral.SideHospital, ""},
		{referral.Sent, referral.ActAccept, referral.SideSender, ""},
		{referral.FeedbackReceived, referral.ActClose, referral.SideHospital, ""},
		{referral.Closed, referral.ActClose, referral.SideSender, ""},
		{referral.Declined, referral.ActAccept, referral.SideHospital, ""},
		{referral.Closed, referral.ActFeedback, referral.SideHospital, ""},
	} {
		to, ok := referral.Allowed(tc.state, tc.action, tc.side)
		if to != tc.to || ok != (tc.to != "") {
			t.Errorf("Allowed(%s, %s, %s) = %q %v, want %q", tc.state, tc.action, tc.side, to, ok, tc.to)
		}
	}
	for _, st := range []string{referral.Closed, referral.Declined} {
		for _, side := range []string{referral.SideSender, referral.SideHospital} {
			if a := referral.Actions(st, side); len(a) != 0 {
				t.Errorf("Actions(%s, %s) = %v, want none", st, side, a)
			}
		}
	}
}

// The whole loop, each move a timestamped, attributed row; moves out of
// order, by the wrong side, or without their input are refused.
func TestReferralLoop(t *testing.T) {
	e := newEnv(t)
	caseID, _ := e.caseFor(e.counsellorA, e.a, "REF-1")
	id := e.refer(e.counsellorA, caseID, nil)

	wantCode(t, "seen before an appointment", e.svc.MarkSeen(e.ctx, e.liaison1, id, time.Time{}), apperr.EConflict)
	wantCode(t, "feedback before a visit", e.svc.GiveFeedback(e.ctx, e.liaison1, id, referral.FeedbackInput{Recommendations: "x"}), apperr.EConflict)
	wantCode(t, "the sender accepting", e.svc.Accept(e.ctx, e.counsellorA, id), apperr.ENotFound)
	wantCode(t, "the liaison closing", e.svc.Close(e.ctx, e.liaison1, id, "resolved", ""), apperr.ENotFound)
	wantCode(t, "closing as completed without feedback", e.svc.Close(e.ctx, e.counsellorA, id, "completed", ""), apperr.EInvalid)

	e.clk.Advance(time.Hour)
	if err := e.svc.Accept(e.ctx, e.liaison1, id); err != nil {
		t.Fatalf("Accept: %v", err)
	}
	wantCode(t, "accepting twice", e.svc.Accept(e.ctx, e.liaison1, id), apperr.EConflict)
	err := e.svc.SetAppointment(e.ctx, e.liaison1, id, time.Time{})
	wantField(t, "an appointment without a date", err, "appointment_at", "form.required")
	visit := e.clk.Now().Add(3 * 24 * time.Hour)
	if err := e.svc.SetAppointment(e.ctx, e.liaison1, id, visit); err != nil {
		t.Fatalf("SetAppointment: %v", err)
	}
	e.clk.Advance(3 * 24 * time.Hour)
	wantField(t, "seen in the future", e.svc.MarkSeen(e.ctx, e.liaison1, id, e.clk.Now().Add(time.Hour)), "seen_at", "referral.seen_bad")
	if err := e.svc.MarkSeen(e.ctx, e.liaison1, id, time.Time{}); err != nil {
		t.Fatalf("MarkSeen: %v", err)
	}
	wantCode(t, "declining after the visit", e.svc.Decline(e.ctx, e.liaison1, id, "no_capacity", ""), apperr.EConflict)
	wantField(t, "feedback without recommendations", e.svc.GiveFeedback(e.ctx, e.liaison1, id, referral.FeedbackInput{}),
		"recommendations", "form.required")
	if err := e.svc.GiveFeedback(e.ctx, e.liaison1, id, referral.FeedbackInput{Recommendations: "建议学校减轻课业压力，每周跟踪。"}); err != nil {
		t.Fatalf("GiveFeedback: %v", err)
	}
	wantField(t, "closing after feedback for another reason", e.svc.Close(e.ctx, e.counsellorA, id, "no_show", ""), "reason",
		"referral.close_reason_bad")
	if err := e.svc.Close(e.ctx, e.counsellorA, id, "", ""); err != nil {
		t.Fatalf("Close: %v", err)
	}
	wantCode(t, "feedback after closing", e.svc.GiveFeedback(e.ctx, e.liaison1, id, referral.FeedbackInput{Recommendations: "x"}), apperr.EConflict)
	wantCode(t, "closing twice", e.svc.Close(e.ctx, e.counsellorA, id, "", ""), apperr.EConflict)

	d, err := e.svc.Sent(e.ctx, e.counsellorA, id)
	if err != nil {
		t.Fatal(err)
	}
	var kinds []string
	for _, ev := range d.Events {
		kinds = append(kinds, ev.Kind)
		if ev.ActorID == 0 || ev.At.IsZero() || ev.ActorName == "" {
			t.Errorf("event %s is not attributed and timestamped: %+v", ev.Kind, ev)
		}
	}
	if want := []string{"sent", "accepted", "appointment_set", "seen", "feedback", "closed"}; !slices.Equal(kinds, want) {
		t.Errorf("timeline %v, want %v", kinds, want)
	}
	if d.State != referral.Closed || d.CloseReason != "completed" || d.DueStep != "" || len(d.Actions) != 0 {
		t.Errorf("closed referral: state %s reason %s due %q actions %v", d.State, d.CloseReason, d.DueStep, d.Actions)
	}
	if !d.AppointmentAt.Equal(visit.UTC()) || d.SeenAt.IsZero() || d.FeedbackAt.IsZero() || d.AcceptedAt.IsZero() {
		t.Errorf("dates not kept: %+v", d.Referral)
	}
	for _, a := range []string{"referral.send", "referral.accept", "referral.appointment", "referral.seen", "referral.feedback", "referral.close"} {
		if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = ? AND object_id = ?`, a, itoa(id)); n != 1 {
			t.Errorf("%d audit entries %s, want 1", n, a)
		}
	}
	if n := e.num(`SELECT COUNT(*) FROM student_events WHERE kind = 'referral'`); n != 6 {
		t.Errorf("%d timeline entries on the student's record, want 6", n)
	}
}

// A decline needs a reason, and "other" an explanation, kept sealed.
func TestDeclineNeedsReason(t *testing.T) {
	e := newEnv(t)
	caseID, _ := e.caseFor(e.counsellorA, e.a, "REF-2")
	id := e.refer(e.counsellorA, caseID, nil)
	wantField(t, "no reason", e.svc.Decline(e.ctx, e.liaison1, id, "", ""), "reason", "referral.decline_reason_required")
	wantField(t, "other without a word", e.svc.Decline(e.ctx, e.liaison1, id, "other", " "), "note", "form.required")
	if err := e.svc.Decline(e.ctx, e.liaison1, id, "other", "本院无儿童精神科床位"); err != nil {
		t.Fatalf("Decline: %v", err)
	}
	if raw := e.str(`SELECT note FROM referral_events WHERE kind = 'declined'`); raw == "" || containsText(raw, "床位") {
		t.Errorf("the decline's note is not sealed: %q", raw)
	}
	d, err := e.svc.Sent(e.ctx, e.counsellorA, id)
	if err != nil {
		t.Fatal(err)
	}
	last := d.Events[len(d.Events)-1]
	if d.State != referral.Declined || d.DeclineReason != "other" || last.Note != "本院无儿童精神科床位" || d.ClosedAt.IsZero() {
		t.Errorf("declined: %s %s %q", d.State, d.DeclineReason, last.Note)
	}
	if n := e.num(`SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = 'referral.declined'`, e.counsellorA.UserID); n != 1 {
		t.Errorf("the sender got %d decline notifications, want 1", n)
	}
	wantCode(t, "closing a declined referral", e.svc.Close(e.ctx, e.counsellorA, id, "resolved", ""), apperr.EConflict)
}
