package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/apptest"
)

var (
	familyPhoneRe = regexp.MustCompile(`sign in with the phone (1\d{10}) \(guardian of`)
	childLinkRe   = regexp.MustCompile(`href="/family/children/(\d+)"`)
)

// familySignIn signs the demo guardian in on c and returns their phone.
func familySignIn(t *testing.T, srv *apptest.Instance, c *client) string {
	t.Helper()
	m := familyPhoneRe.FindStringSubmatch(srv.Stdout())
	if m == nil {
		t.Fatalf("no demo guardian on stdout")
	}
	phone := m[1]
	from := len(srv.Stdout())
	if resp, body := c.post("/family/code", url.Values{"phone": {phone}}); resp.StatusCode != 200 || !strings.Contains(body, `id="code-form"`) {
		t.Fatalf("/family/code: %d", resp.StatusCode)
	}
	re := regexp.MustCompile(regexp.QuoteMeta(phone[:3]+"****"+phone[7:]) + ` \(demo, not sent\): \D*(\d{6})`)
	var code string
	for deadline := time.Now().Add(5 * time.Second); code == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := re.FindStringSubmatch(srv.Stdout()[from:]); m != nil {
			code = m[1]
		}
	}
	resp, _ := c.post("/family/signin", url.Values{"phone": {phone}, "code": {code}})
	if resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/family/home" {
		t.Fatalf("/family/signin with the code: %d %s", resp.StatusCode, resp.Header.Get("Location"))
	}
	return phone
}

// TestFamilyHandlersIsolation: every portal handler given another family's
// child (or booking, or an article that does not reach them) answers 404;
// without a guardian session every page goes back to the sign-in; a staff
// session is no guardian session.
func TestFamilyHandlersIsolation(t *testing.T) {
	srv := start(t)
	c := newClient(t, srv.URL)
	familySignIn(t, srv, c)
	_, home := c.get("/family/home")
	m := childLinkRe.FindStringSubmatch(home)
	if m == nil {
		t.Fatalf("home lists no child:\n%s", home)
	}
	own, _ := strconv.ParseInt(m[1], 10, 64)
	other := strconv.FormatInt(own+1, 10)
	if resp, _ := c.get("/family/children/" + m[1]); resp.StatusCode != 200 {
		t.Fatalf("own child: %d", resp.StatusCode)
	}
	type try struct {
		method, path string
		form         url.Values
	}
	tries := []try{
		{"GET", "/family/children/" + other, nil},
		{"POST", "/family/children/" + other + "/consent", url.Values{"campaign": {"1"}, "decision": {"withdrawn"}}},
		{"GET", "/family/children/" + other + "/concern", nil},
		{"POST", "/family/children/" + other + "/concern", url.Values{"signs": {"low_mood"}, "urgency": {"soon"}}},
		{"GET", "/family/children/" + other + "/book", nil},
		{"POST", "/family/children/" + other + "/book", url.Values{"slot": {"1"}}},
		{"POST", "/family/bookings/999999/cancel", nil},
		{"GET", "/family/articles/999999", nil},
	}
	for _, tr := range tries {
		var resp *http.Response
		if tr.method == "GET" {
			resp, _ = c.get(tr.path)
		} else {
			resp, _ = c.post(tr.path, tr.form)
		}
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("%s %s with another family's id: %d, want 404", tr.method, tr.path, resp.StatusCode)
		}
	}
	// No guardian session: pages go to the sign-in, acts are refused.
	staff := newClient(t, srv.URL)
	staff.signInFully("counsellor")
	for _, cl := range []*client{newClient(t, srv.URL), staff} {
		for _, p := range []string{"/family/home", "/family/children/" + m[1], "/family/bookings", "/family/articles"} {
			if resp, _ := cl.get(p); resp.StatusCode != http.StatusSeeOther || resp.Header.Get("Location") != "/family" {
				t.Errorf("GET %s without a guardian session: %d %s", p, resp.StatusCode, resp.Header.Get("Location"))
			}
		}
		if resp, _ := cl.post("/family/children/"+m[1]+"/consent", url.Values{"campaign": {"1"}, "decision": {"withdrawn"}}); resp.StatusCode != http.StatusUnauthorized {
			t.Errorf("consent without a guardian session: %d", resp.StatusCode)
		}
	}
	// Sign-out ends the session on the server.
	if resp, _ := c.post("/family/logout", nil); resp.StatusCode != 200 {
		t.Errorf("logout: %d", resp.StatusCode)
	}
	if resp, _ := c.get("/family/home"); resp.StatusCode != http.StatusSeeOther {
		t.Errorf("after sign-out: %d", resp.StatusCode)
	}
}

// TestFamilyCodeRequestsLimitedPerAddress: an address asking for many
// codes (for any numbers, known or not) is slowed down; the answer for an
// unknown number is the known one's.
func TestFamilyCodeRequestsLimitedPerAddress(t *testing.T) {
	srv := start(t)
	c := newClient(t, srv.URL)
	_, known := c.post("/family/code", url.Values{"phone": {familyPhoneRe.FindStringSubmatch(srv.Stdout())[1]}})
	_, unknown := c.post("/family/code", url.Values{"phone": {"13700000000"}})
	strip := regexp.MustCompile(`1\d\d\*{4}\d{4}|value="1\d{10}"`)
	if strip.ReplaceAllString(known, "") != strip.ReplaceAllString(unknown, "") {
		t.Error("the answers for a known and an unknown number differ")
	}
	limited := false
	for i := 0; i < 12; i++ {
		resp, _ := c.post("/family/code", url.Values{"phone": {"1370000" + strconv.Itoa(1000+i)}})
		if resp.StatusCode == http.StatusTooManyRequests {
			limited = true
			break
		}
	}
	if !limited {
		t.Error("14 code requests from one address were never limited")
	}
	if resp, _ := c.post("/family/code", url.Values{"phone": {"123"}}); resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("malformed number: %d", resp.StatusCode)
	}
}
