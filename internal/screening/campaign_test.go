package screening_test

import (
	"context"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/screening"
	"github.com/careloop/careloop/internal/student"
)

func TestCreateCampaignRejectsInvalidInput(t *testing.T) {
	e := newEnv(t)
	e.seed(kid("A0001", "甲一", e.a, 7, "1班", age13))
	valid := func() screening.NewCampaign {
		return campaign(e.x, screening.ConsentNone, screening.Target{SchoolID: e.a.ID})
	}
	cases := []struct {
		name  string
		edit  func(n *screening.NewCampaign)
		field string
	}{
		{"no name", func(n *screening.NewCampaign) { n.Name = "   " }, "name"},
		{"name too long", func(n *screening.NewCampaign) { n.Name = strings.Repeat("筛", 101) }, "name"},
		{"no instruments", func(n *screening.NewCampaign) { n.Instruments = nil }, "instruments"},
		{"unknown instrument", func(n *screening.NewCampaign) { n.Instruments = []string{"phq-a", "mht"} }, "instruments"},
		{"ends before start", func(n *screening.NewCampaign) { n.EndsAt = n.StartsAt.Add(-time.Minute) }, "ends_at"},
		{"empty window", func(n *screening.NewCampaign) { n.EndsAt = n.StartsAt }, "ends_at"},
		{"no start", func(n *screening.NewCampaign) { n.StartsAt = time.Time{} }, "ends_at"},
		{"unknown consent rule", func(n *screening.NewCampaign) { n.ConsentRule = "sometimes" }, "consent_rule"},
		{"no consent rule", func(n *screening.NewCampaign) { n.ConsentRule = "" }, "consent_rule"},
		{"no targets", func(n *screening.NewCampaign) { n.Targets = nil }, "targets"},
		{"target school outside the owner's subtree", func(n *screening.NewCampaign) {
			n.Targets = []screening.Target{{SchoolID: e.a.ID}, {SchoolID: e.b.ID}}
		}, "targets"},
		{"target that is not a school", func(n *screening.NewCampaign) { n.Targets = []screening.Target{{SchoolID: e.x.ID}} }, "targets"},
		{"target that does not exist", func(n *screening.NewCampaign) { n.Targets = []screening.Target{{SchoolID: 999999}} }, "targets"},
	}
	for _, c := range cases {
		n := valid()
		c.edit(&n)
		_, err := e.svc.CreateCampaign(e.ctx, e.coordX, n)
		wantCode(t, c.name, err, apperr.EInvalid)
		if f := apperr.FieldsOf(err); f[c.field] == "" {
			t.Errorf("%s: fields %v, want a problem with %q", c.name, f, c.field)
		}
	}
	// Owners the caller cannot reach look like no unit at all.
	outside := []struct {
		name string
		n    screening.NewCampaign
		p    access.Principal
	}{
		{"district Y by the district X coordinator", campaign(e.y, screening.ConsentNone, screening.Target{SchoolID: e.b.ID}), e.coordX},
		{"unknown owner unit", campaign(e.x, screening.ConsentNone, screening.Target{SchoolID: e.a.ID}), e.coordX},
		{"district X by school A's counsellor", valid(), e.counsellorA},
		{"school A by its head teacher", campaign(e.a, screening.ConsentNone, screening.Target{SchoolID: e.a.ID}), e.teacherA},
	}
	outside[1].n.OrgUnitID = 999999
	for _, c := range outside {
		_, err := e.svc.CreateCampaign(e.ctx, c.p, c.n)
		wantCode(t, c.name, err, apperr.ENotFound)
	}
	if n := e.count(`SELECT COUNT(*) FROM campaigns`); n != 0 {
		t.Errorf("%d campaigns written by refused calls", n)
	}
	if n := e.count(`SELECT COUNT(*) FROM campaign_students`); n != 0 {
		t.Errorf("%d students invited by refused calls", n)
	}
	if n := e.audits("campaign.create", ""); n != 0 {
		t.Errorf("%d campaign.create audit entries for refused calls", n)
	}
	// A school counsellor may run a campaign of their own school.
	e.create(e.counsellorA, campaign(e.a, screening.ConsentNone, screening.Target{SchoolID: e.a.ID}))
}

// invited returns the student numbers a campaign invited, sorted.
func (e *env) invited(campaignID int64) []string {
	e.t.Helper()
	var out []string
	err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, `SELECT st.student_no FROM campaign_students cs JOIN students st ON st.id = cs.student_id
			WHERE cs.campaign_id = ? ORDER BY st.student_no`, campaignID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var no string
			if err := rows.Scan(&no); err != nil {
				return err
			}
			out = append(out, no)
		}
		return rows.Err()
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return out
}

func TestCreateCampaignInvitesExactlyTheTargetedActiveStudents(t *testing.T) {
	e := newEnv(t)
	ids := e.seed(
		kid("A0001", "甲一", e.a, 7, "1班", age13), kid("A0002", "甲二", e.a, 7, "1班", age13),
		kid("A0003", "甲三", e.a, 7, "2班", age13), kid("A0004", "甲四", e.a, 8, "1班", age14),
		kid("A0005", "甲五", e.a, 8, "1班", age14), // graduates below: not invited
		kid("C0001", "丙一", e.a2, 7, "1班", age13), kid("B0001", "乙一", e.b, 7, "1班", age13))
	if err := e.stu.SetStatus(e.ctx, e.cityCoord, ids["A0005"], student.Archived); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name    string
		targets []screening.Target
		want    string
	}{
		{"whole school", []screening.Target{{SchoolID: e.a.ID}}, "A0001 A0002 A0003 A0004"},
		{"one grade", []screening.Target{{SchoolID: e.a.ID, Grade: 7}}, "A0001 A0002 A0003"},
		{"one class", []screening.Target{{SchoolID: e.a.ID, Grade: 7, ClassName: " 2班 "}}, "A0003"},
		{"two schools", []screening.Target{{SchoolID: e.a2.ID}, {SchoolID: e.a.ID, Grade: 8}}, "A0004 C0001"},
		{"overlapping targets", []screening.Target{{SchoolID: e.a.ID}, {SchoolID: e.a.ID, Grade: 7}}, "A0001 A0002 A0003 A0004"},
		{"a class with nobody", []screening.Target{{SchoolID: e.a.ID, Grade: 9}}, ""},
	}
	format := regexp.MustCompile(`^[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}-[A-HJKMNP-Z2-9]{4}$`)
	seen := map[string]bool{}
	for _, c := range cases {
		before := e.count(`SELECT COUNT(*) FROM audit_log`)
		cid := e.create(e.coordX, campaign(e.x, screening.ConsentNone, c.targets...))
		if got := strings.Join(e.invited(cid), " "); got != c.want {
			t.Errorf("%s: invited %q, want %q", c.name, got, c.want)
		}
		if n := e.audits("campaign.create", id(cid)); n != 1 {
			t.Errorf("%s: %d campaign.create entries, want 1", c.name, n)
		}
		if got, want := e.str(`SELECT detail FROM audit_log WHERE action = 'campaign.create' AND object_id = ?`, id(cid)),
			"invited="+itoa(len(strings.Fields(c.want))); got != want {
			t.Errorf("%s: audit detail %q, want %q", c.name, got, want)
		}
		if n := e.count(`SELECT actor_user_id FROM audit_log WHERE action = 'campaign.create' AND object_id = ?`, id(cid)); int64(n) != e.coordX.UserID {
			t.Errorf("%s: audit actor %d, want %d", c.name, n, e.coordX.UserID)
		}
		if after := e.count(`SELECT COUNT(*) FROM audit_log`); after != before+1 {
			t.Errorf("%s: audit entries %d -> %d, want one more", c.name, before, after)
		}
		slips, err := e.svc.Slips(e.ctx, e.coordX, cid, e.a.ID)
		if err != nil {
			t.Fatal(err)
		}
		for _, s := range slips {
			if !format.MatchString(s.Code) {
				t.Errorf("%s: code %q is not XXXX-XXXX-XXXX from the unambiguous alphabet", c.name, s.Code)
			}
			if seen[s.Code] {
				t.Errorf("%s: code %s given twice", c.name, s.Code)
			}
			seen[s.Code] = true
		}
	}
	if n, d := e.count(`SELECT COUNT(*) FROM campaign_students`), e.count(`SELECT COUNT(DISTINCT code_hash) FROM campaign_students`); n != d {
		t.Errorf("%d invitations share %d code hashes", n, d)
	}
	// The stored campaign reads back as created.
	cid := e.create(e.coordX, campaign(e.x, screening.ConsentUnder14,
		screening.Target{SchoolID: e.a.ID, Grade: 7, ClassName: "1班"}, screening.Target{SchoolID: e.a2.ID}))
	c, err := e.svc.FindCampaignByID(e.ctx, e.coordX, cid)
	if err != nil {
		t.Fatal(err)
	}
	if c.Name != "2025春季筛查" || strings.Join(c.Instruments, ",") != "phq-a,gad-7" || c.ConsentRule != screening.ConsentUnder14 ||
		!c.StartsAt.Equal(today.Add(-time.Hour)) || c.Status != "open" || len(c.Targets) != 2 || c.OrgUnitID != e.x.ID {
		t.Errorf("FindCampaignByID = %+v", c)
	}
	if _, err := e.svc.FindCampaignByID(e.ctx, e.counsellorB, cid); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("school B's counsellor reads a district X campaign: %v", err)
	}
}

func itoa(n int) string { return id(int64(n)) }
