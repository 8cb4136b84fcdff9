package letter

import (
	"context"
	"errors"
	"fmt"
	"regexp"

	"github.com/riverqueue/river"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/i18n"
	"github.com/careloop/careloop/internal/notify"
)

// ReplyMailArgs is the job that sends one reply to an e-mail letter.
type ReplyMailArgs struct {
	ReplyID int64 `json:"reply_id"`
}

// Kind names the job.
func (ReplyMailArgs) Kind() string { return "letter.reply_mail" }

var _ river.JobArgs = ReplyMailArgs{}

// ReplyMailWorker sends replies to e-mail letters through S.Mailer. A
// failure is returned so that River retries; its text holds the reply's
// id and the mail server's answer with addresses removed, never the text.
type ReplyMailWorker struct {
	river.WorkerDefaults[ReplyMailArgs]
	S *Service
}

// Work sends the job's reply.
func (w *ReplyMailWorker) Work(ctx context.Context, job *river.Job[ReplyMailArgs]) error {
	return w.S.SendReply(ctx, job.Args.ReplyID)
}

// SendReply sends one queued reply by e-mail to the letter's sender and
// marks it sent. A reply already sent, or not queued for e-mail, is done.
// The message is read in a read transaction and sent outside any
// transaction; a crash between sending and marking sends it again (at
// least once).
func (s *Service) SendReply(ctx context.Context, replyID int64) error {
	if s.Mailer == nil {
		return errors.New("letter: no mailer for e-mail replies")
	}
	var letterID int64
	var state, name string
	var body, sender, subject []byte
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT r.letter_id, r.mail_state, r.body, l.sender, l.subject, o.name FROM letter_replies r
			JOIN letters l ON l.id = r.letter_id JOIN org_units o ON o.id = l.station_id WHERE r.id = ?`, replyID).
			Scan(&letterID, &state, &body, &sender, &subject, &name)
	})
	if apperr.CodeOf(err) == apperr.ENotFound {
		return nil
	}
	if err != nil {
		return fmt.Errorf("letter: load reply %d: %w", replyID, err)
	}
	if state != "queued" {
		return nil
	}
	text, err := s.unseal(body, replyAAD(replyID))
	if err != nil {
		return fmt.Errorf("letter: open reply %d: %w", replyID, err)
	}
	to, err := s.unseal(sender, senderAAD(letterID))
	if err != nil {
		return fmt.Errorf("letter: open sender of letter %d: %w", letterID, err)
	}
	subj, err := s.unseal(subject, subjectAAD(letterID))
	if err != nil {
		return fmt.Errorf("letter: open subject of letter %d: %w", letterID, err)
	}
	msg := notify.Message{To: to, Subject: replySubject(subj), Body: text + "\n\n-- \n" + i18n.T(i18n.Default, "letter.mail_footer", name)}
	if err := s.Mailer.Send(ctx, msg); err != nil {
		return fmt.Errorf("letter: reply %d not sent: %s", replyID, redact(err))
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		res, err := tx.Exec(ctx, `UPDATE letter_replies SET mail_state = 'sent', mailed_at = ? WHERE id = ? AND mail_state = 'queued'`,
			db.Micro(s.now()), replyID)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n == 0 {
			return nil
		}
		return s.Audit.Record(ctx, tx, audit.Entry{ActorRole: "system", Action: "letter.reply_mailed", ObjectType: "letter",
			ObjectID: itoa(letterID), Outcome: audit.Success, Detail: "reply=" + itoa(replyID)})
	})
}

// replySubject answers the writer's subject, or gives the station's own.
func replySubject(subject string) string {
	if subject == "" {
		return i18n.T(i18n.Default, "letter.mail_subject")
	}
	if len(subject) >= 3 && (subject[:3] == "Re:" || subject[:3] == "RE:" || subject[:3] == "re:") {
		return subject
	}
	return "Re: " + subject
}

// address matches e-mail addresses and runs of digits that a mail
// server's answer may echo.
var address = regexp.MustCompile(`[^\s<>"'(),;:]+@[^\s<>"'(),;:]+|\+?\d[\d -]{6,}\d`)

func redact(err error) string { return address.ReplaceAllString(err.Error(), "[redacted]") }
