package wechat

import (
	"bufio"
	"bytes"
	"crypto/aes"
	"crypto/cipher"
	"encoding/base64"
	"encoding/binary"
	"flag"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// The fixtures in testdata are pushes as WeChat's servers send them, one
// raw HTTP/1.1 request a file, for a made-up account. They were written
// once by this generator and are committed:
//
//	go test ./internal/hotline/wechat -run TestWriteFixtures -wechat.fixtures
//
// rewrites them (the output is the same every time: fixed nonces, fixed
// "random" bytes). TestFixturesAreCurrent fails when a file and the
// generator differ. The encryption below is used by nothing but this
// generator; TestDecryptOpenSSLVector checks the adapter against a
// ciphertext made by OpenSSL instead.
var writeFixtures = flag.Bool("wechat.fixtures", false, "rewrite testdata/*.http from the generator")

// The made-up account of the fixtures.
const (
	fxToken   = "careloop2026hotline"
	fxAESKey  = "Y2FyZWxvb3Atd2VjaGF0LWZpeHR1cmUta2V5LTIwMjY" // base64 of "careloop-wechat-fixture-key-2026"
	fxAppID   = "wx5c8d3a1e7f9b2460"
	fxAccount = "gh_0f1e2d3c4b5a"
	fxOpenID  = "oFixtureOpenId0NotARealUser01"
	fxStamp   = int64(1767225600) // 2026-01-01T00:00:00Z: the tests' clock stands 20 seconds later
	fxText    = "老师，我这几天睡不着，不想去学校了"
)

var fxTime = time.Unix(fxStamp+20, 0).UTC()

// fixture is one request to write.
type fixture struct {
	name  string
	query [][2]string // in WeChat's order
	body  string
	get   bool
}

func textXML(stamp int64, msgID, content string) string {
	return fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName>\n<FromUserName><![CDATA[%s]]></FromUserName>\n"+
		"<CreateTime>%d</CreateTime>\n<MsgType><![CDATA[text]]></MsgType>\n<Content><![CDATA[%s]]></Content>\n<MsgId>%s</MsgId>\n</xml>",
		fxAccount, fxOpenID, stamp, content, msgID)
}

func mediaXML(stamp int64, kind, msgID, extra string) string {
	return fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName>\n<FromUserName><![CDATA[%s]]></FromUserName>\n"+
		"<CreateTime>%d</CreateTime>\n<MsgType><![CDATA[%s]]></MsgType>\n%s<MsgId>%s</MsgId>\n</xml>",
		fxAccount, fxOpenID, stamp, kind, extra, msgID)
}

func eventXML(stamp int64, event string) string {
	return fmt.Sprintf("<xml><ToUserName><![CDATA[%s]]></ToUserName>\n<FromUserName><![CDATA[%s]]></FromUserName>\n"+
		"<CreateTime>%d</CreateTime>\n<MsgType><![CDATA[event]]></MsgType>\n<Event><![CDATA[%s]]></Event>\n</xml>",
		fxAccount, fxOpenID, stamp, event)
}

// plainPush is a plaintext-mode push signed with token.
func plainPush(name, token string, stamp int64, nonce, body string) fixture {
	ts := fmt.Sprint(stamp)
	return fixture{name: name, body: body, query: [][2]string{
		{"signature", signature(token, ts, nonce)}, {"timestamp", ts}, {"nonce", nonce}, {"openid", fxOpenID}}}
}

// aesPush is an encrypted-mode push: the message encrypted for appID,
// msg_signature over the ciphertext with token.
func aesPush(name, token string, stamp int64, nonce, msg, appID string, seed byte) fixture {
	ts := fmt.Sprint(stamp)
	enc := fxEncrypt(msg, appID, seed)
	return aesEnvelope(name, token, ts, nonce, enc)
}

func aesEnvelope(name, token, ts, nonce, enc string) fixture {
	body := fmt.Sprintf("<xml>\n    <ToUserName><![CDATA[%s]]></ToUserName>\n    <Encrypt><![CDATA[%s]]></Encrypt>\n</xml>", fxAccount, enc)
	return fixture{name: name, body: body, query: [][2]string{
		{"signature", signature(token, ts, nonce)}, {"timestamp", ts}, {"nonce", nonce}, {"openid", fxOpenID},
		{"encrypt_type", "aes"}, {"msg_signature", signature(token, ts, nonce, enc)}}}
}

// fxEncrypt encrypts as WeChat does, with "random" bytes derived from seed.
func fxEncrypt(msg, appID string, seed byte) string {
	key, err := aesKey(fxAESKey)
	if err != nil {
		panic(err)
	}
	var pt []byte
	for i := range 16 {
		pt = append(pt, seed+byte(i*7))
	}
	pt = binary.BigEndian.AppendUint32(pt, uint32(len(msg)))
	pt = append(pt, msg...)
	pt = append(pt, appID...)
	return fxSeal(key, pt, padBlock-len(pt)%padBlock)
}

// fxSeal pads pt with n bytes of value n (n=0x21 or a wrong byte makes bad
// padding) and encrypts it.
func fxSeal(key, pt []byte, n int) string {
	for range n {
		pt = append(pt, byte(n))
	}
	block, err := aes.NewCipher(key)
	if err != nil {
		panic(err)
	}
	ct := make([]byte, len(pt))
	cipher.NewCBCEncrypter(block, key[:16]).CryptBlocks(ct, pt)
	return base64.StdEncoding.EncodeToString(ct)
}

// badPadding is a ciphertext whose last plaintext block ends in 0x00:
// no PKCS#7 padding at all.
func badPadding() string {
	key, _ := aesKey(fxAESKey)
	pt := []byte(strings.Repeat("x", 20) + "</xml>" + fxAppID)
	for len(pt)%padBlock != 0 {
		pt = append(pt, 0)
	}
	return fxSeal(key, pt, 0)
}

func fixtures() []fixture {
	t0 := fxStamp
	verify := func(name, token string) fixture {
		ts := fmt.Sprint(t0)
		return fixture{name: name, get: true, query: [][2]string{
			{"signature", signature(token, ts, "1846291357")}, {"echostr", "7386250985541278317"}, {"timestamp", ts}, {"nonce", "1846291357"}}}
	}
	return []fixture{
		verify("get_verify", fxToken),
		verify("get_verify_bad_signature", "not-the-token"),
		plainPush("plain_text", fxToken, t0, "402719833", textXML(t0, "24000000000000001", fxText)),
		plainPush("plain_text_redelivered", fxToken, t0+5, "1193804472", textXML(t0, "24000000000000001", fxText)),
		plainPush("plain_image", fxToken, t0+1, "887150236", mediaXML(t0+1, "image", "24000000000000002",
			"<PicUrl><![CDATA[https://mmbiz.qpic.cn/fixture]]></PicUrl>\n<MediaId><![CDATA[media-fixture-1]]></MediaId>\n")),
		plainPush("plain_voice", fxToken, t0+2, "561048822", mediaXML(t0+2, "voice", "24000000000000003",
			"<MediaId><![CDATA[media-fixture-2]]></MediaId>\n<Format><![CDATA[amr]]></Format>\n<Recognition><![CDATA[我不想活了]]></Recognition>\n")),
		plainPush("plain_subscribe", fxToken, t0+3, "90412577", eventXML(t0+3, "subscribe")),
		plainPush("plain_bad_signature", "not-the-token", t0, "402719834", textXML(t0, "24000000000000004", fxText)),
		plainPush("plain_malformed", fxToken, t0, "336100245", "<xml><ToUserName><![CDATA["+fxAccount+"]]></ToUserName>\n<FromUserName><![CDATA["+fxOpenID+"]]></FromUser"),
		plainPush("plain_expired", fxToken, t0-3600, "775301946", textXML(t0-3600, "24000000000000005", fxText)),
		aesPush("aes_text", fxToken, t0, "1368741920", textXML(t0, "24000000000000011", fxText), fxAppID, 0x31),
		aesPush("aes_wrong_appid", fxToken, t0, "2051947763", textXML(t0, "24000000000000012", fxText), "wxffffffffffffffff", 0x52),
		aesPush("aes_bad_signature", "not-the-token", t0, "1604828310", textXML(t0, "24000000000000013", fxText), fxAppID, 0x73),
		aesEnvelope("aes_bad_padding", fxToken, fmt.Sprint(t0), "918273645", badPadding()),
	}
}

// raw is the request as it goes over the wire.
func (f fixture) raw() string {
	var q []string
	for _, kv := range f.query {
		q = append(q, kv[0]+"="+url.QueryEscape(kv[1]))
	}
	target := "/wechat/callback?" + strings.Join(q, "&")
	if f.get {
		return "GET " + target + " HTTP/1.1\r\nHost: hotline.example.org\r\nUser-Agent: Mozilla/4.0\r\nAccept: */*\r\nConnection: close\r\n\r\n"
	}
	return fmt.Sprintf("POST %s HTTP/1.1\r\nHost: hotline.example.org\r\nUser-Agent: Mozilla/4.0\r\nAccept: */*\r\n"+
		"Content-Type: text/xml\r\nContent-Length: %d\r\nConnection: close\r\n\r\n%s", target, len(f.body), f.body)
}

func TestWriteFixtures(t *testing.T) {
	if !*writeFixtures {
		t.Skip("run with -wechat.fixtures to rewrite testdata")
	}
	for _, f := range fixtures() {
		if err := os.WriteFile(filepath.Join("testdata", f.name+".http"), []byte(f.raw()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestFixturesAreCurrent(t *testing.T) {
	for _, f := range fixtures() {
		b, err := os.ReadFile(filepath.Join("testdata", f.name+".http"))
		if err != nil {
			t.Fatalf("%s: %v (run the generator: see fixtures_test.go)", f.name, err)
		}
		if string(b) != f.raw() {
			t.Errorf("testdata/%s.http differs from the generator's output", f.name)
		}
	}
}

// loadFixture reads a recorded request.
func loadFixture(t *testing.T, name string) *http.Request {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name+".http"))
	if err != nil {
		t.Fatal(err)
	}
	r, err := http.ReadRequest(bufio.NewReader(bytes.NewReader(b)))
	if err != nil {
		t.Fatalf("%s: %v", name, err)
	}
	return r
}
