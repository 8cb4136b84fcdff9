package chat

import (
	"context"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// Receive routes a message from an outside channel into the queue: it
// joins the sender's open conversation, or opens one at the station. A
// redelivered message (same MessageID) is stored once.
func (s *Service) Receive(ctx context.Context, in Inbound) error {
	if in.Channel != "wechat" || in.From == "" {
		return apperr.Invalid("form.invalid", map[string]string{"channel": "chat.bad_channel"})
	}
	text, err := checkText(in.Text, in.MessageID)
	if err != nil {
		return err
	}
	visitor := s.visitorHash(in.Channel, in.From)
	var topics []string
	err = s.DB.TxGrouped(ctx, func(ctx context.Context, tx *db.Tx) error {
		var id int64
		err := tx.QueryRow(ctx, `SELECT id FROM conversations WHERE visitor_hash = ? AND state IN ('waiting', 'active')`, visitor).Scan(&id)
		if err != nil {
			station, err := topStation(ctx, tx, in.StationID)
			if err != nil {
				return err
			}
			if id, err = s.open(ctx, tx, station, in.Channel, "", 0, visitor, []byte(in.From)); err != nil {
				return err
			}
			topics = append(topics, QueueTopic)
		}
		c, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		_, more, err := s.childMessage(ctx, tx, c, in.MessageID, text)
		topics = append(topics, more...)
		return err
	})
	if err != nil {
		return err
	}
	s.publish(ctx, topics...)
	return nil
}
