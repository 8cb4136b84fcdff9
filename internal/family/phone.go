package family

import (
	"context"
	"fmt"
	"io"
	"strings"
	"sync"

	"github.com/careloop/careloop/internal/notify"
)

// NormalizePhone keeps the digits of a typed mainland mobile number
// (dropping spaces, dashes and a +86 or 0086 prefix) and reports whether it
// is one: 11 digits, 1[3-9]xxxxxxxxx.
func NormalizePhone(raw string) (string, bool) {
	var b strings.Builder
	for _, r := range raw {
		if r >= '0' && r <= '9' {
			b.WriteRune(r)
		}
	}
	d := b.String()
	switch {
	case len(d) == 13 && strings.HasPrefix(d, "86"):
		d = d[2:]
	case len(d) == 15 && strings.HasPrefix(d, "0086"):
		d = d[4:]
	}
	if len(d) != 11 || d[0] != '1' || d[1] < '3' || d[1] > '9' {
		return "", false
	}
	return d, true
}

// MaskPhone shows only the first three and the last four digits.
func MaskPhone(phone string) string {
	if len(phone) < 8 {
		return "***"
	}
	return phone[:3] + "****" + phone[len(phone)-4:]
}

// ConsoleSMS is the demo's SMS gateway: it writes each message to the
// server's standard output (never to the JSON log) with the phone masked.
type ConsoleSMS struct {
	mu  sync.Mutex
	Out io.Writer
}

// SetOut changes where messages go (the demo loader gives it the
// server's stdout).
func (c *ConsoleSMS) SetOut(w io.Writer) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.Out = w
}

// SendSMS prints m.
func (c *ConsoleSMS) SendSMS(ctx context.Context, m notify.Message) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	_, err := fmt.Fprintf(c.Out, "SMS to %s (demo, not sent): %s\n", MaskPhone(m.To), m.Body)
	return err
}
