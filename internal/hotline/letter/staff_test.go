package letter_test

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/hotline/letter"
)

func TestDeadlinesOrderTheListAndMarkOverdue(t *testing.T) {
	e := newEnv(t)
	sup := e.user(access.HotlineSupervisor, e.station)
	counsellor := e.user(access.HotlineCounsellor, e.station)
	// The first branch answers within a day; the second inherits the
	// station's 48 hours; risk expressions make a letter due in 4 hours.
	if err := e.svc.SetReplyWithin(e.ctx, sup, e.b1.ID, 24); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SetReplyWithin(e.ctx, sup, e.station.ID, 48); err != nil {
		t.Fatal(err)
	}
	err := e.svc.SetReplyWithin(e.ctx, counsellor, e.b1.ID, 1)
	wantCode(t, "a counsellor sets a deadline", err, apperr.ENotFound)
	wantCode(t, "a deadline of 0 hours", e.svc.SetReplyWithin(e.ctx, sup, e.b1.ID, 0), apperr.EInvalid)
	e.svc.Risk = func(text string) []string {
		if strings.Contains(text, "不想活") {
			return []string{"suicide"}
		}
		return nil
	}

	start := e.clk.Now()
	b2 := e.write(e.b2, "西城的信") // due +48h
	e.clk.Advance(time.Hour)
	b1 := e.write(e.b1, "东城的信") // due +1h+24h
	e.clk.Advance(time.Hour)
	risky := e.write(e.b2, "我真的不想活了")  // due +2h+4h
	top := e.write(e.station, "给总站的信") // due +2h+48h
	wantDue := map[int64]time.Duration{b2.ID: 48 * time.Hour, b1.ID: 25 * time.Hour, risky.ID: 6 * time.Hour, top.ID: 50 * time.Hour}
	for id, d := range wantDue {
		if got := time.UnixMicro(e.num(`SELECT due_at FROM letters WHERE id = ?`, id)).Sub(start); got != d {
			t.Errorf("letter %d due after %v, want %v", id, got, d)
		}
	}

	list, err := e.svc.FindLetters(e.ctx, counsellor, letter.Filter{})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := ids(list), []int64{risky.ID, b1.ID, b2.ID, top.ID}; !slices.Equal(got, want) {
		t.Fatalf("list %v, want by deadline %v", got, want)
	}
	if !slices.Equal(list[0].Flags, []string{"suicide"}) || slices.ContainsFunc(list, func(l *letter.Letter) bool { return l.Overdue }) {
		t.Errorf("flags %v; nothing is overdue yet", list[0].Flags)
	}

	// A day later the risky letter is overdue, and b1's after another 3
	// hours; an answered letter is not overdue, a closed one leaves the list.
	e.clk.Set(start.Add(24 * time.Hour))
	list, _ = e.svc.FindLetters(e.ctx, counsellor, letter.Filter{})
	if !list[0].Overdue || list[1].Overdue {
		t.Errorf("at +24h overdue: %v %v, want only the risky letter", list[0].Overdue, list[1].Overdue)
	}
	e.clk.Set(start.Add(26 * time.Hour))
	if _, err := e.svc.Reply(e.ctx, counsellor, risky.ID, "我们很担心你，请马上拨打热线。"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Close(e.ctx, counsellor, b2.ID, "spam"); err != nil {
		t.Fatal(err)
	}
	list, _ = e.svc.FindLetters(e.ctx, counsellor, letter.Filter{})
	if got := ids(list); !slices.Equal(got, []int64{risky.ID, b1.ID, top.ID}) {
		t.Fatalf("list after reply and close %v", got)
	}
	if list[0].Overdue || !list[1].Overdue || list[2].Overdue || list[0].State != letter.StateAnswered || list[0].AnsweredAt.IsZero() {
		t.Errorf("overdue %v %v %v, state %s", list[0].Overdue, list[1].Overdue, list[2].Overdue, list[0].State)
	}
	closed, _ := e.svc.FindLetters(e.ctx, counsellor, letter.Filter{Closed: true})
	if got := ids(closed); !slices.Equal(got, []int64{b2.ID}) || closed[0].CloseReason != "spam" {
		t.Errorf("closed list %v", got)
	}
	due, _ := e.svc.Due(e.ctx, counsellor)
	if got := ids(due); !slices.Equal(got, []int64{b1.ID, top.ID}) || !due[0].Overdue {
		t.Errorf("due %v: only letters without a reply, overdue first", got)
	}
	ds, err := e.svc.Deadlines(e.ctx, sup)
	if err != nil {
		t.Fatal(err)
	}
	hours := map[int64]int{}
	for _, d := range ds {
		hours[d.ID] = d.Hours
	}
	if hours[e.station.ID] != 48 || hours[e.b1.ID] != 24 || hours[e.b2.ID] != 48 || len(ds) != 3 {
		t.Errorf("deadlines %+v", ds)
	}
}

func TestAnotherStationSeesNothing(t *testing.T) {
	e := newEnv(t)
	mine := e.user(access.HotlineCounsellor, e.b1)
	stranger := e.user(access.HotlineCounsellor, e.other)
	strangerSup := e.user(access.HotlineSupervisor, e.other)
	sibling := e.user(access.HotlineCounsellor, e.b2)
	w := e.write(e.b1, letterText)
	m, err := e.svc.Receive(e.ctx, e.gateway(e.b1), e.b1.ID, multipartMail())
	if err != nil {
		t.Fatal(err)
	}
	for name, p := range map[string]access.Principal{"other station": stranger, "its supervisor": strangerSup, "sibling branch": sibling} {
		list, err := e.svc.FindLetters(e.ctx, p, letter.Filter{})
		if err != nil || len(list) != 0 {
			t.Errorf("%s lists %v (%v)", name, ids(list), err)
		}
		list, err = e.svc.FindLetters(e.ctx, p, letter.Filter{StationID: e.b1.ID})
		if err != nil || len(list) != 0 {
			t.Errorf("%s lists %v at the branch (%v)", name, ids(list), err)
		}
		due, err := e.svc.Due(e.ctx, p)
		if err != nil || len(due) != 0 {
			t.Errorf("%s has %v due (%v)", name, ids(due), err)
		}
		for _, id := range []int64{w.ID, m.ID} {
			_, err := e.svc.Find(e.ctx, p, id)
			wantCode(t, name+" reads", err, apperr.ENotFound)
			wantCode(t, name+" takes", e.svc.Take(e.ctx, p, id), apperr.ENotFound)
			_, err = e.svc.Reply(e.ctx, p, id, "不该看到")
			wantCode(t, name+" replies", err, apperr.ENotFound)
			wantCode(t, name+" closes", e.svc.Close(e.ctx, p, id, "spam"), apperr.ENotFound)
		}
	}
	// Without a hotline role at all: forbidden to list, nothing due.
	nobody := e.user(access.Researcher, e.city)
	_, err = e.svc.FindLetters(e.ctx, nobody, letter.Filter{})
	wantCode(t, "researcher lists", err, apperr.EForbidden)
	if due, err := e.svc.Due(e.ctx, nobody); err != nil || len(due) != 0 {
		t.Errorf("researcher has %v due (%v)", ids(due), err)
	}
	// The branch's own counsellor and the station above see both.
	above := e.user(access.HotlineCounsellor, e.station)
	for name, p := range map[string]access.Principal{"branch": mine, "station above": above} {
		if list, err := e.svc.FindLetters(e.ctx, p, letter.Filter{}); err != nil || len(list) != 2 {
			t.Errorf("%s lists %v (%v), want 2", name, ids(list), err)
		}
	}
	if n := e.num(`SELECT COUNT(*) FROM letter_replies`); n != 0 {
		t.Errorf("%d replies written from outside", n)
	}
}

func TestTakeReplyCloseRules(t *testing.T) {
	e := newEnv(t)
	a := e.user(access.HotlineCounsellor, e.b1)
	b := e.user(access.HotlineCounsellor, e.b1)
	sup := e.user(access.HotlineSupervisor, e.station)
	w := e.write(e.b1, letterText)

	if err := e.svc.Take(e.ctx, a, w.ID); err != nil {
		t.Fatal(err)
	}
	wantCode(t, "b takes a's letter", e.svc.Take(e.ctx, b, w.ID), apperr.EConflict)
	_, err := e.svc.Reply(e.ctx, b, w.ID, "我来回")
	wantCode(t, "b replies to a's letter", err, apperr.EForbidden)
	wantCode(t, "b closes a's letter", e.svc.Close(e.ctx, b, w.ID, "done"), apperr.EForbidden)
	_, err = e.svc.Reply(e.ctx, a, w.ID, "   ")
	wantCode(t, "an empty reply", err, apperr.EInvalid)
	wantCode(t, "a bad reason", e.svc.Close(e.ctx, a, w.ID, "bored"), apperr.EInvalid)
	// The supervisor replies to it without taking it, then takes it over.
	if _, err := e.svc.Reply(e.ctx, sup, w.ID, "督导的回复"); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Take(e.ctx, sup, w.ID); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Close(e.ctx, sup, w.ID, "done"); err != nil {
		t.Fatal(err)
	}
	_, err = e.svc.Reply(e.ctx, sup, w.ID, "再写一句")
	wantCode(t, "a reply to a closed letter", err, apperr.EConflict)
	wantCode(t, "closing twice", e.svc.Close(e.ctx, sup, w.ID, "done"), apperr.EConflict)
	// A closed letter's reply stays readable with the code.
	l, err := e.svc.ReadByCode(e.ctx, w.Code)
	if err != nil || len(l.Replies) != 1 || l.Replies[0].Body != "督导的回复" || l.State != letter.StateClosed {
		t.Errorf("read after closing: %+v %v", l, err)
	}

	// Taking made one draft contact of channel letter, held by a, with the
	// writer's age band; the supervisor's take-over made no second one.
	if n := e.num(`SELECT COUNT(*) FROM contacts WHERE channel = 'letter' AND counsellor_id = ? AND age_band = '13_15' AND station_id = ?`,
		a.UserID, e.b1.ID); n != 1 {
		t.Errorf("%d letter contacts held by a, want 1", n)
	}
	if n := e.num(`SELECT COUNT(*) FROM contacts`); n != 1 {
		t.Errorf("%d contacts, want 1", n)
	}
	if n := e.num(`SELECT contact_id FROM letters WHERE id = ?`, w.ID); n == 0 {
		t.Error("the letter does not name its contact")
	}

	// A reply to a letter nobody holds takes it; an e-mail letter's contact
	// joins the sender's repeat-contacter profile.
	got, err := e.svc.Receive(e.ctx, e.gateway(e.b1), e.b1.ID, multipartMail())
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Reply(e.ctx, b, got.ID, "收到你的邮件了。"); err != nil {
		t.Fatal(err)
	}
	l, err = e.svc.Find(e.ctx, b, got.ID)
	if err != nil || l.AssigneeID != b.UserID || l.ContactID == 0 || len(l.Replies) != 1 || l.Replies[0].Mail != "queued" {
		t.Fatalf("e-mail letter after b's reply: %+v %v", l, err)
	}
	if n := e.num(`SELECT profile_id FROM contacts WHERE id = ?`, l.ContactID); n == 0 {
		t.Error("the e-mail letter's contact has no repeat-contacter profile")
	}
	if n := e.num(`SELECT COUNT(*) FROM contact_profiles WHERE kind = 'email'`); n != 1 {
		t.Errorf("%d e-mail profiles, want 1", n)
	}
}
