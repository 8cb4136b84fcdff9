package hotline_test

import (
	"bytes"
	"context"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/hotline"
	"github.com/careloop/careloop/internal/hotline/taxonomy"
)

func childCall() hotline.Fields {
	return hotline.Fields{CallerType: "child_self", AgeBand: "13_15", Gender: "female", Categories: []string{"school.bullying"},
		Risk:    taxonomy.RiskAnswers{Thoughts: "active", Plan: "vague", Means: "none", Timeframe: "none", Attempts: "none"},
		Summary: "被同学排挤，晚上睡不着", Actions: []string{"listened", "safety_plan"}}
}

// A draft is saved on every change, survives a stale save, and finalises
// only with who called and what about; the summary is sealed.
func TestDraftSaveAndFinalise(t *testing.T) {
	e := newEnv(t)
	c1 := e.user(access.HotlineCounsellor, e.b1)
	c, pop, err := e.svc.Start(e.ctx, c1, hotline.NewContact{StationID: e.b1.ID, Channel: "phone"})
	if err != nil || pop != nil || c.Version != 1 || c.State != "draft" {
		t.Fatalf("start: %+v %+v %v", c, pop, err)
	}
	v, err := e.svc.Save(e.ctx, c1, c.ID, 1, hotline.Fields{Summary: "第一句"}) // the first keystrokes
	if err != nil || v != 2 {
		t.Fatalf("first save: %d %v", v, err)
	}
	_, err = e.svc.Save(e.ctx, c1, c.ID, 1, hotline.Fields{Summary: "旧窗口"})
	wantCode(t, "a save over a newer version", err, apperr.EConflict)
	wantCode(t, "finalising without who called", e.svc.Finalise(e.ctx, c1, c.ID, 2), apperr.EInvalid)
	bad := childCall()
	bad.Categories = []string{"no.such"}
	_, err = e.svc.Save(e.ctx, c1, c.ID, 2, bad)
	wantCode(t, "an unknown category", err, apperr.EInvalid)
	if v, err = e.svc.Save(e.ctx, c1, c.ID, 2, childCall()); err != nil || v != 3 {
		t.Fatalf("save: %d %v", v, err)
	}
	if err := e.svc.Finalise(e.ctx, c1, c.ID, 3); err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.FindContact(e.ctx, c1, c.ID)
	if err != nil || got.State != "final" || got.Summary != "被同学排挤，晚上睡不着" || got.RiskLevel != "moderate" || got.EndedAt.IsZero() {
		t.Fatalf("found %+v, %v", got, err)
	}
	var raw []byte
	_ = e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT summary FROM contacts WHERE id = ?`, c.ID).Scan(&raw)
	})
	if bytes.Contains(raw, []byte("排挤")) {
		t.Error("the summary is stored in plain text")
	}
	// A counsellor of another station sees nothing of it.
	stranger := e.user(access.HotlineCounsellor, e.other)
	_, err = e.svc.FindContact(e.ctx, stranger, c.ID)
	wantCode(t, "another station's counsellor", err, apperr.ENotFound)
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action LIKE 'contact.%'`); n < 5 {
		t.Errorf("%d contact audit entries", n)
	}
}

// A transfer hands the draft, as written, to a colleague of another branch;
// the first counsellor can no longer write to it.
func TestTransferCarriesTheDraft(t *testing.T) {
	e := newEnv(t)
	c1 := e.user(access.HotlineCounsellor, e.b1)
	c2 := e.user(access.HotlineCounsellor, e.b2)
	outsider := e.user(access.HotlineCounsellor, e.other)
	c, _, err := e.svc.Start(e.ctx, c1, hotline.NewContact{StationID: e.b1.ID, Channel: "web_chat"})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Save(e.ctx, c1, c.ID, 1, childCall()); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "a transfer outside the station network", e.svc.Transfer(e.ctx, c1, c.ID, outsider.UserID), apperr.EInvalid)
	if err := e.svc.Transfer(e.ctx, c1, c.ID, c2.UserID); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Save(e.ctx, c1, c.ID, 3, childCall())
	wantCode(t, "the first counsellor after the transfer", err, apperr.EForbidden)
	// The station's supervisor sees every branch's contacts: the draft
	// arrived whole, held by the new counsellor.
	sup := e.user(access.HotlineSupervisor, e.station)
	got, err := e.svc.FindContact(e.ctx, sup, c.ID)
	if err != nil || got.CounsellorID != c2.UserID || got.Summary != childCall().Summary || got.Version != 3 {
		t.Fatalf("after transfer: %+v %v", got, err)
	}
}

// Editing rules are data: the author edits a finalised contact for 24
// hours, a supervisor always.
func TestEditRules(t *testing.T) {
	e := newEnv(t)
	c1 := e.user(access.HotlineCounsellor, e.b1)
	sup := e.user(access.HotlineSupervisor, e.station)
	c, _, _ := e.svc.Start(e.ctx, c1, hotline.NewContact{StationID: e.b1.ID, Channel: "phone"})
	v, _ := e.svc.Save(e.ctx, c1, c.ID, 1, childCall())
	if err := e.svc.Finalise(e.ctx, c1, c.ID, v); err != nil {
		t.Fatal(err)
	}
	v++
	e.clk.Advance(23 * time.Hour)
	if _, err := e.svc.Save(e.ctx, c1, c.ID, v, childCall()); err != nil {
		t.Fatalf("the author within 24 h: %v", err)
	}
	v++
	e.clk.Advance(2 * time.Hour)
	_, err := e.svc.Save(e.ctx, c1, c.ID, v, childCall())
	wantCode(t, "the author after 24 h", err, apperr.EForbidden)
	if _, err := e.svc.Save(e.ctx, sup, c.ID, v, childCall()); err != nil {
		t.Fatalf("a supervisor: %v", err)
	}
	if _, err := e.d.Exec(e.ctx, `UPDATE contact_edit_rules SET minutes = 60 WHERE role = ''`); err != nil {
		t.Fatal(err)
	}
	c2, _, _ := e.svc.Start(e.ctx, c1, hotline.NewContact{StationID: e.b1.ID, Channel: "phone"})
	v2, _ := e.svc.Save(e.ctx, c1, c2.ID, 1, hotline.Fields{CallerType: "silent"})
	if err := e.svc.Finalise(e.ctx, c1, c2.ID, v2); err != nil {
		t.Fatalf("a silent call needs no category: %v", err)
	}
	e.clk.Advance(61 * time.Minute)
	_, err = e.svc.Save(e.ctx, c1, c2.ID, v2+1, hotline.Fields{CallerType: "silent"})
	wantCode(t, "the author after the rule's new 60 minutes", err, apperr.EForbidden)
}
