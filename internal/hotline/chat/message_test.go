package chat_test

import (
	"testing"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/hotline"
	"github.com/careloop/careloop/internal/hotline/chat"
)

// A message resent after a dropped connection is stored once; the child
// and the holder read the same transcript; text is sealed at rest.
func TestMessagesDurableOnceAndSealed(t *testing.T) {
	e := newEnv(t)
	conv, token := e.visit(e.branch, "today", "")
	first, err := e.svc.ChildSay(e.ctx, token, "a1", "妈妈不理解我")
	if err != nil {
		t.Fatal(err)
	}
	again, err := e.svc.ChildSay(e.ctx, token, "a1", "妈妈不理解我")
	if err != nil || again.Seq != first.Seq {
		t.Fatalf("resend = %+v %v, want seq %d", again, err, first.Seq)
	}
	if n := e.num(`SELECT COUNT(*) FROM chat_messages WHERE conversation_id = ?`, conv.ID); n != 1 {
		t.Fatalf("%d messages stored, want 1", n)
	}
	plain := e.num(`SELECT COUNT(*) FROM chat_messages WHERE body LIKE ?`, "%妈妈%")
	if plain != 0 {
		t.Error("message text stored in clear")
	}

	c := e.user(access.HotlineCounsellor, e.branch)
	if _, _, err := e.svc.Take(e.ctx, c); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.StaffSay(e.ctx, c, conv.ID, "b1", "我在听，你愿意多说一点吗？"); err != nil {
		t.Fatal(err)
	}
	_, ms, err := e.svc.ChildSince(e.ctx, token, 0)
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 3 || ms[0].Sender != "child" || ms[1].Sender != "system" || ms[2].Sender != "counsellor" {
		t.Fatalf("child's transcript = %+v", ms)
	}
	// Reading on from a sequence number gives only what is new.
	_, ms, _ = e.svc.ChildSince(e.ctx, token, 2)
	if len(ms) != 1 || ms[0].Text != "我在听，你愿意多说一点吗？" {
		t.Errorf("since 2 = %+v", ms)
	}
	_, staff, role, err := e.svc.View(e.ctx, c, conv.ID, 0)
	if err != nil || role != chat.Holder || len(staff) != 3 || staff[0].Text != "妈妈不理解我" {
		t.Fatalf("holder view = %v %v %+v", role, err, staff)
	}
	if e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'chat.read' AND object_id = ?`, itoa(conv.ID)) != 1 {
		t.Error("the holder's full read is not audited")
	}
	if e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'chat.message' AND object_id = ?`, itoa(conv.ID)) != 2 {
		t.Error("messages not audited")
	}

	// Bad input is refused and stores nothing.
	_, err = e.svc.ChildSay(e.ctx, token, "a2", "   ")
	wantCode(t, "empty message", err, apperr.EInvalid)
	_, err = e.svc.ChildSay(e.ctx, "not-a-token", "a3", "hi")
	wantCode(t, "unknown token", err, apperr.ENotFound)
}

// A transfer carries the transcript and the draft contact; the former
// holder stops seeing the conversation; a supervisor watches silently,
// then joins; a counsellor of another station sees nothing.
func TestTransferWatchJoin(t *testing.T) {
	e := newEnv(t)
	conv, token := e.visit(e.branch, "now", "我想自杀")
	a := e.user(access.HotlineCounsellor, e.branch)
	b := e.user(access.HotlineCounsellor, e.station)
	sup := e.user(access.HotlineSupervisor, e.station)
	far := e.user(access.HotlineSupervisor, e.far)

	taken, _, err := e.svc.Take(e.ctx, a)
	if err != nil || taken.ID != conv.ID {
		t.Fatalf("take: %v %v", taken, err)
	}
	// a fills in the draft contact.
	ct, err := e.svc.Hotline.FindContact(e.ctx, a, taken.ContactID)
	if err != nil {
		t.Fatal(err)
	}
	f := ct.Fields
	f.CallerType, f.AgeBand, f.Summary = "child_self", "13_15", "说想自杀，已有计划"
	if _, err := e.svc.Hotline.Save(e.ctx, a, ct.ID, ct.Version, f); err != nil {
		t.Fatal(err)
	}

	if err := e.svc.Watch(e.ctx, sup, conv.ID); err != nil {
		t.Fatal(err)
	}
	_, _, role, err := e.svc.View(e.ctx, sup, conv.ID, 0)
	if err != nil || role != chat.Watcher {
		t.Fatalf("supervisor view: %v %v", role, err)
	}
	_, err = e.svc.StaffSay(e.ctx, sup, conv.ID, "s1", "watching")
	wantCode(t, "a watcher writes", err, apperr.EForbidden)
	_, ms, _ := e.svc.ChildSince(e.ctx, token, 0)
	for _, m := range ms {
		if m.Text == "chat.sys.joined" {
			t.Error("the child was told about a silent watcher")
		}
	}
	err = e.svc.Watch(e.ctx, far, conv.ID)
	wantCode(t, "supervisor of another station watches", err, apperr.ENotFound)
	_, _, _, err = e.svc.View(e.ctx, far, conv.ID, 0)
	wantCode(t, "supervisor of another station views", err, apperr.ENotFound)

	if err := e.svc.Transfer(e.ctx, a, conv.ID, b.UserID); err != nil {
		t.Fatal(err)
	}
	_, _, _, err = e.svc.View(e.ctx, a, conv.ID, 0)
	wantCode(t, "former holder views", err, apperr.ENotFound)
	_, ms, role, err = e.svc.View(e.ctx, b, conv.ID, 0)
	if err != nil || role != chat.Holder || ms[0].Text != "我想自杀" {
		t.Fatalf("new holder view: %v %v %+v", role, err, ms)
	}
	got, err := e.svc.Hotline.FindContact(e.ctx, b, taken.ContactID)
	if err != nil || got.Summary != "说想自杀，已有计划" || got.CounsellorID != b.UserID || got.AgeBand != "13_15" {
		t.Fatalf("draft after transfer = %+v %v", got, err)
	}
	if _, err := e.svc.StaffSay(e.ctx, b, conv.ID, "b1", "你好，我是另一位老师"); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.StaffSay(e.ctx, a, conv.ID, "a9", "still here?")
	wantCode(t, "former holder writes", err, apperr.ENotFound)

	if err := e.svc.Join(e.ctx, sup, conv.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.StaffSay(e.ctx, sup, conv.ID, "s2", "我也在这里"); err != nil {
		t.Fatal(err)
	}
	_, ms, _ = e.svc.ChildSince(e.ctx, token, 0)
	joined := false
	for _, m := range ms {
		joined = joined || m.Text == "chat.sys.joined"
	}
	if !joined {
		t.Error("the child was not told that a supervisor joined")
	}

	if err := e.svc.End(e.ctx, b, conv.ID); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.ChildSay(e.ctx, token, "late", "hello?")
	wantCode(t, "message after the end", err, apperr.EConflict)
}

// A child who leaves before anyone answers is an abandoned conversation.
func TestChildLeavesWhileWaiting(t *testing.T) {
	e := newEnv(t)
	conv, token := e.visit(e.station, "today", "hi")
	if err := e.svc.ChildEnd(e.ctx, token); err != nil {
		t.Fatal(err)
	}
	if e.num(`SELECT COUNT(*) FROM conversations WHERE id = ? AND state = 'abandoned' AND ended_by = 'child'`, conv.ID) != 1 {
		t.Error("not abandoned")
	}
	c := e.user(access.HotlineCounsellor, e.station)
	_, _, err := e.svc.Take(e.ctx, c)
	wantCode(t, "take after abandon", err, apperr.EConflict)
}

// WeChat messages join one conversation per sender; a redelivery is
// stored once; the openid is never stored in clear and the screen-pop
// finds the sender's earlier contacts.
func TestReceiveFromWeChat(t *testing.T) {
	e := newEnv(t)
	in := chat.Inbound{Channel: "wechat", StationID: e.branch.ID, From: "oAbC123-openid", MessageID: "1001", Text: "有人在吗"}
	for range 2 {
		if err := e.svc.Receive(e.ctx, in); err != nil {
			t.Fatal(err)
		}
	}
	in.MessageID, in.Text = "1002", "我被打了"
	if err := e.svc.Receive(e.ctx, in); err != nil {
		t.Fatal(err)
	}
	if n := e.num(`SELECT COUNT(*) FROM conversations`); n != 1 {
		t.Fatalf("%d conversations, want 1", n)
	}
	if n := e.num(`SELECT COUNT(*) FROM chat_messages`); n != 2 {
		t.Fatalf("%d messages, want 2", n)
	}
	if n := e.num(`SELECT COUNT(*) FROM conversations WHERE visitor_hash LIKE ? OR reply_to LIKE ?`, "%oAbC123%", "%oAbC123%"); n != 0 {
		t.Error("openid stored in clear")
	}
	c := e.user(access.HotlineCounsellor, e.branch)
	conv, pop, err := e.svc.Take(e.ctx, c)
	if err != nil || !conv.HighRisk() || conv.Flags[0] != "abuse" {
		t.Fatalf("take = %+v %v", conv, err)
	}
	if pop == nil || e.num(`SELECT profile_id FROM contacts WHERE id = ?`, conv.ContactID) == 0 {
		t.Error("the WeChat contact has no repeat-contacter profile")
	}
	_, err = e.svc.Hotline.Lookup(e.ctx, c, hotline.Identifier{Kind: "wechat", Value: "oAbC123-openid"})
	if err != nil {
		t.Fatal(err)
	}
	err = e.svc.Receive(e.ctx, chat.Inbound{Channel: "sms", From: "x", Text: "hi"})
	wantCode(t, "unknown channel", err, apperr.EInvalid)
}
