package browsertest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"github.com/careloop/careloop/internal/i18n"
)

// zhText translates key as every browser here shows it (see newBrowser).
func zhText(key string) string { return i18n.T(zh, key) }

// chatWait polls the JavaScript condition cond until it is true, failing
// after d with the chat log as evidence.
func (b *browser) chatWait(what, cond string, d time.Duration) {
	b.t.Helper()
	deadline := time.Now().Add(d)
	for {
		var ok bool
		b.eval(`!!(`+cond+`)`, &ok)
		if ok {
			return
		}
		if time.Now().After(deadline) {
			b.t.Fatalf("%s: not within %s on %s; status %q; chat log: %q", what, d, b.path(), b.text("#chat-status"), chatLog(b))
		}
		time.Sleep(200 * time.Millisecond)
	}
}

// bubblesJS counts the chat bubbles of class cls (mine, theirs, system,
// pending …, space-separated) whose text is text.
func bubblesJS(cls, text string) string {
	sel := "#chat-log li.bubble." + strings.Join(strings.Fields(cls), ".")
	return fmt.Sprintf(`[...document.querySelectorAll(%s)].filter(li => (li.querySelector(".text") ?? li).textContent.trim() === %s).length`,
		jsString(sel), jsString(text))
}

// bubbles counts them now.
func bubbles(b *browser, cls, text string) int {
	b.t.Helper()
	var n int
	b.eval(bubblesJS(cls, text), &n)
	return n
}

// chatLog is the text of every bubble, each with its classes.
func chatLog(b *browser) []string {
	b.t.Helper()
	var out []string
	b.eval(`[...document.querySelectorAll("#chat-log li")].map(li => li.className.replace("bubble ", "") + ": " +
		(li.querySelector(".text") ?? li).textContent.trim())`, &out)
	return out
}

// statusJS is true when the chat's status line reads key's text. It also
// accepts the text in quotes, so that the scenario goes on past the quoted
// status that wantStatus reports: html/template takes an attribute named
// data-on… for an event handler and writes its value as a JavaScript string.
func statusJS(key string) string {
	return `document.querySelector("#chat-status").textContent.replace(/^"|"$/g, "") === ` + jsString(zhText(key))
}

// wantStatus checks the status line reads exactly key's text.
func wantStatus(t *testing.T, b *browser, who, key string) {
	t.Helper()
	if got := b.text("#chat-status"); got != zhText(key) {
		t.Errorf("%s: the status line reads %q, want %q (#chat data-online is %q)", who, got, zhText(key), b.attr("#chat", "data-online"))
	}
}

// dropSockets closes every open WebSocket of the page from the DevTools
// side (the page's own socket is not reachable from its scripts): with the
// tab offline, it is a phone losing its signal mid-conversation. Chromium's
// offline emulation alone stops new connections but leaves an open socket
// running. It returns how many sockets it closed.
func (b *browser) dropSockets() int {
	b.t.Helper()
	ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
	defer cancel()
	proto, err := chromedp.Call(ctx, runtime.Evaluate, runtime.EvaluateParams{Expression: "WebSocket.prototype", ObjectGroup: "drop"})
	if err != nil || proto.Result == nil || proto.Result.ObjectID == "" {
		b.t.Fatalf("find WebSocket.prototype: %v %+v", err, proto)
	}
	defer chromedp.Call(ctx, runtime.ReleaseObjectGroup, runtime.ReleaseObjectGroupParams{ObjectGroup: "drop"})
	objs, err := chromedp.Call(ctx, runtime.QueryObjects, runtime.QueryObjectsParams{PrototypeObjectID: proto.Result.ObjectID, ObjectGroup: "drop"})
	if err != nil || objs.Objects == nil {
		b.t.Fatalf("query the page's sockets: %v", err)
	}
	byValue := true
	res, err := chromedp.Call(ctx, runtime.CallFunctionOn, runtime.CallFunctionOnParams{ObjectID: objs.Objects.ObjectID, ReturnByValue: &byValue,
		FunctionDeclaration: `function () { let n = 0; for (const ws of this) { if (ws.readyState === 1) { ws.close(4000, "dropped"); n++; } } return n; }`})
	if err != nil || res.ExceptionDetails != nil || res.Result == nil {
		b.t.Fatalf("close the page's sockets: %v %+v", err, res)
	}
	var n int
	if err := json.Unmarshal(res.Result.Value, &n); err != nil {
		b.t.Fatalf("close the page's sockets: result %s: %v", res.Result.Value, err)
	}
	return n
}

// chatWrite types text in the chat box and sends it (no page load).
func chatWrite(b *browser, text string) {
	b.t.Helper()
	b.setValue("#chat-text", text)
	b.do(chromedp.Click(chromedp.CSS("#chat-send"), chromedp.NodeVisible))
}

// startChildChat opens /chat on a phone, answers the urgency question
// and returns the new conversation's id.
func startChildChat(t *testing.T, b *browser, urgency string) string {
	t.Helper()
	if st := b.open("/chat"); st != 200 {
		t.Fatalf("GET /chat: status %d", st)
	}
	noSideScroll(t, b)
	b.do(chromedp.Click(chromedp.CSS("#urgency-"+urgency), chromedp.NodeVisible))
	if st := b.click("#chat-start"); st != 200 {
		t.Fatalf("start chat: status %d:\n%s", st, b.text("main"))
	}
	b.wantPath("/chat")
	b.waitVisible("#chat-form", 10*time.Second)
	id := strings.TrimPrefix(b.attr("#chat", "data-outbox"), "careloop-chat-")
	if id == "" || strings.Contains(id, "-") {
		t.Fatalf("the chat page names no conversation (data-outbox %q)", b.attr("#chat", "data-outbox"))
	}
	noSideScroll(t, b)
	return id
}

// childSays writes text and waits until the server has stored it.
func childSays(t *testing.T, b *browser, text string) {
	t.Helper()
	chatWrite(b, text)
	b.chatWait("the child's message "+text+" is acknowledged", bubblesJS("mine", text)+` === 1 && `+bubblesJS("mine pending", text)+` === 0`, 10*time.Second)
}

// queueRow is a line of the waiting list.
type queueRow struct {
	ID       string `json:"id"`
	Critical bool   `json:"critical"`
	Flags    string `json:"flags"`
}

func waitingRows(b *browser) []queueRow {
	var rows []queueRow
	b.eval(`[...document.querySelectorAll("#waiting tbody tr")].map(tr => ({id: tr.dataset.conversation,
		critical: tr.classList.contains("critical"), flags: tr.cells[3]?.innerText.trim() ?? ""}))`, &rows)
	return rows
}

// TestLiveChatRiskTransferReconnect is issue 5's live chat end to end: a
// child on a phone writes a risk expression and jumps the queue, a
// counsellor takes the conversation and fills in its draft contact, a
// supervisor watches silently and then receives it on transfer with the
// contact as written, and the child's dropped connection loses nothing.
func TestLiveChatRiskTransferReconnect(t *testing.T) {
	srv := startDemo(t)
	const (
		neutral = "你好，我想问问怎么和爸妈沟通"
		risky   = "我不想活了"
		answer  = "我在，愿意和我说说发生了什么吗？"
		summary = "Child wrote that they do not want to live. Exams and loneliness. Listened and made a safety plan."
		offline = "刚才没信号了，你还在吗"
		waiting = "我一直在这里，你慢慢说"
	)

	// 1. Two children, both "later": the second writes a risk expression.
	kid1 := newPhone(t, srv.URL)
	first := startChildChat(t, kid1, "later")
	childSays(t, kid1, neutral)
	kid2 := newPhone(t, srv.URL)
	second := startChildChat(t, kid2, "later")
	childSays(t, kid2, risky)
	kid2.screenshot("chat-child-risk-phone")

	hotline := newBrowser(t, srv.URL, 1280, 900)
	hotline.signInEnrolled("hotline")
	if st := hotline.open("/hotline/queue"); st != 200 {
		t.Fatalf("counsellor: GET /hotline/queue: status %d", st)
	}
	rows := waitingRows(hotline)
	if len(rows) < 2 || rows[0].ID != second || !rows[0].Critical || !strings.Contains(rows[0].Flags, zhText("chat.flag.suicide")) {
		t.Fatalf("the queue should start with the flagged conversation %s (then %s); rows: %+v", second, first, rows)
	}
	for i, r := range rows {
		if r.ID == first && (i == 0 || r.Critical || r.Flags != "") {
			t.Errorf("the neutral conversation %s is at %d, critical=%v, flags %q", first, i, r.Critical, r.Flags)
		}
	}
	if n := hotline.text("#h-risk"); n != "1" {
		t.Errorf("queue health: %q high-risk conversations, want 1", n)
	}
	if hotline.present("#live") || hotline.present(`button[id^="watch-"]`) {
		t.Error("a counsellor sees the supervisors' live list and watch buttons")
	}

	// 2. The counsellor takes the next conversation: the risky one.
	room := "/hotline/chats/" + second
	if st := hotline.click("#take-next"); st != 200 {
		t.Fatalf("take next: status %d:\n%s", st, hotline.text("main"))
	}
	hotline.wantPath(room)
	if bubbles(hotline, "theirs", risky) != 1 || bubbles(hotline, "theirs", neutral) != 0 {
		t.Fatalf("the room does not show exactly the child's own transcript: %q", chatLog(hotline))
	}
	if !hotline.present("#chat-form") || hotline.present("#watching") {
		t.Error("the holder has no input box, or is told they watch")
	}
	kid2.chatWait("the child is told a counsellor took the chat", bubblesJS("system", zhText("chat.sys.taken"))+` === 1`, 10*time.Second)
	chatWrite(hotline, answer)
	hotline.chatWait("the counsellor's answer is stored", bubblesJS("mine", answer)+` === 1 && `+bubblesJS("mine pending", answer)+` === 0`, 10*time.Second)
	kid2.chatWait("the child sees the answer", bubblesJS("theirs", answer)+` === 1`, 10*time.Second)
	if bubbles(kid1, "theirs", answer) != 0 || bubbles(kid1, "mine", risky) != 0 {
		t.Errorf("the other child sees this conversation: %q", chatLog(kid1))
	}

	contact := hotline.attr("#open-contact", "href")
	if !strings.HasPrefix(contact, "/contacts/") {
		t.Fatalf("the room links no draft contact (#open-contact href %q)", contact)
	}
	if st := hotline.open(contact); st != 200 {
		t.Fatalf("counsellor: GET %s: status %d", contact, st)
	}
	hotline.eval(`(() => { for (const [id, v] of [["caller_type", "child_self"], ["age_band", "13_15"]]) {
		const s = document.getElementById(id); s.value = v; s.dispatchEvent(new Event("change", {bubbles: true})); }
		return true; })()`, new(bool))
	hotline.do(chromedp.SendKeys(chromedp.CSS("#summary"), summary))
	hotline.waitVisible(`#save-state[data-state="saved"]`, 10*time.Second)
	settleAutosave(t, hotline)

	// 3. The supervisor watches silently.
	childBubbles := len(chatLog(kid2))
	sup := newBrowser(t, srv.URL, 1280, 900)
	sup.signInEnrolled("supervisor")
	if st := sup.open("/hotline/queue"); st != 200 {
		t.Fatalf("supervisor: GET /hotline/queue: status %d", st)
	}
	if !sup.present(`#live tr[data-conversation="` + second + `"]`) {
		t.Fatalf("the supervisor's live list lacks conversation %s:\n%s", second, sup.text("#queue-panel"))
	}
	if st := sup.click("#watch-" + second); st != 200 {
		t.Fatalf("watch: status %d:\n%s", st, sup.text("main"))
	}
	sup.wantPath(room)
	if !sup.present("#watching") || sup.present("#chat-form") || sup.present("#chat-text") {
		t.Error("a watching supervisor should be told so and have no input box")
	}
	if sup.present("#open-contact") {
		t.Error("a watching supervisor is offered the counsellor's draft contact")
	}
	if bubbles(sup, "theirs", risky) != 1 || bubbles(sup, "mine", answer) != 1 {
		t.Errorf("the watcher does not see the transcript: %q", chatLog(sup))
	}
	sup.screenshot("chat-supervisor-watching")
	time.Sleep(1500 * time.Millisecond) // room for a wrong notice to arrive
	if got := chatLog(kid2); len(got) != childBubbles || bubbles(kid2, "system", zhText("chat.sys.joined")) != 0 {
		t.Errorf("the child's page changed when the supervisor started watching: %q", got)
	}

	// 4. The counsellor transfers the conversation to the supervisor.
	if st := hotline.open(room); st != 200 {
		t.Fatalf("counsellor: GET %s: status %d", room, st)
	}
	if bubbles(hotline, "system", zhText("chat.sys.joined")) != 0 || hotline.present("#watching") {
		t.Errorf("the counsellor is told of the silent watcher: %q", chatLog(hotline))
	}
	var to string
	hotline.eval(`(() => { const s = document.querySelector("#transfer-to"); if (!s) return "";
		const o = [...s.options].find(o => o.textContent.includes("郑督导")); if (!o) return ""; s.value = o.value; return o.value; })()`, &to)
	if to == "" {
		t.Fatalf("the transfer list does not offer the supervisor: %v", hotline.texts("#transfer-to option"))
	}
	if st := hotline.click("#transfer"); st != 200 {
		t.Fatalf("transfer: status %d:\n%s", st, hotline.text("main"))
	}
	hotline.wantPath("/hotline/queue")
	if hotline.present(`#my-chats a[data-conversation="` + second + `"]`) {
		t.Error("the former holder still lists the conversation as theirs")
	}
	if st := hotline.open(room); st != 404 {
		t.Errorf("the former holder opens the transferred room: status %d, want 404", st)
	}
	kid2.chatWait("the child is told of the transfer", bubblesJS("system", zhText("chat.sys.transferred"))+` === 1`, 10*time.Second)

	if st := sup.open(room); st != 200 {
		t.Fatalf("new holder: GET %s: status %d", room, st)
	}
	if sup.present("#watching") || !sup.present("#chat-form") {
		t.Fatal("after the transfer the supervisor holds the conversation but has no input box")
	}
	// The staff's side is one voice: the former holder's words show as "mine".
	if bubbles(sup, "theirs", risky) != 1 || bubbles(sup, "mine", answer) != 1 || bubbles(sup, "system", zhText("chat.sys.transferred")) != 1 {
		t.Errorf("the new holder does not see the whole transcript: %q", chatLog(sup))
	}
	if got := sup.attr("#open-contact", "href"); got != contact {
		t.Fatalf("the new holder's room links contact %q, want %q", got, contact)
	}
	if st := sup.open(contact); st != 200 {
		t.Fatalf("new holder: GET %s: status %d", contact, st)
	}
	var form map[string]string
	sup.eval(`({caller: document.querySelector("#caller_type").value, age: document.querySelector("#age_band").value,
		summary: document.querySelector("#summary").value})`, &form)
	if form["caller"] != "child_self" || form["age"] != "13_15" || form["summary"] != summary {
		t.Errorf("the draft contact after the transfer: %+v, want child_self, 13_15 and the summary typed", form)
	}
	if !sup.present("#finalise") {
		t.Error("the transferred contact is no longer a draft the new holder can finish")
	}
	sup.screenshot("chat-contact-after-transfer")

	// 5. The child's connection drops; both sides write; it comes back.
	if st := sup.open(room); st != 200 {
		t.Fatalf("new holder: GET %s: status %d", room, st)
	}
	sup.chatWait("the holder's socket connects", statusJS("chat.online"), 10*time.Second)
	wantStatus(t, sup, "new holder", "chat.online")
	kid2.setOffline(true)
	if n := kid2.dropSockets(); n != 1 {
		t.Fatalf("the child's page had %d open sockets, want 1", n)
	}
	kid2.chatWait("the child's page notices the dropped connection", statusJS("chat.offline"), 15*time.Second)
	wantStatus(t, kid2, "child offline", "chat.offline")
	chatWrite(kid2, offline)
	kid2.chatWait("the message written offline shows as pending", bubblesJS("mine pending", offline)+` === 1`, 5*time.Second)
	if s := kid2.text("#chat-log li.pending .delivery"); s != zhText("chat.sending") {
		t.Errorf("the pending message says %q, want %q", s, zhText("chat.sending"))
	}
	kid2.screenshot("chat-child-offline-phone")
	chatWrite(sup, waiting)
	sup.chatWait("the holder's message is stored", bubblesJS("mine", waiting)+` === 1 && `+bubblesJS("mine pending", waiting)+` === 0`, 10*time.Second)
	time.Sleep(time.Second)
	if bubbles(kid2, "theirs", waiting) != 0 || bubbles(sup, "theirs", offline) != 0 {
		t.Fatal("a message crossed while the child was offline: the connection did not drop")
	}

	kid2.setOffline(false)
	kid2.chatWait("the child gets the holder's message after reconnecting", bubblesJS("theirs", waiting)+` === 1`, 30*time.Second)
	kid2.chatWait("the child's message turns from pending to sent", bubblesJS("mine", offline)+` === 1 && `+bubblesJS("mine pending", offline)+` === 0`, 30*time.Second)
	kid2.chatWait("the child's page is connected again", statusJS("chat.online"), 10*time.Second)
	wantStatus(t, kid2, "child back online", "chat.online")
	var delivery string
	kid2.eval(`[...document.querySelectorAll("#chat-log li.mine")].find(li => li.querySelector(".text")?.textContent === `+
		jsString(offline)+`)?.querySelector(".delivery")?.textContent ?? ""`, &delivery)
	if delivery != zhText("chat.sent") {
		t.Errorf("the message written offline says %q after the reconnect, want %q", delivery, zhText("chat.sent"))
	}
	sup.chatWait("the holder gets the child's message", bubblesJS("theirs", offline)+` >= 1`, 15*time.Second)
	time.Sleep(2 * time.Second) // a duplicate would arrive by now
	if n := bubbles(sup, "theirs", offline); n != 1 {
		t.Errorf("the holder shows the child's offline message %d times, want once: %q", n, chatLog(sup))
	}
	var local string
	kid2.eval(`localStorage.getItem("careloop-chat-`+second+`") ?? ""`, &local)
	if local != "[]" && local != "" {
		t.Errorf("the child's outbox still holds %s after the acknowledgement", local)
	}
	kid2.screenshot("chat-child-reconnected-phone")
	for name, b := range map[string]*browser{"child": kid2, "holder": sup} {
		var empty int
		b.eval(`[...document.querySelectorAll("#chat-log li.bubble")].filter(li => li.textContent.trim() === "").length`, &empty)
		if empty != 0 {
			t.Errorf("the %s's page shows %d empty bubbles: %q", name, empty, chatLog(b))
		}
	}
	for name, b := range map[string]*browser{"child": kid2, "holder": sup} {
		if s := b.text("#chat-status"); strings.Contains(s, `"`) {
			t.Errorf("the %s's status line shows %q", name, s)
		}
	}

	// Nothing lost, nothing doubled: both sides, read again from the server.
	sup.open(room)
	kid2.open("/chat")
	for _, m := range []struct{ who, cls, text string }{{"holder", "theirs", risky}, {"holder", "mine", answer},
		{"holder", "mine", waiting}, {"holder", "theirs", offline}, {"child", "mine", risky}, {"child", "theirs", answer},
		{"child", "theirs", waiting}, {"child", "mine", offline}} {
		b := sup
		if m.who == "child" {
			b = kid2
		}
		if n := bubbles(b, m.cls, m.text); n != 1 {
			t.Errorf("%s, after a reload: %q shown %d times as %s; log %q", m.who, m.text, n, m.cls, chatLog(b))
		}
	}
	if n := kid2.count("#chat-log li.pending"); n != 0 {
		t.Errorf("the child's page still shows %d pending messages after a reload", n)
	}

	// 6. What each one may see.
	page := kid2.text("body")
	for _, name := range []string{"吴咨询", "郑督导", zhText("chat.you_watch")} {
		if strings.Contains(page, name) {
			t.Errorf("the child's page shows %q", name)
		}
	}
	if got := chatLog(kid1); len(got) == 0 || strings.Contains(strings.Join(got, "\n"), risky) || strings.Contains(strings.Join(got, "\n"), waiting) {
		t.Errorf("the waiting child's page: %q", got)
	}
	kid1.open("/hotline/queue")
	if p := kid1.path(); !strings.HasPrefix(p, "/login") {
		t.Errorf("a child opening the station's queue lands on %s, want the sign-in page", p)
	}
	if st := hotline.open("/hotline/chats/" + first); st != 404 {
		t.Errorf("a counsellor opens a conversation still waiting in the queue: status %d, want 404", st)
	}
}
