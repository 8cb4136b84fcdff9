package web

// The letter pages are tested on a Server built here around a letter
// service, because app's wiring does not build one yet; staff sessions are
// put in the request context by a test-only wrapper.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"io"
	"log/slog"
	"mime/quotedprintable"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"golang.org/x/text/encoding/simplifiedchinese"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/hotline/letter"
	"github.com/careloop/careloop/internal/jobs"
	"github.com/careloop/careloop/internal/notify"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/people"
	"github.com/careloop/careloop/internal/testutil"
)

// letterRig is a server with the letter pages, a city with a hotline
// station, a branch and another station, and staff sessions by name.
type letterRig struct {
	t                    *testing.T
	d                    *db.DB
	srv                  *Server
	url                  string
	ppl                  *people.Service
	station, b1, other   *org.Unit
	sessions             map[string]*people.SessionInfo
	counsellor, stranger access.Principal
}

type letterMailer struct{}

func (letterMailer) Send(context.Context, notify.Message) error { return nil }

func newLetterRig(t *testing.T) *letterRig {
	t.Helper()
	ctx := context.Background()
	d := testutil.DB(t)
	if err := jobs.Migrate(ctx, d); err != nil {
		t.Fatal(err)
	}
	log, err := audit.New("sha256", nil)
	if err != nil {
		t.Fatal(err)
	}
	keys := testutil.Keyring(t)
	pepper, err := keys.Derive("letters")
	if err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(d, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	svc := &letter.Service{DB: d, Audit: log, Seal: keys, Pepper: pepper, Jobs: q, Mailer: letterMailer{}}
	jobs.Handle(q, &letter.ReplyMailWorker{S: svc})
	orgs := &org.Service{DB: d, Audit: log}
	rig := &letterRig{t: t, d: d, ppl: &people.Service{DB: d, Audit: log, Seal: keys}, sessions: map[string]*people.SessionInfo{}}
	city, err := orgs.CreateRoot(ctx, "江海市", "Jianghai")
	if err != nil {
		t.Fatal(err)
	}
	admin := access.Principal{UserID: 900001, Memberships: []access.Membership{{OrgID: city.ID, OrgPath: city.Path, Role: access.SysAdmin}}}
	unit := func(name, en string, parent *org.Unit) *org.Unit {
		u, err := orgs.CreateUnit(ctx, admin, org.NewUnit{Kind: org.HotlineStation, Name: name, NameEn: en, ParentID: parent.ID})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	rig.station = unit("陶老师工作站", "Teacher Tao Station", city)
	rig.b1 = unit("东城分站", "East Branch", rig.station)
	rig.other = unit("另一热线", "Other Line", city)
	rig.counsellor = rig.staff("counsellor", access.HotlineCounsellor, rig.b1)
	rig.stranger = rig.staff("stranger", access.HotlineCounsellor, rig.other)
	rig.srv = &Server{Org: orgs, People: rig.ppl, DB: d, Audit: log, Letters: svc, Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	h, err := rig.srv.Handler()
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if info := rig.sessions[r.Header.Get("X-Letter-Test-User")]; info != nil {
			r = r.WithContext(context.WithValue(r.Context(), sessionKey, info))
		}
		h.ServeHTTP(w, r)
	}))
	t.Cleanup(ts.Close)
	rig.url = ts.URL
	return rig
}

func (g *letterRig) staff(name, role string, at *org.Unit) access.Principal {
	g.t.Helper()
	id, _, err := g.ppl.Bootstrap(context.Background(), people.NewUser{Username: "letter-" + name, DisplayName: name}, "Letter-Web-Pass-2026", at.ID, role)
	if err != nil {
		g.t.Fatal(err)
	}
	p := access.Principal{UserID: id, Username: name, Memberships: []access.Membership{{OrgID: at.ID, OrgPath: at.Path, Role: role}}}
	g.sessions[name] = &people.SessionInfo{Principal: p, Stage: people.StageFull, User: people.User{ID: id, Username: name, DisplayName: name, Locale: "en"}}
	return p
}

// do sends a request as user ("" for anonymous) and returns the status and body.
func (g *letterRig) do(user, method, path string, body io.Reader, headers ...string) (int, string) {
	g.t.Helper()
	req, err := http.NewRequest(method, g.url+path, body)
	if err != nil {
		g.t.Fatal(err)
	}
	req.Header.Set("Accept-Language", "en")
	if user != "" {
		req.Header.Set("X-Letter-Test-User", user)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	c := &http.Client{Timeout: 30 * time.Second, CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := c.Do(req)
	if err != nil {
		g.t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

func (g *letterRig) post(user, path string, form url.Values) (int, string) {
	g.t.Helper()
	return g.do(user, "POST", path, strings.NewReader(form.Encode()), "Content-Type", "application/x-www-form-urlencoded")
}

func (g *letterRig) count(q string, args ...any) int64 {
	g.t.Helper()
	var n int64
	if err := g.d.Read(context.Background(), func(ctx context.Context, tx *db.Tx) error { return tx.QueryRow(ctx, q, args...).Scan(&n) }); err != nil {
		g.t.Fatal(err)
	}
	return n
}

var readingCode = regexp.MustCompile(`id="reading-code">([A-Z0-9-]+)<`)

// write sends a letter from the public page and returns its reading code.
func (g *letterRig) write(text string) string {
	g.t.Helper()
	status, body := g.post("", "/letter", url.Values{"station": {strconv.FormatInt(g.b1.ID, 10)}, "age_band": {"13_15"}, "text": {text}})
	m := readingCode.FindStringSubmatch(body)
	if status != http.StatusOK || m == nil {
		g.t.Fatalf("POST /letter: %d, no code in %.400s", status, body)
	}
	return m[1]
}

func TestLetterPagesCodeReplyAndScope(t *testing.T) {
	g := newLetterRig(t)
	status, body := g.do("", "GET", "/letter", nil)
	if status != http.StatusOK || !strings.Contains(body, "East Branch") || !strings.Contains(body, `id="letter-form"`) {
		t.Fatalf("GET /letter: %d %.300s", status, body)
	}
	// A refused letter comes back as typed.
	status, body = g.post("", "/letter", url.Values{"age_band": {"ancient"}, "text": {"我写了很多很多"}})
	if status != http.StatusUnprocessableEntity || !strings.Contains(body, "我写了很多很多") {
		t.Errorf("bad age band: %d, typed text lost", status)
	}

	code := g.write("老师，我每天都很难过。")
	other := g.write("第二封信")
	status, body = g.post("", "/letter/read", url.Values{"code": {code}})
	if status != http.StatusOK || !strings.Contains(body, "老师，我每天都很难过。") || !strings.Contains(body, `id="no-reply"`) {
		t.Fatalf("read before reply: %d %.300s", status, body)
	}
	var id int64
	if err := g.d.Read(context.Background(), func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT MIN(id) FROM letters`).Scan(&id)
	}); err != nil {
		t.Fatal(err)
	}
	path := "/letters/" + strconv.FormatInt(id, 10)

	// The branch's counsellor sees it on the list, reads, takes and answers it.
	if status, body = g.do("counsellor", "GET", "/letters", nil); status != http.StatusOK || !strings.Contains(body, `data-letter="`+strconv.FormatInt(id, 10)+`"`) {
		t.Fatalf("GET /letters: %d %.300s", status, body)
	}
	if status, body = g.do("counsellor", "GET", path, nil); status != http.StatusOK || !strings.Contains(body, "老师，我每天都很难过。") {
		t.Fatalf("GET %s: %d", path, status)
	}
	if status, _ = g.post("counsellor", path+"/take", nil); status != http.StatusOK {
		t.Errorf("take: %d", status)
	}
	if status, _ = g.post("counsellor", path+"/reply", url.Values{"text": {"  "}}); status != http.StatusUnprocessableEntity {
		t.Errorf("empty reply: %d", status)
	}
	const answer = "谢谢你告诉我们。难过的时候可以随时打热线。"
	if status, body = g.post("counsellor", path+"/reply", url.Values{"text": {answer}}); status != http.StatusOK || !strings.Contains(body, answer) {
		t.Fatalf("reply: %d %.300s", status, body)
	}

	// The reply is readable with the letter's code, not with the other one.
	if status, body = g.post("", "/letter/read", url.Values{"code": {code}}); status != http.StatusOK || !strings.Contains(body, answer) {
		t.Errorf("read after reply: %d", status)
	}
	if status, body = g.post("", "/letter/read", url.Values{"code": {other}}); status != http.StatusOK || strings.Contains(body, answer) ||
		!strings.Contains(body, "第二封信") {
		t.Errorf("the other code: %d, shows the reply: %v", status, strings.Contains(body, answer))
	}

	// A counsellor of another station: an empty list, the letter not found,
	// and nothing written by trying.
	if status, body = g.do("stranger", "GET", "/letters", nil); status != http.StatusOK || strings.Contains(body, "data-letter=") {
		t.Errorf("stranger's list: %d", status)
	}
	for _, try := range []func() (int, string){
		func() (int, string) { return g.do("stranger", "GET", path, nil) },
		func() (int, string) { return g.post("stranger", path+"/take", nil) },
		func() (int, string) { return g.post("stranger", path+"/reply", url.Values{"text": {"x"}}) },
		func() (int, string) { return g.post("stranger", path+"/close", url.Values{"reason": {"spam"}}) },
	} {
		if status, body := try(); status != http.StatusNotFound || strings.Contains(body, "难过") {
			t.Errorf("stranger: %d", status)
		}
	}
	if n := g.count(`SELECT COUNT(*) FROM letter_replies`); n != 1 {
		t.Errorf("%d replies, want 1", n)
	}
	if status, _ = g.post("counsellor", path+"/close", url.Values{"reason": {"done"}}); status != http.StatusOK {
		t.Errorf("close: %d", status)
	}
	if status, body = g.do("counsellor", "GET", "/letters?closed=1", nil); !strings.Contains(body, `data-letter="`+strconv.FormatInt(id, 10)+`"`) {
		t.Errorf("closed list: %d", status)
	}
}

func TestLetterWrongCodesAreLimited(t *testing.T) {
	g := newLetterRig(t)
	code := g.write("我的信")
	// Right codes do not use up attempts.
	for i := 0; i < 8; i++ {
		if status, _ := g.post("", "/letter/read", url.Values{"code": {code}}); status != http.StatusOK {
			t.Fatalf("right code, read %d: %d", i+1, status)
		}
	}
	wrong := "ABCD-EFGH-JKMN"
	if wrong == code {
		wrong = "NMKJ-HGFE-DCBA"
	}
	for i := 0; i < 5; i++ {
		if status, body := g.post("", "/letter/read", url.Values{"code": {wrong}}); status != http.StatusNotFound || strings.Contains(body, "我的信") {
			t.Fatalf("wrong code %d: %d", i+1, status)
		}
	}
	// The address is out of attempts: even the right code waits.
	status, body := g.post("", "/letter/read", url.Values{"code": {code}})
	if status != http.StatusTooManyRequests || strings.Contains(body, "我的信") {
		t.Errorf("after 5 wrong codes: %d, want 429 without the letter", status)
	}
}

func gbkMail(t *testing.T, msgID string) []byte {
	t.Helper()
	text, err := simplifiedchinese.GBK.NewEncoder().Bytes([]byte("老师好，我不敢跟家里说。"))
	if err != nil {
		t.Fatal(err)
	}
	var qp bytes.Buffer
	w := quotedprintable.NewWriter(&qp)
	_, _ = w.Write(text)
	_ = w.Close()
	subj, _ := simplifiedchinese.GBK.NewEncoder().Bytes([]byte("求助"))
	head := "From: kid@example.cn\r\nSubject: =?GBK?B?" + base64.StdEncoding.EncodeToString(subj) + "?=\r\nMessage-ID: " + msgID +
		"\r\nContent-Type: text/plain; charset=GBK\r\nContent-Transfer-Encoding: quoted-printable\r\n\r\n"
	return append([]byte(head), qp.Bytes()...)
}

func TestLetterMailIntake(t *testing.T) {
	g := newLetterRig(t)
	ctx := context.Background()
	token, err := g.ppl.CreateToken(ctx, g.counsellor, "mail gateway", []access.Permission{access.HotlineContact}, 30*24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	readOnly, err := g.ppl.CreateToken(ctx, g.counsellor, "read only", []access.Permission{access.OrgRead}, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	post := func(path, tok string, raw []byte) (int, map[string]any) {
		t.Helper()
		var h []string
		if tok != "" {
			h = []string{"Authorization", "Bearer " + tok}
		}
		status, body := g.do("", "POST", path, bytes.NewReader(raw), append(h, "Content-Type", "message/rfc822")...)
		out := map[string]any{}
		if err := json.Unmarshal([]byte(body), &out); err != nil {
			t.Fatalf("%s: %d, not JSON: %.200s", path, status, body)
		}
		return status, out
	}
	mail := gbkMail(t, "<w1@example.cn>")
	if status, _ := post("/letters/inbound", "", mail); status != http.StatusUnauthorized {
		t.Errorf("no token: %d", status)
	}
	if status, _ := post("/letters/inbound", "clt_wrong", mail); status != http.StatusUnauthorized {
		t.Errorf("wrong token: %d", status)
	}
	if status, _ := post("/letters/inbound", readOnly, mail); status != http.StatusForbidden {
		t.Errorf("token without hotline.contact: %d", status)
	}
	if status, _ := post("/letters/inbound?station="+strconv.FormatInt(g.other.ID, 10), token, mail); status != http.StatusNotFound {
		t.Errorf("another station: %d", status)
	}
	if n := g.count(`SELECT COUNT(*) FROM letters`); n != 0 {
		t.Fatalf("%d letters stored by refused requests", n)
	}
	status, out := post("/letters/inbound", token, mail)
	if status != http.StatusCreated || out["letter"] == nil {
		t.Fatalf("intake: %d %v", status, out)
	}
	if status, again := post("/letters/inbound?station="+strconv.FormatInt(g.b1.ID, 10), token, mail); status != http.StatusOK ||
		again["duplicate"] != true || again["letter"] != out["letter"] {
		t.Errorf("redelivery: %d %v", status, again)
	}
	status, bad := post("/letters/inbound", token, []byte("From: kid@example.cn\r\nContent-Type: text/plain; charset=x-unknown\r\n\r\nhi"))
	if status != http.StatusUnprocessableEntity || bad["error"] != "letter.mail_malformed" || bad["problem"] != "letter.mail_charset" {
		t.Errorf("malformed: %d %v", status, bad)
	}
	if status, _ := post("/letters/inbound", token, bytes.Repeat([]byte("x"), maxInboundMail+1)); status != http.StatusRequestEntityTooLarge {
		t.Errorf("oversized: %d", status)
	}
	if n := g.count(`SELECT COUNT(*) FROM letters`); n != 1 {
		t.Errorf("%d letters, want 1", n)
	}
	id := int64(out["letter"].(float64))
	status, body := g.do("counsellor", "GET", "/letters/"+strconv.FormatInt(id, 10), nil)
	if status != http.StatusOK || !strings.Contains(body, "老师好，我不敢跟家里说。") || !strings.Contains(body, "求助") || strings.Contains(body, "kid@example.cn") {
		t.Errorf("the e-mail letter's page: %d (the address must not show)", status)
	}
}
