package workforce_test

import (
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/workforce"
)

// Entries are validated field by field; a unit, an account out of the
// caller's scope, or an account already linked is refused on its field.
func TestRegistryValidation(t *testing.T) {
	e := newEnv(t)
	e.person(e.a1, "刘老师", workforce.KindTeacherFull, "core", e.counsellorA1.Username)
	cases := []struct {
		name  string
		entry workforce.Entry
		field string
		key   string
	}{
		{"empty name", workforce.Entry{UnitID: e.a1.ID, Name: "  ", Kind: "expert"}, "name", "workforce.name_required"},
		{"long name", workforce.Entry{UnitID: e.a1.ID, Name: strings.Repeat("名", 101), Kind: "expert"}, "name", "workforce.too_long"},
		{"unknown kind", workforce.Entry{UnitID: e.a1.ID, Name: "X", Kind: "wizard"}, "kind", "workforce.bad_value"},
		{"unknown tier", workforce.Entry{UnitID: e.a1.ID, Name: "X", Kind: "expert", Tier: "gold"}, "tier", "workforce.bad_value"},
		{"teacher at a centre", workforce.Entry{UnitID: e.centreA.ID, Name: "X", Kind: workforce.KindTeacherPart}, "kind", "workforce.teacher_at_school"},
		{"no unit", workforce.Entry{Name: "X", Kind: "expert"}, "unit", "workforce.bad_unit"},
		{"unit of B", workforce.Entry{UnitID: e.b1.ID, Name: "X", Kind: "expert"}, "unit", "workforce.bad_unit"},
		{"unknown account", workforce.Entry{UnitID: e.a1.ID, Name: "X", Kind: "expert", Username: "nobody"}, "username", "workforce.bad_account"},
		{"account of B", workforce.Entry{UnitID: e.a1.ID, Name: "X", Kind: "expert", Username: e.coordB.Username}, "username", "workforce.bad_account"},
		{"account linked", workforce.Entry{UnitID: e.a2.ID, Name: "X", Kind: "expert", Username: e.counsellorA1.Username}, "username", "workforce.account_taken"},
		{"a long qualification", workforce.Entry{UnitID: e.a1.ID, Name: "X", Kind: "expert", Qualifications: []string{strings.Repeat("证", 101)}}, "qualifications", "workforce.too_long"},
	}
	for _, c := range cases {
		_, err := e.svc.AddPerson(e.ctx, e.coordA, c.entry)
		if apperr.CodeOf(err) != apperr.EInvalid || apperr.FieldsOf(err)[c.field] != c.key {
			t.Errorf("%s: %v %v, want %s on %s", c.name, err, apperr.FieldsOf(err), c.key, c.field)
		}
	}
	if n := e.num(`SELECT COUNT(*) FROM workforce_people`); n != 1 {
		t.Errorf("%d entries after refusals, want 1", n)
	}
	// Certifications.
	id := e.person(e.a2, "王老师", workforce.KindTeacherPart, "", "")
	for _, c := range []struct {
		name  string
		cert  workforce.NewCert
		field string
		key   string
	}{
		{"no body", workforce.NewCert{Level: "senior", Issued: monday, Expires: monday.AddDate(1, 0, 0)}, "body", "workforce.body_required"},
		{"unknown level", workforce.NewCert{Level: "grand", Body: "x", Issued: monday, Expires: monday.AddDate(1, 0, 0)}, "level", "workforce.bad_value"},
		{"no issue date", workforce.NewCert{Level: "senior", Body: "x", Expires: monday}, "issued", "workforce.bad_date"},
		{"expiry before issue", workforce.NewCert{Level: "senior", Body: "x", Issued: monday, Expires: monday.AddDate(0, 0, -2)}, "expires", "workforce.bad_period"},
	} {
		_, err := e.svc.AddCert(e.ctx, e.coordA, id, c.cert)
		if apperr.FieldsOf(err)[c.field] != c.key {
			t.Errorf("cert %s: %v %v", c.name, err, apperr.FieldsOf(err))
		}
	}
	if _, err := e.svc.AddCert(e.ctx, e.coordB, id, workforce.NewCert{Level: "senior", Body: "x", Issued: monday, Expires: monday}); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("coordinator B certifies A's teacher: %v", err)
	}
	if err := e.svc.SaveSettings(e.ctx, e.coordA, e.distA.ID, true, 0); apperr.FieldsOf(err)["warn_days"] != "workforce.bad_warn_days" {
		t.Errorf("warning window of 0 days: %v", err)
	}
	if err := e.svc.AddLevel(e.ctx, e.coordA, workforce.Level{Code: "junior", Name: "初级"}); apperr.CodeOf(err) != apperr.EForbidden {
		t.Errorf("a district coordinator adds a level: %v", err)
	}
	if err := e.svc.AddLevel(e.ctx, e.cityCoord, workforce.Level{Code: "Bad Code", Name: "初级"}); apperr.FieldsOf(err)["code"] != "workforce.bad_level_code" {
		t.Errorf("a bad level code: %v", err)
	}
	if err := e.svc.AddLevel(e.ctx, e.cityCoord, workforce.Level{Code: "junior", Name: "初级", NameEn: "Junior", Seniority: 5}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.AddLevel(e.ctx, e.cityCoord, workforce.Level{Code: "junior", Name: "初级"}); apperr.FieldsOf(err)["code"] != "workforce.level_taken" {
		t.Errorf("a level twice: %v", err)
	}
	if _, err := e.svc.AddCert(e.ctx, e.coordA, id, workforce.NewCert{Level: "junior", Body: "区教育局", Issued: monday, Expires: monday.AddDate(2, 0, 0)}); err != nil {
		t.Errorf("a certification of an added level: %v", err)
	}
	levels, _ := e.svc.Levels(e.ctx)
	if len(levels) != 3 || levels[0].Code != "senior" || levels[2].Code != "junior" {
		t.Errorf("levels: %+v", levels)
	}
}

// The registry's life: add, list with filters, read, edit, move, link,
// deactivate; each write audited; scope everywhere.
func TestRegistryCRUDAndScope(t *testing.T) {
	e := newEnv(t)
	liu, err := e.svc.AddPerson(e.ctx, e.coordA, workforce.Entry{UnitID: e.a1.ID, Name: " 刘老师 ", Kind: workforce.KindTeacherFull, Tier: "core",
		Username: e.counsellorA1.Username, Qualifications: []string{"心理学学士", " ", "教师资格"}})
	if err != nil {
		t.Fatal(err)
	}
	ma := e.person(e.a2, "马老师", workforce.KindTeacherPart, "none", "")
	wu, err := e.svc.AddPerson(e.ctx, e.supervisor, workforce.Entry{UnitID: e.branch.ID, Name: "吴咨询", Kind: "hotline_counsellor", Tier: "volunteer",
		Username: e.hotline.Username})
	if err != nil {
		t.Fatal(err)
	}
	xi := e.person(e.b1, "席老师", workforce.KindTeacherFull, "core", "")

	list, err := e.svc.People(e.ctx, e.coordA, workforce.Filter{})
	if err != nil || len(list) != 2 {
		t.Fatalf("coordinator A's list: %d %v", len(list), err)
	}
	if list[0].ID != liu || list[0].Name != "刘老师" || list[0].UserID != e.counsellorA1.UserID || len(list[0].Qualifications) != 2 || !list[0].Manage {
		t.Errorf("first entry: %+v", list[0])
	}
	if l, _ := e.svc.People(e.ctx, e.coordA, workforce.Filter{Kind: workforce.KindTeacherPart}); len(l) != 1 || l[0].ID != ma {
		t.Errorf("filter by kind: %+v", l)
	}
	if l, _ := e.svc.People(e.ctx, e.coordA, workforce.Filter{Tier: "core"}); len(l) != 1 || l[0].ID != liu {
		t.Errorf("filter by tier: %+v", l)
	}
	if l, _ := e.svc.People(e.ctx, e.coordA, workforce.Filter{UnitID: e.a2.ID}); len(l) != 1 || l[0].ID != ma {
		t.Errorf("filter by unit: %+v", l)
	}
	if l, _ := e.svc.People(e.ctx, e.coordA, workforce.Filter{UnitID: e.b1.ID}); len(l) != 0 {
		t.Errorf("coordinator A filters to B1: %+v", l)
	}
	if l, _ := e.svc.People(e.ctx, e.supervisor, workforce.Filter{}); len(l) != 1 || l[0].ID != wu {
		t.Errorf("supervisor's list: %+v", l)
	}
	if l, _ := e.svc.People(e.ctx, e.cityCoord, workforce.Filter{}); len(l) != 4 {
		t.Errorf("city coordinator's list: %d", len(l))
	}
	if _, err := e.svc.People(e.ctx, e.counsellorA1, workforce.Filter{}); apperr.CodeOf(err) != apperr.EForbidden {
		t.Errorf("a counsellor lists the registry: %v", err)
	}
	// Reading: managers, and the person themself.
	if p, err := e.svc.FindPerson(e.ctx, e.counsellorA1, liu); err != nil || p.Manage {
		t.Errorf("own record: %+v %v", p, err)
	}
	if p, err := e.svc.Mine(e.ctx, e.hotline); err != nil || p.ID != wu {
		t.Errorf("Mine: %+v %v", p, err)
	}
	if _, err := e.svc.Mine(e.ctx, e.leaderA1); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("Mine without an entry: %v", err)
	}
	for name, id := range map[string]int64{"coordinator B reads A1's": liu, "hotline reads another's": liu} {
		p := e.coordB
		if strings.HasPrefix(name, "hotline") {
			p = e.hotline
		}
		if _, err := e.svc.FindPerson(e.ctx, p, id); apperr.CodeOf(err) != apperr.ENotFound {
			t.Errorf("%s: %v", name, err)
		}
	}
	if _, err := e.svc.FindPerson(e.ctx, e.coordA, xi); apperr.CodeOf(err) != apperr.ENotFound {
		t.Error("coordinator A reads B1's teacher")
	}
	// Editing: moving to A2 and unlinking; a move out of scope is refused.
	edit := workforce.Entry{UnitID: e.a2.ID, Name: "刘老师", Kind: workforce.KindTeacherPart, Tier: "core", Active: true}
	if err := e.svc.UpdatePerson(e.ctx, e.coordA, liu, edit); err != nil {
		t.Fatal(err)
	}
	p, _ := e.svc.FindPerson(e.ctx, e.coordA, liu)
	if p.Unit.ID != e.a2.ID || p.Kind != workforce.KindTeacherPart || p.UserID != 0 || !p.Active {
		t.Errorf("after edit: %+v", p)
	}
	edit.UnitID = e.b1.ID
	if err := e.svc.UpdatePerson(e.ctx, e.coordA, liu, edit); apperr.FieldsOf(err)["unit"] != "workforce.bad_unit" {
		t.Errorf("move to B1: %v", err)
	}
	if err := e.svc.UpdatePerson(e.ctx, e.coordB, liu, edit); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("coordinator B edits A's entry: %v", err)
	}
	// The account freed by the unlink can be linked again, elsewhere.
	if _, err := e.svc.AddPerson(e.ctx, e.coordA, workforce.Entry{UnitID: e.a1.ID, Name: "刘老师", Kind: workforce.KindTeacherFull,
		Username: e.counsellorA1.Username}); err != nil {
		t.Errorf("relink: %v", err)
	}
	edit.UnitID, edit.Active = e.a2.ID, false
	if err := e.svc.UpdatePerson(e.ctx, e.coordA, liu, edit); err != nil {
		t.Fatal(err)
	}
	if l, _ := e.svc.People(e.ctx, e.coordA, workforce.Filter{UnitID: e.a2.ID}); len(l) != 1 {
		t.Errorf("inactive entries listed by default: %d", len(l))
	}
	if l, _ := e.svc.People(e.ctx, e.coordA, workforce.Filter{UnitID: e.a2.ID, Inactive: true}); len(l) != 2 {
		t.Errorf("with inactive: %d", len(l))
	}
	for action, want := range map[string]int64{"workforce.add": 5, "workforce.update": 2, "workforce.read": 3} {
		if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = ?`, action); n != want {
			t.Errorf("%s audited %d times, want %d", action, n, want)
		}
	}
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'workforce.list'`); n < 8 {
		t.Errorf("lists audited %d times", n)
	}
}

// Certifications are flagged ahead of their expiry by the window of the
// nearest unit that sets one, and lapse after their expiry day.
func TestExpiryFlags(t *testing.T) {
	e := newEnv(t)
	a := e.person(e.a1, "甲", workforce.KindTeacherFull, "core", "")
	b := e.person(e.a2, "乙", workforce.KindTeacherFull, "core", "")
	e.cert(a, "senior", monday.AddDate(0, 0, 60))  // within 90 days
	e.cert(b, "senior", monday.AddDate(0, 0, 120)) // beyond
	marks := func(p int64) (bool, bool, string) {
		t.Helper()
		pr, err := e.svc.FindPerson(e.ctx, e.coordA, p)
		if err != nil {
			t.Fatal(err)
		}
		return pr.Expiring, pr.Lapsed, pr.Certs[0].Status
	}
	if exp, lap, st := marks(a); !exp || lap || st != workforce.StatusExpiring {
		t.Errorf("60 days ahead: %v %v %s", exp, lap, st)
	}
	if exp, _, st := marks(b); exp || st != workforce.StatusValid {
		t.Errorf("120 days ahead: %v %s", exp, st)
	}
	if err := e.svc.SaveSettings(e.ctx, e.coordA, e.distA.ID, false, 150); err != nil {
		t.Fatal(err)
	}
	if exp, _, _ := marks(b); !exp {
		t.Error("a window of 150 days does not flag 120 days ahead")
	}
	if err := e.svc.SaveSettings(e.ctx, e.coordA, e.a1.ID, false, 30); err != nil {
		t.Fatal(err)
	}
	if exp, _, _ := marks(a); exp {
		t.Error("the school's own window of 30 days still flags 60 days ahead")
	}
	if l, _ := e.svc.People(e.ctx, e.coordA, workforce.Filter{Mark: "expiring"}); len(l) != 1 || l[0].ID != b {
		t.Errorf("filter expiring: %+v", l)
	}
	// Valid through the expiry day (China time), lapsed the next.
	e.clk.Set(time.Date(2026, 5, 1, 15, 59, 0, 0, time.UTC)) // 1 May 23:59 CST, the expiry day of a
	if _, lap, st := marks(a); lap || st != workforce.StatusExpiring {
		t.Errorf("on its expiry day: %v %s", lap, st)
	}
	e.clk.Advance(2 * time.Minute)
	if _, lap, st := marks(a); !lap || st != workforce.StatusLapsed {
		t.Errorf("after its expiry day: %v %s", lap, st)
	}
	if l, _ := e.svc.People(e.ctx, e.coordA, workforce.Filter{Mark: "lapsed"}); len(l) != 1 || l[0].ID != a {
		t.Errorf("filter lapsed: %+v", l)
	}
}
