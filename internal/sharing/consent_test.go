package sharing_test

import (
	"context"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/sharing"
)

func consent(kind, relation, name string, at time.Time, scope ...string) sharing.NewConsent {
	return sharing.NewConsent{Kind: kind, Scope: scope, TextVersion: "2026-01", GivenByName: name, Relation: relation,
		GivenAt: at, Method: "paper"}
}

func (e *env) has(studentID int64, scope string, at time.Time) bool {
	e.t.Helper()
	ok, err := e.svc.HasConsent(e.ctx, nil, studentID, scope, at)
	if err != nil {
		e.t.Fatalf("HasConsent: %v", err)
	}
	return ok
}

// A scope is consented with a general and a separate sensitive consent;
// a withdrawal takes effect at once and is not retroactive.
func TestConsentGivenAndWithdrawnAtOnce(t *testing.T) {
	e := newEnv(t)
	c := e.counsellorA1
	if e.has(e.teen, "referral", monday) {
		t.Fatal("consent without any record")
	}
	gid, err := e.svc.RecordConsent(e.ctx, c, e.teen, consent(sharing.ConsentGuardian, "mother", "王芳", monday, "referral", "share_hospital"))
	if err != nil {
		t.Fatal(err)
	}
	if e.has(e.teen, "referral", monday) {
		t.Error("a general consent alone counts, without the separate consent for sensitive information")
	}
	sid, err := e.svc.RecordConsent(e.ctx, c, e.teen, consent(sharing.ConsentSensitive, "mother", "王芳", monday, "referral"))
	if err != nil {
		t.Fatal(err)
	}
	if !e.has(e.teen, "referral", monday) {
		t.Error("guardian and sensitive consents for referral do not count")
	}
	if e.has(e.teen, "share_hospital", monday) {
		t.Error("share_hospital counts though the sensitive consent does not cover it")
	}
	if e.has(e.teen, "research", monday) {
		t.Error("an unconsented scope counts")
	}
	if e.has(e.teen, "referral", monday.Add(-time.Hour)) {
		t.Error("consent counts before it was given")
	}
	// The name is sealed at rest, opened for the reader.
	var raw []byte
	_ = e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT given_by_name FROM consent_records WHERE id = ?`, gid).Scan(&raw)
	})
	if len(raw) == 0 || string(raw) == "王芳" {
		t.Errorf("guardian name not sealed: %q", raw)
	}
	_, list, err := e.svc.Consents(e.ctx, c, e.teen)
	if err != nil || len(list) != 2 || list[0].GivenByName != "王芳" {
		t.Fatalf("Consents: %+v %v", list, err)
	}
	if e.audits("consent.list", itoa(e.teen)) != 1 {
		t.Error("reading consents is not audited")
	}

	e.clk.Advance(time.Minute)
	withdrawnAt := e.clk.Now()
	if err := e.svc.WithdrawConsent(e.ctx, c, e.teen, sid, "mother"); err != nil {
		t.Fatal(err)
	}
	if e.has(e.teen, "referral", withdrawnAt) {
		t.Error("a withdrawn consent still counts at the moment of withdrawal")
	}
	if !e.has(e.teen, "referral", withdrawnAt.Add(-time.Second)) {
		t.Error("withdrawal is retroactive: consent before it no longer counts")
	}
	if err := e.svc.WithdrawConsent(e.ctx, c, e.teen, sid, "mother"); err != nil {
		t.Errorf("withdrawing twice: %v", err)
	}
	if e.audits("consent.withdraw", itoa(e.teen)) != 1 {
		t.Error("withdrawal not audited exactly once")
	}
	if n := e.num(`SELECT COUNT(*) FROM student_events WHERE student_id = ? AND kind IN ('sharing_consent', 'sharing_consent_withdrawn')`, e.teen); n != 3 {
		t.Errorf("timeline has %d consent events, want 3", n)
	}
	if err := e.svc.WithdrawConsent(e.ctx, c, e.young, sid, "mother"); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("withdrawing another student's consent: %v", err)
	}
}

// Under 14 only a guardian's consent counts; from 14 the child's own does.
func TestConsentUnder14(t *testing.T) {
	e := newEnv(t)
	c := e.counsellorA1
	// The child's own consent cannot be recorded under 14.
	_, err := e.svc.RecordConsent(e.ctx, c, e.young, consent(sharing.ConsentChild, sharing.Self, "", monday, "referral"))
	if apperr.FieldsOf(err)["relation"] != "sharing.child_under_14" {
		t.Errorf("child's own consent at 11: %v %v", err, apperr.FieldsOf(err))
	}
	_, err = e.svc.RecordConsent(e.ctx, c, e.young, consent(sharing.ConsentSensitive, sharing.Self, "", monday, "referral"))
	if apperr.FieldsOf(err)["relation"] != "sharing.child_under_14" {
		t.Errorf("child's own sensitive consent at 11: %v", err)
	}
	// A teen's own consents count.
	for _, k := range []string{sharing.ConsentChild, sharing.ConsentSensitive} {
		if _, err := e.svc.RecordConsent(e.ctx, c, e.teen, consent(k, sharing.Self, "", monday, "share_meeting")); err != nil {
			t.Fatalf("teen's %s consent: %v", k, err)
		}
	}
	if !e.has(e.teen, "share_meeting", monday) {
		t.Error("a 15-year-old's own consents do not count")
	}
	// A child's own consent rows slipped in for an under-14 child (data
	// written before the rule, say) do not count; a guardian's do.
	if err := e.d.Tx(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		_, err := tx.Exec(ctx, `INSERT INTO consent_records (student_id, kind, scope, text_version, relation, given_at, method, recorded_by, recorded_at)
			VALUES (?, 'child', 'referral', 'v1', 'self', ?, 'paper', ?, ?), (?, 'sensitive', 'referral', 'v1', 'self', ?, 'paper', ?, ?)`,
			e.young, db.Micro(monday), c.UserID, db.Micro(monday), e.young, db.Micro(monday), c.UserID, db.Micro(monday))
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if e.has(e.young, "referral", monday) {
		t.Error("an 11-year-old's own consent counts")
	}
	if _, err := e.svc.RecordConsent(e.ctx, c, e.young, consent(sharing.ConsentGuardian, "father", "李强", monday, "referral")); err != nil {
		t.Fatal(err)
	}
	if e.has(e.young, "referral", monday) {
		t.Error("under 14: the child's own sensitive consent completes the guardian's")
	}
	if _, err := e.svc.RecordConsent(e.ctx, c, e.young, consent(sharing.ConsentSensitive, "father", "李强", monday, "referral")); err != nil {
		t.Fatal(err)
	}
	if !e.has(e.young, "referral", monday) {
		t.Error("under 14: the guardian's two consents do not count")
	}
	// The age is taken at the time asked: the teen's own consent given at
	// 15 would not have counted when they were 13.
	if e.has(e.teen, "share_meeting", time.Date(2024, 3, 1, 0, 0, 0, 0, time.UTC)) {
		t.Error("consent counts before it was given")
	}
}

// Consents are recorded by those who may write the record, and nobody else.
func TestConsentScope(t *testing.T) {
	e := newEnv(t)
	n := consent(sharing.ConsentGuardian, "mother", "王芳", monday, "referral")
	for name, p := range map[string]struct {
		p  access.Principal
		id int64
	}{"counsellor of B1": {e.counsellorB1, e.teen}, "coordinator of B": {e.coordB, e.teen}, "leader of A1": {e.leaderA1, e.teen},
		"hotline": {e.hotline, e.teen}, "counsellor of A1, student of B1": {e.counsellorA1, e.other}} {
		if _, err := e.svc.RecordConsent(e.ctx, p.p, p.id, n); apperr.CodeOf(err) != apperr.ENotFound {
			t.Errorf("%s records a consent: %v", name, err)
		}
		if _, _, err := e.svc.Consents(e.ctx, p.p, p.id); apperr.CodeOf(err) != apperr.ENotFound {
			t.Errorf("%s reads consents: %v", name, err)
		}
	}
	if _, err := e.svc.RecordConsent(e.ctx, e.coordA, e.teen, n); err != nil {
		t.Errorf("coordinator of A: %v", err)
	}
	bad := n
	bad.Scope, bad.GivenByName, bad.Method, bad.GivenAt = []string{"everything"}, "", "smoke", monday.Add(24*time.Hour)
	_, err := e.svc.RecordConsent(e.ctx, e.counsellorA1, e.teen, bad)
	f := apperr.FieldsOf(err)
	for _, k := range []string{"scope", "given_by_name", "method", "given_at"} {
		if f[k] == "" {
			t.Errorf("invalid %s accepted: %v", k, f)
		}
	}
}
