package station_test

import (
	"fmt"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/hotline/station"
	"github.com/careloop/careloop/internal/org"
)

// call inserts a phone call offered at offered; answered and ended may be zero.
func (e *env) call(unit *org.Unit, state string, offered, answered, ended, calledBack time.Time) int64 {
	e.t.Helper()
	e.next++
	return e.insert(`INSERT INTO phone_calls (call_ref, station_id, state, offered_at, answered_at, ended_at, called_back_at, updated_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, fmt.Sprintf("pbx-%d", e.next), unit.ID, state, db.Micro(offered), db.Micro(answered), db.Micro(ended),
		db.Micro(calledBack), db.Micro(offered))
}

// chat inserts a conversation offered at offered; taken and ended may be zero.
func (e *env) chat(unit *org.Unit, channel, state string, offered, taken, ended, calledBack time.Time) int64 {
	e.t.Helper()
	e.next++
	return e.insert(`INSERT INTO conversations (station_id, channel, state, visitor_hash, offered_at, taken_at, ended_at, called_back_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, unit.ID, channel, state, fmt.Sprintf("visitor-%d", e.next), db.Micro(offered), db.Micro(taken),
		db.Micro(ended), db.Micro(calledBack))
}

func TestCallBackListAndMarking(t *testing.T) {
	e := newEnv(t)
	c := e.user(access.HotlineCounsellor, e.station)
	branch := e.user(access.HotlineCounsellor, e.b1)
	var zero time.Time
	t0 := at(2026, 3, 3, 1, 0)
	m := func(n int) time.Time { return t0.Add(time.Duration(n) * time.Minute) }

	abandoned := e.call(e.station, "abandoned", m(10), zero, m(12), zero)
	unanswered := e.call(e.b1, "ended", m(5), zero, m(6), zero)
	answered := e.call(e.station, "ended", m(1), m(2), m(9), zero)
	e.call(e.station, "abandoned", m(3), zero, m(4), m(30)) // already called back
	e.call(e.station, "offered", m(40), zero, zero, zero)   // still ringing
	e.call(e.other, "abandoned", m(2), zero, m(3), zero)    // another station
	chatGone := e.chat(e.b2, "web_chat", "abandoned", m(7), zero, m(20), zero)
	wechatEnded := e.chat(e.station, "wechat", "ended", m(8), zero, m(9), zero)
	e.chat(e.station, "web_chat", "active", m(11), m(12), zero, zero)
	e.chat(e.station, "web_chat", "waiting", m(13), zero, zero, zero)
	e.chat(e.station, "web_chat", "ended", m(14), m(15), m(16), zero) // answered
	e.chat(e.other, "web_chat", "abandoned", m(1), zero, m(2), zero)

	list, err := e.svc.CallBacks(e.ctx, c, e.station.ID)
	if err != nil {
		t.Fatal(err)
	}
	got := ""
	for _, cb := range list {
		got += fmt.Sprintf("%s:%d ", cb.Kind, cb.ID)
	}
	want := fmt.Sprintf("call:%d conversation:%d conversation:%d call:%d ", unanswered, chatGone, wechatEnded, abandoned)
	if got != want {
		t.Errorf("call-back list %q, want %q (oldest first)", got, want)
	}
	if len(list) == 4 && (list[3].Waited() != 2*time.Minute || list[3].Channel != "phone" || list[1].Channel != "web_chat") {
		t.Errorf("details: %+v", list[3])
	}

	// A branch counsellor sees the branch's missed call only.
	if bl, err := e.svc.CallBacks(e.ctx, branch, e.b1.ID); err != nil || len(bl) != 1 || bl[0].ID != unanswered {
		t.Errorf("branch list: %+v %v", bl, err)
	}
	_, err = e.svc.CallBacks(e.ctx, branch, e.station.ID)
	wantCode(t, "branch counsellor, main station list", err, apperr.ENotFound)

	e.clk.Set(at(2026, 3, 3, 11, 0))
	if err := e.svc.MarkCalledBack(e.ctx, c, station.KindCall, abandoned); err != nil {
		t.Fatal(err)
	}
	if got := e.num(`SELECT called_back_at FROM phone_calls WHERE id = ?`, abandoned); got != db.Micro(at(2026, 3, 3, 11, 0)) {
		t.Errorf("called_back_at %d", got)
	}
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'station.called_back' AND object_type = 'phone_call' AND object_id = ? AND actor_user_id = ?`,
		fmt.Sprint(abandoned), c.UserID); n != 1 {
		t.Errorf("%d audit entries for the call-back", n)
	}
	if err := e.svc.MarkCalledBack(e.ctx, c, station.KindConversation, wechatEnded); err != nil {
		t.Fatal(err)
	}
	list, _ = e.svc.CallBacks(e.ctx, c, e.station.ID)
	if len(list) != 2 || list[0].ID != unanswered || list[1].ID != chatGone {
		t.Errorf("after marking two: %+v", list)
	}

	err = e.svc.MarkCalledBack(e.ctx, c, station.KindCall, abandoned)
	wantCode(t, "marking twice", err, apperr.EConflict)
	wantMessage(t, "marking twice", err, "station.already_called_back")
	err = e.svc.MarkCalledBack(e.ctx, c, station.KindCall, answered)
	wantMessage(t, "marking an answered call", err, "station.not_missed")
	err = e.svc.MarkCalledBack(e.ctx, branch, station.KindConversation, chatGone)
	wantCode(t, "a sister branch's conversation", err, apperr.ENotFound)
	err = e.svc.MarkCalledBack(e.ctx, c, "letter", abandoned)
	wantCode(t, "unknown kind", err, apperr.ENotFound)
	err = e.svc.MarkCalledBack(e.ctx, c, station.KindCall, 99999)
	wantCode(t, "no such call", err, apperr.ENotFound)
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'station.called_back'`); n != 2 {
		t.Errorf("%d call-back audit entries, want 2 (refusals change nothing)", n)
	}
}
