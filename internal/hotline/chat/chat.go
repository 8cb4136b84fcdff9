// Package chat is the live conversations of the hotline station: the
// anonymous web chat for children and WeChat, one queue ordered by risk
// then waiting time, durable messages, transfers that carry the draft
// contact and the transcript, and supervisors who watch and join.
//
// A message is committed (sealed, audited) before its sender is told it
// was sent. Delivery is a wake-up: the broker says "conversation N
// changed" (no content) and every reader fetches what it has not seen
// from the database, so a reconnecting client, a restart or a second
// server instance loses nothing.
package chat

import (
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"time"

	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/hotline"
	"github.com/careloop/careloop/internal/jobs"
	"github.com/careloop/careloop/internal/seal"
)

// Service runs conversations.
type Service struct {
	DB      *db.DB
	Audit   *audit.Log
	Seal    seal.Sealer
	Pepper  []byte           // the key of visitor hashes (seal.Keyring.Derive)
	Hotline *hotline.Service // draft contacts of taken conversations
	Jobs    *jobs.Queue      // replies through outside channels
	Broker  Broker           // wake-ups; nil: a Local broker
	Lexicon *Lexicon         // risk expressions; nil: DefaultLexicon
	Now     func() time.Time
	// Repliers send counsellors' messages back through outside channels,
	// by channel ("wechat"). A reply is sent by a durable job, retried.
	Repliers map[string]Replier
	// Cap is the default number of concurrent chats a counsellor holds
	// (chat_caps overrides it per person); 0 means 3.
	Cap int
}

// Inbound is a message from a child through an outside channel (WeChat).
type Inbound struct {
	Channel   string    // "wechat"
	StationID int64     // the station whose queue receives it
	From      string    // the channel's id of the sender (an openid): hashed and sealed, never stored in clear
	MessageID string    // the channel's id of the message: a redelivery is stored once
	Text      string    // the message (sealed when stored)
	At        time.Time // when the channel received it
}

// Replier sends a counsellor's message to a child through an outside
// channel. to is the channel's id of the child (an openid).
type Replier interface {
	Reply(ctx context.Context, to, text string) error
}

// Urgencies are the answers to the one question before a chat starts.
var Urgencies = []string{"now", "today", "later"}

// Risk levels of the queue, highest first served.
const (
	riskUrgent  = 1 // the child said it is urgent now
	riskLexicon = 2 // a message matched a risk expression
)

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) broker() Broker {
	if s.Broker == nil {
		s.Broker = NewLocal()
	}
	return s.Broker
}

func (s *Service) lexicon() *Lexicon {
	if s.Lexicon == nil {
		s.Lexicon = DefaultLexicon()
	}
	return s.Lexicon
}

func (s *Service) capacity() int {
	if s.Cap > 0 {
		return s.Cap
	}
	return 3
}

// visitorHash is the keyed hash under which a visitor is known.
func (s *Service) visitorHash(kind, id string) string {
	m := hmac.New(sha256.New, s.Pepper)
	m.Write([]byte(kind + ":" + id))
	return kind + ":" + hex.EncodeToString(m.Sum(nil))
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }

func bodyAAD(conv int64, seq int) string {
	return "chat_messages:" + itoa(conv) + ":" + strconv.Itoa(seq) + ":body"
}

func replyToAAD(conv int64) string { return "conversations:" + itoa(conv) + ":reply_to" }

// Topics of the broker: one per conversation, and the queue.
func convTopic(id int64) string { return "c" + itoa(id) }

// QueueTopic wakes whoever shows a queue.
const QueueTopic = "q"
