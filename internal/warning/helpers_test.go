package warning_test

import (
	"context"
	"encoding/json"
	"strconv"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/jobs"
	"github.com/careloop/careloop/internal/notify"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/people"
	"github.com/careloop/careloop/internal/screening/instrument"
	"github.com/careloop/careloop/internal/seal"
	"github.com/careloop/careloop/internal/student"
	"github.com/careloop/careloop/internal/testutil"
	"github.com/careloop/careloop/internal/warning"
)

// cst is China Standard Time, the zone of warning.DefaultHours.
var cst = time.FixedZone("CST", 8*3600)

// monday10 is a Monday at 10:00 in China: school hours. monday22 is the
// same evening, outside them.
var (
	monday10 = time.Date(2025, 3, 3, 10, 0, 0, 0, cst)
	monday22 = time.Date(2025, 3, 3, 22, 0, 0, 0, cst)
)

const password = "Correct-Horse-42x"

// env is a migrated database with River's tables, a city with districts X
// and Y, schools A and A2 in X and B in Y, the default rules at the city,
// and the warning service on a clock standing at monday10 in school hours.
// It has no staff accounts: each test creates the people it needs.
type env struct {
	t                *testing.T
	ctx              context.Context
	d                *db.DB
	clk              *testutil.Clock
	keys             *seal.Keyring
	log              *audit.Log
	cat              *instrument.Catalog
	q                *jobs.Queue
	svc              *warning.Service
	org              *org.Service
	ppl              *people.Service
	stu              *student.Service
	city, x, y       *org.Unit
	a, a2, b         *org.Unit
	admin, registrar access.Principal // not accounts: for units, rosters and risk factors
	next             int
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
	q, err := jobs.New(d, jobs.Options{Now: clk.Now, PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	cat, err := instrument.Library()
	if err != nil {
		t.Fatal(err)
	}
	e := &env{t: t, ctx: ctx, d: d, clk: clk, keys: keys, log: log, cat: cat, q: q,
		org: &org.Service{DB: d, Audit: log, Now: clk.Now},
		ppl: &people.Service{DB: d, Audit: log, Seal: keys, Now: clk.Now},
		stu: &student.Service{DB: d, Audit: log, Seal: keys, Now: clk.Now}}
	e.svc = &warning.Service{DB: d, Audit: log, Seal: keys, Jobs: q, Notify: &notify.Service{Jobs: q, Now: clk.Now},
		Now: clk.Now, Hours: warning.DefaultHours(), Instruments: func() []string {
			var ids []string
			for _, in := range cat.All() {
				ids = append(ids, in.ID)
			}
			return ids
		}}
	jobs.Handle(q, &warning.DeadlineWorker{S: e.svc}) // registered as the app does; the queue is not started
	if e.city, err = e.org.CreateRoot(ctx, "江海市", "Jianghai"); err != nil {
		t.Fatal(err)
	}
	e.admin = access.Principal{UserID: 900001, Memberships: []access.Membership{{OrgID: e.city.ID, OrgPath: e.city.Path, Role: access.SysAdmin}}}
	e.registrar = access.Principal{UserID: 900002, Memberships: []access.Membership{{OrgID: e.city.ID, OrgPath: e.city.Path, Role: access.Coordinator}}}
	e.x = e.unit(org.District, "东城区", "", e.city)
	e.y = e.unit(org.District, "西城区", "", e.city)
	e.a = e.unit(org.School, "东城第一中学", "DC01", e.x)
	e.a2 = e.unit(org.School, "东城第二中学", "DC02", e.x)
	e.b = e.unit(org.School, "西城第一中学", "XC01", e.y)
	if err := e.svc.InstallDefaults(ctx, e.city.ID); err != nil {
		t.Fatalf("InstallDefaults: %v", err)
	}
	t.Cleanup(e.verifyAudit)
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

// user creates an account holding role at unit and returns it as a caller.
func (e *env) user(role string, at *org.Unit) access.Principal {
	e.t.Helper()
	e.next++
	name := "u" + strconv.Itoa(e.next) + "-staff"
	id, _, err := e.ppl.Bootstrap(e.ctx, people.NewUser{Username: name, DisplayName: role + " " + name}, password, at.ID, role)
	if err != nil {
		e.t.Fatalf("Bootstrap %s: %v", role, err)
	}
	return access.Principal{UserID: id, Username: name, Memberships: []access.Membership{{OrgID: at.ID, OrgPath: at.Path, Role: role}}}
}

// students imports 13-year-olds into school and returns their ids in order.
func (e *env) students(school *org.Unit, nos ...string) []int64 {
	e.t.Helper()
	rows := make([]student.RosterRow, len(nos))
	for i, no := range nos {
		rows[i] = student.RosterRow{Line: i + 2, StudentNo: no, Name: "学生" + no, Gender: "女", BirthDate: "2011-09-01",
			School: school.Code, Grade: "7", ClassName: "1班", Guardians: []student.Guardian{{Name: "家长" + no, Relation: "母亲", Phone: "13800000000"}}}
	}
	rep, err := e.stu.Import(e.ctx, e.registrar, rows, false, nil)
	if err != nil || !rep.OK() || rep.Created != len(rows) {
		e.t.Fatalf("Import: %+v, %v", rep, err)
	}
	ids := make([]int64, len(nos))
	for i, no := range nos {
		ids[i] = e.num(`SELECT id FROM students WHERE student_no = ?`, no)
	}
	return ids
}

// raise runs Raise in a transaction of its own.
func (e *env) raise(sig warning.Signal) (int64, error) {
	var id int64
	err := e.d.Tx(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		id, err = e.svc.Raise(ctx, tx, sig)
		return err
	})
	return id, err
}

func (e *env) mustRaise(sig warning.Signal) int64 {
	e.t.Helper()
	id, err := e.raise(sig)
	if err != nil {
		e.t.Fatalf("Raise %+v: %v", sig, err)
	}
	return id
}

// red is a screening with PHQ-A item 9 answered.
func red(studentID int64) warning.Signal {
	return warning.Signal{StudentID: studentID, Source: "screening", Tier: "red", Scores: map[string]int{"phq-a": 3},
		Critical: []string{"phq-a.9"}}
}

// phq is a screening with a PHQ-A total.
func phq(studentID int64, total int) warning.Signal {
	return warning.Signal{StudentID: studentID, Source: "screening", Tier: "yellow", Scores: map[string]int{"phq-a": total}}
}

// row is an alert as stored.
type row struct {
	Level, State                         string
	Owner, OwnerOrg                      int64
	Step, Seq                            int
	AckDue, ContactDue, AckAt, ContactAt int64
	ClosedAt, ClosedBy                   int64
	Decision                             string
}

func (e *env) alert(id int64) row {
	e.t.Helper()
	var r row
	err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT level, state, owner_user_id, owner_org_id, step, seq, ack_due_at, contact_due_at,
			acknowledged_at, first_contact_at, closed_at, closed_by, decision FROM alerts WHERE id = ?`, id).Scan(&r.Level, &r.State,
			&r.Owner, &r.OwnerOrg, &r.Step, &r.Seq, &r.AckDue, &r.ContactDue, &r.AckAt, &r.ContactAt, &r.ClosedAt, &r.ClosedBy, &r.Decision)
	})
	if err != nil {
		e.t.Fatalf("alert %d: %v", id, err)
	}
	return r
}

func (e *env) num(q string, args ...any) int64 {
	e.t.Helper()
	var n int64
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

// audits counts audit entries of an action on an alert by an actor (0: any).
func (e *env) audits(action string, alertID, actor int64) int64 {
	return e.num(`SELECT COUNT(*) FROM audit_log WHERE action = ? AND object_type = 'alert' AND object_id = ?
		AND (? = 0 OR actor_user_id = ?)`, action, strconv.FormatInt(alertID, 10), actor, actor)
}

// deadlineJobs returns the warning.deadline jobs of an alert, by River state.
func (e *env) deadlineJobs(alertID int64) map[warning.DeadlineArgs]string {
	e.t.Helper()
	out := map[warning.DeadlineArgs]string{}
	err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		args := "json(args)" // riversqlite stores SQLite's binary JSON
		if tx.Dialect() == db.Postgres {
			args = "args::text"
		}
		rows, err := tx.Query(ctx, `SELECT `+args+`, state FROM river_job WHERE kind = 'warning.deadline'`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var raw []byte
			var state string
			if err := rows.Scan(&raw, &state); err != nil {
				return err
			}
			var a warning.DeadlineArgs
			if err := json.Unmarshal(raw, &a); err != nil {
				return err
			}
			if a.AlertID == alertID {
				out[a] = state
			}
		}
		return rows.Err()
	})
	if err != nil {
		e.t.Fatalf("river_job: %v", err)
	}
	return out
}

func (e *env) verifyAudit() {
	n, problem, err := audit.Verify(e.ctx, e.d)
	if err != nil || problem != nil {
		e.t.Errorf("audit.Verify: problem %v, err %v", problem, err)
		return
	}
	if want := e.num(`SELECT COUNT(*) FROM audit_log`); n != want {
		e.t.Errorf("audit.Verify checked %d entries, want %d", n, want)
	}
}

func wantCode(t *testing.T, what string, err error, code apperr.Code) {
	t.Helper()
	if got := apperr.CodeOf(err); got != code {
		t.Errorf("%s: got %v (code %q), want code %q", what, err, got, code)
	}
}

func micro(t time.Time) int64 { return db.Micro(t) }
