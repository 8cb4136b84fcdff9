package chat

import (
	"context"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// Transfer hands an active conversation, with its transcript and its
// draft contact as written so far, to a colleague of the station network.
// The holder or a supervisor may transfer; the former holder stops
// seeing it.
func (s *Service) Transfer(ctx context.Context, p access.Principal, id, toUserID int64) error {
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		c, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		r, m, err := s.role(ctx, tx, p, c)
		if err != nil {
			return err
		}
		if r != Holder && !canSupervise(p, c) {
			return apperr.New(apperr.EForbidden, "chat.not_holder")
		}
		if c.State != "active" {
			return apperr.New(apperr.EConflict, "chat.ended")
		}
		if toUserID == c.CounsellorID {
			return apperr.Invalid("form.invalid", map[string]string{"to": "chat.same_holder"})
		}
		// The contact moves first: it checks that the colleague answers
		// contacts in the same station network.
		if err := s.Hotline.Transfer(ctx, p, c.ContactID, toUserID); err != nil {
			return err
		}
		now := db.Micro(s.now())
		if _, err := tx.Exec(ctx, `UPDATE conversations SET counsellor_id = ? WHERE id = ?`, toUserID, id); err != nil {
			return err
		}
		if err := s.participant(ctx, tx, id, c.CounsellorID, "former", now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `DELETE FROM chat_participants WHERE conversation_id = ? AND user_id = ?`, id, toUserID); err != nil {
			return err
		}
		if err := s.system(ctx, tx, c, "chat.sys.transferred"); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "chat.transfer", id, "to="+itoa(toUserID))
	})
	if err != nil {
		return err
	}
	s.publish(ctx, convTopic(id), QueueTopic)
	return nil
}

// participant records how a user is in a conversation.
func (s *Service) participant(ctx context.Context, tx *db.Tx, id, user int64, role string, at int64) error {
	if _, err := tx.Exec(ctx, `DELETE FROM chat_participants WHERE conversation_id = ? AND user_id = ?`, id, user); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `INSERT INTO chat_participants (conversation_id, user_id, role, since_at) VALUES (?, ?, ?, ?)`, id, user, role, at)
	return err
}

// Watch lets a supervisor of the station follow an active conversation
// silently: neither the child nor the counsellor is told.
func (s *Service) Watch(ctx context.Context, p access.Principal, id int64) error {
	return s.supervise(ctx, p, id, Watcher, "")
}

// Join brings a supervisor into an active conversation: they may write,
// and the child is told that a colleague joined.
func (s *Service) Join(ctx context.Context, p access.Principal, id int64) error {
	return s.supervise(ctx, p, id, Joined, "chat.sys.joined")
}

func (s *Service) supervise(ctx context.Context, p access.Principal, id int64, role Role, note string) error {
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		c, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		m, ok := p.At(access.HotlineSupervise, c.StationPath)
		if !ok {
			return apperr.NotFound()
		}
		if c.State != "active" {
			return apperr.New(apperr.EConflict, "chat.ended")
		}
		if c.CounsellorID == p.UserID {
			return nil // the holder already takes part
		}
		if err := s.participant(ctx, tx, id, p.UserID, string(role), db.Micro(s.now())); err != nil {
			return err
		}
		if note != "" {
			if err := s.system(ctx, tx, c, note); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, p, m, "chat."+string(role), id, "")
	})
	if err == nil && note != "" {
		s.publish(ctx, convTopic(id))
	}
	return err
}

// End closes an active conversation (the holder or a joined supervisor).
// Its draft contact stays open for the counsellor to finish.
func (s *Service) End(ctx context.Context, p access.Principal, id int64) error {
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		c, err := s.load(ctx, tx, id)
		if err != nil {
			return err
		}
		r, m, err := s.role(ctx, tx, p, c)
		if err != nil {
			return err
		}
		if r == Watcher {
			return apperr.New(apperr.EForbidden, "chat.watching")
		}
		if c.State != "active" {
			return nil
		}
		if err := s.finish(ctx, tx, c, "ended", "counsellor"); err != nil {
			return err
		}
		return s.record(ctx, tx, p, m, "chat.end", id, "")
	})
	if err == nil {
		s.publish(ctx, convTopic(id), QueueTopic)
	}
	return err
}

// ChildEnd is the child leaving: a conversation nobody took yet is
// abandoned (and listed for call-back where the channel allows).
func (s *Service) ChildEnd(ctx context.Context, token string) error {
	var id int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		c, err := s.visitor(ctx, tx, token)
		if err != nil {
			return err
		}
		id = c.ID
		switch c.State {
		case "waiting":
			return s.finish(ctx, tx, c, "abandoned", "child")
		case "active":
			return s.finish(ctx, tx, c, "ended", "child")
		}
		return nil
	})
	if err == nil {
		s.publish(ctx, convTopic(id), QueueTopic)
	}
	return err
}

func (s *Service) finish(ctx context.Context, tx *db.Tx, c *Conversation, state, by string) error {
	if _, err := tx.Exec(ctx, `UPDATE conversations SET state = ?, ended_at = ?, ended_by = ? WHERE id = ?`,
		state, db.Micro(s.now()), by, c.ID); err != nil {
		return err
	}
	c.State = state
	return s.system(ctx, tx, c, "chat.sys.ended_by_"+by)
}
