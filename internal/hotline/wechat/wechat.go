// Package wechat is the WeChat official-account adapter: it receives user
// messages through the message-push protocol (signature, XML, encrypted
// mode), routes them into the chat queue, and replies through the
// customer-service message API behind an interface.
//
// A push is accepted only with a valid signature, a timestamp within the
// window, a (timestamp, nonce) not seen before and, in encrypted mode, the
// account's own AppID inside the ciphertext. What replay protection needs
// is kept in the database (wechat_pushes, wechat_messages), so that it
// holds across server instances and restarts. Openids and message text
// are never logged and never stored by this package: the chat queue seals
// what it keeps.
package wechat

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"sync"
	"sync/atomic"
	"time"

	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/hotline/chat"
)

// DefaultAPIBase is the address of WeChat's server API.
const DefaultAPIBase = "https://api.weixin.qq.com"

// DefaultWindow is how far a push's timestamp may be from the server's
// clock, either way.
const DefaultWindow = 5 * time.Minute

// Config is an official account's settings, as its administrator sets
// them on WeChat's platform (基本配置 / 服务器配置).
type Config struct {
	Token          string // the push token: signs every push (3 to 32 letters and digits)
	EncodingAESKey string // 43 characters; when set, only encrypted pushes (安全模式, 兼容模式) are accepted
	AppID          string // the account's AppID: checked inside every encrypted push
	AppSecret      string // fetches access tokens for replies
	StationID      int64  // the hotline station whose queue receives the messages
	APIBase        string // WeChat's API; empty: DefaultAPIBase (tests point it at httptest)
}

// Router puts a message from WeChat into a station's chat queue;
// chat.Service implements it. The adapter calls Receive after it has
// recorded the push, outside any transaction of its own, so the router
// commits the message (and announces it) itself. Receive must store a
// MessageID once: WeChat delivers a message again when it had no answer
// within 5 seconds, and two such deliveries may race. An error makes the
// adapter answer 500 and take the push back, so that a redelivery is
// routed.
type Router interface {
	Receive(ctx context.Context, in chat.Inbound) error
}

// Service is the wechat part of the hotline station: the push callback
// (ServeHTTP, Verify, Push) and the replier (Reply).
type Service struct {
	Config Config
	DB     *db.DB
	Router Router
	Now    func() time.Time
	// Window is the accepted distance of a push's timestamp from Now;
	// 0: DefaultWindow.
	Window time.Duration
	// HTTP makes the calls to WeChat's API; nil: a client with a
	// 10-second timeout that follows no redirects.
	HTTP *http.Client
	// Log receives refusals and failures, by reason only; nil: none.
	Log *slog.Logger

	mu       sync.Mutex // guards token and tokenEnd; held while fetching a token
	token    string
	tokenEnd time.Time
	cleaned  atomic.Int64 // when old replay rows were last deleted (Unix seconds)
}

// Replies go back to WeChat through Reply.
var _ chat.Replier = (*Service)(nil)

// Configured reports whether the push callback can work: a token, an
// AppID, a station, a database and a router. A nil Service is not
// configured.
func (s *Service) Configured() bool {
	return s != nil && s.Config.Token != "" && s.Config.AppID != "" && s.Config.StationID > 0 &&
		s.DB != nil && s.Router != nil
}

// Validate checks the settings once, at startup, so that a wrong key is
// found before the first push.
func (c Config) Validate() error {
	if len(c.Token) < 3 || len(c.Token) > 32 || !alnum(c.Token) {
		return errors.New("wechat: the token must be 3 to 32 letters and digits")
	}
	if c.AppID == "" || !printable(c.AppID) {
		return errors.New("wechat: the AppID is missing")
	}
	if c.AppSecret == "" {
		return errors.New("wechat: the AppSecret is missing")
	}
	if c.StationID <= 0 {
		return errors.New("wechat: no hotline station receives the messages")
	}
	if c.EncodingAESKey != "" {
		if _, err := aesKey(c.EncodingAESKey); err != nil {
			return err
		}
	}
	if c.APIBase != "" {
		u, err := url.Parse(c.APIBase)
		if err != nil || (u.Scheme != "https" && u.Scheme != "http") || u.Host == "" || u.User != nil {
			return fmt.Errorf("wechat: the API base must be an http(s) address without user info")
		}
	}
	return nil
}

func (s *Service) now() time.Time {
	if s.Now != nil {
		return s.Now()
	}
	return time.Now()
}

func (s *Service) window() time.Duration {
	if s.Window > 0 {
		return s.Window
	}
	return DefaultWindow
}

func (s *Service) log() *slog.Logger {
	if s.Log != nil {
		return s.Log
	}
	return slog.New(slog.DiscardHandler)
}

func alnum(v string) bool {
	for _, r := range v {
		if !('a' <= r && r <= 'z' || 'A' <= r && r <= 'Z' || '0' <= r && r <= '9') {
			return false
		}
	}
	return true
}

// printable reports whether v is visible ASCII only (no spaces, no
// control characters).
func printable(v string) bool {
	for i := 0; i < len(v); i++ {
		if v[i] <= ' ' || v[i] > '~' {
			return false
		}
	}
	return true
}
