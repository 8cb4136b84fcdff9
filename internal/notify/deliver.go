package notify

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"strings"

	"github.com/riverqueue/river"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/i18n"
)

// DeliverWorker sends one notification by e-mail and SMS. It reads the
// notification and its recipient in a read transaction, renders the text
// in the recipient's language and sends it on every channel that is both
// configured (S.Mailer, S.SMS) and usable (the user has an e-mail address,
// a phone number). A deleted notification or an inactive user sends
// nothing.
//
// A failure is returned so that River retries. Its text names the channels
// that failed ("notify: not delivered by sms: ..."), and a retry sends only
// on those, so that an SMS gateway that is down for a day does not send the
// same e-mail 25 times. Nothing is logged, and errors carry neither
// addresses nor numbers.
type DeliverWorker struct {
	river.WorkerDefaults[DeliverArgs]
	S  *Service
	DB *db.DB // the database holding notifications and users
}

// Channels.
const (
	chanEmail = "email"
	chanSMS   = "sms"
)

// Work delivers the job's notification.
func (w *DeliverWorker) Work(ctx context.Context, job *river.Job[DeliverArgs]) error {
	if w.S == nil || w.DB == nil {
		return errors.New("notify: delivery worker has no service or database")
	}
	s := w.S
	var n Note
	var email, phone, locale string
	var active int
	err := w.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT n.kind, n.ref_type, n.ref_id, n.level, u.email, u.phone, u.locale, u.active
			FROM notifications n JOIN users u ON u.id = n.user_id WHERE n.id = ?`, job.Args.NotificationID).
			Scan(&n.Kind, &n.RefType, &n.RefID, &n.Level, &email, &phone, &locale, &active)
	})
	if apperr.CodeOf(err) == apperr.ENotFound {
		return nil
	}
	if err != nil {
		return fmt.Errorf("notify: load notification %d: %w", job.Args.NotificationID, err)
	}
	if active == 0 {
		return nil
	}
	if !i18n.Valid(locale) {
		locale = i18n.Default
	}
	text := s.Text
	if text == nil {
		text = DefaultText
	}
	subject, body := text(locale, n, s.Link(n))

	pending := pendingChannels(job)
	var failed []string
	var errs []error
	if email != "" && s.Mailer != nil && pending[chanEmail] {
		if err := s.Mailer.Send(ctx, Message{To: email, Subject: subject, Body: body}); err != nil {
			failed, errs = append(failed, chanEmail), append(errs, fmt.Errorf("email: %s", redact(err)))
		}
	}
	if phone != "" && s.SMS != nil && pending[chanSMS] {
		if err := s.SMS.SendSMS(ctx, Message{To: phone, Subject: subject, Body: body}); err != nil {
			failed, errs = append(failed, chanSMS), append(errs, fmt.Errorf("sms: %s", redact(err)))
		}
	}
	if len(failed) > 0 {
		return fmt.Errorf("notify: not delivered by %s: %w", strings.Join(failed, "+"), errors.Join(errs...))
	}
	return nil
}

var undelivered = regexp.MustCompile(`^notify: not delivered by ([a-z+]+):`)

// pendingChannels returns the channels still to send on: all of them on a
// first attempt, or those named by the latest attempt that reached the
// sending stage. An attempt that failed before sending (a database error,
// a crash) does not narrow the set.
func pendingChannels(job *river.Job[DeliverArgs]) map[string]bool {
	all := map[string]bool{chanEmail: true, chanSMS: true}
	if job == nil || job.JobRow == nil {
		return all
	}
	for i := len(job.Errors) - 1; i >= 0; i-- {
		m := undelivered.FindStringSubmatch(job.Errors[i].Error)
		if m == nil {
			continue
		}
		out := map[string]bool{}
		for _, c := range strings.Split(m[1], "+") {
			out[c] = all[c]
		}
		return out
	}
	return all
}

// Link is the address of the page a note is about, under BaseURL.
func (s *Service) Link(n Note) string {
	return strings.TrimRight(s.BaseURL, "/") + Path(n.RefType, n.RefID)
}

// DefaultText renders a note from the message catalog: the keys
// notify.<kind>.subject and notify.<kind>.body (notify.other.* for a kind
// without its own), with {0} the level's name (tier.<level>) and {1} the
// link. It uses nothing else, so a message never holds a name or any
// content of a record.
func DefaultText(lang string, n Note, link string) (subject, body string) {
	kind := n.Kind
	if !i18n.Has("notify."+kind+".subject") || !i18n.Has("notify."+kind+".body") {
		kind = "other"
	}
	level := ""
	if n.Level != "" && i18n.Has("tier."+n.Level) {
		level = i18n.T(lang, "tier."+n.Level)
	}
	return i18n.T(lang, "notify."+kind+".subject", level, link),
		i18n.T(lang, "notify."+kind+".body", level, link)
}

// address matches e-mail addresses and runs of digits that could be phone
// numbers, which a server's reply may echo.
var address = regexp.MustCompile(`[^\s<>"'(),;:]+@[^\s<>"'(),;:]+|\+?\d[\d -]{6,}\d`)

// redact returns err's text with addresses and phone numbers replaced.
func redact(err error) string {
	return address.ReplaceAllString(err.Error(), "[redacted]")
}
