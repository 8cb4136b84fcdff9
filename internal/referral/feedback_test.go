package referral_test

import (
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/referral"
)

// seen takes a referral through acceptance, appointment and the visit.
func (e *env) seen(id int64) {
	e.t.Helper()
	if err := e.svc.Accept(e.ctx, e.liaison1, id); err != nil {
		e.t.Fatalf("Accept: %v", err)
	}
	if err := e.svc.SetAppointment(e.ctx, e.liaison1, id, e.clk.Now().Add(time.Hour)); err != nil {
		e.t.Fatalf("SetAppointment: %v", err)
	}
	e.clk.Advance(2 * time.Hour)
	if err := e.svc.MarkSeen(e.ctx, e.liaison1, id, time.Time{}); err != nil {
		e.t.Fatalf("MarkSeen: %v", err)
	}
}

// Without consent to detailed sharing the hospital may return only
// recommendations; with it, a detailed note, which the school sees only
// while the consent stands.
func TestFeedbackWithoutOverSharing(t *testing.T) {
	e := newEnv(t)
	caseID, _ := e.caseFor(e.counsellorA, e.a, "REF-30")
	plain := e.refer(e.counsellorA, caseID, nil)
	e.seen(plain)
	err := e.svc.GiveFeedback(e.ctx, e.liaison1, plain, referral.FeedbackInput{Recommendations: "建议：每周心理辅导", Detail: "诊断：中度抑郁发作"})
	wantField(t, "a detailed note without consent", err, "detail", "referral.detail_no_consent")
	if n := e.num(`SELECT COUNT(*) FROM referral_feedback`); n != 0 {
		t.Fatalf("a refused feedback left %d rows", n)
	}
	if err := e.svc.GiveFeedback(e.ctx, e.liaison1, plain, referral.FeedbackInput{Recommendations: "建议：每周心理辅导"}); err != nil {
		t.Fatal(err)
	}

	case2, _ := e.caseFor(e.counsellorA, e.a, "REF-31")
	detailed := e.refer(e.counsellorA, case2, func(n *referral.NewReferral) { n.Consent = e.consent(true) })
	e.seen(detailed)
	if err := e.svc.GiveFeedback(e.ctx, e.liaison1, detailed, referral.FeedbackInput{Recommendations: "建议：减轻课业", Detail: "诊断：中度抑郁发作"}); err != nil {
		t.Fatal(err)
	}
	if raw := e.str(`SELECT detail FROM referral_feedback WHERE referral_id = ?`, detailed); strings.Contains(raw, "抑郁") {
		t.Error("the detailed note is stored in clear")
	}
	sender := func() referral.Feedback {
		t.Helper()
		d, err := e.svc.Sent(e.ctx, e.counsellorA, detailed)
		if err != nil || len(d.Feedback) != 1 {
			t.Fatalf("Sent: %v, %d feedback", err, len(d.Feedback))
		}
		return d.Feedback[0]
	}
	if f := sender(); f.Detail != "诊断：中度抑郁发作" || f.DetailHidden || f.Recommendations != "建议：减轻课业" {
		t.Errorf("with consent the school sees %+v", f)
	}
	if err := e.svc.WithdrawDetail(e.ctx, e.counsellorA, detailed); err != nil {
		t.Fatal(err)
	}
	if f := sender(); f.Detail != "" || !f.DetailHidden || f.Recommendations != "建议：减轻课业" {
		t.Errorf("after withdrawal the school sees %+v", f)
	}
	if d, err := e.svc.Received(e.ctx, e.liaison1, detailed); err != nil || d.Feedback[0].Detail == "" {
		t.Errorf("the hospital's own note: %v", err)
	}
	err = e.svc.GiveFeedback(e.ctx, e.liaison1, detailed, referral.FeedbackInput{Recommendations: "复诊", Detail: "更多细节"})
	wantField(t, "more detail after withdrawal", err, "detail", "referral.detail_no_consent")
	wantCode(t, "withdrawing twice", e.svc.WithdrawDetail(e.ctx, e.counsellorA, detailed), apperr.EConflict)
	if n := e.num(`SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = 'referral.feedback'`, e.counsellorA.UserID); n != 2 {
		t.Errorf("%d feedback notifications to the sender, want 2", n)
	}
}

// After a hospital stay the return-to-school plan goes into the support
// plan: a new plan version through care, and a follow-up after the return.
func TestReturnPlanIntoSupportPlan(t *testing.T) {
	e := newEnv(t)
	caseID, _ := e.caseFor(e.counsellorA, e.a, "REF-32")
	if _, err := e.care.SavePlan(e.ctx, e.counsellorA, caseID, careInput(e)); err != nil {
		t.Fatal(err)
	}
	id := e.refer(e.counsellorA, caseID, func(n *referral.NewReferral) { n.Source = referral.SourcePlan })
	if v := e.num(`SELECT plan_version FROM referrals WHERE id = ?`, id); v != 1 {
		t.Errorf("a plan referral records plan version %d, want 1", v)
	}
	e.seen(id)
	err := e.svc.GiveFeedback(e.ctx, e.liaison1, id, referral.FeedbackInput{Recommendations: "出院后继续服药", HospitalStay: true})
	wantField(t, "a stay without a return plan", err, "return_plan", "referral.return_plan_required")
	back := e.clk.Now().Add(10 * 24 * time.Hour)
	if err := e.svc.GiveFeedback(e.ctx, e.liaison1, id, referral.FeedbackInput{Recommendations: "出院后继续服药", HospitalStay: true,
		ReturnAt: back, ReturnPlan: "返校评估：情绪稳定；计划：半日上课两周"}); err != nil {
		t.Fatal(err)
	}
	d, err := e.svc.Sent(e.ctx, e.counsellorA, id)
	if err != nil {
		t.Fatal(err)
	}
	fid := d.Feedback[0].ID
	wantCode(t, "the liaison adopting", adoptErr(e.svc.AdoptReturnPlan(e.ctx, e.liaison1, id, fid, "返校计划")), apperr.ENotFound)
	cid, version, err := e.svc.AdoptReturnPlan(e.ctx, e.counsellorA, id, fid, "【转介返校计划】")
	if err != nil {
		t.Fatalf("AdoptReturnPlan: %v", err)
	}
	if cid != caseID || version != 2 {
		t.Errorf("adopted into case %d version %d, want %d version 2", cid, version, caseID)
	}
	c, err := e.care.FindCase(e.ctx, e.counsellorA, caseID)
	if err != nil {
		t.Fatal(err)
	}
	pl := c.Plans[0]
	if !strings.Contains(pl.MeasureNotes, "【转介返校计划】\n返校评估：情绪稳定") || !strings.Contains(pl.MeasureNotes, "原有措施说明") ||
		!containsAll(pl.Measures, "counselling", "referral") || pl.Concern != "上课注意力下降" {
		t.Errorf("the new plan: %+v", pl.PlanInput)
	}
	if len(c.FollowUps) != 1 || !c.FollowUps[0].Due.Equal(back.Add(24*time.Hour).UTC()) || c.FollowUps[0].Kind != "student" {
		t.Errorf("follow-ups after adoption: %+v", c.FollowUps)
	}
	_, _, err = e.svc.AdoptReturnPlan(e.ctx, e.counsellorA, id, fid, "x")
	wantCode(t, "adopting twice", err, apperr.EConflict)
}

func adoptErr(_ int64, _ int, err error) error { return err }

func containsAll(list []string, want ...string) bool {
	for _, w := range want {
		found := false
		for _, l := range list {
			found = found || l == w
		}
		if !found {
			return false
		}
	}
	return true
}
