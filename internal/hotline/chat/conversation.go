package chat

import (
	"context"
	"crypto/rand"
	"encoding/base64"
	"slices"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
)

// Conversation is a live conversation, without its messages.
type Conversation struct {
	ID           int64
	StationID    int64
	StationPath  string
	Channel      string // web_chat, wechat
	Urgency      string
	Risk         int
	Flags        []string // lexicon categories matched
	State        string   // waiting, active, ended, abandoned
	CounsellorID int64
	ContactID    int64
	LastSeq      int
	OfferedAt    time.Time
	TakenAt      time.Time
	EndedAt      time.Time
}

// HighRisk reports whether a message matched a risk expression.
func (c *Conversation) HighRisk() bool { return c.Risk&riskLexicon != 0 }

// Open reports whether the conversation is waiting or active.
func (c *Conversation) Open() bool { return c.State == "waiting" || c.State == "active" }

const convColumns = `c.id, c.station_id, o.path, c.channel, c.urgency, c.risk, c.flags, c.state, c.counsellor_id, c.contact_id,
	c.last_seq, c.offered_at, c.taken_at, c.ended_at FROM conversations c JOIN org_units o ON o.id = c.station_id`

type scanner interface{ Scan(dest ...any) error }

func scanConv(r scanner) (*Conversation, error) {
	c := &Conversation{}
	var flags string
	var offered, taken, ended int64
	if err := r.Scan(&c.ID, &c.StationID, &c.StationPath, &c.Channel, &c.Urgency, &c.Risk, &flags, &c.State, &c.CounsellorID,
		&c.ContactID, &c.LastSeq, &offered, &taken, &ended); err != nil {
		return nil, err
	}
	c.Flags = strings.Fields(flags)
	c.OfferedAt, c.TakenAt, c.EndedAt = db.FromMicro(offered), db.FromMicro(taken), db.FromMicro(ended)
	return c, nil
}

// load reads a conversation inside tx, serialised against other writers
// of the same conversation on PostgreSQL.
func (s *Service) load(ctx context.Context, tx *db.Tx, id int64) (*Conversation, error) {
	if err := tx.Serialize(ctx, "chat:"+itoa(id)); err != nil {
		return nil, err
	}
	c, err := scanConv(tx.QueryRow(ctx, `SELECT `+convColumns+` WHERE c.id = ?`, id))
	if err != nil {
		return nil, apperr.NotFound()
	}
	return c, nil
}

// topStation is the station a public chat reaches when none is named: the
// outermost active hotline station.
func topStation(ctx context.Context, tx *db.Tx, id int64) (int64, error) {
	var got int64
	var err error
	if id != 0 {
		err = tx.QueryRow(ctx, `SELECT id FROM org_units WHERE id = ? AND kind = 'hotline_station' AND active = 1`, id).Scan(&got)
	} else {
		err = tx.QueryRow(ctx, `SELECT id FROM org_units WHERE kind = 'hotline_station' AND active = 1 ORDER BY depth, id LIMIT 1`).Scan(&got)
	}
	if err != nil {
		return 0, apperr.NotFound()
	}
	return got, nil
}

// Visit starts an anonymous web chat at a station (0: the city's
// station) after the child answered how urgent it is. It returns the
// conversation and the visitor's token, the only key to it: keep it in
// the child's browser; careloop stores only its keyed hash.
func (s *Service) Visit(ctx context.Context, stationID int64, urgency string) (*Conversation, string, error) {
	if !slices.Contains(Urgencies, urgency) {
		return nil, "", apperr.Invalid("form.invalid", map[string]string{"urgency": "chat.pick_urgency"})
	}
	raw := make([]byte, 24)
	if _, err := rand.Read(raw); err != nil {
		return nil, "", apperr.Internal(err)
	}
	token := base64.RawURLEncoding.EncodeToString(raw)
	var c *Conversation
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		station, err := topStation(ctx, tx, stationID)
		if err != nil {
			return err
		}
		risk := 0
		if urgency == "now" {
			risk = riskUrgent
		}
		id, err := s.open(ctx, tx, station, "web_chat", urgency, risk, s.visitorHash("web", token), nil)
		if err != nil {
			return err
		}
		c, err = s.load(ctx, tx, id)
		return err
	})
	if err != nil {
		return nil, "", err
	}
	s.publish(ctx, QueueTopic)
	return c, token, nil
}

// open inserts a waiting conversation and audits it (the actor is the
// anonymous visitor).
func (s *Service) open(ctx context.Context, tx *db.Tx, station int64, channel, urgency string, risk int, visitor string, replyTo []byte) (int64, error) {
	id, err := tx.InsertID(ctx, `INSERT INTO conversations (station_id, channel, urgency, risk, visitor_hash, offered_at)
		VALUES (?, ?, ?, ?, ?, ?)`, station, channel, urgency, risk, visitor, db.Micro(s.now()))
	if err != nil {
		return 0, err
	}
	if replyTo != nil {
		sealed, err := s.Seal.Seal(replyTo, replyToAAD(id))
		if err != nil {
			return 0, apperr.Internal(err)
		}
		if _, err := tx.Exec(ctx, `UPDATE conversations SET reply_to = ? WHERE id = ?`, sealed, id); err != nil {
			return 0, err
		}
	}
	return id, s.Audit.Record(ctx, tx, audit.Entry{ActorRole: "visitor", Action: "chat.start", ObjectType: "conversation",
		ObjectID: itoa(id), Outcome: audit.Success, Detail: "channel=" + channel + " urgency=" + urgency})
}

// visitor finds the latest conversation of a web visitor's token, locked
// for a write (see load).
func (s *Service) visitor(ctx context.Context, tx *db.Tx, token string) (*Conversation, error) {
	id, err := s.visitorID(ctx, tx, token)
	if err != nil {
		return nil, err
	}
	return s.load(ctx, tx, id)
}

func (s *Service) visitorID(ctx context.Context, tx *db.Tx, token string) (int64, error) {
	if token == "" {
		return 0, apperr.NotFound()
	}
	var id int64
	if err := tx.QueryRow(ctx, `SELECT id FROM conversations WHERE visitor_hash = ? ORDER BY id DESC LIMIT 1`,
		s.visitorHash("web", token)).Scan(&id); err != nil {
		return 0, apperr.NotFound()
	}
	return id, nil
}

// publish wakes readers; a failed wake-up is not an error of the write
// (readers also re-read on a timer).
func (s *Service) publish(ctx context.Context, topics ...string) {
	for _, t := range topics {
		_ = s.broker().Publish(ctx, t)
	}
}

// Subscribe wakes the caller when conversation id changes.
func (s *Service) Subscribe(id int64) (<-chan struct{}, func()) {
	return s.broker().Subscribe(convTopic(id))
}

// SubscribeQueue wakes the caller when any queue changes.
func (s *Service) SubscribeQueue() (<-chan struct{}, func()) { return s.broker().Subscribe(QueueTopic) }
