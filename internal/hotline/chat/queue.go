package chat

import (
	"context"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/hotline"
)

// queueOrder serves the highest risk first, then the longest waiting.
const queueOrder = ` ORDER BY c.risk DESC, c.offered_at, c.id`

// Waiting lists the conversations waiting at the stations where p answers
// contacts, in the order they will be taken. It shows no content.
func (s *Service) Waiting(ctx context.Context, p access.Principal) ([]Conversation, error) {
	return s.list(ctx, p, access.HotlineContact, true, `c.state = 'waiting'`, queueOrder)
}

// Live lists the active conversations a supervisor may watch.
func (s *Service) Live(ctx context.Context, p access.Principal) ([]Conversation, error) {
	return s.list(ctx, p, access.HotlineSupervise, false, `c.state = 'active'`, ` ORDER BY c.risk DESC, c.taken_at`)
}

// Mine lists the open conversations p holds or has joined.
func (s *Service) Mine(ctx context.Context, p access.Principal) ([]Conversation, error) {
	var out []Conversation
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+convColumns+` WHERE c.state = 'active' AND (c.counsellor_id = ? OR EXISTS (
			SELECT 1 FROM chat_participants cp WHERE cp.conversation_id = c.id AND cp.user_id = ? AND cp.role IN ('joined', 'watcher')))
			ORDER BY c.taken_at`, p.UserID, p.UserID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanConv(rows)
			if err != nil {
				return err
			}
			out = append(out, *c)
		}
		return rows.Err()
	})
	return out, err
}

// canSupervise reports whether p supervises the station of c.
func canSupervise(p access.Principal, c *Conversation) bool {
	_, ok := p.At(access.HotlineSupervise, c.StationPath)
	return ok
}

func (s *Service) list(ctx context.Context, p access.Principal, perm access.Permission, wide bool, cond, order string) ([]Conversation, error) {
	var out []Conversation
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		if wide {
			var err error
			if p, err = s.network(ctx, tx, p); err != nil {
				return err
			}
		}
		scope, args := p.Scope(perm, "o.path")
		rows, err := tx.Query(ctx, `SELECT `+convColumns+` WHERE `+cond+` AND `+scope+order+` LIMIT 500`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanConv(rows)
			if err != nil {
				return err
			}
			out = append(out, *c)
		}
		return rows.Err()
	})
	return out, err
}

// Health is the queue-health panel of the stations in a caller's scope.
type Health struct {
	OnDuty      int           // people on a duty shift at these stations now
	Answering   int           // counsellors holding a conversation now
	Waiting     int           // conversations waiting
	HighRisk    int           // waiting or active conversations with a risk expression
	Active      int           // conversations in progress
	LongestWait time.Duration // of those waiting
}

// QueueHealth computes the panel for the stations where p answers contacts.
func (s *Service) QueueHealth(ctx context.Context, p access.Principal) (Health, error) {
	var h Health
	now := s.now()
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		net, err := s.network(ctx, tx, p)
		if err != nil {
			return err
		}
		scope, args := net.Scope(access.HotlineContact, "o.path")
		var oldest int64
		err = tx.QueryRow(ctx, `SELECT
			COALESCE(SUM(CASE WHEN c.state = 'waiting' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN c.state = 'active' THEN 1 ELSE 0 END), 0),
			COALESCE(SUM(CASE WHEN c.risk >= ? THEN 1 ELSE 0 END), 0),
			COALESCE(MIN(CASE WHEN c.state = 'waiting' THEN c.offered_at END), 0),
			COUNT(DISTINCT CASE WHEN c.state = 'active' THEN c.counsellor_id END)
			FROM conversations c JOIN org_units o ON o.id = c.station_id
			WHERE c.state IN ('waiting', 'active') AND `+scope, append([]any{riskLexicon}, args...)...).
			Scan(&h.Waiting, &h.Active, &h.HighRisk, &oldest, &h.Answering)
		if err != nil {
			return err
		}
		if oldest > 0 {
			h.LongestWait = now.Sub(db.FromMicro(oldest))
		}
		t := db.Micro(now)
		return tx.QueryRow(ctx, `SELECT COUNT(DISTINCT d.user_id) FROM duty_shifts d JOIN org_units o ON o.id = d.org_unit_id
			WHERE d.starts_at <= ? AND d.ends_at > ? AND o.kind = 'hotline_station' AND `+scope, append([]any{t, t}, args...)...).Scan(&h.OnDuty)
	})
	return h, err
}

// Take gives p the next conversation of the queue (highest risk, then
// longest waiting) at the stations where p answers contacts, and opens
// its draft contact. A counsellor holds at most their cap of chats.
func (s *Service) Take(ctx context.Context, p access.Principal) (*Conversation, *hotline.ScreenPop, error) {
	var c *Conversation
	var pop *hotline.ScreenPop
	// Taking locks the conversation while messages of a group lock theirs:
	// PostgreSQL may break a deadlock by rolling one back; it is taken again.
	err := db.Retry(func() error {
		return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
			net, err := s.network(ctx, tx, p)
			if err != nil {
				return err
			}
			scope, args := net.Scope(access.HotlineContact, "o.path")
			if err := tx.Serialize(ctx, "chat-take:"+itoa(p.UserID)); err != nil {
				return err
			}
			limit := s.capacity()
			var own int
			_ = tx.QueryRow(ctx, `SELECT cap FROM chat_caps WHERE user_id = ?`, p.UserID).Scan(&limit)
			if err := tx.QueryRow(ctx, `SELECT COUNT(*) FROM conversations WHERE counsellor_id = ? AND state = 'active'`, p.UserID).Scan(&own); err != nil {
				return err
			}
			if own >= limit {
				return apperr.New(apperr.EConflict, "chat.at_cap")
			}
			next := `SELECT c.id FROM conversations c JOIN org_units o ON o.id = c.station_id
			WHERE c.state = 'waiting' AND ` + scope + queueOrder + ` LIMIT 1`
			var id int64
			err = tx.QueryRow(ctx, next+lockNext(tx, true), args...).Scan(&id)
			if err != nil && tx.Dialect() == db.Postgres {
				// Every waiting conversation was locked: by another
				// counsellor's take, or for a moment by a message of its
				// own. Wait for them rather than say the queue is empty; a
				// conversation another take got no longer matches.
				err = tx.QueryRow(ctx, next+lockNext(tx, false), args...).Scan(&id)
			}
			if err != nil {
				return apperr.New(apperr.EConflict, "chat.queue_empty")
			}
			if c, err = s.load(ctx, tx, id); err != nil {
				return err
			}
			pop, err = s.hold(ctx, tx, p, net, c)
			return err
		})
	})
	if err != nil {
		return nil, nil, err
	}
	s.publish(ctx, QueueTopic, convTopic(c.ID))
	return c, pop, nil
}

// hold makes p the holder of the waiting conversation c and opens its
// draft contact (joined to the repeat-contacter profile of an outside
// channel's id, whose screen-pop comes back).
//
// The contact belongs to the station that answers: the conversation's own
// station, or the counsellor's branch when they answer the network's queue.
func (s *Service) hold(ctx context.Context, tx *db.Tx, p, net access.Principal, c *Conversation) (*hotline.ScreenPop, error) {
	m, ok := answering(p, net, c.StationPath)
	if !ok {
		return nil, apperr.NotFound()
	}
	station := c.StationID
	if _, here := p.At(access.HotlineContact, c.StationPath); !here {
		station = m.OrgID
	}
	n := hotline.NewContact{StationID: station, Channel: c.Channel}
	if c.Channel != "web_chat" {
		to, err := s.replyTo(ctx, tx, c.ID)
		if err != nil {
			return nil, err
		}
		n.Identifier = hotline.Identifier{Kind: c.Channel, Value: to}
	}
	contact, pop, err := s.Hotline.Start(ctx, p, n)
	if err != nil {
		return nil, err
	}
	now := db.Micro(s.now())
	if _, err := tx.Exec(ctx, `UPDATE conversations SET state = 'active', counsellor_id = ?, contact_id = ?, taken_at = ? WHERE id = ?`,
		p.UserID, contact.ID, now, c.ID); err != nil {
		return nil, err
	}
	c.State, c.CounsellorID, c.ContactID, c.TakenAt = "active", p.UserID, contact.ID, db.FromMicro(now)
	if err := s.system(ctx, tx, c, "chat.sys.taken"); err != nil {
		return nil, err
	}
	return pop, s.record(ctx, tx, p, m, "chat.take", c.ID, "contact="+itoa(contact.ID))
}

// replyTo opens the sealed channel address of a conversation.
func (s *Service) replyTo(ctx context.Context, tx *db.Tx, id int64) (string, error) {
	var sealed []byte
	if err := tx.QueryRow(ctx, `SELECT reply_to FROM conversations WHERE id = ?`, id).Scan(&sealed); err != nil {
		return "", err
	}
	if len(sealed) == 0 {
		return "", nil
	}
	plain, err := s.Seal.Open(sealed, replyToAAD(id))
	if err != nil {
		return "", apperr.Internal(err)
	}
	return string(plain), nil
}

// Colleague is someone a conversation may be transferred to.
type Colleague struct {
	ID   int64
	Name string
	Role string
}

// Colleagues lists the counsellors and supervisors of the station network
// of conversation id (the station and its branches), other than its
// holder, for a transfer.
func (s *Service) Colleagues(ctx context.Context, p access.Principal, id int64) ([]Colleague, error) {
	var out []Colleague
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		c, err := scanConv(tx.QueryRow(ctx, `SELECT `+convColumns+` WHERE c.id = ?`, id))
		if err != nil {
			return apperr.NotFound()
		}
		if _, _, err := s.role(ctx, tx, p, c); err != nil {
			return err
		}
		top, err := hotline.NetworkTop(ctx, tx, c.StationPath)
		if err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT u.id, u.display_name, MIN(mb.role) FROM memberships mb JOIN users u ON u.id = mb.user_id
			JOIN org_units o ON o.id = mb.org_unit_id WHERE u.active = 1 AND mb.role IN (?, ?) AND o.path >= ? AND o.path < ? AND u.id <> ?
			GROUP BY u.id, u.display_name ORDER BY u.display_name`, access.HotlineCounsellor, access.HotlineSupervisor, top, access.SubtreeEnd(top), c.CounsellorID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k Colleague
			if err := rows.Scan(&k.ID, &k.Name, &k.Role); err != nil {
				return err
			}
			out = append(out, k)
		}
		return rows.Err()
	})
	return out, err
}

// lockNext is how Take locks the conversation it picks on PostgreSQL:
// skipping those locked by others first, then waiting for them.
func lockNext(tx *db.Tx, skip bool) string {
	switch {
	case tx.Dialect() != db.Postgres:
		return ""
	case skip:
		return " FOR UPDATE OF c SKIP LOCKED"
	}
	return " FOR UPDATE OF c"
}
