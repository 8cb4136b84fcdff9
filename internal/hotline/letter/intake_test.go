package letter_test

import (
	"strings"
	"testing"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/hotline/letter"
)

func TestReceiveGBKQuotedPrintableOnce(t *testing.T) {
	e := newEnv(t)
	gw := e.gateway(e.b1)
	counsellor := e.user(access.HotlineCounsellor, e.b1)
	raw := gbkQuotedPrintable(t, "<q1@example.cn>")

	got, err := e.svc.Receive(e.ctx, gw, e.b1.ID, raw)
	if err != nil {
		t.Fatal(err)
	}
	if got.Duplicate || got.ID == 0 {
		t.Fatalf("received %+v", got)
	}
	// The gateway posts it again (its retry after a lost answer): stored once.
	again, err := e.svc.Receive(e.ctx, gw, e.b1.ID, raw)
	if err != nil || again.ID != got.ID || !again.Duplicate {
		t.Errorf("redelivery: %+v %v, want the same letter as a duplicate", again, err)
	}
	if n := e.num(`SELECT COUNT(*) FROM letters`); n != 1 {
		t.Errorf("%d letters after a redelivery, want 1", n)
	}
	e.rawMustNotHold(mailFrom, mailText[:12], mailSubject, "q1@example.cn")

	l, err := e.svc.Find(e.ctx, counsellor, got.ID)
	if err != nil {
		t.Fatal(err)
	}
	if l.Source != letter.SourceEmail || l.Body != mailText || l.Subject != mailSubject || l.StationID != e.b1.ID || l.State != letter.StateOpen {
		t.Errorf("letter %+v", l)
	}
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'letter.receive' AND actor_user_id = ?`, gw.UserID); n != 1 {
		t.Errorf("%d letter.receive audit entries by the gateway, want 1", n)
	}

	// Another message from the same sender counts as their second letter.
	second := strings.Replace(string(raw), "<q1@example.cn>", "<q2@example.cn>", 1)
	if _, err := e.svc.Receive(e.ctx, gw, 0, []byte(second)); err != nil {
		t.Fatal(err)
	}
	if l, err = e.svc.Find(e.ctx, counsellor, got.ID); err != nil || l.SenderLetters != 1 {
		t.Errorf("sender's other letters: %d %v, want 1", l.SenderLetters, err)
	}
}

func TestReceiveMultipart(t *testing.T) {
	e := newEnv(t)
	gw := e.gateway(e.station)
	got, err := e.svc.Receive(e.ctx, gw, 0, multipartMail())
	if err != nil {
		t.Fatal(err)
	}
	sup := e.user(access.HotlineSupervisor, e.station)
	l, err := e.svc.Find(e.ctx, sup, got.ID)
	if err != nil {
		t.Fatal(err)
	}
	if l.Body != multipartText || l.Subject != "help 请" || l.StationID != e.station.ID {
		t.Errorf("letter %+v, want the plain part at the top station", l)
	}
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'letter.receive' AND detail LIKE '%attachments=1%'`); n != 1 {
		t.Errorf("the attachment is not counted in the audit detail")
	}
}

func TestMalformedMailStoresNothing(t *testing.T) {
	e := newEnv(t)
	gw := e.gateway(e.b1)
	for name, raw := range malformedMails {
		_, err := e.svc.Receive(e.ctx, gw, e.b1.ID, crlf(raw))
		if apperr.CodeOf(err) != apperr.EInvalid {
			t.Errorf("%s: %v, want EInvalid", name, err)
		}
	}
	// A gateway of another station, and a principal without
	// hotline.contact, store nothing either.
	_, err := e.svc.Receive(e.ctx, e.gateway(e.other), e.b1.ID, multipartMail())
	wantCode(t, "gateway of another station", err, apperr.ENotFound)
	reader := e.gateway(e.b1)
	reader.Limit = []access.Permission{access.OrgRead}
	_, err = e.svc.Receive(e.ctx, reader, 0, multipartMail())
	wantCode(t, "token without hotline.contact", err, apperr.ENotFound)
	if n := e.num(`SELECT COUNT(*) FROM letters`); n != 0 {
		t.Errorf("%d letters stored from refused messages", n)
	}
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action LIKE 'letter.%'`); n != 0 {
		t.Errorf("%d letter audit entries from refused messages", n)
	}
}
