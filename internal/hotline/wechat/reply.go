package wechat

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/apperr"
)

// Errcodes of WeChat's API that this adapter acts on.
const (
	codeInvalidCredential = 40001 // the access token is not (or no longer) valid
	codeInvalidToken      = 40014
	codeTokenExpired      = 42001
	codeInvalidOpenID     = 40003
	codeUnsubscribed      = 43004
	codeWindowClosed      = 45015 // more than 48 hours since the user last wrote
	codeTooMany           = 45047 // too many messages since the user last wrote
)

// refused maps the errcodes a retry cannot cure to a client-safe error;
// the rest are internal (a retry may succeed).
var refused = map[int]*apperr.Error{
	codeWindowClosed:  {Code: apperr.EConflict, Message: "wechat.reply_window_closed"},
	codeTooMany:       {Code: apperr.EConflict, Message: "wechat.reply_limit"},
	codeUnsubscribed:  {Code: apperr.EConflict, Message: "wechat.unsubscribed"},
	codeInvalidOpenID: {Code: apperr.EInvalid, Message: "wechat.unknown_user"},
}

var defaultClient = &http.Client{
	Timeout:       10 * time.Second,
	CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
}

// Reply sends text to the WeChat user to (an openid) as a
// customer-service message (客服消息). It fetches an access token when it
// has none or the one it has is about to expire, and fetches a new one
// once when WeChat says the token is invalid or expired. An error is
// apperr EInvalid or EConflict when a retry cannot succeed (the 48-hour
// window is closed, the user unsubscribed) and EInternal otherwise; its
// text never holds the message, the openid, the token or the secret.
func (s *Service) Reply(ctx context.Context, to, text string) error {
	if to == "" || strings.TrimSpace(text) == "" {
		return apperr.New(apperr.EInvalid, "wechat.reply_empty")
	}
	if s.Config.AppID == "" || s.Config.AppSecret == "" {
		return apperr.Internal(errors.New("wechat: no AppID or AppSecret for replies"))
	}
	var body bytes.Buffer
	enc := json.NewEncoder(&body)
	enc.SetEscapeHTML(false)
	type content struct {
		Content string `json:"content"`
	}
	if err := enc.Encode(struct {
		ToUser  string  `json:"touser"`
		MsgType string  `json:"msgtype"`
		Text    content `json:"text"`
	}{to, "text", content{text}}); err != nil {
		return apperr.Internal(errors.New("wechat: cannot encode the message"))
	}
	tok, err := s.accessToken(ctx, "")
	if err != nil {
		return err
	}
	for attempt := 0; ; attempt++ {
		code, err := s.send(ctx, tok, body.Bytes())
		if err != nil {
			return apperr.Internal(err)
		}
		switch {
		case code == 0:
			return nil
		case attempt == 0 && (code == codeInvalidCredential || code == codeInvalidToken || code == codeTokenExpired):
			if tok, err = s.accessToken(ctx, tok); err != nil {
				return err
			}
			continue
		}
		apiErr := &APIError{Op: "send", Code: code}
		if r, ok := refused[code]; ok {
			return &apperr.Error{Code: r.Code, Message: r.Message, Err: apiErr}
		}
		return apperr.Internal(apiErr)
	}
}

// send posts one customer-service message and returns WeChat's errcode.
func (s *Service) send(ctx context.Context, token string, body []byte) (int, error) {
	u := s.apiBase() + "/cgi-bin/message/custom/send?access_token=" + url.QueryEscape(token)
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, u, bytes.NewReader(body))
	if err != nil {
		return 0, errors.New("wechat: send: cannot build the request")
	}
	req.Header.Set("Content-Type", "application/json; charset=utf-8")
	var res struct {
		ErrCode int `json:"errcode"`
	}
	if err := s.call(req, "send", &res); err != nil {
		return 0, err
	}
	return res.ErrCode, nil
}

// accessToken returns the cached access token, or fetches one when there
// is none, it is about to expire, or it is stale (the token WeChat just
// refused). One fetch at a time: concurrent callers wait and share it.
func (s *Service) accessToken(ctx context.Context, stale string) (string, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.token != "" && s.token != stale && s.now().Before(s.tokenEnd) {
		return s.token, nil
	}
	q := url.Values{"grant_type": {"client_credential"}, "appid": {s.Config.AppID}, "secret": {s.Config.AppSecret}}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.apiBase()+"/cgi-bin/token?"+q.Encode(), nil)
	if err != nil {
		return "", apperr.Internal(errors.New("wechat: token: cannot build the request"))
	}
	var res struct {
		AccessToken string `json:"access_token"`
		ExpiresIn   int64  `json:"expires_in"`
		ErrCode     int    `json:"errcode"`
	}
	if err := s.call(req, "token", &res); err != nil {
		return "", apperr.Internal(err)
	}
	if res.ErrCode != 0 {
		return "", apperr.Internal(&APIError{Op: "token", Code: res.ErrCode})
	}
	if res.AccessToken == "" || res.ExpiresIn <= 0 {
		return "", apperr.Internal(errors.New("wechat: token: no access token in the answer"))
	}
	life := time.Duration(res.ExpiresIn) * time.Second
	margin := min(5*time.Minute, life/2) // fetch a new one shortly before it expires
	s.token, s.tokenEnd = res.AccessToken, s.now().Add(life-margin)
	return s.token, nil
}

// call runs req and decodes WeChat's JSON answer into out. Its errors
// never hold the URL (it carries the secret or the token).
func (s *Service) call(req *http.Request, op string, out any) error {
	client := s.HTTP
	if client == nil {
		client = defaultClient
	}
	resp, err := client.Do(req)
	if err != nil {
		var ue *url.Error
		if errors.As(err, &ue) {
			err = ue.Err
		}
		return fmt.Errorf("wechat: %s: %w", op, err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	if err != nil {
		return fmt.Errorf("wechat: %s: reading the answer failed", op)
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("wechat: %s: http status %d", op, resp.StatusCode)
	}
	if err := json.Unmarshal(b, out); err != nil {
		return fmt.Errorf("wechat: %s: the answer is not JSON", op)
	}
	return nil
}

func (s *Service) apiBase() string {
	if s.Config.APIBase != "" {
		return strings.TrimRight(s.Config.APIBase, "/")
	}
	return DefaultAPIBase
}
