package wechat

import (
	"context"
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/testutil"
)

// fakeAPI plays WeChat's API from recorded answers (testdata/api): each
// call to an endpoint gets the next answer of its script.
type fakeAPI struct {
	t      *testing.T
	mu     sync.Mutex
	tokens []string // answers of /cgi-bin/token, by file name
	sends  []string // answers of /cgi-bin/message/custom/send
	// What the adapter sent: the access token of each send, and its body.
	tokenCalls int
	sentWith   []string
	sentBodies []string
}

func (f *fakeAPI) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	f.mu.Lock()
	defer f.mu.Unlock()
	var script *[]string
	switch {
	case r.Method == http.MethodGet && r.URL.Path == "/cgi-bin/token":
		q := r.URL.Query()
		if q.Get("grant_type") != "client_credential" || q.Get("appid") != fxAppID || q.Get("secret") != "fixture-secret-0123456789" {
			f.t.Errorf("token request %v", q)
		}
		f.tokenCalls++
		script = &f.tokens
	case r.Method == http.MethodPost && r.URL.Path == "/cgi-bin/message/custom/send":
		b, _ := io.ReadAll(r.Body)
		f.sentWith = append(f.sentWith, r.URL.Query().Get("access_token"))
		f.sentBodies = append(f.sentBodies, string(b))
		script = &f.sends
	default:
		f.t.Errorf("unexpected %s %s", r.Method, r.URL.Path)
		http.NotFound(w, r)
		return
	}
	if len(*script) == 0 {
		f.t.Errorf("no answer left for %s", r.URL.Path)
		http.Error(w, "script exhausted", http.StatusInternalServerError)
		return
	}
	name := (*script)[0]
	*script = (*script)[1:]
	b, err := os.ReadFile(filepath.Join("testdata", "api", name+".json"))
	if err != nil {
		f.t.Error(err)
	}
	w.Header().Set("Content-Type", "application/json; encoding=utf-8")
	_, _ = w.Write(b)
}

const (
	tokenOne = "82_FixtureAccessTokenOne-0123456789abcdefABCDEF"
	tokenTwo = "82_FixtureAccessTokenTwo-0123456789abcdefABCDEF"
	reply    = "<b>别怕</b> & 我们在，慢慢说"
)

// replier is an adapter whose API is the fake, with no database: Reply
// needs none.
func replier(t *testing.T, api *fakeAPI) (*Service, *testutil.Clock) {
	t.Helper()
	api.t = t
	srv := httptest.NewServer(api)
	t.Cleanup(srv.Close)
	clock := testutil.NewClock(fxTime)
	return &Service{Config: Config{Token: fxToken, AppID: fxAppID, AppSecret: "fixture-secret-0123456789", StationID: 7,
		APIBase: srv.URL + "/"}, Now: clock.Now, HTTP: srv.Client()}, clock
}

// noSecrets fails when err's text holds the message, the recipient, a
// token or the secret.
func noSecrets(t *testing.T, err error) {
	t.Helper()
	for _, s := range []string{"别怕", fxOpenID, tokenOne, tokenTwo, "fixture-secret", "access_token=", "rid:"} {
		if strings.Contains(err.Error(), s) {
			t.Errorf("the error %q holds %q", err, s)
		}
	}
}

func TestReplySendsACustomerServiceMessage(t *testing.T) {
	api := &fakeAPI{tokens: []string{"token_1"}, sends: []string{"send_ok", "send_ok"}}
	s, _ := replier(t, api)
	for range 2 {
		if err := s.Reply(context.Background(), fxOpenID, reply); err != nil {
			t.Fatal(err)
		}
	}
	if api.tokenCalls != 1 || len(api.sentWith) != 2 || api.sentWith[0] != tokenOne || api.sentWith[1] != tokenOne {
		t.Fatalf("token fetched %d times, sends with %v: want one fetch, the token reused", api.tokenCalls, api.sentWith)
	}
	var got struct {
		ToUser  string `json:"touser"`
		MsgType string `json:"msgtype"`
		Text    struct {
			Content string `json:"content"`
		} `json:"text"`
	}
	if err := json.Unmarshal([]byte(api.sentBodies[0]), &got); err != nil {
		t.Fatal(err)
	}
	if got.ToUser != fxOpenID || got.MsgType != "text" || got.Text.Content != reply {
		t.Fatalf("sent %s", api.sentBodies[0])
	}
	if !strings.Contains(api.sentBodies[0], "<b>别怕</b> &") {
		t.Fatalf("the text was escaped for HTML: %s", api.sentBodies[0])
	}
}

func TestReplyRefreshesAnInvalidToken(t *testing.T) {
	for _, code := range []string{"send_40001", "send_42001"} {
		t.Run(code, func(t *testing.T) {
			api := &fakeAPI{tokens: []string{"token_1", "token_2"}, sends: []string{code, "send_ok", "send_ok"}}
			s, _ := replier(t, api)
			if err := s.Reply(context.Background(), fxOpenID, reply); err != nil {
				t.Fatal(err)
			}
			if err := s.Reply(context.Background(), fxOpenID, reply); err != nil {
				t.Fatal(err)
			}
			want := []string{tokenOne, tokenTwo, tokenTwo}
			if api.tokenCalls != 2 || strings.Join(api.sentWith, ",") != strings.Join(want, ",") {
				t.Fatalf("%d token fetches, sends with %v, want 2 and %v", api.tokenCalls, api.sentWith, want)
			}
		})
	}
}

// A token WeChat keeps refusing is fetched again once, not forever.
func TestReplyGivesUpAfterOneRefresh(t *testing.T) {
	api := &fakeAPI{tokens: []string{"token_1", "token_2"}, sends: []string{"send_40001", "send_40001"}}
	s, _ := replier(t, api)
	err := s.Reply(context.Background(), fxOpenID, reply)
	var ae *APIError
	if apperr.CodeOf(err) != apperr.EInternal || !errors.As(err, &ae) || ae.Code != 40001 {
		t.Fatalf("err = %v", err)
	}
	if api.tokenCalls != 2 || len(api.sentWith) != 2 {
		t.Fatalf("%d token fetches, %d sends", api.tokenCalls, len(api.sentWith))
	}
	noSecrets(t, err)
}

func TestReplyRefreshesShortlyBeforeExpiry(t *testing.T) {
	api := &fakeAPI{tokens: []string{"token_1", "token_2"}, sends: []string{"send_ok", "send_ok", "send_ok"}}
	s, clock := replier(t, api)
	if err := s.Reply(context.Background(), fxOpenID, reply); err != nil {
		t.Fatal(err)
	}
	clock.Advance(7200*time.Second - 5*time.Minute - time.Second)
	if err := s.Reply(context.Background(), fxOpenID, reply); err != nil {
		t.Fatal(err)
	}
	clock.Advance(2 * time.Second)
	if err := s.Reply(context.Background(), fxOpenID, reply); err != nil {
		t.Fatal(err)
	}
	want := []string{tokenOne, tokenOne, tokenTwo}
	if strings.Join(api.sentWith, ",") != strings.Join(want, ",") {
		t.Fatalf("sends with %v, want %v", api.sentWith, want)
	}
}

func TestReplyErrors(t *testing.T) {
	t.Run("48-hour window closed", func(t *testing.T) {
		s, _ := replier(t, &fakeAPI{tokens: []string{"token_1"}, sends: []string{"send_45015"}})
		err := s.Reply(context.Background(), fxOpenID, reply)
		var ae *APIError
		if apperr.CodeOf(err) != apperr.EConflict || apperr.MessageOf(err) != "wechat.reply_window_closed" || !errors.As(err, &ae) || ae.Code != 45015 {
			t.Fatalf("err = %v", err)
		}
		noSecrets(t, err)
	})
	t.Run("system busy", func(t *testing.T) {
		s, _ := replier(t, &fakeAPI{tokens: []string{"token_1"}, sends: []string{"send_busy"}})
		err := s.Reply(context.Background(), fxOpenID, reply)
		if apperr.CodeOf(err) != apperr.EInternal {
			t.Fatalf("err = %v", err)
		}
		noSecrets(t, err)
	})
	t.Run("bad secret", func(t *testing.T) {
		api := &fakeAPI{tokens: []string{"token_40125"}}
		s, _ := replier(t, api)
		err := s.Reply(context.Background(), fxOpenID, reply)
		var ae *APIError
		if apperr.CodeOf(err) != apperr.EInternal || !errors.As(err, &ae) || ae.Op != "token" || ae.Code != 40125 || len(api.sentWith) != 0 {
			t.Fatalf("err = %v, %d sends", err, len(api.sentWith))
		}
		noSecrets(t, err)
	})
	t.Run("API unreachable", func(t *testing.T) {
		s, _ := replier(t, &fakeAPI{})
		srv := httptest.NewServer(http.NotFoundHandler())
		srv.Close() // nothing listens there any more
		s.Config.APIBase = srv.URL
		err := s.Reply(context.Background(), fxOpenID, reply)
		if apperr.CodeOf(err) != apperr.EInternal {
			t.Fatalf("err = %v", err)
		}
		noSecrets(t, err)
	})
	t.Run("API answers 502", func(t *testing.T) {
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			http.Error(w, "bad gateway", http.StatusBadGateway)
		}))
		defer srv.Close()
		s, _ := replier(t, &fakeAPI{})
		s.Config.APIBase = srv.URL
		err := s.Reply(context.Background(), fxOpenID, reply)
		if apperr.CodeOf(err) != apperr.EInternal || !strings.Contains(err.Error(), "502") {
			t.Fatalf("err = %v", err)
		}
		noSecrets(t, err)
	})
	t.Run("empty text", func(t *testing.T) {
		api := &fakeAPI{}
		s, _ := replier(t, api)
		if err := s.Reply(context.Background(), fxOpenID, "  "); apperr.CodeOf(err) != apperr.EInvalid || api.tokenCalls != 0 {
			t.Fatalf("err = %v", err)
		}
	})
}
