package screening_test

import (
	"context"
	"strconv"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/screening"
	"github.com/careloop/careloop/internal/screening/instrument"
	"github.com/careloop/careloop/internal/student"
	"github.com/careloop/careloop/internal/testutil"
)

// today is where every test's clock starts. Birth dates below are chosen
// against it: see the age* constants.
var today = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// Birth dates giving these ages on today (and on the campaign start).
const (
	age12 = "2012-09-01"
	age13 = "2011-09-01"
	age14 = "2010-09-01"
	age15 = "2009-09-01"
)

// env is a migrated database with a city; districts X and Y; schools A and
// A2 in X, school B in Y; and the screening service on a controllable clock.
type env struct {
	t                        *testing.T
	ctx                      context.Context
	d                        *db.DB
	clk                      *testutil.Clock
	svc                      *screening.Service
	stu                      *student.Service
	org                      *org.Service
	cat                      *instrument.Catalog
	city, x, y, a, a2, b     *org.Unit
	admin, cityCoord, coordX access.Principal
	counsellorA, counsellorB access.Principal
	teacherA                 access.Principal
	nextUser                 int64
}

func newEnv(t *testing.T) *env {
	t.Helper()
	d := testutil.DB(t)
	clk := testutil.NewClock(today)
	log, err := audit.New("sha256", clk.Now)
	if err != nil {
		t.Fatal(err)
	}
	keys := testutil.Keyring(t)
	cat, err := instrument.Library()
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: context.Background(), d: d, clk: clk, cat: cat, nextUser: 100,
		svc: &screening.Service{DB: d, Audit: log, Seal: keys, Catalog: cat, Now: clk.Now},
		stu: &student.Service{DB: d, Audit: log, Seal: keys, Now: clk.Now},
		org: &org.Service{DB: d, Audit: log, Now: clk.Now}}
	if e.city, err = e.org.CreateRoot(e.ctx, "江海市", "Jianghai"); err != nil {
		t.Fatal(err)
	}
	e.admin = e.principal(access.SysAdmin, e.city)
	e.x = e.unit(org.District, "东城区", "", e.city)
	e.y = e.unit(org.District, "西城区", "", e.city)
	e.a = e.unit(org.School, "东城第一中学", "DC01", e.x)
	e.a2 = e.unit(org.School, "东城第二中学", "DC02", e.x)
	e.b = e.unit(org.School, "西城第一中学", "XC01", e.y)
	e.cityCoord = e.principal(access.Coordinator, e.city)
	e.coordX = e.principal(access.Coordinator, e.x)
	e.counsellorA = e.principal(access.SchoolCounsellor, e.a)
	e.counsellorB = e.principal(access.SchoolCounsellor, e.b)
	e.teacherA = e.principal(access.HeadTeacher, e.a)
	// Registered after testutil.DB, so it runs before the database closes.
	t.Cleanup(e.verifyAudit)
	return e
}

func (e *env) principal(role string, at *org.Unit) access.Principal {
	e.nextUser++
	return access.Principal{UserID: e.nextUser, Username: "u" + strconv.FormatInt(e.nextUser, 10),
		Memberships: []access.Membership{{OrgID: at.ID, OrgPath: at.Path, Role: role}}}
}

func (e *env) unit(kind org.Kind, name, code string, parent *org.Unit) *org.Unit {
	e.t.Helper()
	u, err := e.org.CreateUnit(e.ctx, e.admin, org.NewUnit{Kind: kind, Name: name, Code: code, ParentID: parent.ID})
	if err != nil {
		e.t.Fatalf("CreateUnit %s: %v", name, err)
	}
	return u
}

// kid is a roster row; names are unique in every test, so slips can be
// matched to students by name.
func kid(no, name string, school *org.Unit, grade int, class, birth string) student.RosterRow {
	return student.RosterRow{StudentNo: no, Name: name, Gender: "女", BirthDate: birth, School: school.Code,
		Grade: strconv.Itoa(grade), ClassName: class,
		Guardians: []student.Guardian{{Name: "家长" + name, Relation: "母亲", Phone: "13800000000"}}}
}

// seed imports rows as the city coordinator and returns ids by student number.
func (e *env) seed(rows ...student.RosterRow) map[string]int64 {
	e.t.Helper()
	for i := range rows {
		rows[i].Line = i + 2
	}
	rep, err := e.stu.Import(e.ctx, e.cityCoord, rows, false, nil)
	if err != nil || !rep.OK() || rep.Created != len(rows) {
		e.t.Fatalf("seed: %+v, %v", rep, err)
	}
	ids := map[string]int64{}
	for _, r := range rows {
		ids[r.StudentNo] = int64(e.count(`SELECT id FROM students WHERE student_no = ?`, r.StudentNo))
	}
	return ids
}

// campaign returns a valid campaign owned by unit over targets: PHQ-A then
// GAD-7, open from an hour before today for a week.
func campaign(owner *org.Unit, rule string, targets ...screening.Target) screening.NewCampaign {
	return screening.NewCampaign{OrgUnitID: owner.ID, Name: "2025春季筛查", Instruments: []string{"phq-a", "gad-7"},
		StartsAt: today.Add(-time.Hour), EndsAt: today.Add(7 * 24 * time.Hour), ConsentRule: rule,
		ConsentText: "v1", Targets: targets}
}

func (e *env) create(p access.Principal, n screening.NewCampaign) int64 {
	e.t.Helper()
	id, err := e.svc.CreateCampaign(e.ctx, p, n)
	if err != nil {
		e.t.Fatalf("CreateCampaign: %v", err)
	}
	return id
}

// codes returns the unused access codes of a school's students, by name.
func (e *env) codes(campaignID int64, school *org.Unit) map[string]string {
	e.t.Helper()
	slips, err := e.svc.Slips(e.ctx, e.cityCoord, campaignID, school.ID)
	if err != nil {
		e.t.Fatalf("Slips: %v", err)
	}
	out := map[string]string{}
	for _, s := range slips {
		out[s.StudentName] = s.Code
	}
	return out
}

// open opens a sitting with the student's code.
func (e *env) open(campaignID int64, school *org.Unit, name string) string {
	e.t.Helper()
	code, ok := e.codes(campaignID, school)[name]
	if !ok {
		e.t.Fatalf("no unused slip for %s", name)
	}
	token, err := e.svc.OpenWithCode(e.ctx, code)
	if err != nil {
		e.t.Fatalf("OpenWithCode for %s: %v", name, err)
	}
	return token
}

func (e *env) consent(campaignID, studentID int64, decision string) {
	e.t.Helper()
	err := e.svc.RecordConsent(e.ctx, e.cityCoord, campaignID, studentID,
		screening.NewConsent{Decision: decision, GivenBy: "王芳", Relation: "mother", Method: "paper"})
	if err != nil {
		e.t.Fatalf("RecordConsent %s: %v", decision, err)
	}
}

func (e *env) count(q string, args ...any) int {
	e.t.Helper()
	var n int
	if err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, q, args...).Scan(&n)
	}); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return n
}

func (e *env) str(q string, args ...any) string {
	e.t.Helper()
	var s string
	if err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, q, args...).Scan(&s)
	}); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return s
}

// audits counts audit entries of action on object (any object when "").
func (e *env) audits(action, object string) int {
	if object == "" {
		return e.count(`SELECT COUNT(*) FROM audit_log WHERE action = ?`, action)
	}
	return e.count(`SELECT COUNT(*) FROM audit_log WHERE action = ? AND object_id = ?`, action, object)
}

func (e *env) verifyAudit() {
	e.t.Helper()
	n, problem, err := audit.Verify(e.ctx, e.d)
	if err != nil || problem != nil {
		e.t.Errorf("audit.Verify: problem %v, err %v", problem, err)
		return
	}
	if want := e.count(`SELECT COUNT(*) FROM audit_log`); n != int64(want) {
		e.t.Errorf("audit.Verify checked %d entries, want %d", n, want)
	}
}

func wantCode(t *testing.T, what string, err error, code apperr.Code) {
	t.Helper()
	if got := apperr.CodeOf(err); got != code {
		t.Errorf("%s: got %v (code %q), want code %q", what, err, got, code)
	}
}

func wantMessage(t *testing.T, what string, err error, code apperr.Code, msg string) {
	t.Helper()
	if apperr.CodeOf(err) != code || apperr.MessageOf(err) != msg {
		t.Errorf("%s: got %v (code %q, message %q), want %q %q", what, err, apperr.CodeOf(err), apperr.MessageOf(err), code, msg)
	}
}

func id(n int64) string { return strconv.FormatInt(n, 10) }
