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

// refMultipart sends a multipart form with one file per name in files.
func (c *client) refMultipart(path string, form url.Values, files map[string][]byte) (*http.Response, string) {
	c.t.Helper()
	var b bytes.Buffer
	mw := multipart.NewWriter(&b)
	for k, vs := range form {
		for _, v := range vs {
			if err := mw.WriteField(k, v); err != nil {
				c.t.Fatal(err)
			}
		}
	}
	for name, body := range files {
		fw, err := mw.CreateFormFile("documents", name)
		if err != nil {
			c.t.Fatal(err)
		}
		if _, err := fw.Write(body); err != nil {
			c.t.Fatal(err)
		}
	}
	if err := mw.Close(); err != nil {
		c.t.Fatal(err)
	}
	return c.do("POST", path, &b, "Content-Type", mw.FormDataContentType())
}

// refMust fails the test unless resp has the status.
func refMust(t *testing.T, what string, resp *http.Response, body string, status int) {
	t.Helper()
	if resp.StatusCode != status {
		t.Fatalf("%s: %d, want %d\n%.600s", what, resp.StatusCode, status, body)
	}
}

// refFind returns the first submatch of re in body, or fails.
func refFind(t *testing.T, what, re, body string) string {
	t.Helper()
	m := regexp.MustCompile(re).FindStringSubmatch(body)
	if m == nil {
		t.Fatalf("%s: no match for %s in\n%.800s", what, re, body)
	}
	return m[1]
}

// A referral from the school counsellor to the hospital and back: the
// counsellor refers a case with a document; the hospital's liaison sees
// only what it carries, downloads the document, accepts, sets an
// appointment, records the visit and returns feedback (a detailed note is
// refused without consent); the counsellor adds the return plan to the
// support plan and closes the referral.
func TestReferralWalk(t *testing.T) {
	inst := start(t)
	cs := newClient(t, inst.URL)
	cs.signInFully("counsellor")

	// A case for a pupil of the counsellor's school, through a concern.
	_, body := cs.get("/students")
	school := refFind(t, "the school", `<option value="(\d+)"[^>]*>玄武实验小学<`, body)
	_, body = cs.get("/students?school=" + school)
	studentID := refFind(t, "a pupil", `href="/students/(\d+)">`, body)
	name := refFind(t, "the pupil's name", `href="/students/`+studentID+`">([^<]+)</a>`, body)
	resp, body := cs.post("/concerns", url.Values{"student": {studentID}, "signs": {"low_mood"}, "description": {"情绪低落两周"}})
	refMust(t, "report a concern", resp, body, http.StatusOK)
	_, body = cs.get("/alerts")
	alertID := refFind(t, "the alert", `href="/alerts/(\d+)">`+regexp.QuoteMeta(name)+`<`, body)
	resp, body = cs.post("/alerts/"+alertID+"/case", nil)
	refMust(t, "open a case", resp, body, http.StatusSeeOther)
	caseID := refFind(t, "the case", `^/cases/(\d+)`, resp.Header.Get("Location"))

	resp, body = cs.get("/referrals/new?source=case&id=" + caseID)
	refMust(t, "the referral form", resp, body, http.StatusOK)
	if !strings.Contains(body, name) {
		t.Errorf("the form does not name the case's pupil")
	}
	hospital := refFind(t, "the hospital", `<option value="(\d+)"[^>]*>市脑科医院`, body)
	form := url.Values{"source": {"case"}, "source_id": {caseID}, "to_unit": {hospital}, "urgency": {"routine"},
		"reason": {"持续情绪低落，请专业评估"}, "share_guardian": {"1"}}
	resp, body = cs.refMultipart("/referrals", form, nil)
	refMust(t, "a referral without consent", resp, body, http.StatusUnprocessableEntity)
	if !strings.Contains(body, text(t, "zh-CN", "referral.consent_required")) {
		t.Error("no consent_required message")
	}
	form.Set("consent_given", "yes")
	form.Set("consent_by", "mother")
	form.Set("consent_at", time.Now().Add(-time.Hour).In(time.FixedZone("CST", 8*3600)).Format("2006-01-02T15:04"))
	form.Set("consent_how", "written")
	form.Set("consent_version", "v2")
	report := []byte("%PDF-1.4\n评估报告\n%%EOF")
	resp, body = cs.refMultipart("/referrals", form, map[string][]byte{"评估报告.pdf": report})
	refMust(t, "send the referral", resp, body, http.StatusSeeOther)
	refID := refFind(t, "the referral", `^/referrals/(\d+)\?sent=1$`, resp.Header.Get("Location"))
	resp, body = cs.get("/referrals/" + refID + "?sent=1")
	refMust(t, "the referral", resp, body, http.StatusOK)
	for _, want := range []string{text(t, "zh-CN", "referral.sent"), name, text(t, "zh-CN", "referral.state.sent"), "评估报告.pdf"} {
		if !strings.Contains(body, want) {
			t.Errorf("the sent referral lacks %q", want)
		}
	}
	if _, body = cs.get("/referrals"); !strings.Contains(body, `href="/referrals/`+refID+`"`) {
		t.Error("the counsellor's list lacks the referral")
	}

	// The hospital's liaison.
	hs := newClient(t, inst.URL)
	hs.signInFully("hospital")
	if resp, _ := hs.get("/referrals/" + refID); resp.StatusCode != http.StatusForbidden {
		t.Errorf("the liaison on the sender's page: %d, want 403", resp.StatusCode)
	}
	if resp, _ := hs.get("/cases/" + caseID); resp.StatusCode != http.StatusForbidden {
		t.Errorf("the liaison on the case: %d, want 403", resp.StatusCode)
	}
	_, body = hs.get("/hospital")
	if !strings.Contains(body, `href="/hospital/`+refID+`"`) {
		t.Fatalf("the liaison's list lacks the referral:\n%.600s", body)
	}
	base := "/hospital/" + refID
	resp, body = hs.get(base)
	refMust(t, "the hospital's page", resp, body, http.StatusOK)
	if !strings.Contains(body, name) || !strings.Contains(body, "持续情绪低落") || strings.Contains(body, "/cases/") {
		t.Error("the hospital's page does not show what the referral carries, or links the case")
	}
	docID := refFind(t, "the document", `href="/hospital/`+refID+`/documents/(\d+)"`, body)
	resp, got := hs.get(base + "/documents/" + docID)
	refMust(t, "download", resp, got, http.StatusOK)
	if got != string(report) || !strings.HasPrefix(resp.Header.Get("Content-Disposition"), "attachment") {
		t.Errorf("download: %q, %q", got, resp.Header.Get("Content-Disposition"))
	}
	police := newClient(t, inst.URL)
	police.signInFully("police")
	if resp, _ := police.get(base); resp.StatusCode != http.StatusForbidden {
		t.Errorf("the police liaison on the hospital's page: %d", resp.StatusCode)
	}

	resp, body = hs.post(base+"/accept", nil)
	refMust(t, "accept", resp, body, http.StatusOK)
	cst := time.FixedZone("CST", 8*3600)
	resp, body = hs.post(base+"/appointment", url.Values{"appointment_at": {time.Now().Add(24 * time.Hour).In(cst).Format("2006-01-02T15:04")}})
	refMust(t, "appointment", resp, body, http.StatusOK)
	resp, body = hs.post(base+"/seen", url.Values{"seen_at": {time.Now().In(cst).Format("2006-01-02T15:04")}})
	refMust(t, "seen", resp, body, http.StatusOK)
	if !strings.Contains(body, text(t, "zh-CN", "hospital.no_detail_consent")) {
		t.Error("the feedback form does not say that detailed findings need consent")
	}
	resp, body = hs.post(base+"/feedback", url.Values{"recommendations": {"建议每周辅导"}, "detail": {"诊断细节"}})
	refMust(t, "a detailed note without consent", resp, body, http.StatusUnprocessableEntity)
	resp, body = hs.post(base+"/feedback", url.Values{"recommendations": {"建议每周辅导，减轻课业"}, "hospital_stay": {"1"},
		"return_at": {time.Now().Add(7 * 24 * time.Hour).In(cst).Format("2006-01-02")}, "return_plan": {"返校：先半天上课两周"}})
	refMust(t, "feedback", resp, body, http.StatusOK)

	// Back at school.
	resp, body = cs.get("/referrals/" + refID)
	refMust(t, "the referral after feedback", resp, body, http.StatusOK)
	if !strings.Contains(body, "建议每周辅导，减轻课业") || !strings.Contains(body, "返校：先半天上课两周") || strings.Contains(body, "诊断细节") {
		t.Error("the school does not see the recommendations and return plan, or sees a refused note")
	}
	fid := refFind(t, "the adopt button", `action="/referrals/`+refID+`/feedback/(\d+)/adopt"`, body)
	resp, body = cs.post("/referrals/"+refID+"/feedback/"+fid+"/adopt", nil)
	refMust(t, "adopt the return plan", resp, body, http.StatusOK)
	if _, body = cs.get("/cases/" + caseID); !strings.Contains(body, "返校：先半天上课两周") {
		t.Error("the support plan lacks the return plan")
	}
	resp, body = cs.post("/referrals/"+refID+"/close", url.Values{"reason": {"completed"}})
	refMust(t, "close", resp, body, http.StatusOK)
	if !strings.Contains(body, `data-state="closed"`) {
		t.Error("the referral is not closed")
	}
	if _, body = hs.get(base); strings.Contains(body, `id="give-feedback"`) || !strings.Contains(body, `data-state="closed"`) {
		t.Error("the hospital still may act on a closed referral")
	}
	resp, body = cs.get("/referrals/metrics")
	refMust(t, "metrics", resp, body, http.StatusOK)
	if !strings.Contains(body, "市脑科医院") {
		t.Error("the metrics do not list the hospital")
	}
}
