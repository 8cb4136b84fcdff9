package browsertest

import (
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// class8 is the roster the coordinator imports: five pupils of a new class
// of 玄武第一中学, born 2012, each with a guardian.
var class8 = []struct{ no, name, gender, birth, guardian, relation, phone string }{
	{"BT2012080001", "邱晓岚", "女", "2012-03-14", "邱建国", "父亲", "13912340001"},
	{"BT2012080002", "严子墨", "男", "2012-05-02", "林慧", "母亲", "13912340002"},
	{"BT2012080003", "韩雨萱", "女", "2012-07-21", "韩磊", "父亲", "13912340003"},
	{"BT2012080004", "冯浩宇", "男", "2012-09-09", "周敏", "母亲", "13912340004"},
	{"BT2012080005", "蒋思彤", "女", "2012-11-30", "蒋伟", "爷爷", "13912340005"},
}

// writeClass8 writes the roster as a UTF-8 CSV with the template's
// Chinese headers and returns its path.
func writeClass8(t *testing.T) string {
	t.Helper()
	var b strings.Builder
	b.WriteString("学籍号,姓名,性别,出生日期,学校,年级,班级,监护人1姓名,监护人1关系,监护人1电话\n")
	for _, s := range class8 {
		fmt.Fprintf(&b, "%s,%s,%s,%s,玄武第一中学,8,8班,%s,%s,%s\n", s.no, s.name, s.gender, s.birth, s.guardian, s.relation, s.phone)
	}
	p := filepath.Join(t.TempDir(), "八年级8班名单.csv")
	if err := os.WriteFile(p, []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// uploadRoster sends the file through the import form and returns the
// dry-run report's counts.
func uploadRoster(t *testing.T, b *browser, file string) (created, updated, unchanged, problems string) {
	t.Helper()
	if st := b.open("/roster"); st != 200 {
		t.Fatalf("/roster: status %d", st)
	}
	b.do(chromedp.SetUploadFiles(chromedp.CSS("#file"), []string{file}))
	if st := b.click("#import-form button[type=submit]"); st != 200 {
		t.Fatalf("upload %s: status %d:\n%s", filepath.Base(file), st, b.text("main"))
	}
	if !b.present("#import-status") {
		t.Fatalf("no dry-run report after the upload:\n%s", b.text("main"))
	}
	return b.text("#n-created"), b.text("#n-updated"), b.text("#n-unchanged"), b.text("#n-problems")
}

func TestCoordinatorImportsRosterAndRunsCampaign(t *testing.T) {
	srv := startDemo(t)
	b := signInCoordinator(t, srv.URL)

	// The import page offers the template in both languages, and it downloads.
	if st := b.open("/roster"); st != 200 {
		t.Fatalf("/roster: status %d", st)
	}
	for _, l := range []string{"zh-CN", "en"} {
		sel := "#template-" + strings.TrimSuffix(l, "-CN")
		href := b.attr(sel, "href")
		if href != "/roster/template?lang="+l {
			t.Errorf("%s href = %q", sel, href)
			continue
		}
		var got []string
		b.evalAsync(`fetch(`+jsString(href)+`).then(async r => [String(r.status), r.headers.get("content-type") ?? "",
			r.headers.get("content-disposition") ?? "", new TextDecoder().decode((await r.arrayBuffer()).slice(0, 2))])`, &got)
		if got[0] != "200" || !strings.Contains(got[1], "spreadsheetml") || !strings.Contains(got[2], "attachment") || got[3] != "PK" {
			t.Errorf("template %s: status, type, disposition, magic = %q, want 200, an XLSX attachment", l, got)
		}
	}

	// Dry run: five new students, no problems, nothing written yet.
	roster := writeClass8(t)
	created, updated, unchanged, problems := uploadRoster(t, b, roster)
	if created != "5" || updated != "0" || unchanged != "0" || problems != "0" {
		t.Errorf("dry run: created/updated/unchanged/problems = %s/%s/%s/%s, want 5/0/0/0:\n%s",
			created, updated, unchanged, problems, b.text("main"))
	}
	if got := b.text("#import-status h2"); got != filepath.Base(roster) {
		t.Errorf("report names the file %q, want %q", got, filepath.Base(roster))
	}
	b.screenshot("import-report")
	if !b.present("#import-run button") {
		t.Fatalf("the dry run offers no import button:\n%s", b.text("main"))
	}

	// The real run, in the background; the page polls until it is done.
	if st := b.click("#import-run button"); st != 200 {
		t.Fatalf("start the import: status %d", st)
	}
	if p := b.path(); !strings.HasPrefix(p, "/roster/") {
		t.Errorf("after starting the import the page is %s, want /roster/TOKEN", p)
	}
	b.waitVisible("#import-done", 30*time.Second)
	if got := b.text("#n-created"); got != "5" {
		t.Errorf("after the import #n-created = %q, want 5", got)
	}
	b.screenshot("import-done")

	// The five are filed in their class.
	b.open("/students")
	b.selectLabel("#ss", "玄武第一中学")
	b.fill("#sg", "8")
	b.setValue("#sc", "8班")
	b.click("#student-search button[type=submit]")
	names := b.texts("#student-table tbody td:first-child a")
	slices.Sort(names)
	var want []string
	for _, s := range class8 {
		want = append(want, s.name)
	}
	slices.Sort(want)
	if !slices.Equal(names, want) {
		t.Errorf("students of 玄武第一中学 8/8班: %q, want %q", names, want)
	}

	// Importing the same file again changes nothing.
	created, updated, unchanged, problems = uploadRoster(t, b, roster)
	if created != "0" || updated != "0" || unchanged != "5" || problems != "0" {
		t.Errorf("re-import dry run: created/updated/unchanged/problems = %s/%s/%s/%s, want 0/0/5/0",
			created, updated, unchanged, problems)
	}

	// A campaign for the new class.
	if st := b.open("/campaigns"); st != 200 {
		t.Fatalf("/campaigns: status %d", st)
	}
	if !b.present("#campaign-form") {
		t.Fatalf("the coordinator is offered no #campaign-form:\n%s", b.text("main"))
	}
	name := "八年级8班心理筛查（浏览器测试）"
	b.setValue("#cname", name)
	b.selectLabel("#owner", "玄武区")
	b.setValue("#ends", time.Now().AddDate(0, 0, 7).Format("2006-01-02"))
	b.do(chromedp.Click(chromedp.CSS(`#campaign-form input[name=instruments][value="phq-a"]`), chromedp.NodeVisible),
		chromedp.Click(chromedp.CSS(`#campaign-form input[name=instruments][value="gad-7"]`), chromedp.NodeVisible))
	b.do(chromedp.SetValue(chromedp.CSS("#consent_rule"), "none"))
	b.checkLabelled("schools", "玄武第一中学")
	b.fill("#cgrade", "8")
	b.setValue("#cclass", "8班")
	if st := b.click("#campaign-form button[type=submit]"); st != 200 {
		t.Fatalf("create the campaign: status %d:\n%s", st, b.text("main"))
	}
	if p := b.path(); !strings.HasPrefix(p, "/campaigns/") || p == "/campaigns/" {
		t.Fatalf("after creating the campaign the page is %s:\n%s", p, b.text("main"))
	}
	if got := b.text("#campaign-name"); got != name {
		t.Errorf("#campaign-name = %q, want %q", got, name)
	}
	if invited, started, completed := progressTotals(b); invited != 5 || started != 0 || completed != 0 {
		t.Errorf("progress invited/started/completed = %d/%d/%d, want 5/0/0:\n%s", invited, started, completed, b.text("#progress-table"))
	}

	b.screenshot("campaign-created")

	// Print the slips: one per pupil of the class, each with a code and a QR code.
	if b.count(`a[href*="/slips?school="]`) != 1 {
		t.Fatalf("campaign page: want one print-slips link, have:\n%s", b.text("main"))
	}
	if st := b.click(`a[href*="/slips?school="]`); st != 200 {
		t.Fatalf("slips: status %d", st)
	}
	codes := b.texts(".slip-code")
	if len(codes) != len(class8) {
		t.Errorf("%d slips, want %d:\n%s", len(codes), len(class8), b.text("#slips"))
	}
	seen := map[string]bool{}
	for _, c := range codes {
		if !slipCodeRe.MatchString(c) || seen[c] {
			t.Errorf("slip code %q is malformed or repeated", c)
		}
		seen[c] = true
	}
	if got := b.texts(".slip strong"); !slices.Equal(slices.Sorted(slices.Values(got)), want) {
		t.Errorf("slips name %q, want %q", got, want)
	}
	var qrs int
	b.eval(`[...document.querySelectorAll(".slip img")].filter(i => i.complete && i.naturalWidth > 0).length`, &qrs)
	if qrs != len(codes) {
		t.Errorf("%d of %d slip QR codes loaded", qrs, len(codes))
	}
	// A code broken over two lines is easily mistyped by a child.
	var wrapped []string
	b.eval(`[...document.querySelectorAll(".slip-code")].filter(c => c.getClientRects().length > 1).map(c => c.innerText)`, &wrapped)
	if len(wrapped) > 0 {
		t.Errorf("slip codes wrap over two lines at 1280px: %q", wrapped)
	}
	b.screenshot("slips")
	if len(codes) == 0 {
		t.FailNow()
	}

	// A pupil opens the first slip on a phone, in English.
	englishQuestionnaire(t, srv.URL, codes[0])
}

// englishQuestionnaire opens a slip's code on a phone, switches to English
// before starting, and checks the first questionnaire page.
func englishQuestionnaire(t *testing.T, base, slip string) {
	t.Helper()
	p := newPhone(t, base)
	p.open("/s?code=" + slip)
	p.click("#lang-switch")
	if got := p.attr("html", "lang"); got != "en" {
		t.Errorf("code page after the switch: lang=%q, want en", got)
	}
	var typed string
	p.eval(`document.querySelector("#code")?.value ?? ""`, &typed)
	if typed != slip {
		t.Errorf("after switching language the code field holds %q, want the slip's %q (path %s)", typed, slip, p.path())
		p.fill("#code", slip)
	}
	if got := p.text("#start"); got != "Start" {
		t.Errorf("#start = %q, want \"Start\"", got)
	}
	if st := p.click("#start"); st != 200 {
		t.Fatalf("start with a slip code: status %d:\n%s", st, p.text("main"))
	}
	p.wantPath("/s/q")
	if n, m := p.pageIndex(); n != 1 || m < 2 {
		t.Errorf("first page is %d of %d", n, m)
	}
	if got := p.text("#next"); got != "Next" {
		t.Errorf("#next = %q, want \"Next\"", got)
	}
	qs := p.questions()
	// The battery starts with PHQ-A or GAD-7 (the campaign does not keep the order the instruments were ticked in).
	if len(qs) == 0 || qs[0].Legend != "Feeling down, depressed, irritable, or hopeless" && qs[0].Legend != "Feeling nervous, anxious, or on edge" {
		t.Errorf("first question in English = %+v", qs)
	}
	// The greeting holds the pupil's (Chinese) name; nothing else is Chinese.
	if han := hanOutside(p, "#lang-switch, .questionnaire > p.muted:first-child"); han != "" {
		t.Errorf("English questionnaire still shows Chinese text: %q", han)
	}
	noSideScroll(t, p)
	bigTargets(t, p)
	p.screenshot("questionnaire-phone-en")
}
