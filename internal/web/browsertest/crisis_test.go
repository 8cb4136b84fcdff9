package browsertest

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"
)

// crisisClickLive clicks sel on a page that refreshes parts of itself
// (the live queue): a click that finds its node replaced is tried again.
// It returns the status of the page the click loads.
func crisisClickLive(t *testing.T, b *browser, sel string) int64 {
	t.Helper()
	for try := 1; ; try++ {
		ctx, cancel := context.WithTimeout(b.ctx, stepTimeout)
		resp, err := chromedp.RunResponse(ctx, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))
		cancel()
		if err == nil {
			b.noRawKeys()
			return resp.Status
		}
		if try == 5 || !strings.Contains(err.Error(), "Could not find node") {
			t.Fatalf("click %s on %s: %v", sel, b.path(), err)
		}
		time.Sleep(300 * time.Millisecond)
	}
}

// crisisState reads the state of the incident (or police) page shown.
func crisisState(b *browser, sel string) string {
	b.t.Helper()
	return b.attr(sel, "data-state")
}

// crisisWantState fails unless the page is at path and its state is want.
func crisisWantState(t *testing.T, b *browser, who, path, sel, want string) {
	t.Helper()
	b.wantPath(path)
	if got := crisisState(b, sel); got != want {
		t.Fatalf("%s at %s: state %q, want %q; page:\n%s", who, path, got, want, b.text("main"))
	}
}

// crisisStep opens the form of the next step to on an incident's page,
// lets fill complete it, and submits it; the incident's page follows.
func crisisStep(t *testing.T, b *browser, inc, to string, fill func()) {
	t.Helper()
	if !b.present("#next-" + to) {
		t.Fatalf("the incident's page offers no step %q; next steps: %v", to, b.texts("#next-steps summary"))
	}
	b.do(chromedp.Click(chromedp.CSS("#next-"+to+" > summary"), chromedp.NodeVisible))
	if fill != nil {
		fill()
	}
	if st := b.click("#step-" + to); st != 200 {
		t.Fatalf("step %s: status %d:\n%s", to, st, b.text("main"))
	}
	b.wantPath(inc)
}

// crisisPick selects the option of sel whose text contains part.
func crisisPick(t *testing.T, b *browser, sel, part string) string {
	t.Helper()
	var v string
	b.eval(`(() => { const s = document.querySelector(`+jsString(sel)+`); if (!s) return "";
		const o = [...s.options].find(o => o.textContent.includes(`+jsString(part)+`)); if (!o) return "";
		s.value = o.value; s.dispatchEvent(new Event("change", {bubbles: true})); return o.value; })()`, &v)
	if v == "" {
		t.Fatalf("%s on %s offers no %q: %v", sel, b.path(), part, b.texts(sel+" option"))
	}
	return v
}

// crisisStatus opens path and fails unless its status is want.
func crisisStatus(t *testing.T, b *browser, who, path string, want int64) {
	t.Helper()
	if st := b.open(path); st != want {
		t.Errorf("%s: GET %s: status %d, want %d", who, path, st, want)
	}
}

// crisisNever fails when the page's text (or HTML) holds any of never.
func crisisNever(t *testing.T, b *browser, who string, never ...string) {
	t.Helper()
	var html string
	b.eval(`document.documentElement.outerHTML`, &html)
	for _, s := range never {
		if strings.Contains(html, s) {
			t.Errorf("%s at %s shows %q", who, b.path(), s)
		}
	}
}

// TestCrisisChatToClosed is issue 6's full crisis in browsers: a child on
// a phone writes that they mean to end their life; the hotline counsellor
// takes the chat, opens an incident from its contact and requests the
// police; the supervisor co-signs the rescue; the police liaison (on a
// phone, in the police unit) sees only that incident, with the minimum,
// and records the rescue up to the child's safety; the counsellor hands
// over to the hospital and the supervisor (who holds referral.manage over
// the station) refers the child from the incident; the hospital's liaison
// accepts and returns feedback; the child, identified by the school and
// name they gave, gets a follow-up in the support plan from the school's
// counsellor; the hotline counsellor records the guardian decision and the review; the supervisor co-signs
// the closing. At each step the others' pages are checked for what their
// role must not see.
func TestCrisisChatToClosed(t *testing.T) {
	srv := startDemo(t)
	const (
		intent      = "我不想活了，今晚就要结束"
		answer      = "我在这里陪你。你现在在哪里？"
		location    = "玄武湖公园北门长椅"
		callback    = "13900001111"
		description = "来访儿童在湖边，表示今晚结束生命"
		rescueNote  = "孩子拒绝留下电话，需立即出警"
		policeRef   = "JJ-2026-0618"
		safeNote    = "民警已找到孩子，情绪稳定，送医评估"
		reason      = "危机干预后需专业精神科评估"
		advice      = "建议每周门诊随访，学校减轻课业压力"
		lesson      = "夜间出警会签用时较长"
	)

	// 1. The child, on a phone, writes intent.
	kid := newPhone(t, srv.URL)
	conv := startChildChat(t, kid, "now")
	childSays(t, kid, intent)

	// 2. The hotline counsellor takes it and opens an incident from its contact.
	hot := newBrowser(t, srv.URL, 1280, 900)
	hot.signInEnrolled("hotline")
	if st := hot.open("/hotline/queue"); st != 200 {
		t.Fatalf("counsellor: GET /hotline/queue: status %d", st)
	}
	if rows := waitingRows(hot); len(rows) == 0 || rows[0].ID != conv || !rows[0].Critical {
		t.Fatalf("the queue does not start with the child's flagged conversation %s: %+v", conv, rows)
	}
	if st := crisisClickLive(t, hot, "#take-next"); st != 200 {
		t.Fatalf("take next: status %d:\n%s", st, hot.text("main"))
	}
	room := "/hotline/chats/" + conv
	hot.wantPath(room)
	if bubbles(hot, "theirs", intent) != 1 {
		t.Fatalf("the room lacks the child's message: %q", chatLog(hot))
	}
	chatWrite(hot, answer)
	kid.chatWait("the child sees the counsellor's answer", bubblesJS("theirs", answer)+` === 1`, 10*time.Second)
	contact := hot.attr("#open-contact", "href")
	if !strings.HasPrefix(contact, "/contacts/") {
		t.Fatalf("the room links no contact (#open-contact href %q)", contact)
	}
	if st := hot.open(contact); st != 200 {
		t.Fatalf("counsellor: GET %s: status %d", contact, st)
	}
	if st := hot.click("#open-incident"); st != 200 {
		t.Fatalf("open an incident from the contact: status %d:\n%s", st, hot.text("main"))
	}
	inc := hot.path()
	id := strings.TrimPrefix(inc, "/crisis/")
	if _, err := strconv.Atoi(id); err != nil {
		t.Fatalf("opening an incident from the contact went to %s", inc)
	}
	crisisWantState(t, hot, "counsellor", inc, "#incident-state", "opened")
	if got := hot.text("#incident-child"); !strings.Contains(got, zhText("crisis.anonymous")) {
		t.Errorf("the chat's child should be anonymous on the incident: %q", got)
	}
	if got := hot.attr("#incident-child a", "href"); got != contact {
		t.Errorf("the incident links contact %q, want %q", got, contact)
	}

	// What is known, then assessing → rescue needed → police requested.
	hot.do(chromedp.Click(chromedp.CSS("#details-edit > summary"), chromedp.NodeVisible))
	hot.setValue("#d-location", location)
	hot.setValue("#d-callback", callback)
	hot.setValue("#d-description", description)
	for f, v := range map[string]string{"ideation": "active", "intent": "yes", "plan": "specific", "means": "access", "timeframe": "now"} {
		hot.setValue("#d-risk_"+f, v)
	}
	if st := hot.click("#details-save"); st != 200 {
		t.Fatalf("save the details: status %d:\n%s", st, hot.text("main"))
	}
	if got := hot.text("#incident-location"); got != location {
		t.Errorf("the incident's location reads %q after saving", got)
	}
	crisisStep(t, hot, inc, "assessing", nil)
	crisisStep(t, hot, inc, "rescue_needed", func() { hot.setValue("#note-rescue_needed", rescueNote) })
	crisisWantState(t, hot, "counsellor", inc, "#incident-state", "rescue_needed")
	crisisStep(t, hot, inc, "police_requested", func() { crisisPick(t, hot, "#police_unit", "110") })
	if !hot.present("#pending") || !hot.present("#withdraw") || hot.present("#cosign-sign") {
		t.Error("the police request should wait for a co-signature the requester cannot give")
	}
	crisisWantState(t, hot, "counsellor", inc, "#incident-state", "rescue_needed")

	// A second incident, never handed to the police: the police must not reach it.
	if st := hot.open("/crisis"); st != 200 {
		t.Fatalf("counsellor: GET /crisis: status %d", st)
	}
	hot.setValue("#location", "秦淮河边（另一起）")
	if st := hot.click("#open-submit"); st != 200 {
		t.Fatalf("open a second incident: status %d:\n%s", st, hot.text("main"))
	}
	other := strings.TrimPrefix(hot.path(), "/crisis/")
	if other == id || strings.Contains(other, "/") {
		t.Fatalf("the second incident is at %s", hot.path())
	}

	// 3. The police liaison, before the co-signature: nothing yet.
	cop := newPhone(t, srv.URL)
	cop.signInEnrolled("police")
	if st := cop.open("/police"); st != 200 {
		t.Fatalf("police: GET /police: status %d", st)
	}
	if n := cop.count(".police-row"); n != 0 {
		t.Errorf("the police list shows %d incidents before the rescue is co-signed: %v", n, cop.texts(".police-row"))
	}
	crisisStatus(t, cop, "police before the co-signature", "/police/"+id, 404)

	// 4. The supervisor co-signs the rescue.
	sup := newBrowser(t, srv.URL, 1280, 900)
	sup.signInEnrolled("supervisor")
	if st := sup.open("/crisis/cosign"); st != 200 {
		t.Fatalf("supervisor: GET /crisis/cosign: status %d", st)
	}
	if !sup.present(`#incident-list li.incident-row[data-id="` + id + `"]`) {
		t.Fatalf("the supervisor's co-sign list lacks incident %s: %v", id, sup.texts("#incident-list li"))
	}
	if st := sup.click(`#incident-list li.incident-row[data-id="` + id + `"] a`); st != 200 {
		t.Fatalf("supervisor: open the incident: status %d", st)
	}
	if st := sup.click("#cosign-sign"); st != 200 {
		t.Fatalf("co-sign the rescue: status %d:\n%s", st, sup.text("main"))
	}
	crisisWantState(t, sup, "supervisor", inc+"/cosign", "#incident-state", "police_requested")
	if sup.present("#pending") {
		t.Error("the co-signed request still shows as pending")
	}

	// 5. The police liaison: exactly this incident, the minimum, and the rescue.
	cop.open("/police")
	if ids := cop.count(".police-row"); ids != 1 || !cop.present(`.police-row[data-id="`+id+`"]`) {
		t.Fatalf("the police list should hold exactly incident %s: %v", id, cop.texts(".police-row"))
	}
	noSideScroll(t, cop)
	if st := cop.click(`.police-row[data-id="` + id + `"] a`); st != 200 {
		t.Fatalf("police: open the incident: status %d", st)
	}
	crisisWantState(t, cop, "police", "/police/"+id, "#police-state", "police_requested")
	noSideScroll(t, cop)
	for sel, want := range map[string]string{"#police-location": location, "#police-callback": callback, "#police-description": description} {
		if got := cop.text(sel); got != want {
			t.Errorf("police: %s reads %q, want %q", sel, got, want)
		}
	}
	crisisNever(t, cop, "police", intent, answer, rescueNote, "吴咨询", "/contacts/", "/hotline/", "incident-child",
		zhText("crisis.anonymous"), zhText("crisis.risk.ideation"))
	cop.screenshot("crisis-police-incident-phone")
	crisisStatus(t, cop, "police", inc, 403)
	crisisStatus(t, cop, "police", "/police/"+other, 404)
	crisisStatus(t, cop, "police", contact, 403)
	crisisStatus(t, cop, "police", room, 403)
	crisisStatus(t, cop, "police", "/hospital", 403)

	cop.open("/police/" + id)
	cop.setValue("#police_ref", policeRef)
	for _, to := range []string{"police_acknowledged", "en_route", "on_scene", "safety_confirmed"} {
		if to == "safety_confirmed" {
			cop.setValue("#note-safety_confirmed", safeNote)
		}
		if st := cop.click("#police-" + to); st != 200 {
			t.Fatalf("police: %s: status %d:\n%s", to, st, cop.text("main"))
		}
		crisisWantState(t, cop, "police", "/police/"+id, "#police-state", to)
	}
	if cop.present("#police-steps") {
		t.Errorf("the police may still act after confirming safety: %v", cop.texts("#police-steps button"))
	}
	if got := cop.text("#police-ref"); got != policeRef {
		t.Errorf("police: their incident number reads %q", got)
	}

	// 6. The counsellor sees the rescue and hands over to the hospital.
	hot.open(inc)
	crisisWantState(t, hot, "counsellor", inc, "#incident-state", "safety_confirmed")
	if got := hot.text("#incident-police"); !strings.Contains(got, policeRef) {
		t.Errorf("the incident's police line %q lacks the police's number", got)
	}
	if !strings.Contains(hot.text("#timeline"), safeNote) {
		t.Error("the timeline lacks the police's safety note")
	}
	crisisStep(t, hot, inc, "handed_over", func() {
		hot.setValue("#handed_to", "hospital")
		crisisPick(t, hot, "#to_unit", "市脑科医院")
	})
	crisisWantState(t, hot, "counsellor", inc, "#incident-state", "handed_over")
	// A hotline counsellor holds no referral.manage (access.Roles): the
	// referral goes from the station's supervisor.
	crisisStatus(t, hot, "hotline counsellor", "/referrals/new?source=incident&id="+id, 403)

	// 7. The supervisor refers the child from the incident.
	if st := sup.open("/referrals/new?source=incident&id=" + id); st != 200 {
		t.Fatalf("supervisor: the referral form: status %d", st)
	}
	var form []string
	sup.eval(`[document.querySelector("#source")?.value ?? "", document.querySelector("#source_id")?.value ?? ""]`, &form)
	if len(form) != 2 || form[0] != "incident" || form[1] != id {
		t.Errorf("the referral form's source is %q, want incident %s", form, id)
	}
	// Nothing is known of the anonymous child's gender: the form must not
	// record one unless the sender picks it.
	var gender string
	sup.eval(`document.querySelector("#child_gender")?.value ?? ""`, &gender)
	if gender != "unknown" {
		t.Errorf("the referral form presets an anonymous child's gender to %q, want unknown (options %v)", gender, sup.texts("#child_gender option"))
	}
	sup.setValue("#child_gender", "unknown")
	crisisPick(t, sup, "#to_unit", "市脑科医院")
	sup.setValue("#child_age", "15")
	sup.setValue("#reason", reason)
	sup.do(chromedp.Click(chromedp.CSS(`input[name=urgency][value=urgent]`), chromedp.NodeVisible),
		chromedp.Click(chromedp.CSS(`input[name=consent_given][value=yes]`), chromedp.NodeVisible))
	sup.setValue("#consent_by", "self")
	sup.setValue("#consent_how", "verbal")
	sup.setValue("#consent_at", time.Now().Add(-10*time.Minute).In(time.FixedZone("CST", 8*3600)).Format("2006-01-02T15:04"))
	sup.setValue("#consent_version", "v1")
	if st := sup.click("#send-referral"); st != 200 {
		t.Fatalf("send the referral: status %d:\n%s", st, sup.text("main"))
	}
	ref := strings.TrimPrefix(strings.SplitN(sup.path(), "?", 2)[0], "/referrals/")
	if _, err := strconv.Atoi(ref); err != nil {
		t.Fatalf("sending the referral went to %s:\n%s", sup.path(), sup.text("main"))
	}
	if got := sup.attr("#referral-state", "data-state"); got != "sent" {
		t.Errorf("the new referral's state is %q", got)
	}
	if got := sup.text("#referral-child"); !strings.Contains(got, zhText("referral.gender.unknown")) || !strings.Contains(got, zhText("referral.anonymous")) {
		t.Errorf("the referral's child reads %q, want anonymous and of unknown gender", got)
	}
	if facts := sup.text("#referral-facts"); !strings.Contains(facts, "#"+id) || !strings.Contains(facts, zhText("referral.source.incident")) {
		t.Errorf("the referral does not name incident #%s as its source:\n%s", id, facts)
	}
	sup.open(inc + "/cosign")
	if !sup.present(`#incident-referrals li.incident-referral[data-id="` + ref + `"][data-state="sent"]`) {
		t.Errorf("the incident's page does not list referral %s sent from it", ref)
	}

	// 8. The hospital's liaison: only referrals to the hospital, only what they carry.
	hos := newBrowser(t, srv.URL, 1280, 900)
	hos.signInEnrolled("hospital")
	if st := hos.open("/hospital"); st != 200 {
		t.Fatalf("hospital: GET /hospital: status %d", st)
	}
	if n := hos.count(".referral-row"); n != 1 || !hos.present(`.referral-row[data-id="`+ref+`"]`) {
		t.Fatalf("the hospital's list should hold exactly referral %s: %v", ref, hos.texts(".referral-row"))
	}
	hbase := "/hospital/" + ref
	hos.open(hbase)
	if got := hos.text("#referral-reason"); got != reason {
		t.Errorf("hospital: the reason reads %q", got)
	}
	crisisNever(t, hos, "hospital", intent, answer, location, callback, description, rescueNote, safeNote, policeRef,
		"/crisis/", "/contacts/", "/cases/")
	crisisStatus(t, hos, "hospital", inc, 403)
	crisisStatus(t, hos, "hospital", "/police/"+id, 403)
	crisisStatus(t, hos, "hospital", "/referrals/"+ref, 403)
	crisisStatus(t, hos, "hospital", contact, 403)

	cst := time.FixedZone("CST", 8*3600)
	hos.open(hbase)
	for _, s := range []struct{ button, state string }{{"#accept", "accepted"}, {"#set-appointment", "appointment_set"},
		{"#mark-seen", "seen"}, {"#give-feedback", "feedback_received"}} {
		switch s.button {
		case "#set-appointment":
			hos.setValue("#appointment_at", time.Now().Add(2*time.Hour).In(cst).Format("2006-01-02T15:04"))
		case "#give-feedback":
			if !hos.present("#no-detail-consent") || hos.present("#detail") {
				t.Error("without consent to details the feedback form should offer recommendations only")
			}
			hos.setValue("#recommendations", advice)
		}
		if st := hos.click(s.button); st != 200 {
			t.Fatalf("hospital: %s: status %d:\n%s", s.button, st, hos.text("main"))
		}
		if got := hos.attr("#referral-state", "data-state"); got != s.state {
			t.Fatalf("hospital after %s: state %q, want %q:\n%s", s.button, got, s.state, hos.text("main"))
		}
	}

	// The sender reads the feedback and closes the referral.
	sup.open("/referrals/" + ref)
	if got := sup.texts("#referral-feedback .recommendations"); len(got) != 1 || got[0] != advice {
		t.Errorf("the sender sees the recommendations %q, want %q", got, advice)
	}
	if st := sup.click("#close-referral"); st != 200 {
		t.Fatalf("close the referral: status %d:\n%s", st, sup.text("main"))
	}
	if got := sup.attr("#referral-state", "data-state"); got != "closed" {
		t.Errorf("the referral after closing: %q", got)
	}

	// 9. The child told the counsellor their school and name: the
	// counsellor links the incident to the record without seeing it, and
	// the school's counsellor, who now sees the incident, plans the
	// follow-up in the support plan.
	sch := newBrowser(t, srv.URL, 1280, 900)
	sch.signInEnrolled("counsellor")
	crisisStatus(t, sch, "school counsellor before identification", inc, 404)
	hot.open(inc)
	hot.do(chromedp.Click(chromedp.CSS("#identify > summary"), chromedp.NodeVisible))
	school := crisisPick(t, hot, "#identify-school", "玄武实验小学")
	sch.open("/students?school=" + school)
	names, grades, classes := sch.texts("tbody tr td:nth-child(1) a"), sch.texts("tbody tr td:nth-child(4)"), sch.texts("tbody tr td:nth-child(5)")
	if len(names) == 0 || len(grades) == 0 || len(classes) == 0 {
		t.Fatalf("the school counsellor lists no students:\n%s", sch.text("main"))
	}
	childName := names[0]
	hot.setValue("#identify-name", "查无此人")
	if st := hot.click("#identify-save"); st != 422 {
		t.Errorf("identify an unknown child: status %d, want 422", st)
	}
	if !strings.Contains(hot.text("#identify"), zhText("crisis.identify_none")) {
		t.Errorf("the unknown child's error is not shown: %q", hot.text("#identify"))
	}
	crisisPick(t, hot, "#identify-school", "玄武实验小学")
	hot.setValue("#identify-name", childName)
	hot.setValue("#identify-grade", grades[0])
	hot.setValue("#identify-class", classes[0])
	if st := hot.click("#identify-save"); st != 200 {
		t.Fatalf("identify the child: status %d:\n%s", st, hot.text("main"))
	}
	hot.wantPath(inc)
	if !hot.present(`#timeline li.step[data-kind="identified"]`) || hot.present("#identify") {
		t.Error("the identification is not on the timeline, or the form is still offered")
	}
	if got := hot.text("#incident-child"); !strings.Contains(got, zhText("crisis.known_student")) || strings.Contains(got, childName) {
		t.Errorf("the hotline counsellor's child line reads %q: want a known student without the record's name", got)
	}
	crisisNever(t, hot, "hotline counsellor after identification", childName)
	if st := sch.open(inc); st != 200 {
		t.Fatalf("the school counsellor cannot open the identified incident: status %d", st)
	}
	if got := sch.text("#incident-child"); !strings.Contains(got, childName) {
		t.Errorf("the school counsellor's child line reads %q, want %s", got, childName)
	}
	crisisStep(t, sch, inc, "follow_up_planned", func() {
		sch.setValue("#follow_up_kind", "student")
		sch.setValue("#follow_up_due", time.Now().Add(72*time.Hour).In(cst).Format("2006-01-02T15:04"))
	})
	crisisWantState(t, sch, "school counsellor", inc, "#incident-state", "follow_up_planned")
	if !sch.present(`#timeline li.step[data-kind="state"][data-state="follow_up_planned"] a.case-link`) {
		t.Fatalf("the follow-up step does not link to the case it fed:\n%s", sch.text("#timeline"))
	}
	sch.click(`#timeline li.step[data-state="follow_up_planned"] a.case-link`)
	if got := sch.text("#case-title"); !strings.Contains(got, childName) {
		t.Errorf("the case's title reads %q, want the child %s", got, childName)
	}
	if got := sch.texts("#follow-ups li"); len(got) != 1 || !strings.Contains(got[0], zhText("case.follow_up_kind.student")) {
		t.Errorf("the support plan's follow-ups: %q, want the one the incident planned", got)
	}
	hot.open(inc)
	if !hot.present(`#timeline li.step[data-kind="state"][data-state="follow_up_planned"]`) {
		t.Error("the follow-up is not on the hotline counsellor's timeline")
	}
	hot.setValue("#notified", "no")
	hot.setValue("#why_not", "匿名来访，未留监护人联系方式")
	if st := hot.click("#guardian-save"); st != 200 {
		t.Fatalf("the guardian decision: status %d:\n%s", st, hot.text("main"))
	}
	if hot.present("#guardian-none") {
		t.Error("the guardian decision was not recorded")
	}
	crisisStep(t, hot, inc, "reviewed", func() {
		hot.setValue("#what_happened", "深夜在线求助，表达当晚结束生命")
		hot.setValue("#what_worked", "快速开案、警方及时到场")
		hot.setValue("#what_to_change", lesson)
	})
	if !strings.Contains(hot.text("#reviews"), lesson) {
		t.Error("the case review is not shown")
	}
	crisisStep(t, hot, inc, "closed", nil)
	crisisWantState(t, hot, "counsellor", inc, "#incident-state", "reviewed")
	if !hot.present("#pending") || hot.present("#cosign-sign") {
		t.Error("the closing should wait for a co-signature the counsellor cannot give")
	}

	sup.open(inc + "/cosign")
	if st := sup.click("#cosign-sign"); st != 200 {
		t.Fatalf("co-sign the closing: status %d:\n%s", st, sup.text("main"))
	}
	crisisWantState(t, sup, "supervisor", inc+"/cosign", "#incident-state", "closed")
	hot.open(inc)
	crisisWantState(t, hot, "counsellor", inc, "#incident-state", "closed")
	if n := hot.count(`#timeline li.step[data-kind="state"]`); n != 12 {
		t.Errorf("%d state steps on the timeline, want 12 (opened … closed, with en route)", n)
	}
	if hot.present("#next-steps") || hot.present("#details-form") || hot.present("#guardian-form") {
		t.Error("a closed incident still offers forms")
	}
	hot.screenshot("crisis-closed")
	hot.open("/crisis?list=closed")
	if !hot.present(`li.incident-row[data-id="` + id + `"]`) {
		t.Error("the closed incident is not on the closed list")
	}
	crisisStatus(t, hot, "hotline counsellor", "/referrals/"+ref, 403)
	crisisStatus(t, hot, "hotline counsellor", "/police/"+id, 403)

	// The police after the closing: still only their incident, nothing to do.
	cop.open("/police/" + id)
	if cop.present("#police-steps") {
		t.Error("the police may act on a closed incident")
	}
	crisisNever(t, cop, "police after closing", lesson, advice, reason, "市脑科医院")

	// 10. The school's counsellor sees the incident of their student, but
	// not the police's pages, the hospital's, or the station's referral.
	crisisStatus(t, sch, "school counsellor", inc, 200)
	crisisStatus(t, sch, "school counsellor", "/police/"+id, 403)
	crisisStatus(t, sch, "school counsellor", hbase, 403)
	crisisStatus(t, sch, "school counsellor", "/referrals/"+ref, 404)
	sch.open("/crisis?list=closed")
	if !sch.present(`li.incident-row[data-id="` + id + `"]`) {
		t.Error("the school counsellor does not list their student's incident")
	}
	sch.open("/referrals")
	if sch.present(`a[href="/referrals/` + ref + `"]`) {
		t.Error("the school counsellor lists the station's referral")
	}
}
