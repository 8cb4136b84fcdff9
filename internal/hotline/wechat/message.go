package wechat

import (
	"bytes"
	"encoding/xml"
	"io"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/hotline/chat"
)

// envelope is the body of an encrypted push (安全模式); in compatible
// mode (兼容模式) the plaintext fields sit beside Encrypt and are ignored.
type envelope struct {
	XMLName    xml.Name `xml:"xml"`
	ToUserName string
	Encrypt    string
}

// message is a user's message or an event, as WeChat pushes it.
type message struct {
	XMLName      xml.Name `xml:"xml"`
	ToUserName   string
	FromUserName string // the sender's openid
	CreateTime   int64
	MsgType      string // text, image, voice, video, shortvideo, location, link, file, event
	Content      string
	MsgID        string `xml:"MsgId"`
	Event        string
	Recognition  string // a voice message's speech recognition, when the account enabled it
	Label        string
	LocationX    string `xml:"Location_X"`
	LocationY    string `xml:"Location_Y"`
	Title        string
	URL          string `xml:"Url"`
}

// The text that stands in the chat queue for a message without text of
// its own, so that nothing the child sent is lost; the counsellor sees
// what kind of message came and answers in words. The media itself stays
// with WeChat.
const (
	placeholderImage    = "[image]"
	placeholderVoice    = "[voice]"
	placeholderVideo    = "[video]"
	placeholderLocation = "[location]"
	placeholderLink     = "[link]"
	placeholderFile     = "[file]"
	placeholderOther    = "[message]"
)

// decodeXML decodes exactly one root element into v: anything after it
// other than white space, or any syntax error, is ErrMalformed. Go's
// decoder expands no external entities.
func decodeXML(b []byte, v any) error {
	d := xml.NewDecoder(bytes.NewReader(b))
	if err := d.Decode(v); err != nil {
		return ErrMalformed
	}
	for {
		tok, err := d.Token()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return ErrMalformed
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return ErrMalformed
			}
		case xml.Comment, xml.ProcInst:
		default:
			return ErrMalformed
		}
	}
}

// parseMessage decodes and checks a push's message.
func parseMessage(b []byte) (*message, error) {
	var m message
	if err := decodeXML(b, &m); err != nil {
		return nil, err
	}
	if m.FromUserName == "" || len(m.FromUserName) > 64 || !printable(m.FromUserName) || m.MsgType == "" || m.CreateTime < 0 {
		return nil, ErrMalformed
	}
	if m.MsgType == "event" {
		return &m, nil
	}
	if m.MsgID == "" || len(m.MsgID) > 24 || !digits(m.MsgID) {
		return nil, ErrMalformed
	}
	if m.MsgType == "text" && strings.TrimSpace(m.Content) == "" {
		return nil, ErrMalformed
	}
	return &m, nil
}

// routed reports whether the message goes into the chat queue: every
// message does, no event does (subscribe, unsubscribe, menu clicks and
// reported locations ask nothing of a counsellor).
func (m *message) routed() bool { return m.MsgType != "event" }

// text is what the counsellor reads: the text itself, or a placeholder
// naming the kind of message with what words it carries.
func (m *message) text() string {
	join := func(parts ...string) string {
		var out []string
		for _, p := range parts {
			if p = strings.TrimSpace(p); p != "" {
				out = append(out, p)
			}
		}
		return strings.Join(out, " ")
	}
	switch m.MsgType {
	case "text":
		return m.Content
	case "image":
		return placeholderImage
	case "voice":
		return join(placeholderVoice, m.Recognition)
	case "video", "shortvideo":
		return placeholderVideo
	case "location":
		where := ""
		if m.LocationX != "" || m.LocationY != "" {
			where = "(" + m.LocationX + ", " + m.LocationY + ")"
		}
		return join(placeholderLocation, m.Label, where)
	case "link":
		return join(placeholderLink, m.Title, m.URL)
	case "file":
		return join(placeholderFile, m.Title)
	}
	return placeholderOther
}

// inbound is the message as the chat queue receives it.
func (m *message) inbound(station int64, now time.Time) chat.Inbound {
	at := now
	if m.CreateTime > 0 {
		at = time.Unix(m.CreateTime, 0).UTC()
	}
	return chat.Inbound{Channel: "wechat", StationID: station, From: m.FromUserName, MessageID: m.MsgID, Text: m.text(), At: at}
}

func digits(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return false
		}
	}
	return v != ""
}
