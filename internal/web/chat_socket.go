package web

import (
	"context"
	"encoding/json"
	"net/http"
	"time"

	"github.com/coder/websocket"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/hotline/chat"
	"github.com/careloop/careloop/internal/i18n"
)

// frame is one message of the chat socket, in either direction:
// client → server {"t":"say","id":…,"text":…};
// server → client "msg" (a stored message), "ack" (your message is stored,
// with its seq), "state" (the conversation's state), "err" (your message
// was refused, with a translated reason).
type frame struct {
	T     string `json:"t"`
	ID    string `json:"id,omitempty"`
	Seq   int    `json:"seq,omitempty"`
	From  string `json:"from,omitempty"`
	Text  string `json:"text,omitempty"`
	At    string `json:"at,omitempty"`
	State string `json:"state,omitempty"`
}

// peer is one side of a chat socket: how it reads what is new, and how
// it speaks (nil for a silent watcher).
type peer struct {
	lang  string
	after int
	since func(ctx context.Context, after int) (*chat.Conversation, []chat.Message, error)
	say   func(ctx context.Context, id, text string) (*chat.Message, error)
	wake  <-chan struct{}
}

// resync is how often a socket re-reads even without a wake-up: the
// backstop for a wake-up lost between server instances.
const resync = 15 * time.Second

// pump runs a chat socket until either side leaves.
func (s *Server) pump(w http.ResponseWriter, r *http.Request, p *peer) {
	// The server's read and write timeouts are for requests, not for a
	// conversation that lasts an hour.
	rc := http.NewResponseController(w)
	_ = rc.SetReadDeadline(time.Time{})
	_ = rc.SetWriteDeadline(time.Time{})
	conn, err := websocket.Accept(w, r, nil) // same origin only
	if err != nil {
		return
	}
	defer conn.CloseNow()
	conn.SetReadLimit(4 * chat.MaxText)
	ctx, cancel := context.WithCancel(r.Context())
	defer cancel()

	send := func(f frame) bool {
		b, _ := json.Marshal(f)
		wctx, done := context.WithTimeout(ctx, 10*time.Second)
		defer done()
		return conn.Write(wctx, websocket.MessageText, b) == nil
	}
	go func() {
		defer cancel()
		for {
			_, b, err := conn.Read(ctx)
			if err != nil {
				return
			}
			var f frame
			if json.Unmarshal(b, &f) != nil || f.T != "say" {
				continue
			}
			if p.say == nil {
				send(frame{T: "err", ID: f.ID, Text: i18n.T(p.lang, "chat.watching")})
				continue
			}
			m, err := p.say(ctx, f.ID, f.Text)
			if err != nil {
				send(frame{T: "err", ID: f.ID, Text: i18n.T(p.lang, socketProblem(err))})
				continue
			}
			send(frame{T: "ack", ID: f.ID, Seq: m.Seq})
		}
	}()

	state := ""
	tick := time.NewTicker(resync)
	defer tick.Stop()
	for {
		c, ms, err := p.since(ctx, p.after)
		if err != nil {
			if apperr.CodeOf(err) == apperr.ENotFound {
				send(frame{T: "state", State: "gone"})
				conn.Close(websocket.StatusNormalClosure, "")
				return
			}
		} else {
			for _, m := range ms {
				if !send(messageFrame(p.lang, m)) {
					return
				}
				p.after = m.Seq
			}
			if c.State != state {
				state = c.State
				if !send(frame{T: "state", State: state}) {
					return
				}
			}
		}
		select {
		case <-ctx.Done():
			return
		case <-p.wake:
		case <-tick.C:
		}
	}
}

func messageFrame(lang string, m chat.Message) frame {
	f := frame{T: "msg", ID: m.ClientID, Seq: m.Seq, From: m.Sender, Text: m.Text, At: m.SentAt.In(displayZone).Format("15:04")}
	if m.Sender == "system" {
		f.Text = i18n.T(lang, m.Text)
	}
	return f
}

// socketProblem is the i18n key telling a writer why a message was refused.
func socketProblem(err error) string {
	switch apperr.CodeOf(err) {
	case apperr.EInvalid:
		for _, v := range apperr.FieldsOf(err) {
			return v
		}
		return "form.invalid"
	case apperr.EConflict, apperr.EForbidden:
		return apperr.MessageOf(err)
	}
	return "error.internal"
}
