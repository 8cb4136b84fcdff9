package phone_test

import (
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/hotline"
	"github.com/careloop/careloop/internal/hotline/phone"
)

const number = "+86 138 0013 8000"

// A call from a known number: the screen-pop shows the earlier contact
// and the flag while it rings, audited once per counsellor however often
// the panel polls; the answer opens a draft phone contact held by the
// counsellor, joined to the profile; the end stores the metrics. The
// number itself is stored nowhere.
func TestCallLifecycle(t *testing.T) {
	e := newEnv(t)
	prior, _, err := e.hot.Start(e.ctx, e.b, hotline.NewContact{StationID: e.station.ID, Channel: "wechat",
		Identifier: hotline.Identifier{Kind: "phone", Value: "13800138000"}})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.hot.SetFlag(e.ctx, e.sup, prior.ProfileID, "high_risk", "曾提到自伤", e.clk.Now().AddDate(0, 1, 0)); err != nil {
		t.Fatal(err)
	}
	t0 := e.clk.Now()
	out := e.report(phone.Event{Event: "offered", CallRef: "pbx-1", StationID: e.station.ID, Seq: seq(1), At: t0, Caller: number})
	if out.State != "offered" || out.Result != "applied" {
		t.Fatalf("offered: %+v", out)
	}
	if got := e.num(`SELECT profile_id FROM phone_calls WHERE id = ?`, out.CallID); got != prior.ProfileID {
		t.Errorf("the call's profile is %d, want the number's profile %d", got, prior.ProfileID)
	}
	for _, q := range []string{`SELECT COUNT(*) FROM phone_calls WHERE call_ref LIKE '%13800138000%' OR end_reason LIKE '%138%'`,
		`SELECT COUNT(*) FROM contact_profiles WHERE key_hash LIKE '%13800138000%'`} {
		if e.num(q) != 0 {
			t.Errorf("the caller's number is stored: %s", q)
		}
	}

	for range 3 { // the panel polls
		rings, err := e.svc.Ringing(e.ctx, e.a)
		if err != nil || len(rings) != 1 || rings[0].State != "offered" || rings[0].Pop == nil {
			t.Fatalf("ringing for a: %+v %v", rings, err)
		}
		pop := rings[0].Pop
		if len(pop.Earlier) != 1 || pop.Earlier[0].ID != prior.ID || len(pop.Flags) != 1 || pop.Flags[0].Reason != "曾提到自伤" {
			t.Fatalf("screen-pop: %+v", pop)
		}
	}
	if rings, _ := e.svc.Ringing(e.ctx, e.b); len(rings) != 1 {
		t.Errorf("b, at the same station, sees %d ringing calls, want 1", len(rings))
	}
	if n := e.audits("phone.screen_pop"); n != 2 {
		t.Errorf("%d screen-pop audit entries after three polls by a and one by b, want 2", n)
	}
	if rings, err := e.svc.Ringing(e.ctx, e.stranger); err != nil || len(rings) != 0 {
		t.Errorf("a counsellor of another station sees %d ringing calls (%v)", len(rings), err)
	}

	e.clk.Advance(20 * time.Second)
	out = e.report(phone.Event{Event: "answered", CallRef: "pbx-1", Seq: seq(2), At: e.clk.Now(), UserID: e.a.UserID})
	if out.State != "answered" || out.ContactID == 0 {
		t.Fatalf("answered: %+v", out)
	}
	c, err := e.hot.FindContact(e.ctx, e.a, out.ContactID)
	if err != nil || c.Channel != "phone" || c.State != "draft" || c.CounsellorID != e.a.UserID || c.ProfileID != prior.ProfileID ||
		!c.StartedAt.Equal(e.clk.Now()) {
		t.Fatalf("the call's contact: %+v %v", c, err)
	}
	rings, err := e.svc.Ringing(e.ctx, e.a)
	if err != nil || len(rings) != 1 || rings[0].State != "answered" || rings[0].ContactID != c.ID || len(rings[0].Pop.Earlier) != 1 {
		t.Fatalf("in the call, a sees %+v %v (the pop without the call's own draft)", rings, err)
	}
	if rings, _ := e.svc.Ringing(e.ctx, e.b); len(rings) != 0 {
		t.Errorf("b still sees the answered call ringing")
	}

	e.clk.Advance(10 * time.Minute)
	out = e.report(phone.Event{Event: "ended", CallRef: "pbx-1", Seq: seq(3), At: e.clk.Now(), Reason: "caller_hangup"})
	if out.State != "ended" {
		t.Fatalf("ended: %+v", out)
	}
	calls, err := e.svc.FindCalls(e.ctx, e.sup, "")
	if err != nil || len(calls) != 1 {
		t.Fatalf("calls: %+v %v", calls, err)
	}
	if got := calls[0]; got.Wait() != 20*time.Second || got.Talk() != 10*time.Minute || got.EndReason != "caller_hangup" ||
		got.CounsellorID != e.a.UserID || got.ContactID != c.ID || !got.MayPlay {
		t.Errorf("metrics: %+v wait %v talk %v", got, got.Wait(), got.Talk())
	}
	if rings, _ := e.svc.Ringing(e.ctx, e.a); len(rings) != 0 {
		t.Errorf("the ended call still shows: %+v", rings)
	}
	for _, a := range []string{"phone.offered", "phone.answered", "phone.ended"} {
		if e.audits(a) != 1 {
			t.Errorf("%s audited %d times", a, e.audits(a))
		}
	}
}

// A transfer moves the draft with everything written in it and counts; a
// transfer delivered late (older than the one applied) only counts; a
// transfer to someone who does not answer at the station changes nothing.
func TestTransferMovesDraft(t *testing.T) {
	e := newEnv(t)
	if err := e.svc.SetAgent(e.ctx, e.sup, e.station.ID, "8001", e.a.UserID); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SetAgent(e.ctx, e.sup, e.station.ID, "8002", e.b.UserID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "an extension for a counsellor of another station", e.svc.SetAgent(e.ctx, e.sup, e.station.ID, "8009", e.stranger.UserID), apperr.EInvalid)
	wantCode(t, "a counsellor mapping extensions", e.svc.SetAgent(e.ctx, e.a, e.station.ID, "8009", e.a.UserID), apperr.ENotFound)

	t0 := e.clk.Now()
	e.report(phone.Event{Event: "offered", CallRef: "pbx-2", StationID: e.station.ID, At: t0, Caller: "13900000000"})
	out := e.report(phone.Event{Event: "answered", CallRef: "pbx-2", At: t0.Add(5 * time.Second), Extension: "8001"})
	if _, err := e.hot.Save(e.ctx, e.a, out.ContactID, 1, hotline.Fields{Summary: "说到一半"}); err != nil {
		t.Fatal(err)
	}
	e.report(phone.Event{Event: "transferred", CallRef: "pbx-2", At: t0.Add(3 * time.Minute), Extension: "8002"})
	c, err := e.hot.FindContact(e.ctx, e.b, out.ContactID)
	if err != nil || c.CounsellorID != e.b.UserID || c.Summary != "说到一半" {
		t.Fatalf("after the transfer: %+v %v", c, err)
	}
	// An earlier transfer, to the colleague, arrives late: it counts, the draft stays with b.
	e.report(phone.Event{Event: "transferred", CallRef: "pbx-2", At: t0.Add(2 * time.Minute), UserID: e.colleague.UserID})
	if holder, _, _ := e.hot.Holder(e.ctx, out.ContactID); holder != e.b.UserID {
		t.Errorf("a late transfer moved the draft to %d", holder)
	}
	if n := e.num(`SELECT transfers FROM phone_calls WHERE call_ref = 'pbx-2'`); n != 2 {
		t.Errorf("transfers = %d, want 2", n)
	}
	before := e.state()
	_, err = e.svc.Report(e.ctx, e.pbx, phone.Event{Event: "transferred", CallRef: "pbx-2", At: t0.Add(4 * time.Minute), UserID: e.stranger.UserID})
	wantCode(t, "a transfer to another station's counsellor", err, apperr.EInvalid)
	_, err = e.svc.Report(e.ctx, e.pbx, phone.Event{Event: "transferred", CallRef: "pbx-2", At: t0.Add(4 * time.Minute), Extension: "9999"})
	wantCode(t, "a transfer to an unknown extension", err, apperr.EInvalid)
	if after := e.state(); after != before {
		t.Errorf("refused transfers changed %v to %v", before, after)
	}
	if n := e.num(`SELECT counsellor_id FROM phone_calls WHERE call_ref = 'pbx-2'`); n != e.b.UserID {
		t.Errorf("the call's counsellor is %d, want b", n)
	}
}

// A call nobody answers is abandoned (for call-back); an answer that was
// delivered after the hang-up still opens the draft, one claiming a time
// after the hang-up is refused.
func TestAbandonedCall(t *testing.T) {
	e := newEnv(t)
	t0 := e.clk.Now()
	e.report(phone.Event{Event: "offered", CallRef: "gone", StationID: e.station.ID, At: t0})
	out := e.report(phone.Event{Event: "ended", CallRef: "gone", At: t0.Add(40 * time.Second), Reason: "caller_hangup"})
	if out.State != "abandoned" || out.ContactID != 0 {
		t.Fatalf("unanswered: %+v", out)
	}
	if n := e.num(`SELECT COUNT(*) FROM phone_calls WHERE state = 'abandoned' AND answered_at = 0 AND ended_at > offered_at AND profile_id = 0`); n != 1 {
		t.Errorf("%d abandoned calls with a withheld number", n)
	}
	if rings, _ := e.svc.Ringing(e.ctx, e.a); len(rings) != 0 {
		t.Errorf("an abandoned call still rings")
	}

	e.report(phone.Event{Event: "offered", CallRef: "late", StationID: e.station.ID, At: t0, Caller: "13700000000"})
	e.report(phone.Event{Event: "ended", CallRef: "late", At: t0.Add(time.Minute)})
	before := e.state()
	_, err := e.svc.Report(e.ctx, e.pbx, phone.Event{Event: "answered", CallRef: "late", At: t0.Add(2 * time.Minute), UserID: e.a.UserID})
	wantCode(t, "an answer after the hang-up", err, apperr.EInvalid)
	if after := e.state(); after != before {
		t.Errorf("a refused answer changed %v to %v", before, after)
	}
	out = e.report(phone.Event{Event: "answered", CallRef: "late", At: t0.Add(10 * time.Second), UserID: e.a.UserID})
	if out.State != "ended" || out.ContactID == 0 {
		t.Errorf("an answer delivered late: %+v", out)
	}
	if n := e.num(`SELECT answered_at FROM phone_calls WHERE call_ref = 'late'`); n == 0 {
		t.Error("no answer time")
	}
}

// An event delivered twice, by sequence number or by time, is applied once.
func TestDuplicateEventsIgnored(t *testing.T) {
	e := newEnv(t)
	t0 := e.clk.Now()
	offer := phone.Event{Event: "offered", CallRef: "dup", StationID: e.station.ID, Seq: seq(1), At: t0, Caller: number}
	e.report(offer)
	before := e.state()
	if out := e.report(offer); out.Result != "duplicate" {
		t.Errorf("offered again: %+v", out)
	}
	answer := phone.Event{Event: "answered", CallRef: "dup", Seq: seq(2), At: t0.Add(time.Second), UserID: e.a.UserID}
	first := e.report(answer)
	mid := e.state()
	answer.At = t0.Add(3 * time.Second) // a retry with the same sequence number
	if out := e.report(answer); out.Result != "duplicate" || out.ContactID != first.ContactID {
		t.Errorf("answered again: %+v", out)
	}
	if after := e.state(); after != mid || mid == before {
		t.Errorf("states %v %v %v", before, mid, after)
	}
	// Without sequence numbers, the time tells.
	move := phone.Event{Event: "transferred", CallRef: "dup", At: t0.Add(time.Minute), UserID: e.b.UserID}
	e.report(move)
	if out := e.report(move); out.Result != "duplicate" {
		t.Errorf("transferred again: %+v", out)
	}
	if n := e.num(`SELECT transfers FROM phone_calls WHERE call_ref = 'dup'`); n != 1 {
		t.Errorf("transfers = %d, want 1", n)
	}
	// Answered by someone else after the answer: too late to matter.
	if out := e.report(phone.Event{Event: "answered", CallRef: "dup", Seq: seq(9), At: t0.Add(2 * time.Minute), UserID: e.b.UserID}); out.Result != "ignored" {
		t.Errorf("a second answer: %+v", out)
	}
	if n := e.num(`SELECT COUNT(*) FROM contacts`); n != 1 {
		t.Errorf("%d contacts, want 1", n)
	}
}

// Bad input, unknown calls and calls of other stations are refused with a
// clear code, and change nothing.
func TestRefusedEventsChangeNothing(t *testing.T) {
	e := newEnv(t)
	t0 := e.clk.Now()
	e.report(phone.Event{Event: "offered", CallRef: "known", StationID: e.station.ID, At: t0})
	cases := []struct {
		name string
		p    access.Principal
		ev   phone.Event
		code apperr.Code
		key  string
	}{
		{"unknown event", e.pbx, phone.Event{Event: "ringing", CallRef: "known"}, apperr.EInvalid, "event"},
		{"bad call ref", e.pbx, phone.Event{Event: "ended", CallRef: "a b/../c"}, apperr.EInvalid, "call_ref"},
		{"empty call ref", e.pbx, phone.Event{Event: "ended"}, apperr.EInvalid, "call_ref"},
		{"offered without a station", e.pbx, phone.Event{Event: "offered", CallRef: "new"}, apperr.EInvalid, "station_id"},
		{"in the future", e.pbx, phone.Event{Event: "ended", CallRef: "known", At: t0.Add(time.Hour)}, apperr.EInvalid, "at"},
		{"negative sequence", e.pbx, phone.Event{Event: "ended", CallRef: "known", Seq: seq(-1)}, apperr.EInvalid, "seq"},
		{"answered by nobody", e.pbx, phone.Event{Event: "answered", CallRef: "known"}, apperr.EInvalid, "user_id"},
		{"answered by a stranger", e.pbx, phone.Event{Event: "answered", CallRef: "known", UserID: e.stranger.UserID}, apperr.EInvalid, "user_id"},
		{"answered by an unknown extension", e.pbx, phone.Event{Event: "answered", CallRef: "known", Extension: "1234"}, apperr.EInvalid, "user_id"},
		{"answered by the supervisor's id, no account", e.pbx, phone.Event{Event: "answered", CallRef: "known", UserID: 987654}, apperr.EInvalid, "user_id"},
		{"a reason on an answer", e.pbx, phone.Event{Event: "answered", CallRef: "known", UserID: e.a.UserID, Reason: "timeout"}, apperr.EInvalid, "reason"},
		{"an unknown reason", e.pbx, phone.Event{Event: "ended", CallRef: "known", Reason: "bored"}, apperr.EInvalid, "reason"},
		{"ended before offered", e.pbx, phone.Event{Event: "ended", CallRef: "known", At: t0.Add(-time.Minute)}, apperr.EInvalid, "at"},
		{"wrong station", e.pbx, phone.Event{Event: "ended", CallRef: "known", StationID: e.branch.ID}, apperr.EInvalid, "station_id"},
		{"unknown call", e.pbx, phone.Event{Event: "answered", CallRef: "never", UserID: e.a.UserID}, apperr.ENotFound, ""},
		{"transfer before the answer", e.pbx, phone.Event{Event: "transferred", CallRef: "known", UserID: e.b.UserID}, apperr.EConflict, ""},
		{"another station's PBX", e.pbxOther, phone.Event{Event: "ended", CallRef: "known"}, apperr.ENotFound, ""},
		{"another station's PBX offers there", e.pbxOther, phone.Event{Event: "offered", CallRef: "x1", StationID: e.station.ID}, apperr.ENotFound, ""},
		{"a call reference taken by another station", e.pbxOther, phone.Event{Event: "offered", CallRef: "known", StationID: e.other.ID}, apperr.EConflict, ""},
		{"offered at a district", e.pbx, phone.Event{Event: "offered", CallRef: "x2", StationID: e.city.ID}, apperr.ENotFound, ""},
		{"a counsellor is not a PBX", e.a, phone.Event{Event: "offered", CallRef: "x3", StationID: e.station.ID}, apperr.ENotFound, ""},
		{"a PBX token without the permission", access.Principal{UserID: e.pbx.UserID, Memberships: e.pbx.Memberships, Limit: []access.Permission{access.TokenOwn}},
			phone.Event{Event: "ended", CallRef: "known"}, apperr.ENotFound, ""},
	}
	for _, tc := range cases {
		before := e.state()
		_, err := e.svc.Report(e.ctx, tc.p, tc.ev)
		wantCode(t, tc.name, err, tc.code)
		if tc.key != "" {
			if f := apperr.FieldsOf(err); f[tc.key] == "" {
				t.Errorf("%s: no problem named for %s in %v", tc.name, tc.key, f)
			}
		}
		if err != nil && strings.Contains(err.Error(), "13800") {
			t.Errorf("%s: the error names the number", tc.name)
		}
		if after := e.state(); after != before {
			t.Errorf("%s changed %v to %v", tc.name, before, after)
		}
	}
	if e.str(`SELECT state FROM phone_calls WHERE call_ref = 'known'`) != "offered" {
		t.Error("the known call changed")
	}
}
