package export_test

import (
	"bytes"
	"context"
	"fmt"
	"net/url"
	"testing"

	"github.com/riverqueue/river"
	"github.com/xuri/excelize/v2"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/export"
	"github.com/careloop/careloop/internal/jobs"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/people"
	"github.com/careloop/careloop/internal/student"
	"github.com/careloop/careloop/internal/testutil"
)

// A student list export holds exactly the requester's students, is built
// as the requester (their roles when it runs), kept sealed, downloaded by
// them only, and every step is audited.
func TestStudentExportScopedSealedAudited(t *testing.T) {
	ctx := context.Background()
	d := testutil.DB(t)
	if err := jobs.Migrate(ctx, d); err != nil {
		t.Fatal(err)
	}
	log, err := audit.New("sha256", nil)
	if err != nil {
		t.Fatal(err)
	}
	keys := testutil.Keyring(t)
	q, err := jobs.New(d, jobs.Options{})
	if err != nil {
		t.Fatal(err)
	}
	o := &org.Service{DB: d, Audit: log}
	ppl := &people.Service{DB: d, Audit: log, Seal: keys}
	stu := &student.Service{DB: d, Audit: log, Seal: keys}
	svc := &export.Service{DB: d, Audit: log, Seal: keys, Jobs: q, Sources: map[string]export.Source{"students": export.Students{S: stu}}}
	jobs.Handle(q, &export.BuildWorker{S: svc})
	jobs.Handle(q, &export.CleanupWorker{S: svc})
	city, err := o.CreateRoot(ctx, "江海市", "Jianghai")
	if err != nil {
		t.Fatal(err)
	}
	admin := access.Principal{UserID: -1, Memberships: []access.Membership{{OrgID: city.ID, OrgPath: city.Path, Role: access.SysAdmin}}}
	x := testutil.Unit(t, ctx, o, admin, org.District, "东城区", city)
	y := testutil.Unit(t, ctx, o, admin, org.District, "西城区", city)
	a, err := o.CreateUnit(ctx, admin, org.NewUnit{Kind: org.School, Name: "东城一中", Code: "EX-A", ParentID: x.ID})
	if err != nil {
		t.Fatal(err)
	}
	b, err := o.CreateUnit(ctx, admin, org.NewUnit{Kind: org.School, Name: "西城一中", Code: "EX-B", ParentID: y.ID})
	if err != nil {
		t.Fatal(err)
	}
	registrar := access.Principal{UserID: -2, Memberships: []access.Membership{{OrgID: city.ID, OrgPath: city.Path, Role: access.Coordinator}}}
	var rows []student.RosterRow
	for i := range 30 {
		school := a
		if i%3 == 0 {
			school = b
		}
		rows = append(rows, student.RosterRow{Line: i + 2, StudentNo: fmt.Sprintf("EXP-%03d", i), Name: fmt.Sprintf("学生%d", i), Gender: "女",
			BirthDate: "2011-09-01", School: school.Code, Grade: "7", ClassName: "1班",
			Guardians: []student.Guardian{{Name: "家长", Relation: "母亲", Phone: "13800000000"}}})
	}
	if rep, err := stu.Import(ctx, registrar, rows, false, nil); err != nil || !rep.OK() {
		t.Fatalf("Import: %+v %v", rep, err)
	}
	coordX := testutil.Staff(t, ctx, ppl, "export-coord-x", access.Coordinator, x)
	other := testutil.Staff(t, ctx, ppl, "export-coord-y", access.Coordinator, y)

	id, err := svc.Request(ctx, coordX, "students", "zh-CN", url.Values{"grade": {"7"}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Request(ctx, coordX, "passwords", "zh-CN", nil); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("an unknown kind: %v", err)
	}
	token := coordX
	token.Limit = []access.Permission{access.RecordRead}
	if _, err := svc.Request(ctx, token, "students", "zh-CN", nil); apperr.CodeOf(err) != apperr.EForbidden {
		t.Errorf("an API token exports: %v", err)
	}
	if _, _, err := svc.Download(ctx, coordX, id); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("a queued export downloads: %v", err)
	}
	if err := svc.Build(ctx, id); err != nil {
		t.Fatal(err)
	}
	e, err := svc.Find(ctx, coordX, id)
	if err != nil || e.State != "ready" || e.Done != 20 || e.Percent() != 100 {
		t.Fatalf("after the build: %+v %v", e, err)
	}
	if _, err := svc.Find(ctx, other, id); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("another coordinator finds the export: %v", err)
	}
	if _, _, err := svc.Download(ctx, other, id); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("another coordinator downloads the export: %v", err)
	}
	name, file, err := svc.Download(ctx, coordX, id)
	if err != nil {
		t.Fatal(err)
	}
	f, err := excelize.OpenReader(bytes.NewReader(file))
	if err != nil {
		t.Fatalf("%s is not an XLSX: %v", name, err)
	}
	got, _ := f.GetRows(f.GetSheetName(0))
	if len(got) != 21 || got[0][0] != "学籍号" {
		t.Fatalf("%d rows (want a header and 20), header %v", len(got), got[0])
	}
	for _, r := range got[1:] {
		if r[4] != "东城一中" {
			t.Errorf("a student of another district in the export: %v", r)
		}
	}
	var sealed []byte
	if err := d.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT file FROM exports WHERE id = ?`, id).Scan(&sealed)
	}); err != nil {
		t.Fatal(err)
	}
	if len(sealed) == 0 || bytes.HasPrefix(sealed, []byte("PK")) {
		t.Error("the file is stored in clear")
	}
	for action, want := range map[string]int64{"export.request": 1, "student.export": 1, "export.download": 1} {
		if n := testutil.Num(t, d, `SELECT COUNT(*) FROM audit_log WHERE action = ?`, action); n != want {
			t.Errorf("%d %s audit entries, want %d", n, action, want)
		}
	}

	// Whoever no longer holds record.read does not take the list away.
	demoted := access.Principal{UserID: coordX.UserID, Memberships: []access.Membership{{OrgID: x.ID, OrgPath: x.Path, Role: access.HeadTeacher}}}
	if _, _, err := svc.Download(ctx, demoted, id); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("a demoted user downloads the student list: %v", err)
	}
	// A file past its week is dropped by the daily cleanup.
	if err := d.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE exports SET expires_at = 1 WHERE id = ?`, id)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := (&export.CleanupWorker{S: svc}).Work(ctx, &river.Job[export.CleanupArgs]{Args: export.CleanupArgs{Day: 1}}); err != nil {
		t.Fatal(err)
	}
	if n := testutil.Num(t, d, `SELECT COUNT(*) FROM exports WHERE id = ? AND file IS NULL`, id); n != 1 {
		t.Error("the expired file is still kept")
	}

	// Someone who lost their roles before the build gets nothing.
	id2, err := svc.Request(ctx, coordX, "students", "zh-CN", nil)
	if err != nil {
		t.Fatal(err)
	}
	if err := d.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM memberships WHERE user_id = ?`, coordX.UserID)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if err := svc.Build(ctx, id2); err != nil {
		t.Fatal(err)
	}
	if e, _ := svc.Find(ctx, coordX, id2); e.State != "failed" {
		t.Errorf("an export of someone without roles is %s", e.State)
	}
}
