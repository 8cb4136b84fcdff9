package web_test

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/hotline/chat"
	"github.com/careloop/careloop/internal/hotline/wechat"
	"github.com/careloop/careloop/internal/testutil"
	"github.com/careloop/careloop/internal/web"
)

type wechatInbox struct {
	mu  sync.Mutex
	got []chat.Inbound
}

func (b *wechatInbox) Receive(_ context.Context, in chat.Inbound) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.got = append(b.got, in)
	return nil
}

func (b *wechatInbox) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.got)
}

// sendRecorded sends a recorded WeChat push (internal/hotline/wechat/testdata)
// to base, with its own headers only: no Origin, no Sec-Fetch-Site, as a
// server sends it. extra adds headers.
func sendRecorded(t *testing.T, base, name string, extra ...string) (int, string) {
	t.Helper()
	f, err := os.Open("../hotline/wechat/testdata/" + name + ".http")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	rec, err := http.ReadRequest(bufio.NewReader(f))
	if err != nil {
		t.Fatal(err)
	}
	body, err := io.ReadAll(rec.Body)
	if err != nil {
		t.Fatal(err)
	}
	req, err := http.NewRequest(rec.Method, base+rec.RequestURI, strings.NewReader(string(body)))
	if err != nil {
		t.Fatal(err)
	}
	for k, v := range rec.Header {
		req.Header[k] = v
	}
	for i := 0; i+1 < len(extra); i += 2 {
		req.Header.Set(extra[i], extra[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

// The callback works through the interface's whole handler: the route,
// the session layer and the cross-origin protection, which lets a
// server's POST without Origin through and still stops a browser's
// cross-site POST.
func TestWeChatCallbackThroughTheHandler(t *testing.T) {
	inbox := &wechatInbox{}
	wc := &wechat.Service{Config: wechat.Config{Token: "careloop2026hotline", AppID: "wx5c8d3a1e7f9b2460", AppSecret: "x", StationID: 7},
		DB: testutil.DB(t), Router: inbox, Now: func() time.Time { return time.Unix(1767225620, 0) }}
	s := &web.Server{WeChat: wc, Log: slog.New(slog.DiscardHandler)}
	h, err := s.Handler()
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(h)
	defer srv.Close()

	if code, body := sendRecorded(t, srv.URL, "get_verify"); code != http.StatusOK || body != "7386250985541278317" {
		t.Fatalf("GET verification: %d %q", code, body)
	}
	if code, _ := sendRecorded(t, srv.URL, "get_verify_bad_signature"); code != http.StatusForbidden {
		t.Fatalf("badly signed GET: %d", code)
	}
	if code, body := sendRecorded(t, srv.URL, "plain_text", "Sec-Fetch-Site", "cross-site", "Origin", "https://evil.example"); code != http.StatusForbidden || inbox.count() != 0 {
		t.Fatalf("a browser's cross-site POST: %d %.100q, %d routed", code, body, inbox.count())
	}
	if code, body := sendRecorded(t, srv.URL, "plain_text"); code != http.StatusOK || body != "success" || inbox.count() != 1 {
		t.Fatalf("push: %d %q, %d routed", code, body, inbox.count())
	}
	if code, _ := sendRecorded(t, srv.URL, "plain_text"); code != http.StatusConflict || inbox.count() != 1 {
		t.Fatalf("replayed push: %d, %d routed", code, inbox.count())
	}
	if code, _ := sendRecorded(t, srv.URL, "plain_malformed"); code != http.StatusBadRequest || inbox.count() != 1 {
		t.Fatalf("malformed push: %d, %d routed", code, inbox.count())
	}
}

// The application as it starts today has no WeChat account configured:
// the address does not exist.
func TestWeChatCallbackIsAbsentUnconfigured(t *testing.T) {
	inst := start(t)
	c := newClient(t, inst.URL)
	if resp, body := c.get("/wechat/callback?signature=x&timestamp=1&nonce=1&echostr=hello"); resp.StatusCode != http.StatusNotFound || body == "hello" {
		t.Fatalf("GET: %d", resp.StatusCode)
	}
	if resp, _ := c.do("POST", "/wechat/callback", strings.NewReader("<xml/>"), "Content-Type", "text/xml"); resp.StatusCode != http.StatusNotFound {
		t.Fatalf("POST: %d", resp.StatusCode)
	}
}
