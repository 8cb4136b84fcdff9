package notify

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
)

// smsRequest is one request the test gateway received.
type smsRequest struct {
	Path, Query, Auth, ContentType string
	To, Text                       string
}

// smsGateway is an httptest.Server standing in for an SMS provider; Status
// is the status it answers (200 if 0).
type smsGateway struct {
	*httptest.Server
	mu     sync.Mutex
	Status int
	got    []smsRequest
}

func newSMSGateway(t *testing.T) *smsGateway {
	g := &smsGateway{}
	g.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body struct{ To, Text string }
		b, _ := io.ReadAll(r.Body)
		if err := json.Unmarshal(b, &body); err != nil {
			t.Errorf("gateway body %q: %v", b, err)
		}
		g.mu.Lock()
		g.got = append(g.got, smsRequest{Path: r.URL.Path, Query: r.URL.RawQuery, Auth: r.Header.Get("Authorization"),
			ContentType: r.Header.Get("Content-Type"), To: body.To, Text: body.Text})
		status := g.Status
		g.mu.Unlock()
		if status == 0 {
			status = http.StatusOK
		}
		w.WriteHeader(status)
		_, _ = io.WriteString(w, `{"error":"quota exceeded for +8613800000000"}`)
	}))
	t.Cleanup(g.Close)
	return g
}

func (g *smsGateway) Requests() []smsRequest {
	g.mu.Lock()
	defer g.mu.Unlock()
	return append([]smsRequest(nil), g.got...)
}

func (g *smsGateway) SetStatus(s int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	g.Status = s
}

func TestHTTPSMSPostsJSONWithBearerToken(t *testing.T) {
	gw := newSMSGateway(t)
	s, err := NewHTTPSMS(gw.URL + "/send?token=s3cret&account=7")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SendSMS(context.Background(), Message{To: "+8613800000000", Subject: "x", Body: "请查看 https://c.example.org/alerts/1"}); err != nil {
		t.Fatal(err)
	}
	got := gw.Requests()
	if len(got) != 1 {
		t.Fatalf("%d requests, want 1", len(got))
	}
	r := got[0]
	if r.Path != "/send" || r.Query != "account=7" {
		t.Errorf("path %q query %q: want /send and the token taken out of the query", r.Path, r.Query)
	}
	if r.Auth != "Bearer s3cret" || r.ContentType != "application/json" {
		t.Errorf("Authorization %q, Content-Type %q", r.Auth, r.ContentType)
	}
	if r.To != "+8613800000000" || r.Text != "请查看 https://c.example.org/alerts/1" {
		t.Errorf("to %q text %q", r.To, r.Text)
	}

	// Without a token there is no Authorization header.
	s, err = NewHTTPSMS(gw.URL + "/send")
	if err != nil {
		t.Fatal(err)
	}
	if err := s.SendSMS(context.Background(), Message{To: "+1", Body: "b"}); err != nil {
		t.Fatal(err)
	}
	if got := gw.Requests(); got[1].Auth != "" {
		t.Errorf("Authorization %q without a token", got[1].Auth)
	}
}

func TestHTTPSMSNon2xxIsAnError(t *testing.T) {
	gw := newSMSGateway(t)
	s, err := NewHTTPSMS(gw.URL + "/send?token=s3cret")
	if err != nil {
		t.Fatal(err)
	}
	for _, status := range []int{http.StatusBadRequest, http.StatusUnauthorized, http.StatusInternalServerError, http.StatusFound} {
		gw.SetStatus(status)
		err := s.SendSMS(context.Background(), Message{To: "+8613800000000", Body: "b"})
		if err == nil {
			t.Errorf("status %d: no error", status)
			continue
		}
		if msg := err.Error(); strings.Contains(msg, "quota") || strings.Contains(msg, "13800000000") || strings.Contains(msg, "s3cret") {
			t.Errorf("status %d: the error repeats the response, the number or the token: %v", status, err)
		}
	}
	gw.Close()
	err = s.SendSMS(context.Background(), Message{To: "+8613800000000", Body: "b"})
	if err == nil || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("gateway down: %v", err)
	}
}

func TestHTTPSMSURL(t *testing.T) {
	for _, ok := range []string{
		"https://sms.example.org/send", "https://sms.example.org/send?token=x",
		"http://127.0.0.1:9000/send", "http://localhost/send", "http://[::1]:8000/",
	} {
		if _, err := NewHTTPSMS(ok); err != nil {
			t.Errorf("%q: %v", ok, err)
		}
	}
	for _, bad := range []string{
		"", "sms.example.org/send", "http://sms.example.org/send", "ftp://sms.example.org/",
		"https://user:secret@sms.example.org/send", "https:///send", "https://sms example.org/?token=secret",
		"http://127.0.0.1.example.org/send",
	} {
		_, err := NewHTTPSMS(bad)
		if err == nil {
			t.Errorf("%q accepted", bad)
		} else if strings.Contains(err.Error(), "secret") {
			t.Errorf("%q: the error repeats the secret: %v", bad, err)
		}
	}
}
