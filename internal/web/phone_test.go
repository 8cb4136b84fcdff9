package web_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/hotline"
	"github.com/careloop/careloop/internal/hotline/phone"
	"github.com/careloop/careloop/internal/jobs"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/people"
	"github.com/careloop/careloop/internal/testutil"
	"github.com/careloop/careloop/internal/web"
)

// phoneSite is the interface with a wired phone service (the app's wiring
// is not needed): a station with its PBX account, two counsellors and a
// supervisor, and another station with its own PBX and counsellor.
type phoneSite struct {
	t                        *testing.T
	url                      string
	d                        *db.DB
	station, other           int64
	a, b                     int64
	pbx, pbxOther            string // API tokens
	counsellorToken, tokenWO string
}

func newPhoneSite(t *testing.T) *phoneSite {
	t.Helper()
	ctx := context.Background()
	d := testutil.DB(t)
	if err := jobs.Migrate(ctx, d); err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(d, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	log, err := audit.New("sha256", nil)
	if err != nil {
		t.Fatal(err)
	}
	keys := testutil.Keyring(t)
	pepper, err := keys.Derive("contact identifiers")
	if err != nil {
		t.Fatal(err)
	}
	orgs := &org.Service{DB: d, Audit: log}
	ppl := &people.Service{DB: d, Audit: log, Seal: keys, IdleTimeout: time.Hour, MaxSession: 12 * time.Hour}
	hot := &hotline.Service{DB: d, Audit: log, Seal: keys, Pepper: pepper}
	ph := &phone.Service{DB: d, Audit: log, Seal: keys, Hotline: hot, Jobs: q, Dir: t.TempDir()}
	jobs.Handle(q, &phone.ExpiryWorker{S: ph})

	city, err := orgs.CreateRoot(ctx, "江海市", "Jianghai")
	if err != nil {
		t.Fatal(err)
	}
	admin := access.Principal{UserID: 900001, Memberships: []access.Membership{{OrgID: city.ID, OrgPath: city.Path, Role: access.SysAdmin}}}
	unit := func(name string) *org.Unit {
		u, err := orgs.CreateUnit(ctx, admin, org.NewUnit{Kind: org.HotlineStation, Name: name, ParentID: city.ID})
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	st, ot := unit("陶老师工作站"), unit("另一热线")
	user := func(name, role string, at *org.Unit) access.Principal {
		id, _, err := ppl.Bootstrap(ctx, people.NewUser{Username: name, DisplayName: name}, demoPassword, at.ID, role)
		if err != nil {
			t.Fatal(err)
		}
		return access.Principal{UserID: id, Username: name, Memberships: []access.Membership{{OrgID: at.ID, OrgPath: at.Path, Role: role}}}
	}
	token := func(p access.Principal, perms ...access.Permission) string {
		secret, err := ppl.CreateToken(ctx, p, "pbx", perms, 30*24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		return secret
	}
	pbx, pbxOther := user("pbx-main", access.TelephonyGateway, st), user("pbx-other", access.TelephonyGateway, ot)
	a, b := user("counsellor-a", access.HotlineCounsellor, st), user("counsellor-b", access.HotlineCounsellor, st)
	user("supervisor-s", access.HotlineSupervisor, st)
	site := &phoneSite{t: t, d: d, station: st.ID, other: ot.ID, a: a.UserID, b: b.UserID,
		pbx: token(pbx, access.HotlineTelephony), pbxOther: token(pbxOther, access.HotlineTelephony),
		tokenWO: token(pbx, access.TokenOwn), counsellorToken: token(a, access.HotlineContact)}

	srv := &web.Server{Org: orgs, People: ppl, Hotline: hot, Phone: ph, Audit: log, DB: d,
		Log: slog.New(slog.NewTextHandler(io.Discard, nil))}
	h, err := srv.Handler()
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(h)
	t.Cleanup(ts.Close)
	site.url = ts.URL
	return site
}

// send posts body to path as the PBX with token ("" : no Authorization).
func (s *phoneSite) send(token, path, contentType string, body []byte) (int, map[string]any) {
	s.t.Helper()
	req, err := http.NewRequest("POST", s.url+path, bytes.NewReader(body))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", contentType)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer resp.Body.Close()
	out := map[string]any{}
	if err := json.NewDecoder(resp.Body).Decode(&out); err != nil {
		s.t.Fatalf("POST %s: %d, not JSON: %v", path, resp.StatusCode, err)
	}
	if resp.StatusCode == http.StatusUnauthorized && resp.Header.Get("WWW-Authenticate") == "" {
		s.t.Errorf("401 without WWW-Authenticate")
	}
	return resp.StatusCode, out
}

func (s *phoneSite) event(token string, ev map[string]any) (int, map[string]any) {
	s.t.Helper()
	b, err := json.Marshal(ev)
	if err != nil {
		s.t.Fatal(err)
	}
	return s.send(token, "/phone/events", "application/json", b)
}

func (s *phoneSite) num(q string, args ...any) int64 {
	s.t.Helper()
	var n int64
	if err := s.d.Read(context.Background(), func(ctx context.Context, tx *db.Tx) error { return tx.QueryRow(ctx, q, args...).Scan(&n) }); err != nil {
		s.t.Fatal(err)
	}
	return n
}

func errKey(out map[string]any) string {
	e, _ := out["error"].(map[string]any)
	k, _ := e["key"].(string)
	return k
}

// Only a bearer token of an account holding hotline.telephony reports
// calls: no token, a bad one, a counsellor's token, the PBX account's
// token without the permission and a browser session are all refused.
func TestPhoneGatewayNeedsTelephonyToken(t *testing.T) {
	s := newPhoneSite(t)
	offer := map[string]any{"event": "offered", "call_ref": "c-1", "station_id": s.station}
	for name, tc := range map[string]struct {
		token  string
		status int
	}{
		"no token":                        {"", http.StatusUnauthorized},
		"an unknown token":                {"clt_nothing", http.StatusUnauthorized},
		"a counsellor's token":            {s.counsellorToken, http.StatusForbidden},
		"the PBX's token for tokens only": {s.tokenWO, http.StatusForbidden},
	} {
		if status, out := s.event(tc.token, offer); status != tc.status || errKey(out) == "" {
			t.Errorf("%s: %d %v, want %d", name, status, out, tc.status)
		}
		if status, _ := s.send(tc.token, "/phone/calls/c-1/recordings", "audio/wav", []byte("RIFF")); status != tc.status {
			t.Errorf("%s uploading: %d, want %d", name, status, tc.status)
		}
	}
	c := newClient(t, s.url)
	c.signInFully("counsellor-a")
	b, _ := json.Marshal(offer)
	if resp, _ := c.do("POST", "/phone/events", bytes.NewReader(b), "Content-Type", "application/json"); resp.StatusCode != http.StatusUnauthorized {
		t.Errorf("a signed-in counsellor's browser: %d, want 401", resp.StatusCode)
	}
	if n := s.num(`SELECT COUNT(*) FROM phone_calls`); n != 0 {
		t.Errorf("%d calls recorded by refused requests", n)
	}
}

// The PBX's events over HTTP: bad JSON and bad events are 4xx with a key
// and change nothing; a call rings on the counsellor's panel with its
// screen-pop, the answer opens the draft, a repeat is a duplicate.
func TestPhoneEventsOverHTTP(t *testing.T) {
	s := newPhoneSite(t)
	for name, body := range map[string]string{"not JSON": "{", "an unknown field": `{"event":"offered","number":"1"}`,
		"two objects": `{"event":"offered"} {}`, "a bad time": `{"event":"ended","call_ref":"x","at":"yesterday"}`} {
		if status, out := s.send(s.pbx, "/phone/events", "application/json", []byte(body)); status != http.StatusBadRequest || errKey(out) != "phone.bad_json" {
			t.Errorf("%s: %d %v", name, status, out)
		}
	}
	if status, out := s.event(s.pbx, map[string]any{"event": "offered", "call_ref": "c 1", "station_id": s.station}); status != http.StatusUnprocessableEntity ||
		!strings.Contains(strings.ToLower(jsonText(out)), "call_ref") {
		t.Errorf("a bad reference: %d %v", status, out)
	}
	if status, _ := s.event(s.pbx, map[string]any{"event": "ended", "call_ref": "never"}); status != http.StatusNotFound {
		t.Errorf("an unknown call: %d", status)
	}
	if n := s.num(`SELECT COUNT(*) FROM phone_calls`); n != 0 {
		t.Fatalf("%d calls after refused events", n)
	}

	status, out := s.event(s.pbx, map[string]any{"event": "offered", "call_ref": "c-1", "station_id": s.station, "seq": 1, "caller": "13800138000"})
	if status != http.StatusOK || out["result"] != "applied" || out["state"] != "offered" {
		t.Fatalf("offered: %d %v", status, out)
	}
	if status, _ := s.event(s.pbxOther, map[string]any{"event": "ended", "call_ref": "c-1"}); status != http.StatusNotFound {
		t.Errorf("another station's PBX ends the call: %d", status)
	}
	callID := int64(out["call_id"].(float64))
	a := newClient(t, s.url)
	a.signInFully("counsellor-a")
	resp, body := a.get("/phone/ringing")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-call="`+strconv.FormatInt(callID, 10)+`"`) ||
		!strings.Contains(body, text(t, "zh-CN", "phone.ringing_now")) || strings.Contains(body, "<html") {
		t.Fatalf("the ringing panel: %d %.500s", resp.StatusCode, body)
	}
	status, out = s.event(s.pbx, map[string]any{"event": "answered", "call_ref": "c-1", "seq": 2, "user_id": s.a})
	if status != http.StatusOK || out["contact_id"].(float64) == 0 {
		t.Fatalf("answered: %d %v", status, out)
	}
	contact := strconv.FormatInt(int64(out["contact_id"].(float64)), 10)
	if _, body := a.get("/phone/ringing"); !strings.Contains(body, `href="/contacts/`+contact+`"`) {
		t.Errorf("the answering counsellor has no link to the draft: %.500s", body)
	}
	if resp, body := a.get("/contacts/" + contact); resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="contact-form"`) {
		t.Errorf("the draft does not open: %d", resp.StatusCode)
	}
	if status, out := s.event(s.pbx, map[string]any{"event": "answered", "call_ref": "c-1", "seq": 2, "user_id": s.a}); status != http.StatusOK || out["result"] != "duplicate" {
		t.Errorf("answered again: %d %v", status, out)
	}
	if status, out := s.event(s.pbx, map[string]any{"event": "ended", "call_ref": "c-1", "seq": 3, "reason": "agent_hangup"}); status != http.StatusOK || out["state"] != "ended" {
		t.Errorf("ended: %d %v", status, out)
	}
	resp, body = a.get("/phone")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `data-call="`+strconv.FormatInt(callID, 10)+`" data-state="ended"`) ||
		strings.Contains(body, "13800138000") {
		t.Errorf("the phone page: %d %.800s", resp.StatusCode, body)
	}
}

// A recording is uploaded once, plays to the counsellor and the supervisor
// (each playback audited) and is not found by a colleague.
func TestPhoneRecordingOverHTTP(t *testing.T) {
	s := newPhoneSite(t)
	s.event(s.pbx, map[string]any{"event": "offered", "call_ref": "r-1", "station_id": s.station})
	s.event(s.pbx, map[string]any{"event": "answered", "call_ref": "r-1", "user_id": s.a})
	audio := make([]byte, 300<<10)
	if _, err := rand.Read(audio); err != nil {
		t.Fatal(err)
	}
	if status, out := s.send(s.pbx, "/phone/calls/r-1/recordings", "text/plain", audio); status != http.StatusUnprocessableEntity {
		t.Errorf("not audio: %d %v", status, out)
	}
	status, out := s.send(s.pbx, "/phone/calls/r-1/recordings", "audio/mpeg", audio)
	if status != http.StatusCreated || out["duplicate"] != false {
		t.Fatalf("upload: %d %v", status, out)
	}
	id := strconv.FormatInt(int64(out["recording_id"].(float64)), 10)
	if status, out := s.send(s.pbx, "/phone/calls/r-1/recordings", "audio/mpeg", audio); status != http.StatusOK || out["duplicate"] != true {
		t.Errorf("upload again: %d %v", status, out)
	}
	if status, _ := s.send(s.pbxOther, "/phone/calls/r-1/recordings?recording=2", "audio/mpeg", audio); status != http.StatusNotFound {
		t.Errorf("another station's PBX uploads: %d", status)
	}
	for _, name := range []string{"counsellor-a", "supervisor-s"} {
		c := newClient(t, s.url)
		c.signInFully(name)
		resp, body := c.get("/phone/recordings/" + id)
		if resp.StatusCode != http.StatusOK || body != string(audio) || resp.Header.Get("Content-Type") != "audio/mpeg" {
			t.Errorf("%s plays: %d, %d bytes, %s", name, resp.StatusCode, len(body), resp.Header.Get("Content-Type"))
		}
		if _, page := c.get("/phone"); !strings.Contains(page, `src="/phone/recordings/`+id+`"`) {
			t.Errorf("%s has no player on the phone page", name)
		}
	}
	b := newClient(t, s.url)
	b.signInFully("counsellor-b")
	if resp, _ := b.get("/phone/recordings/" + id); resp.StatusCode != http.StatusNotFound {
		t.Errorf("a colleague plays it: %d", resp.StatusCode)
	}
	if _, page := b.get("/phone"); strings.Contains(page, `src="/phone/recordings/`+id+`"`) {
		t.Error("a colleague is offered a player")
	}
	if resp, _ := newClient(t, s.url).get("/phone/recordings/" + id); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("anonymous: %d, want a redirect to sign in", resp.StatusCode)
	}
	if n := s.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'phone.recording_play'`); n != 2 {
		t.Errorf("%d playbacks audited, want 2", n)
	}
}

func jsonText(v any) string {
	b, _ := json.Marshal(v)
	return string(b)
}
