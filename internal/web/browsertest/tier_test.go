package browsertest

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"strings"
	"testing"
	"time"
)

// respondent is a student's client that speaks HTTP: the code form, then
// the JSON submission endpoint, with the sitting cookie.
type respondent struct {
	t    *testing.T
	base string
	c    *http.Client
}

func newRespondent(t *testing.T, base string) *respondent {
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	return &respondent{t: t, base: base, c: &http.Client{Jar: jar, Timeout: 30 * time.Second}}
}

// open posts the code and returns the status of the page it ends on.
func (r *respondent) open(code string) int {
	r.t.Helper()
	resp, err := r.c.PostForm(r.base+"/s", url.Values{"code": {code}})
	if err != nil {
		r.t.Fatalf("POST /s: %v", err)
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, resp.Body)
	return resp.StatusCode
}

// submit posts a whole questionnaire and returns the status and the reply.
func (r *respondent) submit(key string, answers map[string]map[string]int) (int, map[string]any) {
	r.t.Helper()
	body, _ := json.Marshal(map[string]any{"idempotency_key": key, "answers": answers})
	resp, err := r.c.Post(r.base+"/s/answers", "application/json", bytes.NewReader(body))
	if err != nil {
		r.t.Fatalf("POST /s/answers: %v", err)
	}
	defer resp.Body.Close()
	var out map[string]any
	raw, _ := io.ReadAll(resp.Body)
	if err := json.Unmarshal(raw, &out); err != nil {
		r.t.Errorf("POST /s/answers: status %d, body %q is not JSON", resp.StatusCode, raw)
	}
	return resp.StatusCode, out
}

// criticalAnswers is a PHQ-A + GAD-7 battery with mild symptoms and PHQ-A
// item 9 (thoughts of self-harm) answered "more than half the days".
func criticalAnswers() map[string]map[string]int {
	phq := map[string]int{"past_year": 0, "difficulty": 1, "thoughts_month": 0, "attempt_ever": 0}
	gad := map[string]int{}
	for _, id := range []string{"1", "2", "3", "4", "5", "6", "7", "8", "9"} {
		phq[id] = pickAnswer("a:phq-a:" + id)
		if id != "9" {
			gad[id] = pickAnswer("a:gad-7:" + id)
		}
	}
	return map[string]map[string]int{"phq-a": phq, "gad-7": gad}
}

func TestCounsellorSeesTierAndCriticalFlag(t *testing.T) {
	srv := startDemo(t)
	slip, student := demoCode(t, srv)

	// The coordinator's view before the student answers.
	b := signInCoordinator(t, srv.URL)
	openCampaign(t, b, demoCampaignName)
	_, _, completedBefore := progressTotals(b)
	before := tierRows(b)
	for _, name := range b.texts("#tier-students li a") {
		if name == student {
			t.Fatalf("%s is listed as screened before answering", student)
		}
	}

	// The student of 玄武第一中学 answers from a kiosk over HTTP.
	r := newRespondent(t, srv.URL)
	if st := r.open(slip); st != 200 {
		t.Fatalf("open the code: status %d", st)
	}
	st, out := r.submit("kiosk-1", criticalAnswers())
	if st != 200 || out["status"] != "recorded" || out["duplicate"] != false {
		t.Fatalf("submit: status %d, %v", st, out)
	}
	for k := range out {
		if k != "status" && k != "duplicate" {
			t.Errorf("the reply tells the child %q=%v; it should say only that the answers are safe", k, out[k])
		}
	}
	// A retry with the same key is the same submission; another key is refused.
	if st, out := r.submit("kiosk-1", criticalAnswers()); st != 200 || out["duplicate"] != true {
		t.Errorf("retry with the same key: status %d, %v; want 200 and duplicate", st, out)
	}
	if st, out := r.submit("kiosk-2", criticalAnswers()); st != http.StatusConflict {
		t.Errorf("second submission with a new key: status %d, %v; want 409", st, out)
	}
	// The code is single-use.
	if st := newRespondent(t, srv.URL).open(slip); st != http.StatusUnauthorized {
		t.Errorf("the used code opens again: status %d, want 401", st)
	}

	// The coordinator of 玄武区 sees the tier and the critical flag.
	openCampaign(t, b, demoCampaignName)
	if _, _, completed := progressTotals(b); completed != completedBefore+1 {
		t.Errorf("progress: %d completed, want %d:\n%s", completed, completedBefore+1, b.text("#progress-table"))
	}
	if got := b.text("#tier-table"); !strings.Contains(got, "玄武第一中学") {
		t.Errorf("#tier-table lacks 玄武第一中学:\n%s", got)
	}
	wantCritical(t, b, before, "玄武第一中学", student, true)
}
