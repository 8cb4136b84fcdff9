package letter

import (
	"bytes"
	"encoding/base64"
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net/mail"
	"strings"
	"unicode/utf8"

	"golang.org/x/net/html"
	"golang.org/x/text/encoding/htmlindex"

	"github.com/careloop/careloop/internal/apperr"
)

// Mail is an e-mail as the letter box keeps it: the sender's address, the
// subject and the text, decoded to UTF-8. Attachments are counted, not
// kept.
type Mail struct {
	From        string
	Subject     string
	Text        string
	MessageID   string
	Attachments int
	Truncated   bool // the text was cut at MaxText characters
}

// maxPart bounds the decoded size of one text part.
const maxPart = 4 << 20

// maxDepth bounds the nesting of multipart bodies.
const maxDepth = 8

// malformed is the error of a message that cannot be taken in; problem is
// the i18n key of why.
func malformed(problem string) error {
	return apperr.Invalid("letter.mail_malformed", map[string]string{"message": problem})
}

// ParseMail reads a raw RFC 5322 message (as an MTA pipe or a mail
// gateway's webhook hands it over): the From address, the subject
// (RFC 2047 encoded words), and the text: the text/plain parts, or the
// text/html parts reduced to text when there is no plain part; in any
// charset the WHATWG encoding standard names (UTF-8, GB2312, GBK,
// GB18030, Big5, ...), quoted-printable, base64 or 8bit. A message that
// cannot be read, has no sender or no text is EInvalid
// (letter.mail_malformed).
func ParseMail(raw []byte) (*Mail, error) {
	msg, err := mail.ReadMessage(bytes.NewReader(raw))
	if err != nil {
		return nil, malformed("letter.mail_unreadable")
	}
	dec := &mime.WordDecoder{CharsetReader: charsetReader}
	m := &Mail{MessageID: strings.TrimSpace(msg.Header.Get("Message-Id"))}
	from, err := (&mail.AddressParser{WordDecoder: dec}).ParseList(msg.Header.Get("From"))
	if err != nil || len(from) == 0 || !strings.Contains(from[0].Address, "@") {
		return nil, malformed("letter.mail_no_sender")
	}
	m.From = from[0].Address
	if m.Subject, err = dec.DecodeHeader(msg.Header.Get("Subject")); err != nil {
		m.Subject = msg.Header.Get("Subject")
	}
	m.Subject = strings.TrimSpace(strings.ToValidUTF8(m.Subject, "\uFFFD"))
	w := &walker{}
	if err := w.walk(msg.Header.Get("Content-Type"), msg.Header.Get("Content-Transfer-Encoding"), "", msg.Body, 0); err != nil {
		return nil, err
	}
	m.Attachments = w.attachments
	text := strings.Join(w.plain, "\n\n")
	if strings.TrimSpace(text) == "" {
		var parts []string
		for _, h := range w.html {
			parts = append(parts, htmlText(h))
		}
		text = strings.Join(parts, "\n\n")
	}
	text = strings.TrimSpace(strings.ReplaceAll(text, "\r\n", "\n"))
	if text == "" {
		return nil, malformed("letter.mail_no_text")
	}
	if utf8.RuneCountInString(text) > MaxText {
		text, m.Truncated = string([]rune(text)[:MaxText]), true
	}
	m.Text = text
	return m, nil
}

// walker collects the text parts of a body.
type walker struct {
	plain, html []string
	attachments int
}

func (w *walker) walk(ctype, cte, disposition string, body io.Reader, depth int) error {
	if depth > maxDepth {
		return malformed("letter.mail_unreadable")
	}
	if ctype == "" {
		ctype = "text/plain; charset=us-ascii"
	}
	mt, params, err := mime.ParseMediaType(ctype)
	if err != nil && mt == "" {
		return malformed("letter.mail_unreadable")
	}
	if d, _, _ := mime.ParseMediaType(disposition); d == "attachment" {
		w.attachments++
		return nil
	}
	switch {
	case strings.HasPrefix(mt, "multipart/"):
		if params["boundary"] == "" {
			return malformed("letter.mail_unreadable")
		}
		r := multipart.NewReader(body, params["boundary"])
		for {
			p, err := r.NextRawPart()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return malformed("letter.mail_unreadable")
			}
			if err := w.walk(p.Header.Get("Content-Type"), p.Header.Get("Content-Transfer-Encoding"),
				p.Header.Get("Content-Disposition"), p, depth+1); err != nil {
				return err
			}
		}
	case mt == "text/plain" || mt == "text/html":
		text, err := decodeText(body, cte, params["charset"])
		if err != nil {
			return err
		}
		if mt == "text/plain" {
			w.plain = append(w.plain, text)
		} else {
			w.html = append(w.html, text)
		}
	default:
		w.attachments++
	}
	return nil
}

// decodeText undoes a part's transfer encoding and charset.
func decodeText(body io.Reader, cte, charset string) (string, error) {
	switch strings.ToLower(strings.TrimSpace(cte)) {
	case "", "7bit", "8bit", "binary":
	case "quoted-printable":
		body = quotedprintable.NewReader(body)
	case "base64":
		body = base64.NewDecoder(base64.StdEncoding, body)
	default:
		return "", malformed("letter.mail_bad_encoding")
	}
	b, err := io.ReadAll(io.LimitReader(body, maxPart+1))
	if err != nil {
		return "", malformed("letter.mail_bad_encoding")
	}
	if len(b) > maxPart {
		return "", malformed("letter.mail_too_large")
	}
	cs := strings.ToLower(strings.Trim(strings.TrimSpace(charset), `"`))
	switch cs {
	case "", "us-ascii", "utf-8", "utf8":
		return strings.ToValidUTF8(string(b), "\uFFFD"), nil
	}
	enc, err := htmlindex.Get(cs)
	if err != nil {
		return "", malformed("letter.mail_charset")
	}
	out, err := enc.NewDecoder().Bytes(b)
	if err != nil {
		return "", malformed("letter.mail_charset")
	}
	return strings.ToValidUTF8(string(out), "\uFFFD"), nil
}

// charsetReader lets RFC 2047 encoded words use any charset decodeText
// knows.
func charsetReader(charset string, input io.Reader) (io.Reader, error) {
	enc, err := htmlindex.Get(strings.ToLower(charset))
	if err != nil {
		return nil, fmt.Errorf("letter: unknown charset")
	}
	return enc.NewDecoder().Reader(input), nil
}

// blockTags end a line when they open or close.
var blockTags = map[string]bool{"br": true, "p": true, "div": true, "li": true, "tr": true, "h1": true, "h2": true, "h3": true,
	"h4": true, "h5": true, "h6": true, "blockquote": true, "pre": true, "table": true, "ul": true, "ol": true, "hr": true}

// hiddenTags hold no text a reader sees.
var hiddenTags = map[string]bool{"script": true, "style": true, "head": true, "title": true, "template": true}

// htmlText reduces an HTML body to its text: entities decoded, scripts and
// styles dropped, block elements on lines of their own, runs of blanks
// and empty lines collapsed.
func htmlText(s string) string {
	z := html.NewTokenizer(strings.NewReader(s))
	var b strings.Builder
	hidden := 0
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return tidy(b.String())
		case html.TextToken:
			if hidden == 0 {
				b.Write(z.Text())
			}
		case html.StartTagToken, html.SelfClosingTagToken, html.EndTagToken:
			name, _ := z.TagName()
			hide := hiddenTags[string(name)]
			switch {
			case hide && tt == html.StartTagToken:
				hidden++
			case hide && tt == html.EndTagToken:
				hidden = max(0, hidden-1)
			case blockTags[string(name)]:
				b.WriteByte('\n')
			}
		}
	}
}

// tidy collapses blanks within lines and keeps at most one empty line.
func tidy(s string) string {
	var out []string
	empty := true
	for _, line := range strings.Split(s, "\n") {
		line = strings.Join(strings.Fields(line), " ")
		if line == "" {
			if !empty {
				out = append(out, "")
			}
			empty = true
			continue
		}
		out, empty = append(out, line), false
	}
	return strings.TrimSpace(strings.Join(out, "\n"))
}
