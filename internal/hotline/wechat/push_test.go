package wechat

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/hotline/chat"
)

// The plaintext-mode example of WeChat's documentation (消息加解密说明,
// 接入指引): Token "AAAAA", timestamp 1714037059, nonce 486452656.
func TestSignatureMatchesWeChatsExample(t *testing.T) {
	if got := signature("AAAAA", "1714037059", "486452656"); got != "899cf89e464efb63f54ddac96b0a0a235f53aa78" {
		t.Fatalf("signature = %s", got)
	}
	if !signed("899CF89E464EFB63F54DDAC96B0A0A235F53AA78", "486452656", "AAAAA", "1714037059") {
		t.Fatal("upper-case hex or another order of the parts is refused")
	}
	if signed("", "AAAAA", "1714037059", "486452656") {
		t.Fatal("an empty signature is accepted")
	}
}

func TestVerifyEchoesOnlyWhenSigned(t *testing.T) {
	ts := newService(t, false)
	rec := ts.serve(loadFixture(t, "get_verify"))
	if rec.Code != http.StatusOK || rec.Body.String() != "7386250985541278317" {
		t.Fatalf("valid GET: %d %q", rec.Code, rec.Body.String())
	}
	rec = ts.serve(loadFixture(t, "get_verify_bad_signature"))
	if rec.Code != http.StatusForbidden || strings.Contains(rec.Body.String(), "7386250985541278317") {
		t.Fatalf("badly signed GET: %d %q", rec.Code, rec.Body.String())
	}
	ts.clock.Advance(6 * time.Minute)
	if rec := ts.serve(loadFixture(t, "get_verify")); rec.Code != http.StatusForbidden {
		t.Fatalf("stale GET: %d %q", rec.Code, rec.Body.String())
	}
}

func wantInbound(t *testing.T, got []chat.Inbound, msgID, text string) {
	t.Helper()
	if len(got) != 1 {
		t.Fatalf("%d messages routed, want 1", len(got))
	}
	want := chat.Inbound{Channel: "wechat", StationID: 7, From: fxOpenID, MessageID: msgID, Text: text, At: time.Unix(fxStamp, 0).UTC()}
	if got[0] != want {
		t.Fatalf("routed %+v\nwant %+v", got[0], want)
	}
}

func TestPlaintextMessageIsRouted(t *testing.T) {
	ts := newService(t, false)
	rec := ts.serve(loadFixture(t, "plain_text"))
	if rec.Code != http.StatusOK || rec.Body.String() != "success" {
		t.Fatalf("%d %q", rec.Code, rec.Body.String())
	}
	wantInbound(t, ts.router.received(), "24000000000000001", fxText)
	if p, m := ts.rows(t); p != 1 || m != 1 {
		t.Fatalf("rows: %d pushes, %d messages", p, m)
	}
}

func TestEncryptedMessageIsRouted(t *testing.T) {
	ts := newService(t, true)
	rec := ts.serve(loadFixture(t, "aes_text"))
	if rec.Code != http.StatusOK || rec.Body.String() != "success" {
		t.Fatalf("%d %q", rec.Code, rec.Body.String())
	}
	wantInbound(t, ts.router.received(), "24000000000000011", fxText)
}

// A ciphertext made by OpenSSL, not by this package, with the signature
// computed by the shell:
//
//	plaintext = "0123456789abcdef" + 4-byte big-endian length (273) + the XML + AppID,
//	            then 9 bytes of 0x09 (PKCS#7 to a 32-byte multiple: 320 bytes)
//	openssl enc -aes-256-cbc -nopad -K <hex of careloop-wechat-fixture-key-2026> \
//	            -iv <its first 16 bytes> -in pt | base64 -w0
//	printf '%s\n' TOKEN 1767225600 5550123 "$ENC" | LC_ALL=C sort | tr -d '\n' | sha1sum
const (
	opensslEncrypt = "I/EsVwa5dXeekfom880Y+9GQszD1Wk738m4YVyJkIU0oTXD9gAekptj1YI6RhZtDVaaAWysU2EeW74pKjYWqwfZ7HQqq2MMa2wcaq8QeD3LbHHP5M/iujp1XOVZmSLdNpHGhUOGwVn0Y1mCVCwaoHV6T4Dz/304XpdxbFZFKraqyFtH3c6IyR4HYV5Yz9mWiZvc8F73iRSiBlEHxQSVKYdZ4GeLRXOUsYtnC9dENhcNUkkXVXfE8YLawrBh8XHRwM4qAgLxpfpVcZnqVdkbtsAnsoL5ffgh8cZPn+JdBpgO4FOTqcT5sxW1qOkiIYHPcSwDWNsGYNsBLACf7umlCI0oAUEYF7Sa0yv4LKUdwgy5lNxCjM0sH0c6Go3JejwlTfSMRel/p1wqy1Tyo4l9DltvdqH99xs4G12F7ZPJsgoI="
	opensslMsgSig  = "a2fe5b7d1030b3c8644d0958d956f19e85c6f206"
)

func TestOpenSSLVector(t *testing.T) {
	ts := newService(t, true)
	q := url.Values{"timestamp": {"1767225600"}, "nonce": {"5550123"}, "encrypt_type": {"aes"}, "msg_signature": {opensslMsgSig}}
	body := "<xml><ToUserName><![CDATA[" + fxAccount + "]]></ToUserName><Encrypt><![CDATA[" + opensslEncrypt + "]]></Encrypt></xml>"
	out, err := ts.Push(context.Background(), q, []byte(body))
	if err != nil || out != Routed {
		t.Fatalf("Push: %v %v", out, err)
	}
	wantInbound(t, ts.router.received(), "24000000000000099", "openssl")
}

func TestReplayedPushIsRefused(t *testing.T) {
	ts := newService(t, true)
	req := loadFixture(t, "aes_text")
	if rec := ts.serve(again(t, req)); rec.Code != http.StatusOK {
		t.Fatalf("first: %d %q", rec.Code, rec.Body.String())
	}
	rec := ts.serve(req)
	if rec.Code != http.StatusConflict || !strings.Contains(rec.Body.String(), ErrReplayed.Reason) {
		t.Fatalf("replay: %d %q", rec.Code, rec.Body.String())
	}
	if n := len(ts.router.received()); n != 1 {
		t.Fatalf("%d messages routed, want 1", n)
	}
	if p, m := ts.rows(t); p != 1 || m != 1 {
		t.Fatalf("rows after the replay: %d pushes, %d messages", p, m)
	}
}

// A second server instance (or the same one after a restart) shares what
// the first accepted through the database.
func TestReplayIsRefusedByAnotherInstance(t *testing.T) {
	one := newService(t, false)
	two := newServiceOn(t, one.DB, false)
	req := loadFixture(t, "plain_text")
	if rec := one.serve(again(t, req)); rec.Code != http.StatusOK {
		t.Fatalf("first instance: %d", rec.Code)
	}
	if rec := two.serve(req); rec.Code != http.StatusConflict {
		t.Fatalf("second instance: %d %q", rec.Code, rec.Body.String())
	}
	if n := len(two.router.received()); n != 0 {
		t.Fatalf("the second instance routed %d", n)
	}
}

// WeChat delivers a message again (new nonce and timestamp, same MsgId)
// when it had no answer in time: it is acknowledged, not routed twice.
func TestRedeliveredMessageIsRoutedOnce(t *testing.T) {
	ts := newService(t, false)
	for _, name := range []string{"plain_text", "plain_text_redelivered"} {
		if rec := ts.serve(loadFixture(t, name)); rec.Code != http.StatusOK || rec.Body.String() != "success" {
			t.Fatalf("%s: %d %q", name, rec.Code, rec.Body.String())
		}
	}
	wantInbound(t, ts.router.received(), "24000000000000001", fxText)
	if p, m := ts.rows(t); p != 2 || m != 1 {
		t.Fatalf("rows: %d pushes, %d messages", p, m)
	}
}

func TestBadInputChangesNothing(t *testing.T) {
	cases := []struct {
		name      string
		fixture   string
		encrypted bool
		shift     time.Duration
		edit      func(r *http.Request)
		status    int
		want      *Rejection
	}{
		{"bad signature", "plain_bad_signature", false, 0, nil, 403, ErrBadSignature},
		{"malformed XML", "plain_malformed", false, 0, nil, 400, ErrMalformed},
		{"expired timestamp", "plain_expired", false, 0, nil, 403, ErrStale},
		{"clock 6 minutes later", "plain_text", false, 6 * time.Minute, nil, 403, ErrStale},
		{"timestamp 6 minutes ahead", "plain_text", false, -6 * time.Minute, nil, 403, ErrStale},
		{"encrypted: bad msg_signature", "aes_bad_signature", true, 0, nil, 403, ErrBadSignature},
		{"encrypted: wrong AppID", "aes_wrong_appid", true, 0, nil, 403, ErrWrongApp},
		{"encrypted: bad padding", "aes_bad_padding", true, 0, nil, 400, ErrBadCipher},
		{"plaintext push to an encrypted account", "plain_text", true, 0, nil, 400, ErrNotEncrypted},
		{"encrypted push without a key", "aes_text", false, 0, nil, 400, ErrNoAESKey},
		{"ciphertext edited", "aes_text", true, 0, func(r *http.Request) {
			b := strings.Replace(string(bodyOf(r)), "CDATA[", "CDATA[AAAA", 2)
			setBody(r, b)
		}, 403, ErrBadSignature},
		{"no timestamp", "plain_text", false, 0, func(r *http.Request) {
			q := r.URL.Query()
			q.Del("timestamp")
			r.URL.RawQuery = q.Encode()
		}, 400, ErrBadQuery},
		{"body too large", "plain_text", false, 0, func(r *http.Request) {
			setBody(r, strings.Repeat(" ", MaxBody)+string(bodyOf(r)))
		}, 413, ErrTooLarge},
		{"trailing garbage", "plain_text", false, 0, func(r *http.Request) {
			setBody(r, string(bodyOf(r))+"<xml/>")
		}, 400, ErrMalformed},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			ts := newService(t, c.encrypted)
			ts.clock.Advance(c.shift)
			req := loadFixture(t, c.fixture)
			if c.edit != nil {
				c.edit(req)
			}
			rec := ts.serve(req)
			if rec.Code != c.status || !strings.Contains(rec.Body.String(), c.want.Reason) {
				t.Fatalf("%d %q, want %d %q", rec.Code, rec.Body.String(), c.status, c.want.Reason)
			}
			if n := len(ts.router.received()); n != 0 {
				t.Fatalf("%d messages routed", n)
			}
			if p, m := ts.rows(t); p != 0 || m != 0 {
				t.Fatalf("rows: %d pushes, %d messages", p, m)
			}
			if !strings.Contains(ts.logs.String(), c.want.Reason) {
				t.Fatalf("the refusal is not logged: %s", ts.logs.String())
			}
		})
	}
}

func bodyOf(r *http.Request) []byte {
	var b bytes.Buffer
	_, _ = b.ReadFrom(r.Body)
	return b.Bytes()
}

func setBody(r *http.Request, b string) {
	r.Body = http.NoBody
	if b != "" {
		r.Body = io.NopCloser(strings.NewReader(b))
	}
	r.ContentLength = int64(len(b))
}

func TestNonTextMessages(t *testing.T) {
	ts := newService(t, false)
	for _, name := range []string{"plain_image", "plain_voice", "plain_subscribe"} {
		if rec := ts.serve(loadFixture(t, name)); rec.Code != http.StatusOK || rec.Body.String() != "success" {
			t.Fatalf("%s: %d %q", name, rec.Code, rec.Body.String())
		}
	}
	got := ts.router.received()
	if len(got) != 2 || got[0].Text != "[image]" || got[1].Text != "[voice] 我不想活了" {
		t.Fatalf("routed %+v", got)
	}
	if p, m := ts.rows(t); p != 3 || m != 2 {
		t.Fatalf("rows: %d pushes, %d messages (the subscribe event is recorded as a push only)", p, m)
	}
}

func TestPlaceholders(t *testing.T) {
	for _, c := range []struct {
		m    message
		want string
	}{
		{message{MsgType: "video"}, "[video]"},
		{message{MsgType: "shortvideo"}, "[video]"},
		{message{MsgType: "voice"}, "[voice]"},
		{message{MsgType: "location", Label: "泰州市海陵区", LocationX: "32.49", LocationY: "119.92"}, "[location] 泰州市海陵区 (32.49, 119.92)"},
		{message{MsgType: "link", Title: "一篇文章", URL: "https://example.org/a"}, "[link] 一篇文章 https://example.org/a"},
		{message{MsgType: "file", Title: "作业.docx"}, "[file] 作业.docx"},
		{message{MsgType: "miniprogrampage"}, "[message]"},
	} {
		if got := c.m.text(); got != c.want {
			t.Errorf("%s: %q, want %q", c.m.MsgType, got, c.want)
		}
	}
}

// When the router fails, the push is taken back and the message stays
// unrouted: WeChat's redelivery, with a new nonce or the same one, is
// routed, and once only.
func TestRouterFailureTakesThePushBack(t *testing.T) {
	ts := newService(t, false)
	ts.router.fail = errRouterDown
	req := loadFixture(t, "plain_text")
	rec := ts.serve(again(t, req))
	if rec.Code != http.StatusInternalServerError {
		t.Fatalf("router down: %d %q", rec.Code, rec.Body.String())
	}
	if p, _ := ts.rows(t); p != 0 {
		t.Fatalf("%d pushes recorded after a failed route", p)
	}
	if !strings.Contains(ts.logs.String(), "not routed") {
		t.Fatalf("no log of the failure: %s", ts.logs.String())
	}
	ts.router.fail = nil
	if rec := ts.serve(loadFixture(t, "plain_text_redelivered")); rec.Code != http.StatusOK {
		t.Fatalf("redelivery: %d %q", rec.Code, rec.Body.String())
	}
	if rec := ts.serve(req); rec.Code != http.StatusOK {
		t.Fatalf("the failed request again: %d %q", rec.Code, rec.Body.String())
	}
	wantInbound(t, ts.router.received(), "24000000000000001", fxText)
	if p, m := ts.rows(t); p != 2 || m != 1 {
		t.Fatalf("rows: %d pushes, %d messages", p, m)
	}
}

// A router's error that happens to be a Rejection is still the router's
// failure: WeChat must deliver again.
func TestRouterRejectionIsAFailure(t *testing.T) {
	ts := newService(t, false)
	ts.router.fail = fmt.Errorf("wrapped: %w", ErrMalformed)
	if rec := ts.serve(loadFixture(t, "plain_text")); rec.Code != http.StatusInternalServerError {
		t.Fatalf("%d", rec.Code)
	}
}

func TestConcurrentDeliveriesRouteOnce(t *testing.T) {
	ts := newService(t, false)
	req := loadFixture(t, "plain_text")
	raw := body(t, req)
	var wg sync.WaitGroup
	codes := make(chan int, 8)
	for range 8 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			_, err := ts.Push(context.Background(), req.URL.Query(), raw)
			switch {
			case err == nil:
				codes <- 200
			case errors.Is(err, ErrReplayed):
				codes <- 409
			default:
				codes <- 500
			}
		}()
	}
	wg.Wait()
	close(codes)
	n := map[int]int{}
	for c := range codes {
		n[c]++
	}
	if n[200] != 1 || n[409] != 7 {
		t.Fatalf("outcomes %v, want one 200 and seven 409", n)
	}
	if len(ts.router.received()) != 1 {
		t.Fatalf("%d routed", len(ts.router.received()))
	}
}

func TestOldRowsAreCleanedUp(t *testing.T) {
	ts := newService(t, false)
	if rec := ts.serve(loadFixture(t, "plain_text")); rec.Code != http.StatusOK {
		t.Fatalf("%d", rec.Code)
	}
	ts.clock.Advance(11 * time.Minute)
	if err := ts.Cleanup(context.Background()); err != nil {
		t.Fatal(err)
	}
	if p, m := ts.rows(t); p != 0 || m != 1 {
		t.Fatalf("after 11 minutes: %d pushes, %d messages", p, m)
	}
	// The push is stale now: refused, not taken again.
	if rec := ts.serve(loadFixture(t, "plain_text")); rec.Code != http.StatusForbidden {
		t.Fatalf("old push after cleanup: %d", rec.Code)
	}
	// A day later, a new push cleans up on its way (once a minute).
	ts.clock.Advance(24 * time.Hour)
	stamp := ts.clock.Now().Unix()
	f := plainPush("later", fxToken, stamp, "31337", textXML(stamp, "24000000000000077", "later"))
	req, err := http.ReadRequest(bufio.NewReader(strings.NewReader(f.raw())))
	if err != nil {
		t.Fatal(err)
	}
	if rec := ts.serve(req); rec.Code != http.StatusOK {
		t.Fatalf("new push: %d %q", rec.Code, rec.Body.String())
	}
	if p, m := ts.rows(t); p != 1 || m != 1 {
		t.Fatalf("after a day: %d pushes, %d messages, want only the new push's", p, m)
	}
}

func TestOtherMethodsAreRefused(t *testing.T) {
	ts := newService(t, false)
	req := loadFixture(t, "plain_text")
	req.Method = http.MethodPut
	if rec := ts.serve(req); rec.Code != http.StatusMethodNotAllowed {
		t.Fatalf("%d", rec.Code)
	}
}

func TestConfigValidate(t *testing.T) {
	good := Config{Token: fxToken, EncodingAESKey: fxAESKey, AppID: fxAppID, AppSecret: "s", StationID: 1}
	if err := good.Validate(); err != nil {
		t.Fatal(err)
	}
	for name, edit := range map[string]func(*Config){
		"short token":    func(c *Config) { c.Token = "ab" },
		"token symbols":  func(c *Config) { c.Token = "abc-def" },
		"no AppID":       func(c *Config) { c.AppID = "" },
		"no secret":      func(c *Config) { c.AppSecret = "" },
		"no station":     func(c *Config) { c.StationID = 0 },
		"short key":      func(c *Config) { c.EncodingAESKey = fxAESKey[1:] },
		"key not base64": func(c *Config) { c.EncodingAESKey = strings.Repeat("*", 43) },
		"API base":       func(c *Config) { c.APIBase = "ftp://api.weixin.qq.com" },
	} {
		c := good
		edit(&c)
		if err := c.Validate(); err == nil {
			t.Errorf("%s: accepted", name)
		}
	}
	var nilService *Service
	if nilService.Configured() || (&Service{Config: good}).Configured() {
		t.Fatal("a service without database and router reports configured")
	}
}
