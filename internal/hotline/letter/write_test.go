package letter_test

import (
	"bytes"
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/hotline/letter"
)

const letterText = "老师您好，我最近和同学闹矛盾，晚上睡不着。"

var codeShape = regexp.MustCompile(`^[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}$`)

func TestWebLetterCodeReplyReadableOnlyWithItsCode(t *testing.T) {
	e := newEnv(t)
	counsellor := e.user(access.HotlineCounsellor, e.b1)

	w := e.write(e.b1, letterText)
	if !codeShape.MatchString(w.Code) {
		t.Fatalf("code %q is not 12 characters of the unambiguous alphabet in groups of four", w.Code)
	}
	if want := e.clk.Now().Add(72 * time.Hour); !w.DueAt.Equal(want) {
		t.Errorf("due %v, want the default 3 days: %v", w.DueAt, want)
	}
	other := e.write(e.b1, "另一封信")
	if other.Code == w.Code {
		t.Fatal("two letters got the same code")
	}

	// Nothing readable is stored: neither the text nor the code.
	e.rawMustNotHold(letterText, w.Code, strings.ReplaceAll(w.Code, "-", ""))

	// Before any reply the writer sees the letter, no reply, and the deadline.
	l, err := e.svc.ReadByCode(e.ctx, w.Code)
	if err != nil {
		t.Fatal(err)
	}
	if l.Body != letterText || len(l.Replies) != 0 || l.State != letter.StateOpen || !l.DueAt.Equal(w.DueAt) {
		t.Errorf("read by code before a reply: %+v", l)
	}

	// The counsellor finds it due, takes it and replies.
	due, err := e.svc.Due(e.ctx, counsellor)
	if err != nil {
		t.Fatal(err)
	}
	if got := ids(due); len(got) != 2 || got[0] != w.ID {
		t.Fatalf("due %v, want both letters, %d first", got, w.ID)
	}
	if err := e.svc.Take(e.ctx, counsellor, w.ID); err != nil {
		t.Fatal(err)
	}
	const answer = "谢谢你写信给我们。你愿意说说是什么事吗？"
	if _, err := e.svc.Reply(e.ctx, counsellor, w.ID, answer); err != nil {
		t.Fatal(err)
	}
	e.rawMustNotHold(answer)

	// The writer reads the reply with the code, typed loosely; the other
	// letter's code shows the other letter and no reply.
	l, err = e.svc.ReadByCode(e.ctx, " "+strings.ToLower(strings.ReplaceAll(w.Code, "-", " "))+" ")
	if err != nil {
		t.Fatal(err)
	}
	if l.ID != w.ID || len(l.Replies) != 1 || l.Replies[0].Body != answer || l.State != letter.StateAnswered {
		t.Fatalf("read by code after the reply: %+v", l)
	}
	if r := l.Replies[0]; r.AuthorName != "" || r.AuthorID != 0 {
		t.Errorf("the writer sees who replied: %+v", r)
	}
	l, err = e.svc.ReadByCode(e.ctx, other.Code)
	if err != nil || l.ID != other.ID || len(l.Replies) != 0 || l.Body != "另一封信" {
		t.Errorf("the other code: %+v %v", l, err)
	}
	// A well-formed code that was never given, and junk, find nothing.
	for _, code := range []string{"ABCD-EFGH-JKMN", "AAAA-AAAA-AAAA", "", "0000-1111-IIII", w.Code + "X", "' OR 1=1 --"} {
		_, err := e.svc.ReadByCode(e.ctx, code)
		if apperr.CodeOf(err) != apperr.ENotFound || apperr.MessageOf(err) != "letter.code_unknown" {
			t.Errorf("code %q: %v, want letter.code_unknown", code, err)
		}
	}

	// Staff see that the writer came back; every step is audited.
	got, err := e.svc.Find(e.ctx, counsellor, w.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.WriterReadAt.IsZero() || got.Replies[0].AuthorID != counsellor.UserID || got.AgeBand != "13_15" {
		t.Errorf("staff view: %+v", got)
	}
	for action, want := range map[string]int64{"letter.write": 2, "letter.writer_read": 3, "letter.take": 1, "letter.reply": 1,
		"letter.due": 1, "letter.read": 1} {
		if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = ?`, action); n != want {
			t.Errorf("%d audit entries %s, want %d", n, action, want)
		}
	}
}

func TestWriteChecksItsInput(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		n     letter.NewLetter
		field string
	}{
		{letter.NewLetter{Text: "  "}, "text"},
		{letter.NewLetter{Text: strings.Repeat("长", letter.MaxText+1)}, "text"},
		{letter.NewLetter{Text: "你好", AgeBand: "ancient"}, "age_band"},
		{letter.NewLetter{Text: "你好", StationID: e.city.ID}, "station"},
		{letter.NewLetter{Text: "你好", StationID: 999999}, "station"},
	} {
		_, err := e.svc.Write(e.ctx, tc.n)
		if apperr.CodeOf(err) != apperr.EInvalid || apperr.FieldsOf(err)[tc.field] == "" {
			t.Errorf("%+.40v: %v, want a problem with %s", tc.n, err, tc.field)
		}
	}
	if n := e.num(`SELECT COUNT(*) FROM letters`); n != 0 {
		t.Errorf("%d letters stored from refused input", n)
	}
	// No station chosen: the top station.
	w, err := e.svc.Write(e.ctx, letter.NewLetter{Text: "写给热线"})
	if err != nil {
		t.Fatal(err)
	}
	if n := e.num(`SELECT station_id FROM letters WHERE id = ?`, w.ID); n != e.station.ID {
		t.Errorf("letter went to %d, want the top station %d", n, e.station.ID)
	}
	st, err := e.svc.Stations(e.ctx)
	if err != nil || len(st) != 4 || st[0].ID != e.station.ID {
		t.Errorf("stations %+v %v, want 4 with the top station first", st, err)
	}
}

// rawMustNotHold fails if any stored letter or reply column holds one of
// the strings in clear.
func (e *env) rawMustNotHold(secrets ...string) {
	e.t.Helper()
	err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		for _, q := range []string{`SELECT body, subject, sender, code_hash, sender_hash, mail_key, flags FROM letters`,
			`SELECT body, body, body, mail_state, mail_state, mail_state, mail_state FROM letter_replies`} {
			rows, err := tx.Query(ctx, q)
			if err != nil {
				return err
			}
			for rows.Next() {
				var cols [7][]byte
				if err := rows.Scan(&cols[0], &cols[1], &cols[2], &cols[3], &cols[4], &cols[5], &cols[6]); err != nil {
					rows.Close()
					return err
				}
				for _, c := range cols {
					for _, s := range secrets {
						if s != "" && bytes.Contains(c, []byte(s)) {
							e.t.Errorf("%q is stored in clear", s)
						}
					}
				}
			}
			rows.Close()
		}
		return nil
	})
	if err != nil {
		e.t.Fatal(err)
	}
}
