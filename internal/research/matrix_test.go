package research_test

import (
	"slices"
	"testing"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/research"
	"github.com/careloop/careloop/internal/testutil"
)

// TestAuthorizationMatrixResearch: every role placed at every unit, by
// session and by an API token, defines an extract over every unit, looks
// for a district's extract in the definer's list, and lists and downloads
// extracts: its own (if its role may hold one) and another researcher's.
// The expectation comes from the role table and the parent links.
func TestAuthorizationMatrixResearch(t *testing.T) {
	e := newEnv(t)
	e.population(6)
	theirs := e.define(e.coordA, e.a1, 2, []string{"screening"}, []string{"screening.score"})
	units := []*org.Unit{e.city, e.distA, e.a1, e.distB, e.b1, e.station, e.hospital}
	tr := testutil.Tree{}
	for _, u := range units {
		tr[u.ID] = u.ParentID
	}
	unitErr := func(err error) bool {
		return testutil.Refused(err) || apperr.FieldsOf(err)["unit"] == "research.err_unit"
	}
	m := &testutil.Matrix{T: t}
	for _, role := range access.RoleNames() {
		for _, home := range units {
			user := testutil.Staff(t, e.ctx, e.ppl, role+"-"+itoa(home.ID), role, home)
			var own int64
			if access.Has(role, access.ResearchExtract) {
				id, err := e.svc.Define(e.ctx, e.coordCity, research.NewExtract{UnitID: e.city.ID, Kinds: []string{"alert"},
					Fields: []string{"alert.level"}, From: monday.AddDate(0, -2, 0), To: monday.AddDate(0, 2, 0), ResearcherID: user.UserID,
					Basis: "law", Purpose: "研究目的"})
				if err != nil {
					t.Fatal(err)
				}
				if err := e.svc.Build(e.ctx, id); err != nil {
					t.Fatal(err)
				}
				own = id
			}
			for _, v := range testutil.Variants {
				if v.Limit != nil && home != units[0] {
					continue
				}
				p := user
				p.Limit = v.Limit
				who := role + "@" + home.Name + v.Name
				for _, u := range units {
					_, err := e.svc.Define(e.ctx, p, research.NewExtract{UnitID: u.ID, Kinds: []string{"screening"}, Fields: []string{"screening.tier"},
						From: monday.AddDate(0, -1, 0), To: monday, K: 5, ResearcherID: e.researcher.UserID, Basis: "agreement", Purpose: "研究目的"})
					m.Cell(who, "define over "+u.Name, tr.Holds(v, role, home, access.ResearchDefine, u), err, unitErr)
				}
				offered, uerr := e.svc.Units(e.ctx, p)
				for _, u := range units {
					m.Cell(who, "offered "+u.Name, tr.Holds(v, role, home, access.ResearchDefine, u) && u.Kind != org.HotlineStation && u.Kind != org.Hospital,
						testutil.Found(slices.ContainsFunc(offered, func(o research.Option) bool { return o.ID == u.ID }), uerr), testutil.Refused)
				}
				_, rerr := e.svc.Researchers(e.ctx, p)
				m.Cell(who, "list researchers", v.Can(role, access.ResearchDefine), rerr, testutil.Refused)
				list, err := e.svc.Extracts(e.ctx, p)
				m.Cell(who, "list A1's extract", tr.Holds(v, role, home, access.ResearchDefine, e.a1),
					testutil.Found(slices.ContainsFunc(list, func(x research.Extract) bool { return x.ID == theirs }), err), testutil.Refused)
				addressed, aerr := e.svc.Addressed(e.ctx, p)
				m.Cell(who, "see another's extract", false,
					testutil.Found(slices.ContainsFunc(addressed, func(x research.Extract) bool { return x.ID == theirs }), aerr), testutil.Refused)
				_, err = e.svc.Download(e.ctx, p, theirs, "xlsx")
				m.Cell(who, "download another's extract", false, err, testutil.Refused)
				if own != 0 {
					m.Cell(who, "see own extract", v.Can(role, access.ResearchExtract),
						testutil.Found(slices.ContainsFunc(addressed, func(x research.Extract) bool { return x.ID == own }), aerr), testutil.Refused)
					_, err = e.svc.Download(e.ctx, p, own, "csv")
					m.Cell(who, "download own extract", v.Can(role, access.ResearchExtract), err, testutil.Refused)
				}
			}
		}
	}
	m.Report("research")
}
