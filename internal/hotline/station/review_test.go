package station_test

import (
	"bytes"
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/hotline/station"
)

func goodScores() map[string]int {
	return map[string]int{"rapport": 4, "risk_assessment": 5, "safety_planning": 3, "information_accuracy": 4, "record_quality": 2}
}

func ids(cs []station.ContactRef) []int64 {
	var out []int64
	for _, c := range cs {
		out = append(out, c.ContactID)
	}
	slices.Sort(out)
	return out
}

func TestSampleExcludesReviewedDraftsAndOthers(t *testing.T) {
	e := newEnv(t)
	sup := e.user(access.HotlineSupervisor, e.station)
	sup2 := e.user(access.HotlineSupervisor, e.station)
	c := e.user(access.HotlineCounsellor, e.b1)
	per, err := station.Days("2026-03-01", "2026-03-02")
	if err != nil {
		t.Fatal(err)
	}
	in := at(2026, 3, 1, 9, 0)
	var want []int64
	for i := range 4 {
		want = append(want, e.contact(contact{station: e.b1, counsellor: c, started: in.Add(timeHours(i))}))
	}
	want = append(want, e.contact(contact{station: e.station, counsellor: c, started: at(2026, 3, 2, 23, 59), callerType: "adult_about_child"}))
	reviewed := e.contact(contact{station: e.station, counsellor: c, started: in})
	e.contact(contact{station: e.station, counsellor: c, started: in, state: "draft"})
	e.contact(contact{station: e.station, counsellor: c, started: in, callerType: "prank"})
	e.contact(contact{station: e.station, counsellor: c, started: at(2026, 3, 3, 0, 0)})    // the day after the period (CST)
	e.contact(contact{station: e.station, counsellor: c, started: at(2026, 2, 28, 23, 59)}) // the day before
	e.contact(contact{station: e.other, counsellor: e.user(access.HotlineCounsellor, e.other), started: in})
	e.contact(contact{station: e.station, counsellor: sup, started: in}) // the supervisor's own

	if _, err := e.svc.Review(e.ctx, sup2, station.NewReview{ContactID: reviewed, Scores: goodScores()}); err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.Sample(e.ctx, sup, e.station.ID, per, station.MaxSample)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ids(got)) != fmt.Sprint(want) {
		t.Errorf("sample %v, want exactly %v", ids(got), want)
	}
	// A smaller sample is a random subset: over many draws every candidate comes up.
	seen := map[int64]bool{}
	for range 60 {
		got, err := e.svc.Sample(e.ctx, sup, e.station.ID, per, 2)
		if err != nil || len(got) != 2 {
			t.Fatalf("sample of 2: %d %v", len(got), err)
		}
		for _, c := range got {
			if !slices.Contains(want, c.ContactID) {
				t.Fatalf("drew %d, not a candidate", c.ContactID)
			}
			seen[c.ContactID] = true
		}
	}
	if len(seen) != len(want) {
		t.Errorf("60 draws of 2 reached only %d of %d candidates", len(seen), len(want))
	}
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'station.sample' AND actor_user_id = ?`, sup.UserID); n != 61 {
		t.Errorf("%d sample audit entries, want 61", n)
	}
	// Reviewing one removes it from later samples.
	if _, err := e.svc.Review(e.ctx, sup, station.NewReview{ContactID: want[0], Scores: goodScores()}); err != nil {
		t.Fatal(err)
	}
	got, _ = e.svc.Sample(e.ctx, sup, e.station.ID, per, station.MaxSample)
	if fmt.Sprint(ids(got)) != fmt.Sprint(want[1:]) {
		t.Errorf("after a review: %v, want %v", ids(got), want[1:])
	}
	// The branch alone.
	got, _ = e.svc.Sample(e.ctx, sup, e.b1.ID, per, station.MaxSample)
	if fmt.Sprint(ids(got)) != fmt.Sprint(want[1:4]) {
		t.Errorf("branch sample: %v, want %v", ids(got), want[1:4])
	}

	_, err = e.svc.Sample(e.ctx, sup, e.station.ID, per, 0)
	wantCode(t, "sample of 0", err, apperr.EInvalid)
	_, err = e.svc.Sample(e.ctx, c, e.b1.ID, per, 5)
	wantCode(t, "a counsellor draws a sample", err, apperr.ENotFound)
	_, err = e.svc.Sample(e.ctx, e.user(access.HotlineSupervisor, e.other), e.station.ID, per, 5)
	wantCode(t, "another station's supervisor", err, apperr.ENotFound)
}

func TestReviewRules(t *testing.T) {
	e := newEnv(t)
	sup := e.user(access.HotlineSupervisor, e.station)
	c := e.user(access.HotlineCounsellor, e.station)
	done := e.contact(contact{station: e.station, counsellor: c})
	draft := e.contact(contact{station: e.station, counsellor: c, state: "draft"})
	own := e.contact(contact{station: e.station, counsellor: sup})

	bad := goodScores()
	bad["rapport"] = 6
	delete(bad, "record_quality")
	_, err := e.svc.Review(e.ctx, sup, station.NewReview{ContactID: done, Scores: bad})
	wantCode(t, "bad scores", err, apperr.EInvalid)
	if f := apperr.FieldsOf(err); f["score_rapport"] != "station.bad_score" || f["score_record_quality"] != "form.required" {
		t.Errorf("field problems %v", f)
	}
	extra := goodScores()
	extra["charm"] = 5
	_, err = e.svc.Review(e.ctx, sup, station.NewReview{ContactID: done, Scores: extra})
	wantCode(t, "an unknown criterion", err, apperr.EInvalid)

	_, err = e.svc.Review(e.ctx, sup, station.NewReview{ContactID: draft, Scores: goodScores()})
	wantMessage(t, "a draft", err, "station.not_final")
	_, err = e.svc.Review(e.ctx, sup, station.NewReview{ContactID: own, Scores: goodScores()})
	wantMessage(t, "one's own contact", err, "station.own_contact")
	_, err = e.svc.Review(e.ctx, e.user(access.HotlineSupervisor, e.other), station.NewReview{ContactID: done, Scores: goodScores()})
	wantCode(t, "another station's supervisor", err, apperr.ENotFound)
	_, err = e.svc.Review(e.ctx, c, station.NewReview{ContactID: done, Scores: goodScores()})
	wantCode(t, "a counsellor", err, apperr.ENotFound)

	id, err := e.svc.Review(e.ctx, sup, station.NewReview{ContactID: done, Scores: goodScores(), Comment: "共情很好，安全计划要更具体"})
	if err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Review(e.ctx, sup, station.NewReview{ContactID: done, Scores: goodScores()})
	wantMessage(t, "a second review", err, "station.already_reviewed")

	var scores string
	var sealed []byte
	if err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT scores, comment FROM supervision_reviews WHERE id = ?`, id).Scan(&scores, &sealed)
	}); err != nil {
		t.Fatal(err)
	}
	if scores != "rapport=4 risk_assessment=5 safety_planning=3 information_accuracy=4 record_quality=2" {
		t.Errorf("stored scores %q", scores)
	}
	if len(sealed) == 0 || bytes.Contains(sealed, []byte("安全计划")) {
		t.Error("the comment is not sealed")
	}
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'station.review' AND object_id = ?`, fmt.Sprint(done)); n != 1 {
		t.Errorf("%d review audit entries", n)
	}
}

func TestDebriefsForHighRisk(t *testing.T) {
	e := newEnv(t)
	sup := e.user(access.HotlineSupervisor, e.station)
	c := e.user(access.HotlineCounsellor, e.b2)
	high := e.contact(contact{station: e.b2, counsellor: c, risk: "high"})
	imminent := e.contact(contact{station: e.station, counsellor: c, risk: "imminent"})
	e.contact(contact{station: e.station, counsellor: c, risk: "moderate"})
	e.contact(contact{station: e.station, counsellor: c, risk: "high", state: "draft"})
	otherHigh := e.contact(contact{station: e.other, counsellor: e.user(access.HotlineCounsellor, e.other), risk: "imminent"})

	due, err := e.svc.DebriefsDue(e.ctx, sup, e.station.ID)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(ids(due)) != fmt.Sprint([]int64{high, imminent}) {
		t.Errorf("debriefs due %v, want %v", ids(due), []int64{high, imminent})
	}
	_, err = e.svc.RecordDebrief(e.ctx, sup, high, "  ")
	wantCode(t, "an empty note", err, apperr.EInvalid)
	_, err = e.svc.RecordDebrief(e.ctx, sup, otherHigh, "note")
	wantCode(t, "another station's contact", err, apperr.ENotFound)
	if _, err := e.svc.RecordDebrief(e.ctx, sup, high, "回顾了风险评估的顺序"); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.RecordDebrief(e.ctx, sup, high, "again")
	wantMessage(t, "a second debrief", err, "station.already_debriefed")
	due, _ = e.svc.DebriefsDue(e.ctx, sup, e.station.ID)
	if fmt.Sprint(ids(due)) != fmt.Sprint([]int64{imminent}) {
		t.Errorf("after the debrief: %v, want %v", ids(due), []int64{imminent})
	}
	_, err = e.svc.DebriefsDue(e.ctx, c, e.b2.ID)
	wantCode(t, "a counsellor lists debriefs", err, apperr.ENotFound)
}

// TestCounsellorSeesOwnReviewsOnly: two counsellors, each reviewed and
// debriefed; each sees exactly their own, with the comment opened.
func TestCounsellorSeesOwnReviewsOnly(t *testing.T) {
	e := newEnv(t)
	sup := e.user(access.HotlineSupervisor, e.station)
	a := e.user(access.HotlineCounsellor, e.station)
	b := e.user(access.HotlineCounsellor, e.b1)
	ca := e.contact(contact{station: e.station, counsellor: a, risk: "high"})
	cb := e.contact(contact{station: e.b1, counsellor: b})
	if _, err := e.svc.Review(e.ctx, sup, station.NewReview{ContactID: ca, Scores: goodScores(), Comment: "给A的意见"}); err != nil {
		t.Fatal(err)
	}
	sb := goodScores()
	sb["rapport"] = 1
	if _, err := e.svc.Review(e.ctx, sup, station.NewReview{ContactID: cb, Scores: sb, Comment: "给B的意见"}); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.RecordDebrief(e.ctx, sup, ca, "与A复盘"); err != nil {
		t.Fatal(err)
	}

	rs, ds, err := e.svc.MyReviews(e.ctx, a)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].ContactID != ca || rs[0].Comment != "给A的意见" || rs[0].Total() != 18 || rs[0].ReviewerID != sup.UserID {
		t.Errorf("A's reviews: %+v", rs)
	}
	if len(ds) != 1 || ds[0].ContactID != ca || ds[0].Note != "与A复盘" {
		t.Errorf("A's debriefs: %+v", ds)
	}
	rs, ds, err = e.svc.MyReviews(e.ctx, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(rs) != 1 || rs[0].ContactID != cb || rs[0].Comment != "给B的意见" || rs[0].Scores[0] != (station.Score{Code: "rapport", Value: 1}) {
		t.Errorf("B's reviews: %+v", rs)
	}
	if len(ds) != 0 {
		t.Errorf("B sees debriefs: %+v", ds)
	}
	for _, r := range rs {
		if strings.Contains(r.Comment, "A") {
			t.Error("B sees A's comment")
		}
	}
	if _, _, err := e.svc.MyReviews(e.ctx, e.user(access.Coordinator, e.city)); apperr.CodeOf(err) != apperr.EForbidden {
		t.Errorf("a coordinator's own reviews: %v", err)
	}
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'station.my_reviews.read'`); n != 2 {
		t.Errorf("%d audited reads of own reviews, want 2", n)
	}

	per, _ := station.Days("2026-03-03", "2026-03-03")
	rs, ds, err = e.svc.Supervision(e.ctx, sup, e.b1.ID, per)
	if err != nil || len(rs) != 1 || rs[0].ContactID != cb || len(ds) != 0 {
		t.Errorf("the branch's supervision: %+v %+v %v", rs, ds, err)
	}
	rs, ds, _ = e.svc.Supervision(e.ctx, sup, e.station.ID, per)
	if len(rs) != 2 || len(ds) != 1 {
		t.Errorf("the station's supervision: %d reviews, %d debriefs", len(rs), len(ds))
	}
	_, _, err = e.svc.Supervision(e.ctx, a, e.station.ID, per)
	wantCode(t, "a counsellor reads the station's reviews", err, apperr.ENotFound)
}

func TestRubric(t *testing.T) {
	r := station.DefaultRubric()
	if len(r.Criteria) != 5 || r.Min != 1 || r.Max != 5 || fmt.Sprint(r.Scale()) != "[1 2 3 4 5]" {
		t.Errorf("default rubric: %+v", r)
	}
	for _, c := range r.Criteria {
		if c.Label("zh-CN") == "" || c.Label("en") == "" || c.Label("zh-CN") == c.Label("en") {
			t.Errorf("criterion %s labels", c.Code)
		}
	}
	for _, bad := range []string{
		`{"version": "", "criteria": [{"code": "a", "zh": "甲", "en": "A"}], "min": 1, "max": 5}`,
		`{"version": "v", "criteria": [], "min": 1, "max": 5}`,
		`{"version": "v", "criteria": [{"code": "a", "zh": "甲", "en": "A"}, {"code": "a", "zh": "乙", "en": "B"}], "min": 1, "max": 5}`,
		`{"version": "v", "criteria": [{"code": "A=1", "zh": "甲", "en": "A"}], "min": 1, "max": 5}`,
		`{"version": "v", "criteria": [{"code": "a", "zh": "", "en": "A"}], "min": 1, "max": 5}`,
		`{"version": "v", "criteria": [{"code": "a", "zh": "甲", "en": "A"}], "min": 3, "max": 3}`,
		`{"version": "v", "criteria": [{"code": "a", "zh": "甲", "en": "A", "weight": 2}], "min": 1, "max": 5}`,
	} {
		if _, err := station.LoadRubric(strings.NewReader(bad)); err == nil {
			t.Errorf("accepted %s", bad)
		}
	}
}
