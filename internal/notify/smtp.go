package notify

import (
	"context"
	"errors"
	"fmt"
	netmail "net/mail"
	"net/url"
	"strconv"
	"time"

	"github.com/wneessen/go-mail"
)

// SMTP sends e-mail through one SMTP server (github.com/wneessen/go-mail).
// It is safe for concurrent use: each Send opens its own connection.
type SMTP struct {
	host    string
	port    int
	implied bool // smtps: TLS from the first byte
	user    string
	pass    string
	from    string
	// Timeout bounds one send: connecting, the conversation and the
	// message (default 30s).
	Timeout time.Duration
}

// NewSMTP reads an SMTP URL:
//
//	smtp://user:password@host:587?from=careloop@example.org
//	smtps://user:password@host:465?from=careloop@example.org
//
// smtp:// (default port 587) upgrades the connection with STARTTLS when the
// server offers it and continues in clear otherwise; smtps:// (default port
// 465) speaks TLS from the start. User and password, percent-encoded, are
// optional; with them the client picks the strongest mechanism the server
// offers, and go-mail refuses to send a password in clear to a host other
// than localhost. The from query parameter, the sender's address, is
// required. Errors never repeat the URL, which may hold a password.
func NewSMTP(raw string) (*SMTP, error) {
	u, err := url.Parse(raw)
	if err != nil {
		return nil, errors.New("SMTP URL is not a valid URL (smtp://user:password@host:587?from=careloop@example.org)")
	}
	m := &SMTP{Timeout: 30 * time.Second}
	switch u.Scheme {
	case "smtp":
		m.port = mail.DefaultPortTLS
	case "smtps":
		m.port, m.implied = mail.DefaultPortSSL, true
	default:
		return nil, errors.New("SMTP URL must start with smtp:// (STARTTLS when offered) or smtps:// (TLS)")
	}
	if m.host = u.Hostname(); m.host == "" {
		return nil, errors.New("SMTP URL has no host")
	}
	if p := u.Port(); p != "" {
		if m.port, err = strconv.Atoi(p); err != nil || m.port < 1 || m.port > 65535 {
			return nil, errors.New("SMTP URL has an invalid port")
		}
	}
	if u.Path != "" && u.Path != "/" {
		return nil, errors.New("SMTP URL must not have a path")
	}
	if u.User != nil {
		m.user = u.User.Username()
		m.pass, _ = u.User.Password()
	}
	q, err := url.ParseQuery(u.RawQuery)
	if err != nil {
		return nil, errors.New("SMTP URL has an invalid query")
	}
	from := q.Get("from")
	if from == "" {
		return nil, errors.New("SMTP URL needs the sender's address: ?from=careloop@example.org")
	}
	a, err := netmail.ParseAddress(from)
	if err != nil {
		return nil, errors.New("SMTP URL: from is not a valid e-mail address")
	}
	m.from = a.String()
	return m, nil
}

func (m *SMTP) timeout() time.Duration {
	if m.Timeout > 0 {
		return m.Timeout
	}
	return 30 * time.Second
}

// Send sends one plain-text message, in UTF-8, to msg.To.
func (m *SMTP) Send(ctx context.Context, msg Message) error {
	ctx, cancel := context.WithTimeout(ctx, m.timeout())
	defer cancel()
	opts := []mail.Option{mail.WithPort(m.port), mail.WithTimeout(m.timeout())}
	if m.implied {
		opts = append(opts, mail.WithSSL())
	} else {
		opts = append(opts, mail.WithTLSPolicy(mail.TLSOpportunistic))
	}
	if m.user != "" {
		opts = append(opts, mail.WithSMTPAuth(mail.SMTPAuthAutoDiscover), mail.WithUsername(m.user), mail.WithPassword(m.pass))
	}
	c, err := mail.NewClient(m.host, opts...)
	if err != nil {
		return fmt.Errorf("smtp client: %w", err)
	}
	e := mail.NewMsg()
	if err := e.From(m.from); err != nil {
		return fmt.Errorf("smtp sender: %w", err)
	}
	if err := e.To(msg.To); err != nil {
		return errors.New("smtp: the recipient's address is not valid")
	}
	e.Subject(msg.Subject)
	e.SetBodyString(mail.TypeTextPlain, msg.Body)
	e.SetDate()
	e.SetMessageID()
	if err := c.DialAndSendWithContext(ctx, e); err != nil {
		return errors.New("smtp: " + redact(err))
	}
	return nil
}
