package browsertest

import (
	"strings"
	"testing"
	"time"
)

// TestDashboardExportBriefing is issue 8's figures in a browser: a
// district coordinator opens the dashboard, drills down to a school and
// its grades, exports the table (built in the background, downloaded once
// ready), and drafts a briefing, edits its narrative and prints it. A
// school leader on a phone reads the school rounded.
func TestDashboardExportBriefing(t *testing.T) {
	srv := startDemo(t)
	co := newBrowser(t, srv.URL, 1280, 900)
	co.signInEnrolled("xuanwu.coord")

	// The rollups are computed by the job queue right after start.
	deadline := time.Now().Add(90 * time.Second)
	for {
		if st := co.open("/stats"); st != 200 {
			t.Fatalf("GET /stats: %d", st)
		}
		if !strings.Contains(co.text("#stats-asof"), zhText("stats.not_yet")) {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the dashboard was not computed within 90 s")
		}
		time.Sleep(time.Second)
	}
	if !strings.Contains(co.text("#stats-title"), "玄武区") {
		t.Fatalf("the district coordinator's dashboard is %q", co.text("#stats-title"))
	}
	if co.present("#stats-rounded") {
		t.Error("the district coordinator reads rounded figures")
	}
	if got := co.text(`#group-screening dd[data-indicator="students_enrolled"]`); got == "" || got == "0" {
		t.Errorf("students enrolled in Xuanwu: %q", got)
	}
	if !co.present("#stats-trend svg") {
		t.Error("the trend chart is not drawn")
	}

	// Drill down: the district's schools, a school's grades, a grade's classes.
	var href string
	co.eval(`([...document.querySelectorAll('#stats-rows a')].find(a => a.textContent.includes('玄武实验小学')) || {getAttribute: () => ''}).getAttribute('href')`, &href)
	if href == "" {
		t.Fatalf("the district's dashboard does not list its school: %v", co.texts("#stats-rows a"))
	}
	if st := co.open(href); st != 200 || !strings.Contains(co.text("#stats-title"), "玄武实验小学") {
		t.Fatalf("drill down to the school: %d %q", st, co.text("#stats-title"))
	}
	if co.count(`#stats-rows tr.stats-row[data-part^="g"]`) == 0 {
		t.Fatal("the school's dashboard has no grades")
	}
	co.click(`#stats-rows tr.stats-row a[href*="part=g"]`)
	if n := co.count(`#stats-rows tr.stats-row[data-part*="/"]`); n == 0 {
		t.Error("the grade's dashboard has no classes")
	}
	if !co.present("#stats-up") {
		t.Error("no way back up")
	}

	// Export the table: built in the background, then downloaded.
	co.click("#export-figures-button")
	if !strings.HasPrefix(co.path(), "/exports/") {
		t.Fatalf("the export went to %s", co.path())
	}
	exportPage := co.path()
	deadline = time.Now().Add(60 * time.Second)
	for co.attr("#export", "data-state") != "ready" {
		if st := co.attr("#export", "data-state"); st == "failed" || time.Now().After(deadline) {
			t.Fatalf("the export is %s", st)
		}
		time.Sleep(500 * time.Millisecond)
		co.open(exportPage)
	}
	if got := co.fetchIn(exportPage + "/download"); got.Status != 200 || got.Magic != "PK" || !strings.Contains(got.Type, "spreadsheetml") {
		t.Errorf("the download: %+v", got)
	}

	// Draft the district's briefing, edit it, print it.
	co.open("/briefings")
	crisisPick(t, co, "#unit", "玄武区")
	if st := co.click("#draft-briefing"); st != 200 {
		t.Fatalf("draft: %d", st)
	}
	if !co.present(`#briefing-body section[data-key="hotline"]`) || !co.present(`#briefing-body strong.figure[data-indicator="students_screened"]`) {
		t.Fatal("the drafted briefing lacks its sections or figures")
	}
	co.setValue("#section-0", "本月，全区 {students_screened} 名学生参加筛查，红色学生 {tier_red} 人。")
	if st := co.click("#briefing-save"); st != 200 {
		t.Fatalf("save: %d", st)
	}
	if got := co.text(`#briefing-body section[data-key="screening"] .briefing-text`); !strings.HasPrefix(got, "本月，全区 ") || strings.Contains(got, "{") {
		t.Errorf("the edited narrative reads %q", got)
	}
	briefing := strings.SplitN(co.path(), "?", 2)[0]
	co.click("#briefing-print")
	if !strings.HasSuffix(co.path(), "/print") || !co.present("#briefing-body") {
		t.Error("the print version is not shown")
	}
	if got := co.fetchIn(briefing + "/docx"); got.Status != 200 || got.Magic != "PK" || !strings.Contains(got.Type, "wordprocessingml") {
		t.Errorf("the Word document: %+v", got)
	}
	co.screenshot("briefing-print")

	// A school leader on a phone: their school, rounded, readable.
	ph := newPhone(t, srv.URL)
	ph.signInEnrolled("leader")
	ph.open("/stats")
	if !ph.present("#stats-rounded") {
		t.Error("the school leader is not told that figures are rounded")
	}
	var wide bool
	ph.eval(`document.documentElement.scrollWidth > window.innerWidth + 1`, &wide)
	if wide {
		t.Error("the dashboard is wider than the phone")
	}
	ph.screenshot("stats-phone")
}
