package letter_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
)

const replyText = "你好，谢谢你的来信。我们每天晚上都在，想聊的时候可以打热线。"

func TestReplyToMailIsQueuedRetriedAndSentOnce(t *testing.T) {
	e := newEnv(t)
	counsellor := e.user(access.HotlineCounsellor, e.b1)
	got, err := e.svc.Receive(e.ctx, e.gateway(e.b1), e.b1.ID, gbkQuotedPrintable(t, "<s1@example.cn>"))
	if err != nil {
		t.Fatal(err)
	}
	rid, err := e.svc.Reply(e.ctx, counsellor, got.ID, replyText)
	if err != nil {
		t.Fatal(err)
	}
	if n := e.num(`SELECT COUNT(*) FROM river_job WHERE kind = 'letter.reply_mail'`); n != 1 {
		t.Fatalf("%d reply jobs queued, want 1", n)
	}
	if n := e.num(`SELECT COUNT(*) FROM river_job WHERE CAST(args AS TEXT) LIKE '%你好%' OR CAST(args AS TEXT) LIKE '%example.cn%'`); n != 0 {
		t.Error("the job's arguments hold the reply or the address")
	}

	// The mail server refuses at first, echoing the address: the error,
	// which River stores, names neither the address nor the text.
	e.mail.setFail(errors.New("smtp: 451 4.3.0 <" + mailFrom + ">: temporarily deferred"))
	err = e.svc.SendReply(e.ctx, rid)
	if err == nil || strings.Contains(err.Error(), mailFrom) || strings.Contains(err.Error(), "你好") {
		t.Fatalf("failed send: %v", err)
	}
	if n := e.num(`SELECT COUNT(*) FROM letter_replies WHERE mail_state = 'queued'`); n != 1 {
		t.Error("a failed send is not left queued")
	}
	e.mail.setFail(nil)
	if err := e.svc.SendReply(e.ctx, rid); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SendReply(e.ctx, rid); err != nil { // River runs a job again after a crash
		t.Fatal(err)
	}
	msgs := e.mail.messages()
	if len(msgs) != 1 {
		t.Fatalf("%d mails, want 1", len(msgs))
	}
	if m := msgs[0]; m.To != mailFrom || m.Subject != "Re: "+mailSubject || !strings.HasPrefix(m.Body, replyText) || !strings.Contains(m.Body, "东城分站") {
		t.Errorf("mail %+v", m)
	}
	l, err := e.svc.Find(e.ctx, counsellor, got.ID)
	if err != nil || l.Replies[0].Mail != "sent" || l.Replies[0].MailedAt.IsZero() {
		t.Errorf("reply after sending: %+v %v", l.Replies, err)
	}
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'letter.reply_mailed'`); n != 1 {
		t.Errorf("%d letter.reply_mailed audit entries, want 1", n)
	}

	// Without a mailer an e-mail letter cannot be answered, and nothing is written.
	e.svc.Mailer = nil
	_, err = e.svc.Reply(e.ctx, counsellor, got.ID, "再写一封")
	if apperr.CodeOf(err) != apperr.EConflict || apperr.MessageOf(err) != "letter.mail_off" {
		t.Errorf("reply without a mailer: %v", err)
	}
	if n := e.num(`SELECT COUNT(*) FROM letter_replies`); n != 1 {
		t.Errorf("%d replies, want 1", n)
	}
}

func TestReplyMailThroughTheQueue(t *testing.T) {
	e := newEnv(t)
	if err := e.q.Start(e.ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		_ = e.q.Stop(stop)
	})
	counsellor := e.user(access.HotlineCounsellor, e.b1)
	got, err := e.svc.Receive(e.ctx, e.gateway(e.b1), e.b1.ID, multipartMail())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Reply(e.ctx, counsellor, got.ID, replyText); err != nil {
		t.Fatal(err)
	}
	select {
	case m := <-e.mail.arrived:
		if m.To != "student@example.org" || m.Subject != "Re: help 请" || !strings.HasPrefix(m.Body, replyText) {
			t.Errorf("mail %+v", m)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("no mail from the queue within 20s")
	}
	deadline := time.Now().Add(10 * time.Second)
	for e.num(`SELECT COUNT(*) FROM letter_replies WHERE mail_state = 'sent'`) != 1 {
		if time.Now().After(deadline) {
			t.Fatal("the reply is not marked sent")
		}
		time.Sleep(20 * time.Millisecond)
	}
}
