package chat

import (
	"context"
	"slices"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
)

// Message is one message of a conversation.
type Message struct {
	Seq      int
	Sender   string // child, counsellor, system
	AuthorID int64
	ClientID string
	Text     string // for system messages, an i18n key
	SentAt   time.Time
}

// MaxText is the longest message accepted, in characters.
const MaxText = 4000

func checkText(text, clientID string) (string, error) {
	text = strings.TrimSpace(text)
	switch {
	case text == "":
		return "", apperr.Invalid("form.invalid", map[string]string{"text": "form.required"})
	case utf8.RuneCountInString(text) > MaxText:
		return "", apperr.Invalid("form.invalid", map[string]string{"text": "form.too_long"})
	case len(clientID) > 64:
		return "", apperr.Invalid("form.invalid", map[string]string{"id": "form.too_long"})
	}
	return text, nil
}

// ChildSay stores a message of the child holding token. clientID names
// the message on the child's side: sent again (after a dropped
// connection), it is stored once and the same message comes back.
func (s *Service) ChildSay(ctx context.Context, token, clientID, text string) (*Message, error) {
	text, err := checkText(text, clientID)
	if err != nil {
		return nil, err
	}
	var m *Message
	var topics []string
	// Messages are small and frequent: on SQLite they share commits (one
	// fsync for many), each in its own savepoint.
	err = s.DB.TxGrouped(ctx, func(ctx context.Context, tx *db.Tx) error {
		c, err := s.visitor(ctx, tx, token)
		if err != nil {
			return err
		}
		if !c.Open() {
			return apperr.New(apperr.EConflict, "chat.ended")
		}
		m, topics, err = s.childMessage(ctx, tx, c, clientID, text)
		return err
	})
	if err != nil {
		return nil, err
	}
	s.publish(ctx, topics...)
	return m, nil
}

// childMessage stores a child's message in c, checks it against the
// lexicon and raises the conversation in the queue on a match.
func (s *Service) childMessage(ctx context.Context, tx *db.Tx, c *Conversation, clientID, text string) (*Message, []string, error) {
	if m, err := s.existing(ctx, tx, c.ID, "child", clientID); m != nil || err != nil {
		return m, nil, err
	}
	topics := []string{convTopic(c.ID)}
	if hits := s.lexicon().Match(text); len(hits) > 0 {
		flags := c.Flags
		for _, h := range hits {
			if !slices.Contains(flags, h) {
				flags = append(flags, h)
			}
		}
		if _, err := tx.Exec(ctx, `UPDATE conversations SET risk = risk | ?, flags = ? WHERE id = ?`,
			riskLexicon, strings.Join(flags, " "), c.ID); err != nil {
			return nil, nil, err
		}
		topics = append(topics, QueueTopic)
	}
	m, err := s.insert(ctx, tx, c, "child", 0, clientID, text)
	if err != nil {
		return nil, nil, err
	}
	return m, topics, s.Audit.Record(ctx, tx, audit.Entry{ActorRole: "visitor", Action: "chat.message", ObjectType: "conversation",
		ObjectID: itoa(c.ID), Outcome: audit.Success, Detail: "seq=" + itoa(int64(m.Seq))})
}

// existing returns the message a sender already stored under clientID.
func (s *Service) existing(ctx context.Context, tx *db.Tx, conv int64, sender, clientID string) (*Message, error) {
	if clientID == "" {
		return nil, nil
	}
	ms, err := s.messages(ctx, tx, conv, `AND sender = ? AND client_id = ?`, sender, clientID)
	if err != nil || len(ms) == 0 {
		return nil, err
	}
	return &ms[0], nil
}

// insert appends a message: the next sequence number, the body sealed.
func (s *Service) insert(ctx context.Context, tx *db.Tx, c *Conversation, sender string, author int64, clientID, text string) (*Message, error) {
	seq := c.LastSeq + 1
	sealed, err := s.Seal.Seal([]byte(text), bodyAAD(c.ID, seq))
	if err != nil {
		return nil, apperr.Internal(err)
	}
	now := db.Micro(s.now())
	if _, err := tx.Exec(ctx, `UPDATE conversations SET last_seq = ? WHERE id = ? AND last_seq = ?`, seq, c.ID, c.LastSeq); err != nil {
		return nil, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO chat_messages (conversation_id, seq, sender, author_id, client_id, body, sent_at)
		VALUES (?, ?, ?, ?, ?, ?, ?)`, c.ID, seq, sender, author, clientID, sealed, now); err != nil {
		return nil, err
	}
	c.LastSeq = seq
	return &Message{Seq: seq, Sender: sender, AuthorID: author, ClientID: clientID, Text: text, SentAt: db.FromMicro(now)}, nil
}

// system appends a system message (an i18n key) to c.
func (s *Service) system(ctx context.Context, tx *db.Tx, c *Conversation, key string) error {
	_, err := s.insert(ctx, tx, c, "system", 0, "", key)
	return err
}

// messages reads and opens messages of a conversation matching a condition.
func (s *Service) messages(ctx context.Context, tx *db.Tx, conv int64, cond string, args ...any) ([]Message, error) {
	rows, err := tx.Query(ctx, `SELECT seq, sender, author_id, client_id, body, sent_at FROM chat_messages
		WHERE conversation_id = ? `+cond+` ORDER BY seq LIMIT 1000`, append([]any{conv}, args...)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []Message
	for rows.Next() {
		var m Message
		var sealed []byte
		var at int64
		if err := rows.Scan(&m.Seq, &m.Sender, &m.AuthorID, &m.ClientID, &sealed, &at); err != nil {
			return nil, err
		}
		plain, err := s.Seal.Open(sealed, bodyAAD(conv, m.Seq))
		if err != nil {
			return nil, apperr.Internal(err)
		}
		m.Text, m.SentAt = string(plain), db.FromMicro(at)
		out = append(out, m)
	}
	return out, rows.Err()
}

// ChildSince returns the child's conversation and its messages after seq
// after: the child's own reading, not audited as a staff read.
func (s *Service) ChildSince(ctx context.Context, token string, after int) (*Conversation, []Message, error) {
	var c *Conversation
	var ms []Message
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		id, err := s.visitorID(ctx, tx, token)
		if err != nil {
			return err
		}
		// A read takes no lock: it never waits behind a writer.
		if c, err = scanConv(tx.QueryRow(ctx, `SELECT `+convColumns+` WHERE c.id = ?`, id)); err != nil {
			return apperr.NotFound()
		}
		ms, err = s.messages(ctx, tx, c.ID, `AND seq > ?`, after)
		return err
	})
	return c, ms, err
}

// Role is how a staff member is in a conversation.
type Role string

// Roles in a conversation.
const (
	Holder  Role = "holder"  // takes part and holds the draft contact
	Joined  Role = "joined"  // a supervisor who takes part
	Watcher Role = "watcher" // a supervisor who watches silently
)

// role returns how p is in c, or NotFound.
// The holder may be a counsellor of another branch of the network (see
// network.go); others must work at the conversation's station.
func (s *Service) role(ctx context.Context, tx *db.Tx, p access.Principal, c *Conversation) (Role, access.Membership, error) {
	if c.CounsellorID == p.UserID && c.State != "waiting" {
		if m, ok := p.Grant(access.HotlineContact); ok {
			return Holder, m, nil
		}
	}
	m, ok := p.At(access.HotlineContact, c.StationPath)
	if !ok {
		if m, ok = p.At(access.HotlineSupervise, c.StationPath); !ok {
			return "", m, apperr.NotFound()
		}
	}
	var r string
	err := tx.QueryRow(ctx, `SELECT role FROM chat_participants WHERE conversation_id = ? AND user_id = ?`, c.ID, p.UserID).Scan(&r)
	if err != nil || (r != string(Joined) && r != string(Watcher)) {
		return "", m, apperr.NotFound()
	}
	return Role(r), m, nil
}

// View returns a conversation and its messages after seq after, for a
// staff member in it (holder, joined or watching). A full read (after 0)
// is audited; the live stream that follows reads only what is new.
func (s *Service) View(ctx context.Context, p access.Principal, id int64, after int) (*Conversation, []Message, Role, error) {
	var c *Conversation
	var ms []Message
	var r Role
	run := s.DB.Read
	if after == 0 {
		run = s.DB.Tx
	}
	err := run(ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		c, err = scanConv(tx.QueryRow(ctx, `SELECT `+convColumns+` WHERE c.id = ?`, id))
		if err != nil {
			return apperr.NotFound()
		}
		var m access.Membership
		if r, m, err = s.role(ctx, tx, p, c); err != nil {
			return err
		}
		if ms, err = s.messages(ctx, tx, id, `AND seq > ?`, after); err != nil {
			return err
		}
		if after == 0 {
			return s.record(ctx, tx, p, m, "chat.read", id, "role="+string(r))
		}
		return nil
	})
	return c, ms, r, err
}

// StaffSay stores a message of the holder or a joined supervisor. On an
// outside channel, a durable job sends it on.
func (s *Service) StaffSay(ctx context.Context, p access.Principal, id int64, clientID, text string) (*Message, error) {
	text, err := checkText(text, clientID)
	if err != nil {
		return nil, err
	}
	var msg *Message
	err = s.DB.TxGrouped(ctx, func(ctx context.Context, tx *db.Tx) error {
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
			return apperr.New(apperr.EConflict, "chat.ended")
		}
		if msg, err = s.existing(ctx, tx, id, "counsellor", clientID); msg != nil || err != nil {
			return err
		}
		if msg, err = s.insert(ctx, tx, c, "counsellor", p.UserID, clientID, text); err != nil {
			return err
		}
		if c.Channel != "web_chat" && s.Jobs != nil {
			if err := s.Jobs.At(ctx, tx, ReplyArgs{Conversation: id, Seq: msg.Seq}, s.now()); err != nil {
				return err
			}
		}
		return s.record(ctx, tx, p, m, "chat.message", id, "seq="+itoa(int64(msg.Seq)))
	})
	if err != nil {
		return nil, err
	}
	s.publish(ctx, convTopic(id))
	return msg, nil
}

func (s *Service) record(ctx context.Context, tx *db.Tx, p access.Principal, m access.Membership, action string, id int64, detail string) error {
	return s.Audit.Record(ctx, tx, audit.Entry{ActorUserID: p.UserID, ActorRole: m.Role, ActorOrgID: m.OrgID, Action: action,
		ObjectType: "conversation", ObjectID: itoa(id), Outcome: audit.Success, Detail: detail})
}
