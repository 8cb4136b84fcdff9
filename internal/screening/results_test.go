package screening_test

import (
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/screening"
	"github.com/careloop/careloop/internal/student"
)

// resultsFixture: a city campaign over schools A, A2 and B, where every
// student but 六号 has submitted. It returns ids by name.
func resultsFixture(t *testing.T) (*env, int64, map[string]int64) {
	e := newEnv(t)
	type who struct {
		no, name string
		school   int
		grade    int
		class    string
		a        screening.Answers
	}
	kids := []who{
		{"R0001", "一号", 0, 7, "1班", calm}, {"R0002", "二号", 0, 7, "1班", worried}, {"R0003", "三号", 0, 7, "1班", critical},
		{"R0004", "四号", 0, 7, "2班", severe}, {"R0005", "五号", 0, 8, "1班", mildOnly}, {"R0006", "六号", 0, 8, "1班", nil},
		{"R0007", "七号", 1, 7, "1班", worried}, {"R0008", "八号", 2, 7, "1班", severe}, {"R0009", "九号", 2, 7, "1班", calm},
	}
	schools := []*org.Unit{e.a, e.a2, e.b}
	rows := make([]student.RosterRow, 0, len(kids))
	for _, k := range kids {
		rows = append(rows, kid(k.no, k.name, schools[k.school], k.grade, k.class, age14))
	}
	ids := e.seed(rows...)
	cid := e.create(e.cityCoord, campaign(e.city, screening.ConsentNone, screening.Target{SchoolID: e.a.ID},
		screening.Target{SchoolID: e.a2.ID}, screening.Target{SchoolID: e.b.ID}))
	byName := map[string]int64{}
	for _, k := range kids {
		byName[k.name] = ids[k.no]
		if k.a == nil {
			continue
		}
		school := schools[k.school]
		if _, err := e.svc.Submit(e.ctx, e.open(cid, school, k.name), screening.Submission{IdempotencyKey: k.no, Answers: k.a, Elapsed: patient}); err != nil {
			t.Fatalf("Submit for %s: %v", k.name, err)
		}
	}
	return e, cid, byName
}

// distribution renders TierDistribution as sorted "school/grade/class tier n critical" lines.
func (e *env) distribution(p access.Principal, cid int64) (string, error) {
	rows, err := e.svc.TierDistribution(e.ctx, p, cid)
	names := map[int64]string{e.a.ID: "A", e.a2.ID: "A2", e.b.ID: "B"}
	var out []string
	for _, r := range rows {
		out = append(out, names[r.SchoolID]+"/"+strconv.Itoa(r.Grade)+"/"+r.ClassName+" "+r.Tier+" "+strconv.Itoa(r.Students)+
			" "+strconv.Itoa(r.Critical))
	}
	sort.Strings(out)
	return strings.Join(out, "; "), err
}

var distA = []string{"A/7/1班 green 1 0", "A/7/1班 orange 1 0", "A/7/1班 red 1 1", "A/7/2班 red 1 0", "A/8/1班 yellow 1 0"}

func TestTierDistribution(t *testing.T) {
	e, cid, _ := resultsFixture(t)
	all := append(append([]string{}, distA...), "A2/7/1班 orange 1 0", "B/7/1班 green 1 0", "B/7/1班 red 1 0")
	sort.Strings(all)
	got, err := e.distribution(e.cityCoord, cid)
	if err != nil || got != strings.Join(all, "; ") {
		t.Errorf("city coordinator's distribution:\n got %s (%v)\nwant %s", got, err, strings.Join(all, "; "))
	}
	got, err = e.distribution(e.principal(access.Coordinator, e.y), 999999)
	if apperr.CodeOf(err) != apperr.ENotFound || got != "" {
		t.Errorf("distribution of an unknown campaign: %s, %v", got, err)
	}
}

// TestTierDistributionInsideScope: a district or school sees the counts of
// its own units in a city campaign, and only those (issue 3, point 13).
func TestTierDistributionInsideScope(t *testing.T) {
	e, cid, _ := resultsFixture(t)
	for who, c := range map[string]struct {
		p    access.Principal
		want []string
	}{
		"district X coordinator": {e.coordX, append(append([]string{}, distA...), "A2/7/1班 orange 1 0")},
		"school A counsellor":    {e.counsellorA, distA},
	} {
		sort.Strings(c.want)
		got, err := e.distribution(c.p, cid)
		if err != nil || got != strings.Join(c.want, "; ") {
			t.Errorf("%s:\n got %s (%v)\nwant %s", who, got, err, strings.Join(c.want, "; "))
		}
	}
}

func TestStudentsByTierInsideScope(t *testing.T) {
	e, cid, ids := resultsFixture(t)
	cases := []struct {
		who  string
		p    access.Principal
		want string // in order
	}{
		{"city coordinator", e.cityCoord, "三号 | 四号 八号 | 二号 七号 | 五号 | 一号 九号"},
		{"district X coordinator", e.coordX, "三号 | 四号 | 二号 七号 | 五号 | 一号"},
		{"school A counsellor", e.counsellorA, "三号 | 四号 | 二号 | 五号 | 一号"},
		{"school B counsellor", e.counsellorB, "八号 | 九号"},
	}
	rank := map[string]int{"red": 0, "orange": 1, "yellow": 2, "green": 3}
	for _, c := range cases {
		before := e.audits("screening.list", id(cid))
		list, err := e.svc.StudentsByTier(e.ctx, c.p, cid)
		if err != nil {
			t.Errorf("%s: %v", c.who, err)
			continue
		}
		// Group by (critical, tier); names inside a group in any order.
		var groups []string
		var cur []string
		for i, s := range list {
			if ids[s.Name] != s.StudentID {
				t.Errorf("%s: %s listed with id %d, want %d", c.who, s.Name, s.StudentID, ids[s.Name])
			}
			if i > 0 {
				p := list[i-1]
				if p.Critical != s.Critical || p.Tier != s.Tier {
					sort.Strings(cur)
					groups = append(groups, strings.Join(cur, " "))
					cur = nil
				}
				if !p.Critical && s.Critical || p.Critical == s.Critical && rank[p.Tier] > rank[s.Tier] {
					t.Errorf("%s: %s (%s %v) listed after %s (%s %v)", c.who, s.Name, s.Tier, s.Critical, p.Name, p.Tier, p.Critical)
				}
			}
			cur = append(cur, s.Name)
		}
		if cur != nil {
			sort.Strings(cur)
			groups = append(groups, strings.Join(cur, " "))
		}
		if got := strings.Join(groups, " | "); got != sortGroups(c.want) {
			t.Errorf("%s: list %q, want %q", c.who, got, c.want)
		}
		if strings.HasPrefix(c.want, "三号") && (!list[0].Critical || list[0].Tier != "red") {
			t.Errorf("%s: first is %+v, want the critical student", c.who, list[0])
		}
		if n := e.audits("screening.list", id(cid)); n != before+1 {
			t.Errorf("%s: screening.list entries %d -> %d, want one more", c.who, before, n)
		}
	}
	_, err := e.svc.StudentsByTier(e.ctx, e.teacherA, cid)
	wantCode(t, "list for a head teacher", err, apperr.EForbidden)
}

// sortGroups sorts the names inside each " | "-separated group.
func sortGroups(s string) string {
	groups := strings.Split(s, " | ")
	for i, g := range groups {
		names := strings.Fields(g)
		sort.Strings(names)
		groups[i] = strings.Join(names, " ")
	}
	return strings.Join(groups, " | ")
}

func TestHistory(t *testing.T) {
	e, cid, ids := resultsFixture(t)
	sid := ids["三号"]
	results, _ := expected(t, e.cat, critical)
	before := e.audits("screening.history", id(sid))
	hist, status, err := e.svc.History(e.ctx, e.counsellorA, sid)
	if err != nil || len(hist) != 2 {
		t.Fatalf("History = %+v, %v", hist, err)
	}
	if status == nil || status.Tier != "red" || !status.Critical || !status.At.Equal(today) {
		t.Errorf("current tier = %+v, want red and critical", status)
	}
	for _, r := range hist {
		res := results[r.Instrument]
		if res == nil || r.CampaignID != cid || r.CampaignName != "2025春季筛查" || r.Total != res.Total ||
			r.Band != res.Band.Key || r.Critical != (len(res.Critical) > 0) || !r.SubmittedAt.Equal(today) {
			t.Errorf("History row %+v, want total %d band %s", r, res.Total, res.Band.Key)
		}
	}
	if n := e.audits("screening.history", id(sid)); n != before+1 {
		t.Errorf("screening.history entries %d -> %d, want one more", before, n)
	}
	if hist, status, err := e.svc.History(e.ctx, e.cityCoord, ids["六号"]); err != nil || len(hist) != 0 || status != nil {
		t.Errorf("History of an unscreened student = %+v, %+v, %v", hist, status, err)
	}
	for who, p := range map[string]access.Principal{"school B counsellor": e.counsellorB, "head teacher of A": e.teacherA,
		"district Y coordinator": e.principal(access.Coordinator, e.y)} {
		_, _, err := e.svc.History(e.ctx, p, sid)
		wantCode(t, "History by "+who, err, apperr.ENotFound)
	}
	_, _, err = e.svc.History(e.ctx, e.cityCoord, 999999)
	wantCode(t, "History of an unknown student", err, apperr.ENotFound)
	if n := e.audits("screening.history", id(sid)); n != before+1 {
		t.Errorf("refused History reads were audited as successes (%d entries)", n)
	}
}
