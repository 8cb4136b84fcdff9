package family_test

import (
	"context"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/family"
	"github.com/careloop/careloop/internal/jobs"
	"github.com/careloop/careloop/internal/notify"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/people"
	"github.com/careloop/careloop/internal/screening"
	"github.com/careloop/careloop/internal/screening/instrument"
	"github.com/careloop/careloop/internal/student"
	"github.com/careloop/careloop/internal/testutil"
	"github.com/careloop/careloop/internal/warning"
)

// cst is China Standard Time; monday10 is a Monday at 10:00 there (school
// hours, so that the school counsellor owns new alerts).
var (
	cst      = time.FixedZone("CST", 8*3600)
	monday10 = time.Date(2026, 3, 2, 10, 0, 0, 0, cst)
)

// Phones of the test families: mum has two children (kidA in A1, kidA2
// in A2); dad's child is kidB in B1; stranger is nobody's.
const (
	mum      = "13800000001"
	dad      = "13900000002"
	stranger = "13700000003"
)

// smsBox records the codes sent.
type smsBox struct {
	mu   sync.Mutex
	sent []notify.Message
}

func (b *smsBox) SendSMS(ctx context.Context, m notify.Message) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.sent = append(b.sent, m)
	return nil
}

var sixDigits = regexp.MustCompile(`\d{6}`)

// last returns the code of the last message to phone ("" if none).
func (b *smsBox) last(phone string) string {
	b.mu.Lock()
	defer b.mu.Unlock()
	for i := len(b.sent) - 1; i >= 0; i-- {
		if b.sent[i].To == phone {
			return sixDigits.FindString(b.sent[i].Body)
		}
	}
	return ""
}

func (b *smsBox) count() int {
	b.mu.Lock()
	defer b.mu.Unlock()
	return len(b.sent)
}

// env is a city with district A (a guidance centre GA, schools A1 and A2)
// and district B (a guidance centre GB, school B1); staff in each; three
// children.
type env struct {
	t   *testing.T
	ctx context.Context
	d   *db.DB
	clk *testutil.Clock
	svc *family.Service
	scr *screening.Service
	stu *student.Service
	org *org.Service
	ppl *people.Service
	sms *smsBox

	city, distA, ga, a1, a2, distB, gb, b1 *org.Unit
	admin, registrar                       access.Principal
	counsellorA1, counsellorB1, coordA     access.Principal
	coordCity, headA1, leaderA1            access.Principal
	kidA, kidA2, kidB                      int64
	next                                   int
}

func newEnv(t *testing.T) *env {
	t.Helper()
	ctx := context.Background()
	d := testutil.DB(t)
	if err := jobs.Migrate(ctx, d); err != nil {
		t.Fatalf("jobs.Migrate: %v", err)
	}
	clk := testutil.NewClock(monday10)
	log, err := audit.New("sha256", clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	keys := testutil.Keyring(t)
	q, err := jobs.New(d, jobs.Options{Now: clk.Now})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := instrument.Library()
	if err != nil {
		t.Fatal(err)
	}
	key, err := keys.Derive("family codes")
	if err != nil {
		t.Fatal(err)
	}
	ns := &notify.Service{Jobs: q, Now: clk.Now}
	warn := &warning.Service{DB: d, Audit: log, Seal: keys, Jobs: q, Notify: ns, Now: clk.Now, Hours: warning.DefaultHours(),
		Instruments: func() []string {
			var ids []string
			for _, in := range cat.All() {
				ids = append(ids, in.ID)
			}
			return ids
		}}
	jobs.Handle(q, &warning.DeadlineWorker{S: warn})
	e := &env{t: t, ctx: ctx, d: d, clk: clk, sms: &smsBox{},
		scr: &screening.Service{DB: d, Audit: log, Seal: keys, Catalog: cat, Now: clk.Now},
		stu: &student.Service{DB: d, Audit: log, Seal: keys, Now: clk.Now},
		org: &org.Service{DB: d, Audit: log, Now: clk.Now},
		ppl: &people.Service{DB: d, Audit: log, Seal: keys, Now: clk.Now}}
	e.svc = &family.Service{DB: d, Audit: log, Seal: keys, Jobs: q, Notify: ns, Now: clk.Now, SMS: e.sms, Key: key,
		Screening: e.scr, Warning: warn}
	if e.city, err = e.org.CreateRoot(ctx, "江海市", "Jianghai"); err != nil {
		t.Fatal(err)
	}
	e.admin = access.Principal{UserID: 900001, Memberships: []access.Membership{{OrgID: e.city.ID, OrgPath: e.city.Path, Role: access.SysAdmin}}}
	e.registrar = access.Principal{UserID: 900002, Memberships: []access.Membership{{OrgID: e.city.ID, OrgPath: e.city.Path, Role: access.Coordinator}}}
	e.distA = e.unit(org.District, "东城区", "", e.city)
	e.ga = e.unit(org.GuidanceCentre, "东城区指导中心", "", e.distA)
	e.a1 = e.unit(org.School, "东城第一小学", "A1", e.distA)
	e.a2 = e.unit(org.School, "东城第二中学", "A2", e.distA)
	e.distB = e.unit(org.District, "西城区", "", e.city)
	e.gb = e.unit(org.GuidanceCentre, "西城区指导中心", "", e.distB)
	e.b1 = e.unit(org.School, "西城第一中学", "B1", e.distB)
	e.counsellorA1 = e.user(access.SchoolCounsellor, e.a1)
	e.headA1 = e.user(access.HeadTeacher, e.a1)
	e.leaderA1 = e.user(access.SchoolLeader, e.a1)
	e.counsellorB1 = e.user(access.SchoolCounsellor, e.b1)
	e.coordA = e.user(access.Coordinator, e.ga)
	e.coordCity = e.user(access.Coordinator, e.city)
	if err := warn.InstallDefaults(ctx, e.city.ID); err != nil {
		t.Fatalf("InstallDefaults: %v", err)
	}
	e.kidA = e.student("S-KIDA", "2014-01-01", e.a1, mum)
	e.kidA2 = e.student("S-KIDA2", "2012-05-01", e.a2, mum)
	e.kidB = e.student("S-KIDB", "2014-02-01", e.b1, dad)
	t.Cleanup(func() {
		if _, problem, err := audit.Verify(ctx, d); err != nil || problem != nil {
			t.Errorf("audit chain: %v %v", problem, err)
		}
	})
	return e
}

func (e *env) unit(kind org.Kind, name, code string, parent *org.Unit) *org.Unit {
	e.t.Helper()
	u, err := e.org.CreateUnit(e.ctx, e.admin, org.NewUnit{Kind: kind, Name: name, Code: code, ParentID: parent.ID})
	if err != nil {
		e.t.Fatalf("CreateUnit %s: %v", name, err)
	}
	return u
}

func (e *env) user(role string, at *org.Unit) access.Principal {
	e.t.Helper()
	e.next++
	return testutil.Staff(e.t, e.ctx, e.ppl, "f"+strconv.Itoa(e.next)+"-staff", role, at)
}

func (e *env) student(no, birth string, school *org.Unit, phone string) int64 {
	e.t.Helper()
	rows := []student.RosterRow{{Line: 2, StudentNo: no, Name: "学生" + no, Gender: "女", BirthDate: birth, School: school.Code,
		Grade: "5", ClassName: "1班", Guardians: []student.Guardian{{Name: "家长" + no, Relation: "母亲", Phone: phone}}}}
	rep, err := e.stu.Import(e.ctx, e.registrar, rows, false, nil)
	if err != nil || !rep.OK() || rep.Created != 1 {
		e.t.Fatalf("Import: %+v, %v", rep, err)
	}
	return testutil.Num(e.t, e.d, `SELECT id FROM students WHERE student_no = ?`, no)
}

func (e *env) num(q string, args ...any) int64 {
	e.t.Helper()
	return testutil.Num(e.t, e.d, q, args...)
}

// signIn asks for a code for phone and signs in with it.
func (e *env) signIn(phone string) *family.Session {
	e.t.Helper()
	if err := e.svc.RequestCode(e.ctx, phone, "zh-CN"); err != nil {
		e.t.Fatalf("RequestCode %s: %v", phone, err)
	}
	token, err := e.svc.SignIn(e.ctx, phone, e.sms.last(phone))
	if err != nil {
		e.t.Fatalf("SignIn %s: %v", phone, err)
	}
	se, err := e.svc.Authenticate(e.ctx, token)
	if err != nil {
		e.t.Fatalf("Authenticate: %v", err)
	}
	return se
}

// campaign opens a campaign of district A over school (consent rule rule)
// and returns its id.
func (e *env) campaign(school *org.Unit, rule string) int64 {
	e.t.Helper()
	id, err := e.scr.CreateCampaign(e.ctx, e.registrar, screening.NewCampaign{OrgUnitID: school.ParentID, Name: "筛查 " + school.Name,
		Instruments: []string{"phq-a"}, StartsAt: e.clk.Now().Add(-time.Hour), EndsAt: e.clk.Now().Add(14 * 24 * time.Hour),
		ConsentRule: rule, ConsentText: "v3", Targets: []screening.Target{{SchoolID: school.ID}}})
	if err != nil {
		e.t.Fatalf("CreateCampaign: %v", err)
	}
	return id
}

// slot publishes a slot of p at unit, days from now.
func (e *env) slot(p access.Principal, unit *org.Unit, days int) int64 {
	e.t.Helper()
	id, err := e.svc.AddSlot(e.ctx, p, family.NewSlot{UnitID: unit.ID, StartsAt: e.clk.Now().AddDate(0, 0, days), Minutes: 30, Mode: "phone"})
	if err != nil {
		e.t.Fatalf("AddSlot: %v", err)
	}
	return id
}

func itoa(n int64) string { return strconv.FormatInt(n, 10) }
