package web_test

import (
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/apptest"
)

// Two instances of careloop on one PostgreSQL share the queue and the
// live messages: the child writes to one, the counsellor answers from the
// other, and each message arrives well before the sockets' 15-second
// re-read, so it came through LISTEN/NOTIFY.
func TestChatAcrossInstances(t *testing.T) {
	keys := filepath.Join(t.TempDir(), "seal.keys")
	a := apptest.Start(t, "--demo", "--seal-key-file", keys)
	if a.DatabaseURL == "" {
		t.Skip("several instances need PostgreSQL (set CARELOOP_TEST_DATABASE_URL)")
	}
	b := apptest.Another(t, a, "--seal-key-file", keys)

	child := newClient(t, a.URL)
	if resp, _ := child.post("/chat", url.Values{"urgency": {"today"}}); resp.StatusCode != http.StatusSeeOther {
		t.Fatalf("start chat on A: %d", resp.StatusCode)
	}
	kid := child.dial("/chat/socket?after=0")
	say(t, kid, "k1", "你好，有人吗")
	next(t, kid, "ack", func(f chatFrame) bool { return f.T == "ack" && f.ID == "k1" })

	staff := newClient(t, b.URL)
	staff.signInFully("hotline")
	resp, _ := staff.post("/hotline/queue/take", nil)
	m := chatRoom.FindStringSubmatch(resp.Header.Get("Location"))
	if m == nil {
		t.Fatalf("take on B: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	next(t, kid, "taken, seen on A", func(f chatFrame) bool { return f.T == "state" && f.State == "active" })
	counsellor := staff.dial(m[0] + "/socket?after=2")

	for i := range 5 {
		sent := time.Now()
		id := "s" + strconv.Itoa(i)
		say(t, counsellor, id, "来自B的消息 "+id)
		got := next(t, kid, "B's message on A", func(f chatFrame) bool { return f.T == "msg" && f.From == "counsellor" })
		if d := time.Since(sent); d > 2*time.Second {
			t.Errorf("B → A took %v: not woken by NOTIFY", d)
		}
		if got.Text != "来自B的消息 "+id {
			t.Errorf("A got %q", got.Text)
		}
		sent = time.Now()
		id = "k" + strconv.Itoa(i+2)
		say(t, kid, id, "来自A的消息 "+id)
		got = next(t, counsellor, "A's message on B", func(f chatFrame) bool { return f.T == "msg" && f.From == "child" })
		if d := time.Since(sent); d > 2*time.Second {
			t.Errorf("A → B took %v: not woken by NOTIFY", d)
		}
		if got.Text != "来自A的消息 "+id {
			t.Errorf("B got %q", got.Text)
		}
	}
}
