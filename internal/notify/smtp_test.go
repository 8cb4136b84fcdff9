package notify

import (
	"bufio"
	"context"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"strings"
	"sync"
	"testing"
	"time"
)

// mail is one message the test server received, decoded.
type gotMail struct {
	From, Subject, Body string
	To                  []string
}

// smtpServer is a minimal SMTP server on 127.0.0.1: EHLO/HELO, MAIL, RCPT,
// DATA and QUIT (RSET and NOOP answered 250), no STARTTLS, no AUTH. It
// records every message it accepts.
type smtpServer struct {
	Addr       string
	RejectRcpt bool // answer RCPT with a 550 that echoes the address
	mu         sync.Mutex
	got        []gotMail
	arrived    chan gotMail
}

func newSMTPServer(t *testing.T) *smtpServer {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	s := &smtpServer{Addr: ln.Addr().String(), arrived: make(chan gotMail, 16)}
	t.Cleanup(func() { ln.Close() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			go s.serve(t, c)
		}
	}()
	return s
}

// URL is the SMTP URL of the server.
func (s *smtpServer) URL() string { return "smtp://" + s.Addr + "?from=careloop@example.org" }

func (s *smtpServer) Mails() []gotMail {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]gotMail(nil), s.got...)
}

func (s *smtpServer) serve(t *testing.T, c net.Conn) {
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	r := bufio.NewReader(c)
	reply := func(lines ...string) { fmt.Fprint(c, strings.Join(lines, "\r\n")+"\r\n") }
	reply("220 127.0.0.1 ESMTP test")
	var from string
	var to []string
	for {
		line, err := r.ReadString('\n')
		if err != nil {
			return
		}
		line = strings.TrimRight(line, "\r\n")
		verb := strings.ToUpper(strings.SplitN(line, " ", 2)[0])
		switch verb {
		case "EHLO":
			reply("250-127.0.0.1", "250 8BITMIME")
		case "HELO":
			reply("250 127.0.0.1")
		case "MAIL":
			from, to = addrOf(line), nil
			reply("250 OK")
		case "RCPT":
			if s.RejectRcpt {
				reply("550 5.1.1 <" + addrOf(line) + ">: no such user")
				continue
			}
			to = append(to, addrOf(line))
			reply("250 OK")
		case "DATA":
			reply("354 go ahead")
			var data strings.Builder
			for {
				l, err := r.ReadString('\n')
				if err != nil {
					return
				}
				if l == ".\r\n" {
					break
				}
				data.WriteString(strings.TrimPrefix(l, "."))
			}
			m := decodeMail(t, data.String())
			m.From, m.To = from, to
			s.mu.Lock()
			s.got = append(s.got, m)
			s.mu.Unlock()
			s.arrived <- m
			reply("250 OK queued")
		case "QUIT":
			reply("221 bye")
			return
		default:
			reply("250 OK")
		}
	}
}

// addrOf returns the address between < and > of a MAIL or RCPT line.
func addrOf(line string) string {
	i, j := strings.Index(line, "<"), strings.Index(line, ">")
	if i < 0 || j < i {
		return ""
	}
	return line[i+1 : j]
}

func decodeMail(t *testing.T, data string) gotMail {
	msg, err := netmail.ReadMessage(strings.NewReader(data))
	if err != nil {
		t.Errorf("read mail: %v", err)
		return gotMail{}
	}
	subj, err := new(mime.WordDecoder).DecodeHeader(msg.Header.Get("Subject"))
	if err != nil {
		t.Errorf("subject: %v", err)
	}
	var body io.Reader = msg.Body
	switch strings.ToLower(msg.Header.Get("Content-Transfer-Encoding")) {
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	}
	b, err := io.ReadAll(body)
	if err != nil {
		t.Errorf("body: %v", err)
	}
	return gotMail{Subject: subj, Body: string(b)}
}

func TestSMTPSendsMail(t *testing.T) {
	srv := newSMTPServer(t)
	m, err := NewSMTP(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	link := "https://careloop.example.org/alerts/42"
	err = m.Send(context.Background(), Message{To: "counsellor@example.org", Subject: "新预警（红色）", Body: "请查看：" + link})
	if err != nil {
		t.Fatal(err)
	}
	got := srv.Mails()
	if len(got) != 1 {
		t.Fatalf("got %d mails, want 1", len(got))
	}
	g := got[0]
	if g.From != "careloop@example.org" || len(g.To) != 1 || g.To[0] != "counsellor@example.org" {
		t.Errorf("envelope from %q to %v", g.From, g.To)
	}
	if g.Subject != "新预警（红色）" {
		t.Errorf("subject %q", g.Subject)
	}
	if !strings.Contains(g.Body, link) {
		t.Errorf("body %q lacks the link", g.Body)
	}
}

func TestSMTPErrorHasNoAddress(t *testing.T) {
	srv := newSMTPServer(t)
	srv.RejectRcpt = true
	m, err := NewSMTP(srv.URL())
	if err != nil {
		t.Fatal(err)
	}
	err = m.Send(context.Background(), Message{To: "someone.private@example.org", Subject: "s", Body: "b"})
	if err == nil {
		t.Fatal("a rejected recipient sent")
	}
	t.Logf("error: %v", err)
	if strings.Contains(err.Error(), "someone.private") {
		t.Errorf("error repeats the address: %v", err)
	}
}

func TestSMTPURL(t *testing.T) {
	for _, tc := range []struct {
		url  string
		port int
		tls  bool
		user string
	}{
		{"smtp://mx.example.org?from=careloop@example.org", 587, false, ""},
		{"smtp://u:p%40ss@mx.example.org:25?from=careloop@example.org", 25, false, "u"},
		{"smtps://u:pw@mx.example.org?from=Careloop+%3Ccareloop@example.org%3E", 465, true, "u"},
	} {
		m, err := NewSMTP(tc.url)
		if err != nil {
			t.Errorf("%s: %v", tc.url, err)
			continue
		}
		if m.host != "mx.example.org" || m.port != tc.port || m.implied != tc.tls || m.user != tc.user {
			t.Errorf("%s: got host %q port %d tls %v user %q", tc.url, m.host, m.port, m.implied, m.user)
		}
	}
	for _, bad := range []string{
		"", "mx.example.org", "http://mx.example.org?from=a@b.org", "smtp://mx.example.org",
		"smtp://mx.example.org?from=not-an-address", "smtp://:25?from=a@b.org",
		"smtp://mx.example.org:99999?from=a@b.org", "smtp://u:secret@mx.example.org/x?from=a@b.org",
		"smtp://u:secret@mx example.org?from=a@b.org",
	} {
		_, err := NewSMTP(bad)
		if err == nil {
			t.Errorf("%q accepted", bad)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("%q: the error repeats the password: %v", bad, err)
		}
	}
}
