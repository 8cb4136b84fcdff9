package web_test

import (
	"bytes"
	"html"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/xuri/excelize/v2"
)

// trainingXLSX is an attendance sheet of usernames.
func trainingXLSX(t *testing.T, usernames ...string) []byte {
	t.Helper()
	f := excelize.NewFile()
	_ = f.SetCellStr("Sheet1", "A1", "用户名")
	for i, u := range usernames {
		cell, _ := excelize.CoordinatesToCellName(1, i+2)
		_ = f.SetCellStr("Sheet1", cell, u)
	}
	var b bytes.Buffer
	if err := f.Write(&b); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func (c *client) trainingUpload(path string, file []byte) (*http.Response, string) {
	c.t.Helper()
	var b bytes.Buffer
	w := multipart.NewWriter(&b)
	part, _ := w.CreateFormFile("file", "签到表.xlsx")
	_, _ = part.Write(file)
	_ = w.Close()
	return c.do("POST", path, &b, "Content-Type", w.FormDataContentType())
}

// trainingTotalHours reads the hours of the total row of the caller's report.
func trainingTotalHours(t *testing.T, c *client) float64 {
	t.Helper()
	_, body := c.get("/training/reports")
	h := sharingFind(t, body, `(?s)<tr id="report-total">.*<th>([0-9.]+)</th></tr>`)
	f, err := strconv.ParseFloat(h, 64)
	if err != nil {
		t.Fatalf("report total hours %q", h)
	}
	return f
}

// The training pages in the demo: the district coordinator's forms keep
// the input and show field problems (422); a session is scheduled; an
// attendance sheet with a bad row is refused row by row and writes
// nothing, a good one is imported after its dry run; the report counts
// it; the head teacher has no training pages to manage but sees the city's
// crisis course among the sessions open to her and enrols.
func TestTrainingPagesFlow(t *testing.T) {
	inst := start(t)
	c := newClient(t, inst.URL)
	c.signInFully("xuanwu.coord")
	resp, body := c.get("/training")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "中级心理辅导员认证培训") {
		t.Fatalf("GET /training: %d", resp.StatusCode)
	}
	unit := sharingFind(t, body, `<select id="unit" name="unit"><option value="(\d+)"`)
	resp, body = c.post("/training/courses", url.Values{"unit": {unit}, "title": {"督导技能提升"}, "kind": {"certification"}, "hours": {"0"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `value="督导技能提升"`) ||
		!strings.Contains(body, text(t, "zh-CN", "training.level_required")) || !strings.Contains(body, text(t, "zh-CN", "training.bad_hours")) {
		t.Fatalf("bad course: %d\n%.2000s", resp.StatusCode, body)
	}
	resp, _ = c.post("/training/courses", url.Values{"unit": {unit}, "title": {"督导技能提升"}, "kind": {"supervision"}, "hours": {"2.5"},
		"required_for": {"school_counsellor"}})
	course := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(course, "/training/courses/") {
		t.Fatalf("create course: %d", resp.StatusCode)
	}
	before := trainingTotalHours(t, c)
	now := time.Now().In(time.FixedZone("CST", 8*3600))
	resp, body = c.post(course+"/sessions", url.Values{"starts_at": {now.Format("2006-01-02T15:04")}, "ends_at": {now.Add(-time.Hour).Format("2006-01-02T15:04")},
		"trainers": {"周指导"}, "capacity": {"2"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, text(t, "zh-CN", "training.place_required")) ||
		!strings.Contains(body, `value="周指导"`) {
		t.Fatalf("bad session: %d", resp.StatusCode)
	}
	resp, _ = c.post(course+"/sessions", url.Values{"starts_at": {now.Add(-5 * time.Minute).Format("2006-01-02T15:04")},
		"ends_at": {now.Add(time.Hour).Format("2006-01-02T15:04")}, "place": {"302"}, "trainers": {"周指导"}, "capacity": {"2"}})
	session := resp.Header.Get("Location")
	if resp.StatusCode != http.StatusSeeOther || !strings.HasPrefix(session, "/training/sessions/") {
		t.Fatalf("schedule: %d", resp.StatusCode)
	}
	// A sheet with an unknown account: the row is named, nothing is written.
	resp, body = c.trainingUpload(session+"/import", trainingXLSX(t, "counsellor", "nobody"))
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, `id="problem-table"`) ||
		!strings.Contains(body, "<td>3</td><td>"+text(t, "zh-CN", "training.import_unknown")) {
		t.Fatalf("bad sheet: %d\n%.3000s", resp.StatusCode, body)
	}
	if strings.Contains(body, `data-user="counsellor"`) {
		t.Fatal("a bad sheet enrolled someone")
	}
	resp, body = c.trainingUpload(session+"/import", trainingXLSX(t, "counsellor"))
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="import-run"`) {
		t.Fatalf("good sheet dry run: %d", resp.StatusCode)
	}
	rows := html.UnescapeString(sharingFind(t, body, `name="rows" value="([^"]+)"`))
	resp, body = c.post(session+"/import/run", url.Values{"rows": {rows}, "file": {"签到表.xlsx"}})
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="import-done"`) ||
		!regexp.MustCompile(`data-user="counsellor" data-attended="true"`).MatchString(body) {
		t.Fatalf("import: %d\n%.3000s", resp.StatusCode, body)
	}
	// The report of the district counts the attendance: 2.5 hours.
	resp, body = c.get("/training/reports")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="report-total"`) {
		t.Fatalf("reports: %d", resp.StatusCode)
	}
	if after := trainingTotalHours(t, c); after != before+2.5 {
		t.Errorf("report total hours %v before the import, %v after; want +2.5", before, after)
	}
	// The head teacher lacks the crisis course.
	if !strings.Contains(body, "headteacher") {
		t.Errorf("the head teacher is not listed as lacking the crisis course")
	}

	h := newClient(t, inst.URL)
	h.signInFully("headteacher")
	if resp, _ := h.get("/training"); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("head teacher GET /training: %d", resp.StatusCode)
	}
	if resp, _ := h.get(session); resp.StatusCode != http.StatusForbidden {
		t.Fatalf("head teacher GET %s: %d", session, resp.StatusCode)
	}
	resp, body = h.get("/training/mine")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "班主任危机干预培训") {
		t.Fatalf("my training: %d", resp.StatusCode)
	}
	if resp, body := h.get("/training/checkin/not-a-code"); resp.StatusCode != http.StatusOK || !strings.Contains(body, `id="checkin-unknown"`) {
		t.Fatalf("an unknown check-in code: %d", resp.StatusCode)
	}
	enrol := sharingFind(t, body, `action="(/training/sessions/\d+/enrol)"`)
	if resp, body := h.post(enrol, nil); resp.StatusCode != http.StatusOK || !strings.Contains(body, text(t, "zh-CN", "training.enrolled")) {
		t.Fatalf("enrol: %d", resp.StatusCode)
	}
}
