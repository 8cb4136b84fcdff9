package web_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
	"time"
)

// upload posts one file as multipart/form-data.
func (c *client) upload(path, field, name string, body []byte) (*http.Response, string) {
	c.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	fw, err := mw.CreateFormFile(field, name)
	if err != nil {
		c.t.Fatal(err)
	}
	_, _ = fw.Write(body)
	_ = mw.Close()
	return c.do("POST", path, &buf, "Content-Type", mw.FormDataContentType())
}

// Outreach pages in the demo: a community worker sees her station's
// parent lectures with totals, a bad form comes back with her input, she
// records an activity and uploads a photo (a text file is refused), and
// downloads it as an attachment; a counsellor of another unit gets 404,
// a head teacher 403; the district coordinator sees the calendar, the
// venues and the youth-care room rating, publishes it, and the scores
// are frozen.
func TestOutreachPages(t *testing.T) {
	inst := start(t)
	cw := newClient(t, inst.URL)
	cw.signInFully("community")

	resp, body := cw.get("/outreach")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "栀子花讲堂：读懂青春期的孩子") ||
		!strings.Contains(body, `id="total-activities">2<`) || !strings.Contains(body, `id="total-person-times">76<`) {
		t.Fatalf("GET /outreach: %d\n%.3000s", resp.StatusCode, body)
	}
	if strings.Contains(body, "心理健康宣传月启动仪式") {
		t.Error("the community worker sees the district's event")
	}
	_, body = cw.get("/outreach/new")
	unit := sharingFind(t, body, `<select id="unit" name="unit"><option value="(\d+)"`)
	bad := url.Values{"unit": {unit}, "kind": {"parent_class"}, "title": {""}, "starts_at": {"2026-11-20T19:00"}, "place": {"梅园社区活动室 B"},
		"attendance": {"-5"}, "series": {"栀子花讲堂"}}
	resp, body = cw.post("/outreach", bad)
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `value="梅园社区活动室 B"`) ||
		!strings.Contains(body, text(t, "zh-CN", "outreach.title_required")) || !strings.Contains(body, text(t, "zh-CN", "outreach.audience_required")) ||
		!strings.Contains(body, text(t, "zh-CN", "outreach.bad_attendance")) {
		t.Fatalf("a bad form: %d\n%.3000s", resp.StatusCode, body)
	}
	good := bad
	good.Set("title", "栀子花讲堂：亲子沟通")
	good.Set("attendance", "58")
	good["audiences"] = []string{"parents", "students"}
	resp, _ = cw.post("/outreach", good)
	loc := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(loc, "/outreach/") {
		t.Fatalf("record an activity: %d %q", resp.StatusCode, loc)
	}
	page := strings.TrimSuffix(loc, "?saved=1")
	if resp, body := cw.get(loc); resp.StatusCode != http.StatusOK || !strings.Contains(body, text(t, "zh-CN", "outreach.saved")) ||
		!strings.Contains(body, `id="attendance">58<`) {
		t.Fatalf("the activity: %d", resp.StatusCode)
	}

	if resp, body := cw.get(page + "/edit"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `value="栀子花讲堂：亲子沟通"`) ||
		!strings.Contains(body, `value="students" checked`) {
		t.Errorf("the edit form: %d", resp.StatusCode)
	}

	// Attachments: an image is kept, a text file is refused.
	photo := append([]byte{0xFF, 0xD8, 0xFF, 0xE0, 0, 16, 'J', 'F', 'I', 'F', 0}, []byte("合影像素")...)
	resp, body = cw.upload(page+"/attachments", "file", "合影.jpg", photo)
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "合影.jpg") {
		t.Fatalf("upload a photo: %d\n%.2000s", resp.StatusCode, body)
	}
	if resp, body := cw.upload(page+"/attachments", "file", "fake.jpg", []byte("<html>not a picture</html>")); resp.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, text(t, "zh-CN", "outreach.file_type")) {
		t.Errorf("upload a text file: %d", resp.StatusCode)
	}
	att := sharingFind(t, body, `href="(`+regexp.QuoteMeta(page)+`/attachments/\d+)"`)
	resp, got := cw.get(att)
	if resp.StatusCode != http.StatusOK || got != string(photo) || resp.Header.Get("Content-Type") != "image/jpeg" ||
		resp.Header.Get("X-Content-Type-Options") != "nosniff" || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment;") {
		t.Errorf("download: %d %q %q %q", resp.StatusCode, resp.Header.Get("Content-Type"), resp.Header.Get("Content-Disposition"), resp.Header.Get("X-Content-Type-Options"))
	}

	// Out of scope: 404; without the permission: 403.
	other := newClient(t, inst.URL)
	other.signInFully("counsellor")
	for _, p := range []string{page, att, page + "/edit"} {
		if resp, _ := other.get(p); resp.StatusCode != http.StatusNotFound {
			t.Errorf("another unit's counsellor GET %s: %d", p, resp.StatusCode)
		}
	}
	if resp, _ := other.upload(page+"/attachments", "file", "x.jpg", photo); resp.StatusCode != http.StatusNotFound {
		t.Errorf("another unit's counsellor uploads: %d", resp.StatusCode)
	}
	ht := newClient(t, inst.URL)
	ht.signInFully("headteacher")
	for _, p := range []string{"/outreach", "/outreach/calendar", page, att, "/venues", "/venues/ratings"} {
		if resp, _ := ht.get(p); resp.StatusCode != http.StatusForbidden {
			t.Errorf("a head teacher GET %s: %d", p, resp.StatusCode)
		}
	}

	// The district coordinator: calendar, venues, the rating.
	co := newClient(t, inst.URL)
	co.signInFully("xuanwu.coord")
	month := time.Now().In(time.FixedZone("CST", 8*3600)).Format("2006-01")
	if resp, body := co.get("/outreach/calendar?month=" + month); resp.StatusCode != http.StatusOK || !strings.Contains(body, "心理健康宣传月启动仪式") ||
		!strings.Contains(body, `id="month-grid"`) || !strings.Contains(body, `id="day-list"`) {
		t.Errorf("calendar: %d", resp.StatusCode)
	}
	if resp, body := co.get("/outreach/calendar?month=2026-11"); resp.StatusCode != http.StatusOK || !strings.Contains(body, "栀子花讲堂：亲子沟通") {
		t.Errorf("November's calendar: %d", resp.StatusCode)
	}
	resp, body = co.get("/venues")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "梅园社区青爱小屋") || strings.Contains(body, "秦淮中学青爱小屋") {
		t.Errorf("venues: %d", resp.StatusCode)
	}
	if resp, body := co.get("/venues/" + sharingFind(t, body, `<a href="/venues/(\d+)">梅园社区青爱小屋`)); resp.StatusCode != http.StatusOK ||
		!strings.Contains(body, `value="梅园社区青爱小屋"`) {
		t.Errorf("a venue's form: %d", resp.StatusCode)
	}
	if resp, body := co.post("/venues", url.Values{"unit": {unit}, "kind": {"youth_care_room"}, "name": {""}, "address": {"梅园新村 99 号"}}); resp.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, `value="梅园新村 99 号"`) {
		t.Errorf("a venue without a name: %d", resp.StatusCode)
	}
	_, body = co.get("/venues/ratings")
	rating := sharingFind(t, body, `<a href="(/venues/ratings/\d+)">2026`)
	resp, body = co.get(rating)
	if resp.StatusCode != http.StatusOK || strings.Index(body, "玄武实验小学青爱小屋") > strings.Index(body, "玄武第一中学青爱小屋") {
		t.Fatalf("ranking: %d\n%.3000s", resp.StatusCode, body)
	}
	venue := sharingFind(t, body, `<input type="hidden" name="venue" value="(\d+)">`)
	crit := sharingFind(t, body, `name="(score_\d+)"`)
	if resp, body := co.post(rating+"/scores", url.Values{"venue": {venue}, crit: {"11"}}); resp.StatusCode != http.StatusUnprocessableEntity ||
		!strings.Contains(body, text(t, "zh-CN", "venue.bad_score")) {
		t.Errorf("a score over the maximum: %d", resp.StatusCode)
	}
	if resp, body := co.post(rating+"/publish", url.Values{}); resp.StatusCode != http.StatusOK || !strings.Contains(body, text(t, "zh-CN", "venue.published_ok")) {
		t.Fatalf("publish: %d", resp.StatusCode)
	}
	if resp, _ := co.post(rating+"/scores", url.Values{"venue": {venue}, crit: {"1"}}); resp.StatusCode != http.StatusConflict {
		t.Errorf("scoring a published rating: %d", resp.StatusCode)
	}
	// The community worker may not rate.
	if resp, _ := cw.post(rating+"/publish", url.Values{}); resp.StatusCode != http.StatusForbidden {
		t.Errorf("a community worker publishes: %d", resp.StatusCode)
	}
}
