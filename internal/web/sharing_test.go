package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// sharingFind returns the first submatch of pattern in body, or fails.
func sharingFind(t *testing.T, body, pattern string) string {
	t.Helper()
	m := regexp.MustCompile(pattern).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no %s in\n%.3000s", pattern, body)
	}
	return m[1]
}

// The pages of lawful sharing in the demo: a district coordinator makes an
// agreement with the police, records a guardian's consents for a child
// under 14, presents the child's case at a joint meeting on that consent
// (a disclosure the record's page and the unit's log show), gives the
// police liaison an action item, who marks it done; after the consent is
// withdrawn the case can no longer be presented on it.
func TestSharingPagesFlow(t *testing.T) {
	inst := start(t)
	c := newClient(t, inst.URL)
	c.signInFully("xuanwu.coord")
	today := time.Now().In(time.FixedZone("CST", 8*3600))

	resp, body := c.get("/sharing")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /sharing: %d", resp.StatusCode)
	}
	from := sharingFind(t, body, `<select id="from_unit" name="from_unit"><option value="(\d+)"`)
	police := sharingFind(t, body, `<option value="(\d+)">市公安局 110 指挥中心`)
	resp, body = c.post("/sharing/agreements", url.Values{"from_unit": {from}, "to_unit": {police}, "data": {"identity", "risk"},
		"purpose": {"crisis"}, "legal_basis": {"legal_duty"}, "valid_from": {today.Format("2006-01-02")},
		"valid_to": {today.AddDate(1, 0, 0).Format("2006-01-02")}, "document_ref": {"玄教〔2026〕1号"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "玄教〔2026〕1号") || !strings.Contains(body, text(t, "zh-CN", "sharing.in_force")) {
		t.Fatalf("create agreement: %d\n%.2000s", resp.StatusCode, body)
	}

	_, body = c.get("/students?q=G32010100001")
	student := sharingFind(t, body, `<a href="/students/(\d+)">`)
	consents := "/students/" + student + "/consents"
	if resp, body := c.get(consents); resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="under-14"`) {
		t.Fatalf("consent page: %d", resp.StatusCode)
	}
	form := url.Values{"relation": {"mother"}, "given_by_name": {"王芳"}, "scope": {"share_meeting", "referral"},
		"given_at": {today.Format("2006-01-02")}, "method": {"paper"}, "text_version": {"2026-01"}}
	for _, kind := range []string{"guardian", "sensitive"} {
		form.Set("kind", kind)
		if resp, body := c.post(consents, form); resp.StatusCode != http.StatusOK || !strings.Contains(body, "王芳") {
			t.Fatalf("record %s consent: %d\n%.2000s", kind, resp.StatusCode, body)
		}
	}
	if resp, body := c.post(consents, url.Values{"kind": {"child"}, "relation": {"self"}, "scope": {"referral"}, "given_at": {today.Format("2006-01-02")},
		"method": {"paper"}, "text_version": {"2026-01"}}); resp.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, text(t, "zh-CN", "sharing.child_under_14")) {
		t.Errorf("a 10-year-old's own consent: %d", resp.StatusCode)
	}

	// A joint meeting with the police.
	resp, body = c.get("/meetings")
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET /meetings: %d", resp.StatusCode)
	}
	conv := sharingFind(t, body, `<select id="convening_unit" name="convening_unit"><option value="(\d+)"`)
	resp, _ = c.post("/meetings", url.Values{"title": {"玄武区联席会议"}, "held_at": {today.Format("2006-01-02")}, "convening_unit": {conv},
		"members": {police}})
	meeting := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(meeting, "/meetings/") {
		t.Fatalf("create meeting: %d %q", resp.StatusCode, meeting)
	}
	item := url.Values{"body": {"个案通报"}, "student_no": {"G32010100001"}, "basis": {"consent"}}
	if resp, body := c.post(meeting+"/items", item); resp.StatusCode != http.StatusOK || !strings.Contains(body, "G32010100001") {
		t.Fatalf("present a case: %d\n%.2000s", resp.StatusCode, body)
	}
	if _, body := c.get("/students/" + student + "/disclosures"); !strings.Contains(body, "市公安局 110 指挥中心") ||
		!strings.Contains(body, text(t, "zh-CN", "sharing.purpose.meeting")) {
		t.Error("the record's disclosures do not show the meeting")
	}
	if _, body := c.get("/sharing/disclosures"); strings.Count(body, `class="disclosure"`) != 1 {
		t.Error("the unit's disclosure log does not show the one disclosure")
	}
	_, body = c.get(meeting)
	owner := sharingFind(t, body, `<option value="(\d+:\d+)">何警官`)
	if resp, body := c.post(meeting+"/actions", url.Values{"body": {"指定学校联络警官"}, "owner": {owner},
		"due": {today.AddDate(0, 0, 7).Format("2006-01-02")}}); resp.StatusCode != http.StatusOK || !strings.Contains(body, "指定学校联络警官") {
		t.Fatalf("add action: %d", resp.StatusCode)
	}

	p := newClient(t, inst.URL)
	p.signInFully("police")
	_, body = p.get("/meetings/actions")
	action := sharingFind(t, body, `<li class="action" data-id="(\d+)">指定学校联络警官`)
	if resp, body := p.post("/meetings/actions/"+action+"/done", url.Values{"note": {"已指定"}}); resp.StatusCode != http.StatusOK ||
		!strings.Contains(body, text(t, "zh-CN", "meeting.action_done")) {
		t.Errorf("police marks the action done: %d", resp.StatusCode)
	}
	if resp, _ := p.get(meeting); resp.StatusCode != http.StatusForbidden {
		t.Errorf("police opens the meeting: %d", resp.StatusCode)
	}

	// Withdrawal takes effect at once.
	_, body = c.get(consents)
	for _, id := range regexp.MustCompile(`/consents/(\d+)/withdraw`).FindAllStringSubmatch(body, -1) {
		if resp, _ := c.post(consents+"/"+id[1]+"/withdraw", url.Values{"withdrawn_by": {"mother"}}); resp.StatusCode != http.StatusOK {
			t.Fatalf("withdraw: %d", resp.StatusCode)
		}
	}
	if resp, body := c.post(meeting+"/items", item); resp.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, text(t, "zh-CN", "meeting.no_consent")) {
		t.Errorf("presenting after withdrawal: %d", resp.StatusCode)
	}
}
