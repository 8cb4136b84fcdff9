package web_test

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/coder/websocket"

	"github.com/careloop/careloop/internal/apptest"
	"github.com/careloop/careloop/internal/db"
)

// The live chat under load (issue 5): children start chats through the
// real server, the demo counsellor and supervisor take them all, and
// every chat then exchanges numbered messages both ways at once over its
// two sockets. Each message carries its send time and its number in its
// text; the other side's "msg" frame gives the delivery latency, and the
// numbers received give lost, duplicated and misdelivered messages.
//
// TestChatLoadSmall (20 chats × 5 messages a direction) always runs and
// fails on any loss. TestChatLoad (500 chats × 20 messages a direction)
// runs only with CARELOOP_LOAD=1; CARELOOP_LOAD_CHATS,
// CARELOOP_LOAD_MESSAGES and CARELOOP_LOAD_PAUSE (the longest random pause
// before each message, such as 500ms) change its size. Both first measure
// one lone chat on the same server as their baseline.

// loadConfig is the size of a load run.
type loadConfig struct {
	chats, messages int           // messages: per direction per chat
	pause           time.Duration // a random pause in [0, pause) before each message
}

func TestChatLoadSmall(t *testing.T) {
	runChatLoad(t, loadConfig{chats: 20, messages: 5, pause: 50 * time.Millisecond})
}

func TestChatLoad(t *testing.T) {
	if os.Getenv("CARELOOP_LOAD") == "" {
		t.Skip("the 500-chat load test runs with CARELOOP_LOAD=1")
	}
	c := loadConfig{chats: 500, messages: 20, pause: 500 * time.Millisecond}
	if n, err := strconv.Atoi(os.Getenv("CARELOOP_LOAD_CHATS")); err == nil && n > 0 {
		c.chats = n
	}
	if n, err := strconv.Atoi(os.Getenv("CARELOOP_LOAD_MESSAGES")); err == nil && n > 0 {
		c.messages = n
	}
	if d, err := time.ParseDuration(os.Getenv("CARELOOP_LOAD_PAUSE")); err == nil && d > 0 {
		c.pause = d
	}
	runChatLoad(t, c)
}

func runChatLoad(t *testing.T, c loadConfig) {
	inst := start(t)
	engine := "SQLite"
	if inst.DatabaseURL != "" {
		engine = "PostgreSQL"
	}
	commits := prepareLoad(t, inst, c.chats+1, min(200, 10*c.chats))
	staff := []*client{newClient(t, inst.URL), newClient(t, inst.URL)}
	staff[0].signInFully("hotline")
	staff[1].signInFully("supervisor")

	lone := loadRound(t, inst.URL, staff, loadConfig{chats: 1, messages: c.messages, pause: c.pause})
	lone.check(t, "lone chat")
	r := loadRound(t, inst.URL, staff, c)
	t.Logf("%s, %d chats × %d messages a direction, pauses up to %v:", engine, c.chats, c.messages, c.pause)
	t.Logf("  setup: %d chats started and socket opened in %v, taken with staff sockets in %v",
		c.chats, r.started.Round(time.Millisecond), r.taken.Round(time.Millisecond))
	for i, who := range []string{"hotline", "supervisor"} {
		if ts := r.takes[i]; len(ts) > 0 {
			n := max(1, len(ts)/10)
			t.Logf("  takes by %s: %d, first tenth mean %v, last tenth mean %v", who, len(ts), ms(mean(ts[:n])), ms(mean(ts[len(ts)-n:])))
		}
	}
	t.Logf("  lone chat latency: p50 %v  p99 %v  max %v", ms(lone.pct(0.50)), ms(lone.pct(0.99)), ms(lone.pct(1)))
	t.Logf("  latency under load: p50 %v  p95 %v  p99 %v  max %v", ms(r.pct(0.50)), ms(r.pct(0.95)), ms(r.pct(0.99)), ms(r.pct(1)))
	t.Logf("  ratio to the lone chat: p50 ×%.1f  p99 ×%.1f", ratio(r.pct(0.50), lone.pct(0.50)), ratio(r.pct(0.99), lone.pct(0.99)))
	t.Logf("  child→counsellor p99 %v, counsellor→child p99 %v", ms(pct(r.up, 0.99)), ms(pct(r.down, 0.99)))
	rate := float64(r.delivered) / r.took.Seconds()
	t.Logf("  %d messages sent in %v (offered %.0f/s), %d delivered in %v: %.0f messages/s; bare one-row commits %.0f/s; ratio %.2f",
		r.sent, r.sending.Round(time.Millisecond), float64(r.sent)/r.sending.Seconds(), r.delivered, r.took.Round(time.Millisecond),
		rate, commits, rate/commits)
	t.Logf("  lost %d (child→counsellor %d, counsellor→child %d), duplicated %d, misdelivered %d, refused %d, unacknowledged %d",
		r.lostUp+r.lostDown, r.lostUp, r.lostDown, r.dups, r.crossed, r.refused, r.unacked)
	r.check(t, "load")
}

// prepareLoad lets the demo counsellor and supervisor hold cap chats
// each, written straight into the database of the running instance, and
// measures a second baseline there: bare one-row commits a second, one
// after another (each message of a chat is one commit).
func prepareLoad(t *testing.T, inst *apptest.Instance, cap, probes int) (commits float64) {
	t.Helper()
	ctx := context.Background()
	d, err := db.Open(ctx, inst.DatabaseURL, inst.DataDir)
	if err != nil {
		t.Fatal(err)
	}
	defer d.Close()
	for _, u := range []string{"hotline", "supervisor"} {
		res, err := d.Exec(ctx, `INSERT INTO chat_caps (user_id, cap) SELECT id, ? FROM users WHERE username = ?`, cap, u)
		if err != nil {
			t.Fatal(err)
		}
		if n, _ := res.RowsAffected(); n != 1 {
			t.Fatalf("chat cap of %s: %d rows", u, n)
		}
	}
	if _, err := d.Exec(ctx, `CREATE TABLE load_probe (n INTEGER NOT NULL)`); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	for i := range probes {
		if _, err := d.Exec(ctx, `INSERT INTO load_probe (n) VALUES (?)`, i); err != nil {
			t.Fatal(err)
		}
	}
	commits = float64(probes) / time.Since(t0).Seconds()
	if _, err := d.Exec(ctx, `DROP TABLE load_probe`); err != nil {
		t.Fatal(err)
	}
	return commits
}

// loadResult is what one round measured.
type loadResult struct {
	started, taken, took    time.Duration
	sending                 time.Duration   // until every side had sent its last message
	lat, up, down           []time.Duration // every delivery; child→counsellor; counsellor→child
	sent, delivered         int
	lostUp, lostDown, dups  int
	crossed, refused, other int
	unacked                 int
	takes                   [][]time.Duration // each staff member's takes, in order
}

func (r *loadResult) pct(p float64) time.Duration { return pct(r.lat, p) }

func (r *loadResult) check(t *testing.T, what string) {
	t.Helper()
	if r.lostUp+r.lostDown+r.dups+r.crossed+r.refused+r.unacked+r.other > 0 || r.delivered != r.sent {
		t.Errorf("%s: sent %d, delivered %d, lost %d+%d, duplicated %d, misdelivered %d, refused %d, unacknowledged %d, unreadable frames %d",
			what, r.sent, r.delivered, r.lostUp, r.lostDown, r.dups, r.crossed, r.refused, r.unacked, r.other)
	}
}

// chatSide is one socket of a chat: a child's, or the staff member's.
type chatSide struct {
	conn  *websocket.Conn
	from  string        // the sender this side counts: "counsellor" or "child"
	chat  int           // the chat's number; a staff side learns it from the child's hello
	known chan struct{} // closed once chat is known
	done  chan struct{} // closed when the reader stops

	// Owned by the reader until done.
	got                          map[int]int
	lat                          []time.Duration
	acks, refused, crossed, junk int
}

// loadRound starts c.chats chats, has staff take them all, runs the
// exchange and tallies it.
func loadRound(t *testing.T, base string, staff []*client, c loadConfig) *loadResult {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	defer cancel()
	t0 := time.Now()
	var delivered, acked atomic.Int64
	r := &loadResult{}
	children := make([]*chatSide, c.chats)
	var all []*chatSide
	defer func() {
		for _, s := range all {
			s.conn.CloseNow()
		}
	}()

	// Children start their chats and say hello, 16 at a time.
	errs := make(chan error, c.chats)
	sem := make(chan struct{}, 16)
	var wg sync.WaitGroup
	for k := range c.chats {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			s, err := startChild(ctx, base, k)
			if err != nil {
				errs <- fmt.Errorf("child %d: %w", k, err)
				return
			}
			children[k] = s
		})
	}
	wg.Wait()
	r.started = time.Since(t0)
	for _, s := range children {
		if s != nil {
			all = append(all, s)
		}
	}
	close(errs)
	for err := range errs {
		t.Fatal(err)
	}
	for _, s := range children {
		go s.read(t0, &delivered, &acked)
	}

	// The counsellor and the supervisor take them all and open a socket
	// on each.
	t1 := time.Now()
	var left atomic.Int64
	left.Store(int64(c.chats))
	sides := make([][]*chatSide, len(staff))
	serrs := make([]error, len(staff))
	r.takes = make([][]time.Duration, len(staff))
	for i, st := range staff {
		wg.Go(func() {
			for left.Add(-1) >= 0 {
				s, took, err := takeChat(ctx, st)
				r.takes[i] = append(r.takes[i], took)
				if err != nil {
					serrs[i] = err
					return
				}
				sides[i] = append(sides[i], s)
				go s.read(t0, &delivered, &acked)
			}
		})
	}
	wg.Wait()
	staffSides := slices.Concat(sides...)
	all = append(all, staffSides...)
	if err := errors.Join(serrs...); err != nil {
		t.Fatalf("take: %v", err)
	}
	byChat := make([]*chatSide, c.chats)
	for _, s := range staffSides {
		select {
		case <-s.known:
		case <-time.After(time.Minute):
			t.Fatal("a staff socket never got its child's hello")
		}
		if s.chat < 0 || s.chat >= c.chats || byChat[s.chat] != nil {
			t.Fatalf("staff socket for chat %d: taken twice or out of range", s.chat)
		}
		byChat[s.chat] = s
	}
	r.taken = time.Since(t1)

	// The exchange: every side of every chat at once.
	t2 := time.Now()
	sendErrs := make(chan error, 2*c.chats)
	for k := range c.chats {
		for _, s := range []*chatSide{children[k], byChat[k]} {
			wg.Go(func() {
				if err := s.send(ctx, t0, k, c); err != nil {
					sendErrs <- err
				}
			})
		}
	}
	wg.Wait()
	r.sending = time.Since(t2)
	close(sendErrs)
	for err := range sendErrs {
		t.Errorf("send: %v", err)
	}
	r.sent = 2 * c.chats * c.messages
	// Wait for the rest, as long as something still arrives (a backlog
	// drains slowly; a stall is a loss).
	seen, moved := int64(-1), time.Now()
	for delivered.Load() < int64(r.sent) || acked.Load() < int64(r.sent) {
		if now := delivered.Load() + acked.Load(); now != seen {
			seen, moved = now, time.Now()
		} else if time.Since(moved) > 30*time.Second {
			t.Logf("nothing arrived for 30 s: %d of %d delivered, %d acknowledged", delivered.Load(), r.sent, acked.Load())
			break
		}
		time.Sleep(2 * time.Millisecond)
	}
	r.took = time.Since(t2)
	if moved := time.Since(moved); moved > 30*time.Second {
		r.took -= moved
	}
	for _, s := range all {
		s.conn.CloseNow()
	}
	for _, s := range all {
		<-s.done
		r.lat = append(r.lat, s.lat...)
		if s.from == "child" {
			r.up = append(r.up, s.lat...)
		} else {
			r.down = append(r.down, s.lat...)
		}
		lost := c.messages
		for n, times := range s.got {
			if n >= 0 && n < c.messages {
				lost--
			}
			r.dups += times - 1
		}
		if s.from == "child" {
			r.lostUp += lost
		} else {
			r.lostDown += lost
		}
		r.crossed += s.crossed
		r.refused += s.refused
		r.other += s.junk
		r.unacked += c.messages - s.acks
	}
	r.delivered = int(delivered.Load())
	for _, l := range [][]time.Duration{r.lat, r.up, r.down} {
		slices.Sort(l)
	}
	return r
}

// startChild starts a chat as a new visitor, opens its socket and says
// hello with the chat's number.
func startChild(ctx context.Context, base string, k int) (*chatSide, error) {
	jar, err := cookiejar.New(nil)
	if err != nil {
		return nil, err
	}
	hc := &http.Client{Jar: jar, Timeout: time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := hc.PostForm(base+"/chat", url.Values{"urgency": {"later"}})
	if err != nil {
		return nil, err
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusSeeOther {
		return nil, fmt.Errorf("POST /chat: %d", resp.StatusCode)
	}
	conn, err := dialSocket(ctx, base, "/chat/socket?after=0", jar)
	if err != nil {
		return nil, err
	}
	s := newSide(conn, "counsellor", k)
	if err := s.write(ctx, "hello", fmt.Sprintf("hello %d 0 0", k)); err != nil {
		conn.CloseNow()
		return nil, err
	}
	return s, nil
}

// takeChat takes the next chat of the queue as st and opens its socket
// from the start of the transcript (where the child's hello is).
func takeChat(ctx context.Context, st *client) (*chatSide, time.Duration, error) {
	req, err := http.NewRequestWithContext(ctx, "POST", st.base+"/hotline/queue/take", nil)
	if err != nil {
		return nil, 0, err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	t0 := time.Now()
	resp, err := st.Do(req)
	took := time.Since(t0)
	if err != nil {
		return nil, took, err
	}
	resp.Body.Close()
	m := chatRoom.FindStringSubmatch(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || m == nil {
		return nil, took, fmt.Errorf("POST /hotline/queue/take: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	conn, err := dialSocket(ctx, st.base, m[0]+"/socket?after=0", st.Jar)
	if err != nil {
		return nil, took, err
	}
	return newSide(conn, "child", -1), took, nil
}

// dialSocket opens a chat socket with a cookie jar (and no client
// timeout, which would end the socket).
func dialSocket(ctx context.Context, base, path string, jar http.CookieJar) (*websocket.Conn, error) {
	dctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	conn, resp, err := websocket.Dial(dctx, "ws"+strings.TrimPrefix(base, "http")+path,
		&websocket.DialOptions{HTTPClient: &http.Client{Jar: jar}})
	if err != nil {
		if resp != nil {
			return nil, fmt.Errorf("dial %s: %w (%d)", path, err, resp.StatusCode)
		}
		return nil, fmt.Errorf("dial %s: %w", path, err)
	}
	conn.SetReadLimit(1 << 20)
	return conn, nil
}

func newSide(conn *websocket.Conn, from string, chat int) *chatSide {
	s := &chatSide{conn: conn, from: from, chat: chat, known: make(chan struct{}), done: make(chan struct{}), got: map[int]int{}}
	if chat >= 0 {
		close(s.known)
	}
	return s
}

func (s *chatSide) write(ctx context.Context, id, text string) error {
	b, err := json.Marshal(chatFrame{T: "say", ID: id, Text: text})
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	return s.conn.Write(wctx, websocket.MessageText, b)
}

// send writes the side's numbered messages, each with its send time
// (since t0) in its text and after a random pause.
func (s *chatSide) send(ctx context.Context, t0 time.Time, k int, c loadConfig) error {
	for n := range c.messages {
		time.Sleep(rand.N(c.pause))
		text := fmt.Sprintf("m %d %d %d", k, n, time.Since(t0))
		if err := s.write(ctx, "m"+strconv.Itoa(n), text); err != nil {
			return fmt.Errorf("chat %d message %d: %w", k, n, err)
		}
	}
	return nil
}

// read records the frames of the socket until it closes.
func (s *chatSide) read(t0 time.Time, delivered, acked *atomic.Int64) {
	defer close(s.done)
	for {
		_, b, err := s.conn.Read(context.Background())
		if err != nil {
			return
		}
		now := time.Since(t0)
		var f chatFrame
		if json.Unmarshal(b, &f) != nil {
			s.junk++
			continue
		}
		switch f.T {
		case "ack":
			if strings.HasPrefix(f.ID, "m") {
				s.acks++
				acked.Add(1)
			}
		case "err":
			s.refused++
		case "msg":
			if f.From != s.from {
				continue // its own messages, and system messages
			}
			var kind string
			var k, n int
			var at int64
			if _, err := fmt.Sscanf(f.Text, "%s %d %d %d", &kind, &k, &n, &at); err != nil {
				s.junk++
				continue
			}
			switch {
			case kind == "hello" && s.chat < 0:
				s.chat = k
				close(s.known)
			case kind == "hello":
			case kind != "m" || k != s.chat:
				s.crossed++
			default:
				s.got[n]++
				if s.got[n] == 1 {
					s.lat = append(s.lat, now-time.Duration(at))
					delivered.Add(1)
				}
			}
		}
	}
}

// pct is the p-quantile of sorted durations (p = 1: the largest).
func pct(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.999999) - 1
	return sorted[max(0, min(i, len(sorted)-1))]
}

func mean(ds []time.Duration) time.Duration {
	var sum time.Duration
	for _, d := range ds {
		sum += d
	}
	return sum / time.Duration(max(1, len(ds)))
}

func ratio(a, b time.Duration) float64 {
	if b <= 0 {
		return 0
	}
	return float64(a) / float64(b)
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d)/float64(time.Millisecond)) }
