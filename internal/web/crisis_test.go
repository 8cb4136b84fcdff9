package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strings"
	"testing"
)

// crisisOption returns the value of the first option of the select named name.
func crisisOption(t *testing.T, body, name string) string {
	t.Helper()
	m := regexp.MustCompile(`name="` + name + `"[^>]*>\s*<option value="(\d+)"`).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("no option for %s in %.500s", name, body)
	}
	return m[1]
}

// wantStatus posts a form and checks the status; a 303 returns its target.
func (c *client) crisisPost(path string, form url.Values, status int) string {
	c.t.Helper()
	resp, body := c.post(path, form)
	if resp.StatusCode != status {
		c.t.Fatalf("POST %s %v: %d, want %d\n%.600s", path, form, resp.StatusCode, status, body)
	}
	return resp.Header.Get("Location")
}

func (c *client) crisisPage(path string, status int) string {
	c.t.Helper()
	resp, body := c.get(path)
	if resp.StatusCode != status {
		c.t.Fatalf("GET %s: %d, want %d\n%.600s", path, resp.StatusCode, status, body)
	}
	return body
}

var crisisStateTag = regexp.MustCompile(`id="incident-state" data-state="([a-z_]+)"`)

// A whole crisis through the pages, as the demo's people: the hotline
// counsellor opens an incident from a contact with one button and takes it
// to a police request; the supervisor co-signs it; the police liaison sees
// only the minimum and records the rescue; the counsellor hands over,
// plans the follow-up, records the guardian decision and the review; the
// supervisor co-signs the closing. Others see nothing.
func TestCrisisPagesWalk(t *testing.T) {
	inst := start(t)
	hot := newClient(t, inst.URL)
	hot.signInFully("hotline")

	station := crisisOption(t, hot.crisisPage("/contacts", http.StatusOK), "station")
	loc := hot.crisisPost("/contacts", url.Values{"station": {station}, "channel": {"phone"}}, http.StatusSeeOther)
	contact := strings.TrimPrefix(loc, "/contacts/")
	loc = hot.crisisPost("/crisis", url.Values{"source": {"contact"}, "source_id": {contact}}, http.StatusSeeOther)
	if !regexp.MustCompile(`^/crisis/\d+$`).MatchString(loc) {
		t.Fatalf("open from a contact went to %q", loc)
	}
	inc := loc
	id := strings.TrimPrefix(inc, "/crisis/")
	body := hot.crisisPage(inc, http.StatusOK)
	if m := crisisStateTag.FindStringSubmatch(body); m == nil || m[1] != "opened" {
		t.Fatalf("new incident page: %.800s", body)
	}
	// The one short form refuses a bad risk code and keeps what was typed.
	resp, body := hot.post("/crisis", url.Values{"location": {"玄武湖边"}, "risk_plan": {"maybe"}})
	if resp.StatusCode != http.StatusUnprocessableEntity || !strings.Contains(body, "玄武湖边") {
		t.Errorf("bad risk: %d", resp.StatusCode)
	}
	hot.crisisPost(inc+"/details", url.Values{"location": {"玄武湖公园北门"}, "callback": {"13912345678"}, "description": {"孩子说在湖边，不想活了"},
		"risk_ideation": {"active"}, "risk_intent": {"yes"}, "risk_plan": {"specific"}, "risk_means": {"access"}, "risk_timeframe": {"now"},
		"risk_behaviour": {"unknown"}}, http.StatusSeeOther)
	hot.crisisPost(inc+"/steps", url.Values{"to": {"assessing"}}, http.StatusSeeOther)
	hot.crisisPost(inc+"/steps", url.Values{"to": {"closed"}}, http.StatusUnprocessableEntity)
	hot.crisisPost(inc+"/steps", url.Values{"to": {"rescue_needed"}, "note": {"需要立即救援"}}, http.StatusSeeOther)
	police := crisisOption(t, hot.crisisPage(inc, http.StatusOK), "police_unit")
	hot.crisisPost(inc+"/steps", url.Values{"to": {"police_requested"}, "police_unit": {police}}, http.StatusSeeOther)
	body = hot.crisisPage(inc, http.StatusOK)
	if !strings.Contains(body, `id="withdraw"`) || strings.Contains(body, `id="cosign-sign"`) {
		t.Error("the requester is offered a co-signature of their own request")
	}
	step := regexp.MustCompile(`/crisis/\d+/steps/(\d+)/withdraw`).FindStringSubmatch(body)[1]
	hot.crisisPost(inc+"/steps/"+step+"/cosign", url.Values{"decision": {"signed"}}, http.StatusForbidden)

	sup := newClient(t, inst.URL)
	sup.signInFully("supervisor")
	if !strings.Contains(sup.crisisPage("/crisis/cosign", http.StatusOK), `data-id="`+id+`"`) {
		t.Error("the incident is not on the supervisor's co-sign list")
	}
	if !strings.Contains(sup.crisisPage(inc+"/cosign", http.StatusOK), `id="cosign-sign"`) {
		t.Fatal("no co-sign button for the supervisor")
	}
	sup.crisisPost(inc+"/steps/"+step+"/cosign", url.Values{"decision": {"signed"}}, http.StatusSeeOther)
	if m := crisisStateTag.FindStringSubmatch(hot.crisisPage(inc, http.StatusOK)); m == nil || m[1] != "police_requested" {
		t.Fatalf("after the co-signature: %v", m)
	}

	cop := newClient(t, inst.URL)
	cop.signInFully("police")
	list := cop.crisisPage("/police", http.StatusOK)
	if strings.Count(list, `class="police-row"`) != 1 || !strings.Contains(list, `data-id="`+id+`"`) {
		t.Errorf("police list: %.800s", list)
	}
	view := cop.crisisPage("/police/"+id, http.StatusOK)
	for _, want := range []string{"玄武湖公园北门", "13912345678", "孩子说在湖边", `id="police-police_acknowledged"`} {
		if !strings.Contains(view, want) {
			t.Errorf("police view lacks %q", want)
		}
	}
	for _, never := range []string{"吴咨询", "需要立即救援", "/contacts/", "incident-child"} {
		if strings.Contains(view, never) {
			t.Errorf("police view shows %q", never)
		}
	}
	cop.crisisPage(inc, http.StatusForbidden)
	cop.crisisPost(inc+"/steps", url.Values{"to": {"handed_over"}, "handed_to": {"guardian"}}, http.StatusForbidden)
	cop.crisisPost("/police/"+id+"/steps", url.Values{"to": {"police_acknowledged"}}, http.StatusUnprocessableEntity)
	for _, f := range []url.Values{{"to": {"police_acknowledged"}, "police_ref": {"JJ-2026-0001"}}, {"to": {"on_scene"}},
		{"to": {"safety_confirmed"}, "note": {"已找到，情绪稳定"}}} {
		cop.crisisPost("/police/"+id+"/steps", f, http.StatusSeeOther)
	}
	cop.crisisPost("/police/"+id+"/steps", url.Values{"to": {"handed_over"}, "handed_to": {"guardian"}}, http.StatusForbidden)

	hot.crisisPost(inc+"/steps", url.Values{"to": {"handed_over"}, "handed_to": {"guardian"}}, http.StatusSeeOther)
	hot.crisisPost(inc+"/steps", url.Values{"to": {"follow_up_planned"}, "follow_up_kind": {"family"}}, http.StatusSeeOther)
	hot.crisisPost(inc+"/steps", url.Values{"to": {"reviewed"}, "what_happened": {"夜间来电"}, "what_worked": {"快速会签"},
		"what_to_change": {"提前约定回拨"}}, http.StatusSeeOther)
	hot.crisisPost(inc+"/steps", url.Values{"to": {"closed"}}, http.StatusUnprocessableEntity) // no guardian decision yet
	hot.crisisPost(inc+"/guardian", url.Values{"notified": {"yes"}}, http.StatusSeeOther)
	hot.crisisPost(inc+"/steps", url.Values{"to": {"closed"}}, http.StatusSeeOther)
	step = regexp.MustCompile(`/crisis/\d+/steps/(\d+)/cosign`).FindStringSubmatch(sup.crisisPage(inc+"/cosign", http.StatusOK))[1]
	sup.crisisPost(inc+"/steps/"+step+"/cosign", url.Values{"decision": {"signed"}}, http.StatusSeeOther)
	body = hot.crisisPage(inc, http.StatusOK)
	if m := crisisStateTag.FindStringSubmatch(body); m == nil || m[1] != "closed" {
		t.Fatalf("after closing: %v", m)
	}
	for _, want := range []string{"JJ-2026-0001", "已找到，情绪稳定", "提前约定回拨", "13912345678"} {
		if !strings.Contains(body, want) {
			t.Errorf("the closed incident's page lacks %q", want)
		}
	}
	if n := strings.Count(body, `class="step" data-kind="state"`); n != 11 {
		t.Errorf("%d state steps on the timeline, want 11", n)
	}
	if !strings.Contains(hot.crisisPage("/crisis?list=closed", http.StatusOK), `data-id="`+id+`"`) {
		t.Error("not on the closed list")
	}

	// Outside the handling unit's chain: nothing. (Five sign-ins with a
	// second factor use the sign-in limiter's burst of ten.)
	for _, who := range []string{"xuanwu.coord", "counsellor"} {
		c := newClient(t, inst.URL)
		c.signInFully(who)
		c.crisisPage(inc, http.StatusNotFound)
		if strings.Contains(c.crisisPage("/crisis?list=closed", http.StatusOK), `data-id="`+id+`"`) {
			t.Errorf("%s lists the incident", who)
		}
		c.crisisPage("/police/"+id, http.StatusForbidden)
	}
}
