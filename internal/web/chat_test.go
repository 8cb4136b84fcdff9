package web_test

import (
	"context"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/coder/websocket/wsjson"
)

type chatFrame struct {
	T     string `json:"t"`
	ID    string `json:"id,omitempty"`
	Seq   int    `json:"seq,omitempty"`
	From  string `json:"from,omitempty"`
	Text  string `json:"text,omitempty"`
	State string `json:"state,omitempty"`
}

// dial opens a chat socket with the client's cookies.
func (c *client) dial(path string) *websocket.Conn {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	u := "ws" + strings.TrimPrefix(c.base, "http") + path
	conn, resp, err := websocket.Dial(ctx, u, &websocket.DialOptions{HTTPClient: &http.Client{Jar: c.Jar}})
	if err != nil {
		status := 0
		if resp != nil {
			status = resp.StatusCode
		}
		c.t.Fatalf("dial %s: %v (%d)", path, err, status)
	}
	c.t.Cleanup(func() { conn.CloseNow() })
	return conn
}

// next reads frames until one satisfies want.
func next(t *testing.T, conn *websocket.Conn, what string, want func(chatFrame) bool) chatFrame {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	for {
		var f chatFrame
		if err := wsjson.Read(ctx, conn, &f); err != nil {
			t.Fatalf("waiting for %s: %v", what, err)
		}
		if want(f) {
			return f
		}
	}
}

func say(t *testing.T, conn *websocket.Conn, id, text string) {
	t.Helper()
	if err := wsjson.Write(context.Background(), conn, chatFrame{T: "say", ID: id, Text: text}); err != nil {
		t.Fatal(err)
	}
}

var chatRoom = regexp.MustCompile(`^/hotline/chats/(\d+)$`)

// A child's chat through real sockets: the risk expression jumps the
// queue, the counsellor takes it and answers, a dropped connection loses
// nothing and a resent message is stored once, a supervisor watches
// silently, and nobody else gets in.
func TestChatOverSockets(t *testing.T) {
	inst := start(t)
	child := newClient(t, inst.URL)
	if resp, _ := child.post("/chat", url.Values{"urgency": {"nope"}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Fatalf("bad urgency: %d", resp.StatusCode)
	}
	if resp, _ := child.post("/chat", url.Values{"urgency": {"later"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("start chat: %d", resp.StatusCode)
	}
	kid := child.dial("/chat/socket?after=0")
	next(t, kid, "waiting state", func(f chatFrame) bool { return f.T == "state" && f.State == "waiting" })
	say(t, kid, "c1", "我不想活了")
	first := next(t, kid, "ack of c1", func(f chatFrame) bool { return f.T == "ack" && f.ID == "c1" })

	staff := newClient(t, inst.URL)
	staff.signInFully("hotline")
	_, body := staff.get("/hotline/queue")
	if !strings.Contains(body, "data-conversation") || !strings.Contains(body, text(t, "zh-CN", "chat.flag.suicide")) {
		t.Fatalf("the queue does not show the flagged conversation:\n%.2000s", body)
	}
	resp, _ := staff.post("/hotline/queue/take", nil)
	m := chatRoom.FindStringSubmatch(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || m == nil {
		t.Fatalf("take: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	room := m[0]
	if r, body := staff.get(room); r.StatusCode != http.StatusOK || !strings.Contains(body, "我不想活了") {
		t.Fatalf("room: %d", r.StatusCode)
	}
	next(t, kid, "taken", func(f chatFrame) bool { return f.T == "state" && f.State == "active" })
	counsellor := staff.dial(room + "/socket?after=" + strconv.Itoa(first.Seq+1))
	say(t, counsellor, "s1", "我在，愿意和我说说发生了什么吗？")
	next(t, counsellor, "ack of s1", func(f chatFrame) bool { return f.T == "ack" && f.ID == "s1" })
	next(t, kid, "the counsellor's answer", func(f chatFrame) bool { return f.T == "msg" && f.From == "counsellor" })
	say(t, kid, "c2", "考试没考好")
	got := next(t, counsellor, "the child's second message", func(f chatFrame) bool { return f.T == "msg" && f.From == "child" })
	if got.Text != "考试没考好" {
		t.Errorf("counsellor got %q", got.Text)
	}

	// The child's connection drops; the counsellor writes twice; on
	// reconnecting the child gets both, in order, and a resend of c1 is
	// acknowledged with its first sequence number, stored once.
	kid.CloseNow()
	say(t, counsellor, "s2", "慢慢说")
	say(t, counsellor, "s3", "我一直在")
	s3 := next(t, counsellor, "ack of s3", func(f chatFrame) bool { return f.T == "ack" && f.ID == "s3" })
	kid = child.dial("/chat/socket?after=" + strconv.Itoa(got.Seq))
	a := next(t, kid, "s2 after reconnect", func(f chatFrame) bool { return f.T == "msg" })
	b := next(t, kid, "s3 after reconnect", func(f chatFrame) bool { return f.T == "msg" })
	if a.Text != "慢慢说" || b.Text != "我一直在" || b.Seq != s3.Seq {
		t.Errorf("after reconnect: %+v %+v", a, b)
	}
	say(t, kid, "c1", "我不想活了")
	again := next(t, kid, "ack of resent c1", func(f chatFrame) bool { return f.T == "ack" && f.ID == "c1" })
	if again.Seq != first.Seq {
		t.Errorf("resent c1 acked as seq %d, want %d", again.Seq, first.Seq)
	}
	if _, page := child.get("/chat"); strings.Count(page, "我不想活了") != 1 {
		t.Errorf("the child's page shows the message %d times", strings.Count(page, "我不想活了"))
	}

	// A supervisor watches silently and cannot write until joining.
	sup := newClient(t, inst.URL)
	sup.signInFully("supervisor")
	if r, _ := sup.post(room+"/watch", nil); r.StatusCode != http.StatusSeeOther {
		t.Fatalf("watch: %d", r.StatusCode)
	}
	watcher := sup.dial(room + "/socket?after=1")
	say(t, watcher, "w1", "hello")
	next(t, watcher, "refusal", func(f chatFrame) bool { return f.T == "err" && f.ID == "w1" })

	// Nobody else: a school counsellor has no hotline permission, and a
	// visitor without the cookie has no socket.
	other := newClient(t, inst.URL)
	other.signInFully("counsellor")
	if r, _ := other.get(room); r.StatusCode != http.StatusForbidden && r.StatusCode != http.StatusNotFound {
		t.Errorf("school counsellor opens the room: %d", r.StatusCode)
	}
	stranger := newClient(t, inst.URL)
	if r, _ := stranger.get("/chat/socket"); r.StatusCode != http.StatusNotFound {
		t.Errorf("socket without a token: %d", r.StatusCode)
	}
}
