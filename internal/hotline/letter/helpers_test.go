package letter_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/hotline"
	"github.com/careloop/careloop/internal/hotline/letter"
	"github.com/careloop/careloop/internal/jobs"
	"github.com/careloop/careloop/internal/notify"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/people"
	"github.com/careloop/careloop/internal/testutil"
)

// env has a city with a hotline station and two branches, a second
// station, and the letter service (with the hotline service, a job queue
// not started, and a fake mailer) on a controllable clock.
type env struct {
	t                     *testing.T
	ctx                   context.Context
	d                     *db.DB
	clk                   *testutil.Clock
	svc                   *letter.Service
	hot                   *hotline.Service
	mail                  *fakeMailer
	q                     *jobs.Queue
	org                   *org.Service
	ppl                   *people.Service
	city, station, b1, b2 *org.Unit
	other                 *org.Unit
	admin                 access.Principal
	next                  int
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	d := testutil.DB(t)
	if err := jobs.Migrate(ctx, d); err != nil {
		t.Fatal(err)
	}
	clk := testutil.NewClock(time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC))
	log, err := audit.New("sha256", clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	keys := testutil.Keyring(t)
	hp, err := keys.Derive("contact identifiers")
	if err != nil {
		t.Fatal(err)
	}
	lp, err := keys.Derive("letters")
	if err != nil {
		t.Fatal(err)
	}
	q, err := jobs.New(d, jobs.Options{PollInterval: 50 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: ctx, d: d, clk: clk, q: q, mail: &fakeMailer{arrived: make(chan notify.Message, 8)},
		hot: &hotline.Service{DB: d, Audit: log, Seal: keys, Pepper: hp, Now: clk.Now},
		org: &org.Service{DB: d, Audit: log, Now: clk.Now},
		ppl: &people.Service{DB: d, Audit: log, Seal: keys, Now: clk.Now}}
	e.svc = &letter.Service{DB: d, Audit: log, Seal: keys, Pepper: lp, Hotline: e.hot, Jobs: q, Mailer: e.mail, Now: clk.Now}
	jobs.Handle(q, &letter.ReplyMailWorker{S: e.svc})
	if e.city, err = e.org.CreateRoot(ctx, "江海市", "Jianghai"); err != nil {
		t.Fatal(err)
	}
	e.admin = access.Principal{UserID: 900001, Memberships: []access.Membership{{OrgID: e.city.ID, OrgPath: e.city.Path, Role: access.SysAdmin}}}
	e.station = e.unit(org.HotlineStation, "陶老师工作站", e.city)
	e.b1 = e.unit(org.HotlineStation, "东城分站", e.station)
	e.b2 = e.unit(org.HotlineStation, "西城分站", e.station)
	e.other = e.unit(org.HotlineStation, "另一热线", e.city)
	t.Cleanup(func() {
		if _, problem, err := audit.Verify(ctx, d); err != nil || problem != nil {
			t.Errorf("audit chain: %v %v", problem, err)
		}
	})
	return e
}

func (e *env) unit(kind org.Kind, name string, parent *org.Unit) *org.Unit {
	e.t.Helper()
	return testutil.Unit(e.t, e.ctx, e.org, e.admin, kind, name, parent)
}

func (e *env) user(role string, at *org.Unit) access.Principal {
	e.t.Helper()
	e.next++
	return testutil.Staff(e.t, e.ctx, e.ppl, "letter-staff-"+strconv.Itoa(e.next), role, at)
}

// gateway is the principal of a mail gateway's API token: a counsellor's
// account limited to hotline.contact.
func (e *env) gateway(at *org.Unit) access.Principal {
	p := e.user(access.HotlineCounsellor, at)
	p.Limit = []access.Permission{access.HotlineContact}
	return p
}

func (e *env) num(q string, args ...any) int64 {
	e.t.Helper()
	return testutil.Num(e.t, e.d, q, args...)
}

// write posts a web letter to a station and returns what the writer is told.
func (e *env) write(station *org.Unit, text string) *letter.Written {
	e.t.Helper()
	w, err := e.svc.Write(e.ctx, letter.NewLetter{StationID: station.ID, AgeBand: "13_15", Text: text})
	if err != nil {
		e.t.Fatalf("Write: %v", err)
	}
	return w
}

func wantCode(t *testing.T, what string, err error, code apperr.Code) {
	t.Helper()
	if got := apperr.CodeOf(err); got != code {
		t.Errorf("%s: code %q (%v), want %q", what, got, err, code)
	}
}

func ids(ls []*letter.Letter) []int64 {
	var out []int64
	for _, l := range ls {
		out = append(out, l.ID)
	}
	return out
}

// fakeMailer records messages; with fail set it refuses them.
type fakeMailer struct {
	mu      sync.Mutex
	sent    []notify.Message
	fail    error
	arrived chan notify.Message
}

func (m *fakeMailer) Send(_ context.Context, msg notify.Message) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	if m.fail != nil {
		return m.fail
	}
	m.sent = append(m.sent, msg)
	select {
	case m.arrived <- msg:
	default:
	}
	return nil
}

func (m *fakeMailer) setFail(err error) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.fail = err
}

func (m *fakeMailer) messages() []notify.Message {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]notify.Message(nil), m.sent...)
}
