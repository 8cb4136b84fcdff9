package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

var grantPath = regexp.MustCompile(`^/emergency/(\d+)$`)

// Break the glass in the demo: the hotline counsellor, who reads no
// records, opens one child's record by student number for a stated
// reason; the page shows that one record and nothing else opens; the
// station's supervisor and the school's leader may review it, others may
// not; the emergency exception puts a task on the school counsellor's
// work list; after the end the page is refused.
func TestEmergencyAccessFlow(t *testing.T) {
	inst := start(t)
	h := newClient(t, inst.URL)
	h.signInFully("hotline")
	if resp, body := h.get("/emergency"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="emergency-form"`) {
		t.Fatalf("GET /emergency: %d", resp.StatusCode)
	}
	// A reason too short and an unknown number are refused with the form.
	if resp, body := h.post("/emergency", url.Values{"student_no": {"NO-SUCH"}, "reason": {"a child at risk right now"}}); resp.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, text(t, "zh-CN", "emergency.unknown_student")) {
		t.Errorf("unknown student: %d", resp.StatusCode)
	}
	const reason = "来电儿童称正在天台，需要监护人电话"
	resp, _ := h.post("/emergency", url.Values{"student_no": {"G32010100001"}, "reason": {reason}, "life_exception": {"1"}})
	m := grantPath.FindStringSubmatch(resp.Header.Get("Location"))
	if resp.StatusCode != http.StatusSeeOther || m == nil {
		t.Fatalf("break the glass: %d %q", resp.StatusCode, resp.Header.Get("Location"))
	}
	resp, body := h.get(m[0])
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "G32010100001") || !strings.Contains(body, `href="tel:139`) ||
		!strings.Contains(body, `id="emergency-banner"`) {
		t.Fatalf("emergency record: %d\n%.2000s", resp.StatusCode, body)
	}
	// The grant widens nothing: the student list and records stay closed.
	if resp, _ := h.get("/students"); resp.StatusCode != http.StatusForbidden {
		t.Errorf("hotline counsellor GET /students: %d", resp.StatusCode)
	}

	// Reviewers: the station's supervisor and the school's leader.
	for _, who := range []string{"supervisor", "leader"} {
		c := newClient(t, inst.URL)
		c.signInFully(who)
		resp, body := c.get(m[0] + "/review")
		if resp.StatusCode != http.StatusOK || !strings.Contains(body, reason) {
			t.Errorf("%s reviews: %d", who, resp.StatusCode)
		}
		if who == "supervisor" {
			if resp, _ := c.get(m[0]); resp.StatusCode != http.StatusNotFound {
				t.Errorf("the supervisor reads through the counsellor's grant: %d", resp.StatusCode)
			}
		}
	}
	// A coordinator who was not alerted (the school's district: not the
	// grant holder's chain) may not review it. (Five sign-ins at most: the
	// sign-in rate limit allows ten attempts from one address.)
	other := newClient(t, inst.URL)
	other.signInFully("xuanwu.coord")
	if resp, _ := other.get(m[0] + "/review"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("an unalerted coordinator reviews: %d", resp.StatusCode)
	}

	// The emergency exception: a task on the school counsellor's work list.
	sc := newClient(t, inst.URL)
	sc.signInFully("counsellor")
	if _, body := sc.get("/work"); !strings.Contains(body, `data-kind="task"`) {
		t.Error("no task to inform the family on the school counsellor's work list")
	}
	// The record's owner sees the disclosure to the hotline branch.
	_, body = sc.get("/students?q=G32010100001")
	student := sharingFind(t, body, `<a href="/students/(\d+)">`)
	if _, body := sc.get("/students/" + student + "/disclosures"); !strings.Contains(body, "玄武分站") ||
		!strings.Contains(body, text(t, "zh-CN", "sharing.disclosure_basis.emergency")) {
		t.Error("the school counsellor does not see the emergency disclosure")
	}

	// The end: the page is refused from then on; the list says ended.
	if resp, _ := h.post(m[0]+"/end", nil); resp.StatusCode != http.StatusOK {
		t.Errorf("end: %d", resp.StatusCode)
	}
	if resp, body := h.get(m[0]); resp.StatusCode != http.StatusGone || !strings.Contains(body, text(t, "zh-CN", "emergency.ended")) {
		t.Errorf("after the end: %d", resp.StatusCode)
	}
	if _, body := h.get("/emergency"); !strings.Contains(body, text(t, "zh-CN", "emergency.end_kind.ended")) {
		t.Error("the list does not show the grant ended")
	}
}
