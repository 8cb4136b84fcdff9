package chat

import (
	"context"
	"errors"

	"github.com/riverqueue/river"

	"github.com/careloop/careloop/internal/db"
)

// ReplyArgs is a counsellor's message to send on through an outside channel.
type ReplyArgs struct {
	Conversation int64 `json:"conversation" river:"unique"`
	Seq          int   `json:"seq" river:"unique"`
}

// Kind names the job.
func (ReplyArgs) Kind() string { return "chat.reply" }

// ReplyWorker sends counsellors' messages on, retried by the queue until
// the channel takes them.
type ReplyWorker struct {
	river.WorkerDefaults[ReplyArgs]
	S *Service
}

// Work sends one message.
func (w *ReplyWorker) Work(ctx context.Context, job *river.Job[ReplyArgs]) error {
	s := w.S
	var channel, to, text string
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT channel FROM conversations WHERE id = ?`, job.Args.Conversation).Scan(&channel); err != nil {
			return err
		}
		var err error
		if to, err = s.replyTo(ctx, tx, job.Args.Conversation); err != nil {
			return err
		}
		ms, err := s.messages(ctx, tx, job.Args.Conversation, `AND seq = ? AND sender = 'counsellor'`, job.Args.Seq)
		if err != nil || len(ms) == 0 {
			return errors.New("chat reply: message not found")
		}
		text = ms[0].Text
		return nil
	})
	if err != nil {
		return err
	}
	r := s.Repliers[channel]
	if r == nil || to == "" {
		return river.JobCancel(errors.New("chat reply: no replier for the channel"))
	}
	return r.Reply(ctx, to, text)
}
