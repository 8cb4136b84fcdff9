package referral_test

import (
	"testing"
	"time"

	"github.com/careloop/careloop/internal/referral"
)

// A routine referral needs consent; a child under 14 needs a guardian's,
// while a 15-year-old may consent themself. The consent is recorded on the
// referral, and sending writes the disclosure in the same transaction.
func TestConsentAndDisclosure(t *testing.T) {
	e := newEnv(t)
	young, _ := e.caseFor(e.counsellorA, e.a, "REF-20")
	send := func(caseID int64, c referral.Consent, urgency string) (int64, error) {
		return e.svc.Send(e.ctx, e.counsellorA, referral.NewReferral{Source: referral.SourceCase, SourceID: caseID, ToUnit: e.h1.ID,
			Urgency: urgency, Reason: "需要评估", Consent: c})
	}
	_, err := send(young, referral.Consent{}, referral.Routine)
	wantField(t, "routine without consent", err, "consent_given", "referral.consent_required")
	self := e.consent(false)
	self.By = "self"
	_, err = send(young, self, referral.Routine)
	wantField(t, "a 12-year-old consenting themself", err, "consent_by", "referral.consent_guardian_needed")
	bad := e.consent(false)
	bad.At, bad.How, bad.Version = e.clk.Now().Add(time.Hour), "fax", ""
	_, err = send(young, bad, referral.Routine)
	wantField(t, "consent in the future", err, "consent_at", "referral.consent_at_bad")
	wantField(t, "consent by fax", err, "consent_how", "referral.consent_how_unknown")
	wantField(t, "consent without its text's version", err, "consent_version", "form.required")
	if n := e.num(`SELECT COUNT(*) FROM referrals`); n != 0 {
		t.Fatalf("%d referrals after refused sends", n)
	}

	olderStudent := e.student(e.a, "REF-21", "2010-05-01")
	older, err := e.care.OpenCase(e.ctx, e.counsellorA, olderStudent, 0)
	if err != nil {
		t.Fatal(err)
	}
	id, err := send(older, self, referral.Routine)
	if err != nil {
		t.Fatalf("a 15-year-old consenting themself: %v", err)
	}
	d, err := e.svc.Sent(e.ctx, e.counsellorA, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Under14 || d.Child.Age != 15 || d.Basis != "consent" || !d.Consent.Given || d.Consent.By != "self" || d.Consent.Version != "v1" ||
		d.Consent.How != "written" || !d.Consent.At.Equal(self.At.UTC()) || d.ConsentPending {
		t.Errorf("consent kept as %+v (under14 %v, age %d, basis %s)", d.Consent, d.Under14, d.Child.Age, d.Basis)
	}
	row := e.str(`SELECT what || '|' || purpose || '|' || basis || '|' || ref_type FROM disclosures WHERE ref_id = ? AND to_unit = ? AND from_unit = ?
		AND student_id = ?`, id, e.h1.ID, e.a.ID, olderStudent)
	if row != "identity reason|referral|consent|referral" {
		t.Errorf("disclosure row %q", row)
	}
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'disclosure.record'`); n != 1 {
		t.Errorf("%d disclosure audit entries, want 1", n)
	}
}

// An urgent referral may go before consent can be had, on the emergency
// basis: it shows on the work list until the consent is recorded.
func TestEmergencyWithoutConsent(t *testing.T) {
	e := newEnv(t)
	caseID, sid := e.caseFor(e.counsellorA, e.a, "REF-22")
	id := e.refer(e.counsellorA, caseID, func(n *referral.NewReferral) {
		n.Urgency, n.Consent, n.ShareGuardian = referral.Urgent, referral.Consent{}, true
	})
	if basis := e.str(`SELECT basis FROM disclosures WHERE ref_id = ?`, id); basis != "emergency" {
		t.Errorf("disclosure basis %q, want emergency", basis)
	}
	if what := e.str(`SELECT what FROM disclosures WHERE ref_id = ? AND student_id = ?`, id, sid); what != "identity reason guardian_contact" {
		t.Errorf("disclosed %q", what)
	}
	due, err := e.svc.Due(e.ctx, e.counsellorA)
	if err != nil || len(due) != 1 || !due[0].ConsentPending || due[0].Overdue {
		t.Fatalf("Due: %+v, %v; want the referral awaiting consent", due, err)
	}
	if err := e.svc.RecordConsent(e.ctx, e.counsellorA, id, referral.Consent{}); err == nil {
		t.Error("recording no consent was accepted")
	}
	if err := e.svc.RecordConsent(e.ctx, e.counsellorA, id, e.consent(true)); err != nil {
		t.Fatalf("RecordConsent: %v", err)
	}
	if due, err := e.svc.Due(e.ctx, e.counsellorA); err != nil || len(due) != 0 {
		t.Errorf("Due after consent: %+v, %v", due, err)
	}
	d, err := e.svc.Received(e.ctx, e.liaison1, id)
	if err != nil {
		t.Fatal(err)
	}
	if d.Basis != "emergency" || !d.Consent.Given || !d.Consent.Detail || d.Child.Guardian == nil || d.Child.Guardian.Phone != "13800000000" {
		t.Errorf("after consent the hospital sees basis %s consent %+v guardian %+v", d.Basis, d.Consent, d.Child.Guardian)
	}
	if last := d.Events[len(d.Events)-1]; last.Kind != "consent" {
		t.Errorf("last event %s, want consent", last.Kind)
	}
}
