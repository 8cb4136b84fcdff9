package workforce_test

import (
	"slices"
	"strconv"
	"testing"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/testutil"
	"github.com/careloop/careloop/internal/workforce"
)

// TestAuthorizationMatrixWorkforce: every role placed at every unit of the
// network (and, at the root, through an API token without the
// permissions) tries every act of the registry on school A1's teacher, the
// settings of A1, the coverage of district A and the certification
// levels; the expectation comes from the role table and the parent links.
func TestAuthorizationMatrixWorkforce(t *testing.T) {
	e := newEnv(t)
	teacher := e.person(e.a1, "刘老师", workforce.KindTeacherFull, "core", "")
	units := []*org.Unit{e.city, e.distA, e.a1, e.a2, e.centreA, e.distB, e.b1, e.station, e.branch}
	tr := testutil.Tree{}
	for _, u := range units {
		tr[u.ID] = u.ParentID
	}
	field := func(name, key string) func(error) bool {
		return func(err error) bool { return testutil.Refused(err) || apperr.FieldsOf(err)[name] == key }
	}
	m := &testutil.Matrix{T: t}
	var cert int64
	n := 0
	for _, role := range access.RoleNames() {
		for _, home := range units {
			user := e.user(role, home)
			for _, v := range testutil.Variants {
				if v.Limit != nil && home != units[0] {
					continue
				}
				p := user
				p.Limit = v.Limit
				who := role + "@" + home.Name + v.Name
				has := func(perm access.Permission, u *org.Unit) bool { return tr.Holds(v, role, home, perm, u) }
				manage := has(access.WorkforceManage, e.a1)
				n++

				l, err := e.svc.People(e.ctx, p, workforce.Filter{})
				m.Cell(who, "list the registry", manage, testutil.Found(slices.ContainsFunc(l, func(x workforce.Person) bool { return x.ID == teacher }), err), testutil.Refused)
				_, err = e.svc.FindPerson(e.ctx, p, teacher)
				m.Cell(who, "read A1's teacher", manage, err, testutil.Refused)
				_, err = e.svc.AddPerson(e.ctx, p, workforce.Entry{UnitID: e.a1.ID, Name: "志愿者" + strconv.Itoa(n), Kind: "volunteer", Tier: "volunteer"})
				m.Cell(who, "add an entry at A1", manage, err, field("unit", "workforce.bad_unit"))
				err = e.svc.UpdatePerson(e.ctx, p, teacher, workforce.Entry{UnitID: e.a1.ID, Name: "刘老师", Kind: workforce.KindTeacherFull, Tier: "core", Active: true})
				m.Cell(who, "edit A1's teacher", manage, err, testutil.Refused)
				id, err := e.svc.AddCert(e.ctx, p, teacher, workforce.NewCert{Level: "senior", Body: "省心理学会", Issued: monday, Expires: monday.AddDate(3, 0, 0)})
				m.Cell(who, "certify A1's teacher", manage, err, testutil.Refused)
				if cert == 0 {
					cert = e.cert(teacher, "intermediate", monday.AddDate(1, 0, 0))
				}
				err = e.svc.EndCert(e.ctx, p, cert)
				m.Cell(who, "end a certification of A1's teacher", manage, err, testutil.Refused)
				if err == nil {
					cert = 0
				}
				_ = id
				err = e.svc.SaveSettings(e.ctx, p, e.a1.ID, false, 90)
				m.Cell(who, "set A1's lapse rule", manage, err, testutil.Refused)

				cov := func(u *org.Unit) bool { return has(access.ReportRead, u) || has(access.WorkforceManage, u) }
				c, err := e.svc.Coverage(e.ctx, p)
				inA := false
				if err == nil {
					inA = slices.ContainsFunc(c.Districts, func(d workforce.DistrictCoverage) bool { return d.District.ID == e.distA.ID })
				}
				m.Cell(who, "read district A's coverage", cov(e.a1) || cov(e.a2), testutil.Found(inA, err), testutil.Refused)
				gaps, err := e.svc.Uncovered(e.ctx, p, 0)
				m.Cell(who, "see that A2 has no teacher", cov(e.a2),
					testutil.Found(slices.ContainsFunc(gaps, func(s workforce.School) bool { return s.Unit.ID == e.a2.ID }), err), testutil.Refused)
				err = e.svc.AddLevel(e.ctx, p, workforce.Level{Code: "lv" + strconv.Itoa(n), Name: "级别" + strconv.Itoa(n)})
				m.Cell(who, "add a certification level", has(access.WorkforceManage, e.city), err, testutil.Refused)
			}
		}
	}
	// The person themself reads their own entry in a session, not through
	// a token, and never another's.
	e.person(e.a2, "马老师", workforce.KindTeacherPart, "none", e.leaderA1.Username)
	_, err := e.svc.Mine(e.ctx, e.leaderA1)
	m.Cell("leader of A1 (linked)", "read own entry", true, err, testutil.Refused)
	_, err = e.svc.FindPerson(e.ctx, e.leaderA1, teacher)
	m.Cell("leader of A1 (linked)", "read another's entry", false, err, testutil.Refused)
	tok := e.leaderA1
	tok.Limit = testutil.Variants[1].Limit
	_, err = e.svc.Mine(e.ctx, tok)
	m.Cell("leader of A1 (linked) via token", "read own entry", false, err, testutil.Refused)
	m.Report("workforce")
}
