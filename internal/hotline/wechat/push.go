package wechat

import (
	"context"
	"errors"
	"net/url"
	"strconv"
	"time"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// Outcome says what an accepted push did.
type Outcome string

// The outcomes of an accepted push.
const (
	Routed    Outcome = "routed"    // a message went into the chat queue
	Duplicate Outcome = "duplicate" // a message already routed, delivered again by WeChat: not routed twice
	Ignored   Outcome = "ignored"   // an event (subscribe, unsubscribe, menu click): acknowledged, not queued
)

// How long MsgIds are kept, how often old rows are deleted, and how long
// routing a message may take.
const (
	messageMemory = 24 * time.Hour
	cleanupEvery  = time.Minute
	routeTimeout  = 30 * time.Second
)

// pushParams are the signed query parameters every push carries.
type pushParams struct {
	stamp            int64
	timestamp, nonce string
}

func parseParams(q url.Values) (pushParams, error) {
	ts, nonce := q.Get("timestamp"), q.Get("nonce")
	if len(ts) > 12 || !digits(ts) || nonce == "" || len(nonce) > 64 || !printable(nonce) {
		return pushParams{}, ErrBadQuery
	}
	stamp, err := strconv.ParseInt(ts, 10, 64)
	if err != nil {
		return pushParams{}, ErrBadQuery
	}
	return pushParams{stamp: stamp, timestamp: ts, nonce: nonce}, nil
}

// fresh refuses a timestamp further than the window from now, either way.
func (s *Service) fresh(p pushParams) error {
	d := s.now().Sub(time.Unix(p.stamp, 0))
	if d < -s.window() || d > s.window() {
		return ErrStale
	}
	return nil
}

// Verify answers WeChat's check of the callback address (the GET that
// saving the server configuration sends): it returns echostr when the
// signature over the token, timestamp and nonce is valid and the timestamp
// fresh. Errors are *Rejection.
func (s *Service) Verify(q url.Values) (string, error) {
	p, err := parseParams(q)
	if err != nil {
		return "", err
	}
	if !signed(q.Get("signature"), s.Config.Token, p.timestamp, p.nonce) {
		return "", ErrBadSignature
	}
	if err := s.fresh(p); err != nil {
		return "", err
	}
	echo := q.Get("echostr")
	if echo == "" || len(echo) > 128 || !printable(echo) {
		return "", ErrBadQuery
	}
	return echo, nil
}

// Push takes one message push: q is the request's query, body its body.
// It checks the signature (msg_signature over the ciphertext in encrypted
// mode), the timestamp, the AppID and the message; records the push, so
// that its (timestamp, nonce) is never taken again; and routes the
// message. A refusal is a *Rejection and changes nothing; a replayed
// (timestamp, nonce) is ErrReplayed; a message whose MsgId was already
// routed is acknowledged as Duplicate.
//
// The router is called after the record commits, outside this package's
// transactions, so that it commits and announces the message itself. When
// it fails, the push's record is deleted again and the MsgId stays
// unrouted: WeChat's next delivery of the message is taken.
func (s *Service) Push(ctx context.Context, q url.Values, body []byte) (Outcome, error) {
	p, err := parseParams(q)
	if err != nil {
		return "", err
	}
	plain, err := s.open(q, p, body)
	if err != nil {
		return "", err
	}
	m, err := parseMessage(plain)
	if err != nil {
		return "", err
	}
	out, err := s.claim(ctx, p, m)
	if err != nil || out != Routed {
		return out, err
	}
	if err := s.route(ctx, p, m); err != nil {
		return "", err
	}
	return Routed, nil
}

// claim records the push, refusing a (timestamp, nonce) seen before, and
// the message's MsgId. It returns Routed when the message is still to be
// routed, Duplicate when it was routed already, Ignored for an event.
func (s *Service) claim(ctx context.Context, p pushParams, m *message) (Outcome, error) {
	out := Routed
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		fresh, err := insertOnce(ctx, tx, `INSERT INTO wechat_pushes (stamp, nonce, app_id, seen_at) VALUES (?, ?, ?, ?) ON CONFLICT DO NOTHING`,
			p.stamp, p.nonce, s.Config.AppID, db.Micro(s.now()))
		if err != nil {
			return err
		}
		if !fresh {
			return ErrReplayed
		}
		if err := s.maybeCleanup(ctx, tx); err != nil {
			return err
		}
		if !m.routed() {
			out = Ignored
			return nil
		}
		if _, err := tx.Exec(ctx, `INSERT INTO wechat_messages (app_id, msg_id, seen_at) VALUES (?, ?, ?) ON CONFLICT DO NOTHING`,
			s.Config.AppID, m.MsgID, db.Micro(s.now())); err != nil {
			return err
		}
		var routedAt int64
		if err := tx.QueryRow(ctx, `SELECT routed_at FROM wechat_messages WHERE app_id = ? AND msg_id = ?`,
			s.Config.AppID, m.MsgID).Scan(&routedAt); err != nil {
			return err
		}
		if routedAt != 0 {
			out = Duplicate
		}
		return nil
	})
	if err != nil {
		return "", err
	}
	return out, nil
}

// route hands the message to the router and marks its MsgId routed; when
// the router fails, it takes the push's record back.
func (s *Service) route(ctx context.Context, p pushParams, m *message) error {
	// WeChat hangs up after 5 seconds: the message is routed all the same,
	// so that its redelivery finds it done.
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), routeTimeout)
	defer cancel()
	if err := s.Router.Receive(ctx, m.inbound(s.Config.StationID, s.now())); err != nil {
		if uerr := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
			_, err := tx.Exec(ctx, `DELETE FROM wechat_pushes WHERE stamp = ? AND nonce = ? AND app_id = ?`, p.stamp, p.nonce, s.Config.AppID)
			return err
		}); uerr != nil {
			s.log().Error("wechat push record not taken back", "err", uerr)
		}
		return &routeError{err}
	}
	// Should this fail, the message is in the queue all the same; a
	// redelivery routes it again, and the router stores a MessageID once.
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE wechat_messages SET routed_at = ? WHERE app_id = ? AND msg_id = ?`,
			db.Micro(s.now()), s.Config.AppID, m.MsgID)
		return err
	})
}

// open checks a push's signature and freshness and returns its message
// XML, decrypted in encrypted mode. With an EncodingAESKey configured only
// encrypted pushes are taken; without one, only plaintext pushes.
func (s *Service) open(q url.Values, p pushParams, body []byte) ([]byte, error) {
	token := s.Config.Token
	encrypted := q.Get("encrypt_type") == "aes"
	if s.Config.EncodingAESKey == "" || !encrypted {
		if !signed(q.Get("signature"), token, p.timestamp, p.nonce) {
			return nil, ErrBadSignature
		}
		if err := s.fresh(p); err != nil {
			return nil, err
		}
		switch {
		case s.Config.EncodingAESKey != "":
			return nil, ErrNotEncrypted
		case encrypted:
			return nil, ErrNoAESKey
		}
		return body, nil
	}
	var env envelope
	if err := decodeXML(body, &env); err != nil {
		return nil, err
	}
	if env.Encrypt == "" {
		return nil, ErrMalformed
	}
	if !signed(q.Get("msg_signature"), token, p.timestamp, p.nonce, env.Encrypt) {
		return nil, ErrBadSignature
	}
	if err := s.fresh(p); err != nil {
		return nil, err
	}
	key, err := aesKey(s.Config.EncodingAESKey)
	if err != nil {
		return nil, apperr.Internal(err)
	}
	return decrypt(key, env.Encrypt, s.Config.AppID)
}

// insertOnce runs an INSERT ... ON CONFLICT DO NOTHING and reports whether
// it inserted the row. Both engines wait for a concurrent transaction that
// inserted the same key, so exactly one of two racing pushes inserts.
func insertOnce(ctx context.Context, tx *db.Tx, q string, args ...any) (bool, error) {
	res, err := tx.Exec(ctx, q, args...)
	if err != nil {
		return false, err
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, apperr.Internal(err)
	}
	return n == 1, nil
}

// maybeCleanup deletes old replay rows at most once a minute per
// instance, inside a push's transaction.
func (s *Service) maybeCleanup(ctx context.Context, tx *db.Tx) error {
	now := s.now().Unix()
	last := s.cleaned.Load()
	if now-last < int64(cleanupEvery/time.Second) || !s.cleaned.CompareAndSwap(last, now) {
		return nil
	}
	return s.cleanup(ctx, tx)
}

// Cleanup deletes the replay rows that can no longer matter: pushes whose
// timestamp is more than twice the window old (a push that old is refused
// as stale; twice leaves room for instances whose clocks differ), and
// MsgIds older than a day (WeChat redelivers within seconds).
func (s *Service) Cleanup(ctx context.Context) error {
	if s.DB == nil {
		return errors.New("wechat: no database")
	}
	return s.DB.Tx(ctx, s.cleanup)
}

func (s *Service) cleanup(ctx context.Context, tx *db.Tx) error {
	now := s.now()
	if _, err := tx.Exec(ctx, `DELETE FROM wechat_pushes WHERE stamp < ?`, now.Add(-2*s.window()).Unix()); err != nil {
		return err
	}
	_, err := tx.Exec(ctx, `DELETE FROM wechat_messages WHERE seen_at < ?`, db.Micro(now.Add(-messageMemory)))
	return err
}
