package hotline_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/hotline"
)

// A repeat caller is known by a keyed hash of the number, whatever its
// format; the screen-pop shows earlier contacts and flags in force.
func TestScreenPopForRepeatCaller(t *testing.T) {
	e := newEnv(t)
	c1 := e.user(access.HotlineCounsellor, e.b1)
	sup := e.user(access.HotlineSupervisor, e.station)
	pop, err := e.svc.Lookup(e.ctx, c1, hotline.Identifier{Kind: "phone", Value: "138 0013 8000"})
	if err != nil || pop.ProfileID != 0 || len(pop.Earlier) != 0 {
		t.Fatalf("unknown number: %+v %v", pop, err)
	}
	if n := e.num(`SELECT COUNT(*) FROM contact_profiles`); n != 0 {
		t.Errorf("a look-up created %d profiles", n)
	}
	first, _, err := e.svc.Start(e.ctx, c1, hotline.NewContact{StationID: e.b1.ID, Channel: "phone",
		Identifier: hotline.Identifier{Kind: "phone", Value: "13800138000"}})
	if err != nil || first.ProfileID == 0 {
		t.Fatalf("first call: %+v %v", first, err)
	}
	var hash string
	_ = e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT key_hash FROM contact_profiles`).Scan(&hash)
	})
	if strings.Contains(hash, "13800138000") || !strings.HasPrefix(hash, "phone:") {
		t.Errorf("stored %q", hash)
	}
	wantCode(t, "a counsellor setting a flag", e.svc.SetFlag(e.ctx, c1, first.ProfileID, "abusive", "骂人", e.clk.Now().Add(time.Hour)), apperr.EForbidden)
	if err := e.svc.SetFlag(e.ctx, sup, first.ProfileID, "abusive", "反复辱骂咨询员", e.clk.Now().Add(48*time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SetFlag(e.ctx, sup, first.ProfileID, "high_risk", "曾表达自杀计划", e.clk.Now().Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SetApproach(e.ctx, sup, first.ProfileID, "先肯定情绪，再谈安全计划"); err != nil {
		t.Fatal(err)
	}
	e.clk.Advance(2 * time.Hour) // the high-risk flag has ended
	_, pop, err = e.svc.Start(e.ctx, c1, hotline.NewContact{StationID: e.b1.ID, Channel: "phone",
		Identifier: hotline.Identifier{Kind: "phone", Value: "+86 138-0013-8000"}})
	if err != nil || pop == nil || pop.ProfileID != first.ProfileID {
		t.Fatalf("second call: %+v %v", pop, err)
	}
	if len(pop.Earlier) != 1 || pop.Earlier[0].ID != first.ID {
		t.Errorf("earlier contacts %+v", pop.Earlier)
	}
	if len(pop.Flags) != 1 || pop.Flags[0].Flag != "abusive" || pop.Flags[0].Reason != "反复辱骂咨询员" {
		t.Errorf("flags in force %+v", pop.Flags)
	}
	if pop.Approach != "先肯定情绪，再谈安全计划" {
		t.Errorf("approach %q", pop.Approach)
	}
	// The same number under another key is another profile: the hash is
	// keyed, so a database alone cannot be searched for a number.
	other := *e.svc
	other.Pepper = []byte("another installation's key 32 b")
	p2, err := other.Lookup(e.ctx, c1, hotline.Identifier{Kind: "phone", Value: "13800138000"})
	if err != nil || p2.ProfileID != 0 {
		t.Errorf("another key found profile %d, %v", p2.ProfileID, err)
	}
}
