package student_test

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
	"github.com/careloop/careloop/internal/student"
	"github.com/careloop/careloop/internal/testutil"
)

// today is the fixed clock of every test: birth dates in 2008–2018 are valid.
var today = time.Date(2025, 3, 1, 9, 0, 0, 0, time.UTC)

// env is a migrated database with a small network: a city with districts X
// and Y; schools A and A2 in X, school B in Y.
type env struct {
	t                     testing.TB
	ctx                   context.Context
	d                     *db.DB
	s                     *student.Service
	org                   *org.Service
	city, x, y, a, a2, b  *org.Unit
	admin, cityCoord      access.Principal
	nextUser              int64
	counsellorA, coordX   access.Principal
	counsellorB, teacherA access.Principal
}

func newEnv(t testing.TB) *env {
	t.Helper()
	d := testutil.DB(t)
	log, err := audit.New("sha256", func() time.Time { return today })
	if err != nil {
		t.Fatal(err)
	}
	keys := testutil.Keyring(t)
	now := func() time.Time { return today }
	e := &env{t: t, ctx: context.Background(), d: d, nextUser: 100,
		s:   &student.Service{DB: d, Audit: log, Seal: keys, Now: now},
		org: &org.Service{DB: d, Audit: log, Now: now}}
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
	e.counsellorA = e.principal(access.SchoolCounsellor, e.a)
	e.counsellorB = e.principal(access.SchoolCounsellor, e.b)
	e.coordX = e.principal(access.Coordinator, e.x)
	e.teacherA = e.principal(access.HeadTeacher, e.a)
	return e
}

// principal returns a new user holding role at unit.
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

// row returns a valid roster row for school, on line.
func row(line int, no, name string, school *org.Unit, grade int) student.RosterRow {
	return student.RosterRow{Line: line, StudentNo: no, Name: name, Gender: "女", BirthDate: "2012-05-06",
		School: school.Name, Grade: strconv.Itoa(grade), ClassName: "1班",
		Guardians: []student.Guardian{{Name: "家长" + name, Relation: "母亲", Phone: "13800000000"}}}
}

func (e *env) importRows(p access.Principal, rows []student.RosterRow, dryRun bool) *student.ImportReport {
	e.t.Helper()
	rep, err := e.s.Import(e.ctx, p, rows, dryRun, nil)
	if err != nil {
		e.t.Fatalf("Import (dry run %v): %v", dryRun, err)
	}
	return rep
}

// seed imports rows as the city coordinator and returns the new ids by
// student number.
func (e *env) seed(rows ...student.RosterRow) map[string]int64 {
	e.t.Helper()
	if rep := e.importRows(e.cityCoord, rows, false); !rep.OK() || rep.Created != len(rows) {
		e.t.Fatalf("seed: %+v", rep)
	}
	ids := map[string]int64{}
	for _, r := range rows {
		ids[r.StudentNo] = e.idOf(r.StudentNo)
	}
	return ids
}

func (e *env) idOf(studentNo string) int64 {
	e.t.Helper()
	return int64(e.count(`SELECT id FROM students WHERE student_no = ?`, studentNo))
}

func (e *env) count(q string, args ...any) int {
	e.t.Helper()
	var n int
	err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, q, args...).Scan(&n)
	})
	if err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
	return n
}

func (e *env) audits() int { return e.count(`SELECT COUNT(*) FROM audit_log`) }

// lastAudit returns the action, object id and actor of the newest entry.
func (e *env) lastAudit() (action, object string, actor int64) {
	e.t.Helper()
	err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT action, object_id, actor_user_id FROM audit_log ORDER BY seq DESC LIMIT 1`).
			Scan(&action, &object, &actor)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return action, object, actor
}

func (e *env) lastDetail() string {
	e.t.Helper()
	var detail string
	err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT detail FROM audit_log ORDER BY seq DESC LIMIT 1`).Scan(&detail)
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return detail
}

// wroteOne asserts that exactly one audit entry was added since before, and
// that it records action on object by p.
func (e *env) wroteOne(before int, action string, object int64, p access.Principal) {
	e.t.Helper()
	if n := e.audits(); n != before+1 {
		e.t.Errorf("%s: audit entries went from %d to %d, want one more", action, before, n)
	}
	a, o, actor := e.lastAudit()
	if a != action || (object != 0 && o != strconv.FormatInt(object, 10)) || actor != p.UserID {
		e.t.Errorf("last audit entry = %s %s by %d, want %s %d by %d", a, o, actor, action, object, p.UserID)
	}
}

func (e *env) verifyAudit() {
	e.t.Helper()
	n, problem, err := audit.Verify(e.ctx, e.d)
	if err != nil || problem != nil {
		e.t.Fatalf("audit.Verify: problem %v, err %v", problem, err)
	}
	if want := e.audits(); n != int64(want) {
		e.t.Errorf("audit.Verify checked %d entries, want %d", n, want)
	}
}

func wantCode(t *testing.T, what string, err error, code apperr.Code) {
	t.Helper()
	if got := apperr.CodeOf(err); got != code {
		t.Errorf("%s: got %v (code %q), want code %q", what, err, got, code)
	}
}

func (e *env) record(p access.Principal, id int64) *student.Record {
	e.t.Helper()
	rec, err := e.s.FindRecord(e.ctx, p, id)
	if err != nil {
		e.t.Fatalf("FindRecord %d: %v", id, err)
	}
	return rec
}

func nos(list []student.Student) map[string]bool {
	out := map[string]bool{}
	for _, s := range list {
		out[s.StudentNo] = true
	}
	return out
}
