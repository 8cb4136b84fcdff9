package chat_test

import (
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
)

// A risk expression jumps the queue: after urgency, then waiting time.
func TestQueueOrderedByRiskThenWait(t *testing.T) {
	e := newEnv(t)
	later, _ := e.visit(e.branch, "later", "I had a fight with my friend")
	e.clk.Advance(time.Minute)
	urgent, _ := e.visit(e.branch, "now", "please answer")
	e.clk.Advance(time.Minute)
	risky, _ := e.visit(e.branch, "later", "我真的不想活了")
	e.clk.Advance(time.Minute)
	other, _ := e.visit(e.far, "now", "hello")

	c := e.user(access.HotlineCounsellor, e.branch)
	q, err := e.svc.Waiting(e.ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	var got []int64
	for _, w := range q {
		got = append(got, w.ID)
	}
	want := []int64{risky.ID, urgent.ID, later.ID}
	if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
		t.Fatalf("queue = %v, want %v (and not %d of another station)", got, want, other.ID)
	}
	if !q[0].HighRisk() || len(q[0].Flags) != 1 || q[0].Flags[0] != "suicide" {
		t.Errorf("risky conversation flags = %v", q[0].Flags)
	}
	h, err := e.svc.QueueHealth(e.ctx, c)
	if err != nil {
		t.Fatal(err)
	}
	if h.Waiting != 3 || h.HighRisk != 1 || h.LongestWait != 3*time.Minute {
		t.Errorf("health = %+v", h)
	}

	// Take serves the same order, up to the cap (2 in this env).
	for i, id := range want[:2] {
		got, _, err := e.svc.Take(e.ctx, c)
		if err != nil || got.ID != id {
			t.Fatalf("take %d = %v %v, want %d", i, got, err, id)
		}
		if got.ContactID == 0 || e.num(`SELECT COUNT(*) FROM contacts WHERE id = ? AND channel = 'web_chat' AND counsellor_id = ?`, got.ContactID, c.UserID) != 1 {
			t.Errorf("take %d: no draft contact", i)
		}
	}
	_, _, err = e.svc.Take(e.ctx, c)
	wantCode(t, "third take over the cap", err, apperr.EConflict)

	// A counsellor of another station cannot take these.
	far := e.user(access.HotlineCounsellor, e.far)
	got2, _, err := e.svc.Take(e.ctx, far)
	if err != nil || got2.ID != other.ID {
		t.Fatalf("far counsellor took %v %v, want %d", got2, err, other.ID)
	}
	_, _, err = e.svc.Take(e.ctx, far)
	wantCode(t, "empty queue", err, apperr.EConflict)
}

func TestLexicon(t *testing.T) {
	cases := map[string]string{
		"我 不 想 活 了":                     "suicide",
		"I want to kill myself tonight": "suicide",
		"I DON'T want to live anymore":  "suicide",
		"sometimes I cut myself":        "self_harm",
		"爸爸喝了酒就打我":                      "abuse",
		"skill myself up at maths":      "",
		"I'm worried about my exam":     "",
		"最近考试压力很大":                      "",
	}
	for text, want := range cases {
		got := chatLexicon().Match(text)
		if (want == "" && len(got) != 0) || (want != "" && (len(got) != 1 || got[0] != want)) {
			t.Errorf("Match(%q) = %v, want %q", text, got, want)
		}
	}
}

// A branch counsellor answers the network's queue: a chat to the city's
// station is theirs to take; the contact is their branch's; after a
// transfer to a colleague of another branch, that colleague edits it.
func TestBranchAnswersNetworkQueue(t *testing.T) {
	e := newEnv(t)
	second := e.unit("hotline_station", "西城分站", e.station)
	conv, _ := e.visit(e.station, "today", "hello")
	a := e.user(access.HotlineCounsellor, e.branch)
	b := e.user(access.HotlineCounsellor, second)
	far := e.user(access.HotlineCounsellor, e.far)
	if q, _ := e.svc.Waiting(e.ctx, far); len(q) != 0 {
		t.Errorf("another network's counsellor sees %d waiting", len(q))
	}
	if q, _ := e.svc.Waiting(e.ctx, b); len(q) != 1 {
		t.Errorf("a branch counsellor sees %d waiting, want 1", len(q))
	}
	got, _, err := e.svc.Take(e.ctx, a)
	if err != nil || got.ID != conv.ID {
		t.Fatalf("take: %v %v", got, err)
	}
	if st := e.num(`SELECT station_id FROM contacts WHERE id = ?`, got.ContactID); st != e.branch.ID {
		t.Errorf("contact station = %d, want the branch %d", st, e.branch.ID)
	}
	if err := e.svc.Transfer(e.ctx, a, conv.ID, b.UserID); err != nil {
		t.Fatal(err)
	}
	ct, err := e.svc.Hotline.FindContact(e.ctx, b, got.ContactID)
	if err != nil {
		t.Fatalf("the new holder cannot read the draft: %v", err)
	}
	f := ct.Fields
	f.Summary = "转交后补充"
	if _, err := e.svc.Hotline.Save(e.ctx, b, ct.ID, ct.Version, f); err != nil {
		t.Fatalf("the new holder cannot save the draft: %v", err)
	}
	if _, err := e.svc.Hotline.FindContact(e.ctx, a, got.ContactID); err != nil {
		t.Errorf("a (at the contact's station) lost sight of it: %v", err)
	}
	if _, err := e.svc.Hotline.FindContact(e.ctx, far, got.ContactID); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("another network reads the contact: %v", err)
	}
}
