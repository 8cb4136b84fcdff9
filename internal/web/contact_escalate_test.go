package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var contactPath = regexp.MustCompile(`^/contacts/(\d+)$`)

// From a contact page: escalating to a crisis notifies the supervisor on
// duty (whose inbox links the contact); raising an alert needs a linked
// student; a hotline counsellor cannot link a student they may not write to.
func TestContactEscalation(t *testing.T) {
	inst := start(t)
	c := newClient(t, inst.URL)
	c.signInFully("hotline")
	_, page := c.get("/contacts")
	station := regexp.MustCompile(`<option value="(\d+)"`).FindStringSubmatch(page)
	if station == nil {
		t.Fatalf("no station to start a contact at:\n%.1500s", page)
	}
	resp, _ := c.post("/contacts", url.Values{"station": {station[1]}, "channel": {"phone"}})
	m := contactPath.FindStringSubmatch(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || m == nil {
		t.Fatalf("start contact: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := c.post(m[0]+"/crisis", nil)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "已升级为危机干预，已通知 1 位督导") {
		t.Fatalf("escalate: %d\n%.1500s", resp.StatusCode, body)
	}
	if resp, _ := c.post(m[0]+"/alert", nil); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("alert without a linked student: %d", resp.StatusCode)
	}
	if resp, _ := c.post(m[0]+"/link", url.Values{"student_no": {"no-such-number"}}); resp.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("link to an unknown number: %d", resp.StatusCode)
	}
	sup := newClient(t, inst.URL)
	sup.signInFully("supervisor")
	if _, inbox := sup.get("/notifications"); !strings.Contains(inbox, `href="`+m[0]+`"`) {
		t.Errorf("the supervisor's inbox does not link the escalated contact")
	}
}
