package notify

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/riverqueue/river"
	"github.com/riverqueue/river/rivertype"

	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/jobs"
	"github.com/careloop/careloop/internal/testutil"
)

const (
	base      = "https://careloop.example.org/"
	staffName = "王晓红" // the recipient's display name: never in a message
	email     = "wang.xh@school.example.org"
	phone     = "+8613912345678"
)

// deliverFixture is a migrated database with River's tables, one staff
// user and a service wired to a test SMTP server and SMS gateway.
type deliverFixture struct {
	d    *db.DB
	s    *Service
	w    *DeliverWorker
	mail *smtpServer
	sms  *smsGateway
	user int64
}

func newDeliverFixture(t *testing.T, locale string) *deliverFixture {
	t.Helper()
	ctx := context.Background()
	f := &deliverFixture{d: testutil.DB(t), mail: newSMTPServer(t), sms: newSMSGateway(t)}
	if err := jobs.Migrate(ctx, f.d); err != nil {
		t.Fatal(err)
	}
	m, err := NewSMTP(f.mail.URL())
	if err != nil {
		t.Fatal(err)
	}
	g, err := NewHTTPSMS(f.sms.URL + "/send?token=tok")
	if err != nil {
		t.Fatal(err)
	}
	f.s = &Service{Mailer: m, SMS: g, BaseURL: base}
	f.w = &DeliverWorker{S: f.s, DB: f.d}
	err = f.d.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		f.user, err = tx.InsertID(ctx, `INSERT INTO users (username, display_name, email, phone, locale, password_hash, password_changed_at, created_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?)`, "wxh", staffName, email, phone, locale, "x", 1, 1)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// send records a notification (without scheduling: f.s.Jobs may be nil).
func (f *deliverFixture) send(t *testing.T, n Note) int64 {
	t.Helper()
	var id int64
	err := f.d.Tx(context.Background(), func(ctx context.Context, tx *db.Tx) error {
		if err := f.s.Send(ctx, tx, f.user, n); err != nil {
			return err
		}
		return tx.QueryRow(ctx, `SELECT MAX(id) FROM notifications`).Scan(&id)
	})
	if err != nil {
		t.Fatal(err)
	}
	return id
}

func job(id int64, errs ...string) *river.Job[DeliverArgs] {
	row := &rivertype.JobRow{Attempt: len(errs) + 1}
	for i, e := range errs {
		row.Errors = append(row.Errors, rivertype.AttemptError{Attempt: i + 1, Error: e})
	}
	return &river.Job[DeliverArgs]{JobRow: row, Args: DeliverArgs{NotificationID: id}}
}

// checkClean fails if a message holds the recipient's name, address or number.
func checkClean(t *testing.T, what, s string) {
	t.Helper()
	for _, p := range []string{staffName, email, phone, "wang"} {
		if strings.Contains(s, p) {
			t.Errorf("%s %q holds personal data %q", what, s, p)
		}
	}
}

func TestDeliverWorkerSendsMailAndSMS(t *testing.T) {
	ctx := context.Background()
	f := newDeliverFixture(t, "en")
	id := f.send(t, Note{Kind: "alert.raised", RefType: "alert", RefID: 42, Level: "red"})
	if err := f.w.Work(ctx, job(id)); err != nil {
		t.Fatal(err)
	}
	link := "https://careloop.example.org/alerts/42"
	mails := f.mail.Mails()
	if len(mails) != 1 {
		t.Fatalf("%d mails, want 1", len(mails))
	}
	m := mails[0]
	if m.Subject != "New alert (Red)" || len(m.To) != 1 || m.To[0] != email {
		t.Errorf("mail subject %q to %v", m.Subject, m.To)
	}
	if !strings.Contains(m.Body, link) {
		t.Errorf("mail body %q lacks %s", m.Body, link)
	}
	checkClean(t, "mail subject", m.Subject)
	checkClean(t, "mail body", m.Body)
	sms := f.sms.Requests()
	if len(sms) != 1 || sms[0].To != phone || sms[0].Auth != "Bearer tok" || !strings.Contains(sms[0].Text, link) {
		t.Fatalf("sms %+v", sms)
	}
	checkClean(t, "sms text", sms[0].Text)

	// Every kind has its own text in both languages, with its link.
	for _, tc := range []struct {
		n    Note
		link string
	}{
		{Note{Kind: "alert.level_raised", RefType: "alert", RefID: 7, Level: "orange"}, "/alerts/7"},
		{Note{Kind: "alert.escalated", RefType: "alert", RefID: 8, Level: "yellow"}, "/alerts/8"},
		{Note{Kind: "follow_up.overdue", RefType: "follow_up", RefID: 9}, "/follow-ups/9"},
		{Note{Kind: "task.assigned", RefType: "task", RefID: 10}, "/work"},
		{Note{Kind: "case.signoff_requested", RefType: "case", RefID: 11}, "/cases/11"},
	} {
		for _, lang := range []string{"zh-CN", "en"} {
			subj, body := DefaultText(lang, tc.n, f.s.Link(tc.n))
			if strings.Contains(subj, "notify.") || !strings.HasSuffix(body, "https://careloop.example.org"+tc.link) {
				t.Errorf("%s %s: subject %q body %q", lang, tc.n.Kind, subj, body)
			}
			if strings.Contains(subj+body, "{") {
				t.Errorf("%s %s: a placeholder is left: %q %q", lang, tc.n.Kind, subj, body)
			}
		}
	}
}

func TestDeliverWorkerRetriesOnlyTheFailedChannel(t *testing.T) {
	ctx := context.Background()
	f := newDeliverFixture(t, "zh-CN")
	id := f.send(t, Note{Kind: "task.assigned", RefType: "task", RefID: 3})
	f.sms.SetStatus(http.StatusServiceUnavailable)
	err := f.w.Work(ctx, job(id))
	if err == nil || !strings.HasPrefix(err.Error(), "notify: not delivered by sms:") {
		t.Fatalf("gateway down: err = %v", err)
	}
	checkClean(t, "error", err.Error())
	if n := len(f.mail.Mails()); n != 1 {
		t.Fatalf("%d mails after the first attempt, want 1", n)
	}
	f.sms.SetStatus(0)
	// A later attempt that failed before sending does not widen the set.
	if err := f.w.Work(ctx, job(id, err.Error(), "notify: load notification: database is locked")); err != nil {
		t.Fatal(err)
	}
	if n, m := len(f.mail.Mails()), len(f.sms.Requests()); n != 1 || m != 2 {
		t.Errorf("after the retry: %d mails (want 1), %d SMS requests (want 2)", n, m)
	}
	if got := f.mail.Mails()[0]; got.Subject != "新任务" || !strings.Contains(got.Body, "https://careloop.example.org/work") {
		t.Errorf("zh-CN mail: %q %q", got.Subject, got.Body)
	}
}

func TestDeliverWorkerSkipsWhatItCannotSend(t *testing.T) {
	ctx := context.Background()
	f := newDeliverFixture(t, "en")
	// A notification that does not exist is done.
	if err := f.w.Work(ctx, job(999999)); err != nil {
		t.Errorf("missing notification: %v", err)
	}
	// No phone and no SMS gateway: e-mail only; an inactive user: nothing.
	id := f.send(t, Note{Kind: "case.signoff_requested", RefType: "case", RefID: 5})
	if _, err := f.d.Exec(ctx, `UPDATE users SET phone = '' WHERE id = ?`, f.user); err != nil {
		t.Fatal(err)
	}
	if err := f.w.Work(ctx, job(id)); err != nil {
		t.Fatal(err)
	}
	if _, err := f.d.Exec(ctx, `UPDATE users SET active = 0 WHERE id = ?`, f.user); err != nil {
		t.Fatal(err)
	}
	if err := f.w.Work(ctx, job(id)); err != nil {
		t.Fatal(err)
	}
	if n, m := len(f.mail.Mails()), len(f.sms.Requests()); n != 1 || m != 0 {
		t.Errorf("%d mails (want 1), %d SMS (want 0)", n, m)
	}
}

func TestDeliverThroughTheQueue(t *testing.T) {
	ctx := context.Background()
	f := newDeliverFixture(t, "en")
	q, err := jobs.New(f.d, jobs.Options{PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	jobs.Handle(q, f.w)
	if err := q.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		stop, cancel := context.WithTimeout(ctx, 10*time.Second)
		defer cancel()
		_ = q.Stop(stop)
	})
	f.s.Jobs = q
	f.send(t, Note{Kind: "alert.escalated", RefType: "alert", RefID: 77, Level: "orange"})
	select {
	case m := <-f.mail.arrived:
		if m.Subject != "Overdue alert escalated to you (Orange)" || !strings.Contains(m.Body, "https://careloop.example.org/alerts/77") {
			t.Errorf("mail %q %q", m.Subject, m.Body)
		}
		checkClean(t, "mail", m.Subject+m.Body)
	case <-time.After(20 * time.Second):
		t.Fatal("no mail from the queue within 20s")
	}
	deadline := time.Now().Add(10 * time.Second)
	for len(f.sms.Requests()) == 0 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if got := f.sms.Requests(); len(got) != 1 || !strings.Contains(got[0].Text, "/alerts/77") {
		t.Errorf("sms %+v", got)
	}
}
