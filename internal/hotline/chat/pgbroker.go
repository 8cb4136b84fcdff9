package chat

import (
	"context"
	"errors"
	"log/slog"
	"time"

	"github.com/jackc/pgx/v5"
)

// channel is the PostgreSQL notification channel of careloop's chats.
const channel = "careloop_chat"

// PG is the broker of several instances sharing one PostgreSQL: Publish
// sends NOTIFY, and each instance LISTENs on its own connection and wakes
// its local subscribers. After a lost connection it reconnects and wakes
// everyone, since wake-ups may have been missed (readers then re-read).
type PG struct {
	local *Local
	dsn   string
	log   *slog.Logger
	pub   *pgx.Conn
	pubMu chan struct{}
	stop  context.CancelFunc
	done  chan struct{}
	ready chan struct{}
}

// NewPG connects a listener to the database at dsn and starts it; Close
// stops it.
func NewPG(ctx context.Context, dsn string, log *slog.Logger) (*PG, error) {
	if _, err := pgx.ParseConfig(dsn); err != nil {
		return nil, errors.New("chat broker: bad database url")
	}
	lctx, cancel := context.WithCancel(context.Background())
	b := &PG{local: NewLocal(), dsn: dsn, log: log, stop: cancel, done: make(chan struct{}), ready: make(chan struct{}), pubMu: make(chan struct{}, 1)}
	go b.listen(lctx)
	select {
	case <-b.ready:
	case <-ctx.Done():
		b.Close()
		return nil, ctx.Err()
	case <-time.After(10 * time.Second):
		b.Close()
		return nil, errors.New("chat broker: could not listen")
	}
	return b, nil
}

// Publish notifies every instance (this one included, through its listener).
func (b *PG) Publish(ctx context.Context, topic string) error {
	b.pubMu <- struct{}{}
	defer func() { <-b.pubMu }()
	if b.pub == nil || b.pub.IsClosed() {
		c, err := pgx.Connect(ctx, b.dsn)
		if err != nil {
			b.local.wake(topic) // at least this instance; others re-read on their timers
			return errors.New("chat broker: publish connection failed")
		}
		b.pub = c
	}
	if _, err := b.pub.Exec(ctx, "SELECT pg_notify($1, $2)", channel, topic); err != nil {
		_ = b.pub.Close(ctx)
		b.pub = nil
		b.local.wake(topic)
		return errors.New("chat broker: notify failed")
	}
	return nil
}

// Subscribe registers a local subscriber of topic.
func (b *PG) Subscribe(topic string) (<-chan struct{}, func()) { return b.local.Subscribe(topic) }

// Close stops the listener.
func (b *PG) Close() {
	b.stop()
	<-b.done
	b.pubMu <- struct{}{}
	if b.pub != nil {
		_ = b.pub.Close(context.Background())
		b.pub = nil
	}
	<-b.pubMu
}

func (b *PG) listen(ctx context.Context) {
	defer close(b.done)
	first := true
	for ctx.Err() == nil {
		conn, err := pgx.Connect(ctx, b.dsn)
		if err == nil {
			_, err = conn.Exec(ctx, "LISTEN "+channel)
		}
		if err != nil {
			if conn != nil {
				_ = conn.Close(context.Background())
			}
			b.log.Warn("chat broker: listen failed, retrying")
			select {
			case <-ctx.Done():
				return
			case <-time.After(time.Second):
			}
			continue
		}
		if first {
			close(b.ready)
			first = false
		} else {
			b.local.wakeAll()
		}
		for {
			n, err := conn.WaitForNotification(ctx)
			if err != nil {
				break
			}
			b.local.wake(n.Payload)
		}
		_ = conn.Close(context.Background())
	}
}
