package letter_test

import (
	"bytes"
	"encoding/base64"
	"mime/quotedprintable"
	"strings"
	"testing"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/hotline/letter"
)

const (
	mailFrom    = "xiaoming2011@example.cn"
	mailSubject = "我想找人说说话"
	mailText    = "老师好：\n我是初二的学生，最近总是和爸妈吵架，心里很烦。=等号也要留着。\n不知道该怎么办。"
)

func gbk(t testing.TB, s string) []byte {
	t.Helper()
	b, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func crlf(s string) []byte { return []byte(strings.ReplaceAll(s, "\n", "\r\n")) }

// gbkQuotedPrintable is a message as a Chinese webmail sends it: GBK text,
// quoted-printable, the subject and the sender's name as GBK encoded words.
func gbkQuotedPrintable(t testing.TB, msgID string) []byte {
	t.Helper()
	var qp bytes.Buffer
	w := quotedprintable.NewWriter(&qp)
	if _, err := w.Write(gbk(t, strings.ReplaceAll(mailText, "\n", "\r\n"))); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	name := "=?GB2312?B?" + base64.StdEncoding.EncodeToString(gbk(t, "小明")) + "?="
	subject := "=?GBK?B?" + base64.StdEncoding.EncodeToString(gbk(t, mailSubject)) + "?="
	head := "From: " + name + " <" + mailFrom + ">\nTo: letters@careloop.example.org\nSubject: " + subject + "\n"
	if msgID != "" {
		head += "Message-ID: " + msgID + "\n"
	}
	head += "MIME-Version: 1.0\nContent-Type: text/plain; charset=\"GBK\"\nContent-Transfer-Encoding: quoted-printable\n\n"
	return append(crlf(head), qp.Bytes()...)
}

func b64lines(b []byte) string {
	s := base64.StdEncoding.EncodeToString(b)
	var out []string
	for len(s) > 76 {
		out, s = append(out, s[:76]), s[76:]
	}
	return strings.Join(append(out, s), "\n")
}

const multipartText = "I can't tell anyone at school.\nPlease write back."

// multipartMail is multipart/mixed: an alternative of base64 UTF-8 text
// and HTML, and an attachment.
func multipartMail() []byte {
	return crlf(`From: "A Student" <student@example.org>
Subject: =?UTF-8?Q?help_=E8=AF=B7?=
Message-ID: <m2@example.org>
MIME-Version: 1.0
Content-Type: multipart/mixed; boundary="outer-b"

This is a multi-part message in MIME format.
--outer-b
Content-Type: multipart/alternative; boundary=inner

--inner
Content-Type: text/plain; charset=utf-8
Content-Transfer-Encoding: base64

` + b64lines([]byte(multipartText)) + `
--inner
Content-Type: text/html; charset=utf-8

<p>The HTML version must not be used.</p>
--inner--

--outer-b
Content-Type: image/png; name="drawing.png"
Content-Disposition: attachment; filename="drawing.png"
Content-Transfer-Encoding: base64

iVBORw0KGgo=
--outer-b--
`)
}

func TestParseMailGBKQuotedPrintable(t *testing.T) {
	m, err := letter.ParseMail(gbkQuotedPrintable(t, "<q1@example.cn>"))
	if err != nil {
		t.Fatal(err)
	}
	if m.From != mailFrom || m.Subject != mailSubject || m.Text != mailText || m.MessageID != "<q1@example.cn>" || m.Attachments != 0 {
		t.Errorf("parsed %+v", m)
	}
}

func TestParseMailMultipartAndHTML(t *testing.T) {
	m, err := letter.ParseMail(multipartMail())
	if err != nil {
		t.Fatal(err)
	}
	if m.From != "student@example.org" || m.Subject != "help 请" || m.Text != multipartText || m.Attachments != 1 {
		t.Errorf("parsed %+v", m)
	}

	// Only HTML, in GB18030, base64: reduced to its text.
	page := `<html><head><title>标题不要</title><style>p{color:red}</style></head><body><p>第一段&nbsp;&amp;   更多</p>` +
		`<script>alert("x")</script><div>第二段<br>第三行 &lt;好&gt;</div></body></html>`
	enc, err := simplifiedchinese.GB18030.NewEncoder().Bytes([]byte(page))
	if err != nil {
		t.Fatal(err)
	}
	raw := crlf("From: kid@example.org\nSubject: html\nContent-Type: text/html; charset=gb18030\nContent-Transfer-Encoding: base64\n\n" +
		b64lines(enc) + "\n")
	m, err = letter.ParseMail(raw)
	if err != nil {
		t.Fatal(err)
	}
	if want := "第一段 & 更多\n\n第二段\n第三行 <好>"; m.Text != want {
		t.Errorf("html text %q, want %q", m.Text, want)
	}

	// A text longer than a letter may be is cut, and says so.
	long := crlf("From: kid@example.org\nContent-Type: text/plain; charset=utf-8\n\n" + strings.Repeat("字", letter.MaxText+10))
	if m, err = letter.ParseMail(long); err != nil || !m.Truncated || len([]rune(m.Text)) != letter.MaxText {
		t.Errorf("long text: truncated=%v len=%d err=%v", m != nil && m.Truncated, len([]rune(m.Text)), err)
	}
}

// malformedMails are messages that must be refused, by what is wrong.
var malformedMails = map[string]string{
	"not a message":          "this is not an e-mail at all\nno headers here",
	"no sender":              "Subject: hi\nContent-Type: text/plain\n\nhello",
	"sender without address": "From: nobody\nSubject: hi\n\nhello",
	"bad base64":             "From: a@example.org\nContent-Type: text/plain; charset=utf-8\nContent-Transfer-Encoding: base64\n\n!!!not base64***\n",
	"unknown charset":        "From: a@example.org\nContent-Type: text/plain; charset=x-klingon\n\nqapla",
	"unknown encoding":       "From: a@example.org\nContent-Type: text/plain\nContent-Transfer-Encoding: x-uuencode\n\nbegin 644 x\n",
	"no boundary":            "From: a@example.org\nContent-Type: multipart/mixed\n\n--x\n\nhello\n--x--\n",
	"unterminated multipart": "From: a@example.org\nContent-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: text/plain\n\nhello",
	"only an attachment": "From: a@example.org\nContent-Type: multipart/mixed; boundary=x\n\n--x\nContent-Type: application/pdf\n" +
		"Content-Transfer-Encoding: base64\n\nJVBERi0=\n--x--\n",
	"empty text":     "From: a@example.org\nContent-Type: text/plain\n\n   \n",
	"bad media type": "From: a@example.org\nContent-Type: ;;;\n\nhello",
}

func TestParseMailRefusesMalformed(t *testing.T) {
	for name, raw := range malformedMails {
		m, err := letter.ParseMail(crlf(raw))
		if apperr.CodeOf(err) != apperr.EInvalid || apperr.MessageOf(err) != "letter.mail_malformed" || apperr.FieldsOf(err)["message"] == "" {
			t.Errorf("%s: %+v %v, want letter.mail_malformed with a reason", name, m, err)
		}
	}
}

func FuzzParseMail(f *testing.F) {
	f.Add(gbkQuotedPrintable(f, "<f@x>"))
	f.Add(multipartMail())
	for _, raw := range malformedMails {
		f.Add(crlf(raw))
	}
	f.Fuzz(func(t *testing.T, raw []byte) {
		m, err := letter.ParseMail(raw)
		if err != nil {
			if apperr.CodeOf(err) != apperr.EInvalid {
				t.Fatalf("error %v is not EInvalid", err)
			}
			return
		}
		if strings.TrimSpace(m.Text) == "" || !strings.Contains(m.From, "@") || len([]rune(m.Text)) > letter.MaxText {
			t.Fatalf("accepted %+v", m)
		}
	})
}
