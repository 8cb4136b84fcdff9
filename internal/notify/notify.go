// Package notify tells staff that something needs them: in the app (a row
// they see on every page), by e-mail over SMTP, and by SMS through a
// pluggable gateway. A notification is written in the same transaction as
// the event that causes it; e-mail and SMS are delivered by a job, retried
// by the queue, and carry only a code and a link, never a child's name.
package notify

import (
	"context"
	"time"

	"github.com/riverqueue/river"

	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/jobs"
)

// Note is one notification: what happened, to which record, how urgent.
type Note struct {
	Kind    string // alert.raised, alert.escalated, follow_up.overdue, ...
	RefType string // alert, follow_up, case, task, contact
	RefID   int64
	Level   string // red, orange, yellow, or ""
}

// Message is what an e-mail or SMS says: a subject and a body in the
// recipient's language, with a link. It never holds personal data.
type Message struct {
	To      string
	Subject string
	Body    string
}

// Mailer sends e-mail.
type Mailer interface {
	Send(ctx context.Context, m Message) error
}

// SMSGateway sends a text message; a deployment plugs in its provider.
type SMSGateway interface {
	SendSMS(ctx context.Context, m Message) error
}

// Service writes notifications and delivers them.
type Service struct {
	Jobs    *jobs.Queue
	Mailer  Mailer     // nil: no e-mail
	SMS     SMSGateway // nil: no SMS
	BaseURL string     // for links in e-mail and SMS, e.g. https://careloop.example.org
	Now     func() time.Time
	// Text renders a note in a language: subject and body (the web layer
	// provides it from the message catalog).
	Text func(lang string, n Note, link string) (subject, body string)
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

// Send records a notification for userID in tx and, when e-mail or SMS is
// configured, schedules its delivery in the same transaction.
func (s *Service) Send(ctx context.Context, tx *db.Tx, userID int64, n Note) error {
	id, err := tx.InsertID(ctx, `INSERT INTO notifications (user_id, at, kind, ref_type, ref_id, level) VALUES (?, ?, ?, ?, ?, ?)`,
		userID, db.Micro(s.now()), n.Kind, n.RefType, n.RefID, n.Level)
	if err != nil {
		return err
	}
	if s.Jobs == nil || (s.Mailer == nil && s.SMS == nil) {
		return nil
	}
	return s.Jobs.At(ctx, tx, DeliverArgs{NotificationID: id}, time.Time{})
}

// DeliverArgs is the job that sends one notification by e-mail and SMS.
type DeliverArgs struct {
	NotificationID int64 `json:"notification_id"`
}

// Kind names the job.
func (DeliverArgs) Kind() string { return "notify.deliver" }

var _ river.JobArgs = DeliverArgs{}
