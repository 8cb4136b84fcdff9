package screening_test

import (
	"fmt"
	"slices"
	"testing"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/screening"
)

const H = screening.Hidden

func TestSuppressHidesSmallCountsAndTheirComplement(t *testing.T) {
	cases := []struct {
		counts, want []int
		total, wantT int
	}{
		{[]int{120, 30, 8, 6}, []int{120, 30, 8, 6}, 164, 164}, // nothing small
		{[]int{120, 30, 8, 0}, []int{120, 30, 8, 0}, 158, 158}, // zero is shown
		{[]int{120, 30, 8, 2}, []int{120, 30, H, H}, 160, 160}, // one small: the next smallest goes too
		{[]int{120, 3, 8, 2}, []int{120, H, 8, H}, 133, 133},   // two small: enough
		{[]int{120, 4, 1, 2}, []int{120, H, H, H}, 127, 127},
		{[]int{100, 20, 1, 1}, []int{100, H, H, H}, 122, 122}, // two small adding to 2 would each be 1: the next goes too
		{[]int{3, 0, 0, 0}, []int{H, H, H, H}, 3, H},          // a tiny school: everything
		{[]int{7, 0, 0, 3}, []int{H, 0, 0, H}, 10, 10},        // the only other cell goes too
		{[]int{5, 5, 5, 5}, []int{5, 5, 5, 5}, 20, 20},        // 5 is shown
		{[]int{0, 0, 0, 0}, []int{0, 0, 0, 0}, 0, 0},          // none screened
	}
	for _, c := range cases {
		got, total := screening.Suppress(c.counts, c.total)
		if !slices.Equal(got, c.want) || total != c.wantT {
			t.Errorf("Suppress(%v, %d) = %v, %d; want %v, %d", c.counts, c.total, got, total, c.want, c.wantT)
		}
		// No hidden count can be worked out from the total and the shown ones.
		hidden, known := 0, 0
		for i, n := range got {
			if n == H {
				hidden++
			} else {
				known += c.counts[i]
			}
		}
		if total != H && hidden == 1 {
			t.Errorf("Suppress(%v): a single hidden count is the total minus the others (%d)", c.counts, total-known)
		}
	}
}

// A school leader (report.read, no identities) sees the summary with small
// counts hidden; the school counsellor (record.read) sees them exactly; a
// head teacher sees nothing.
func TestTierSummaryHidesSmallCountsFromReportReaders(t *testing.T) {
	e := newEnv(t)
	n := 0
	var rows []string
	for _, tier := range []struct {
		name  string
		count int
	}{{"green", 12}, {"yellow", 6}, {"orange", 2}, {"red", 0}} {
		for range tier.count {
			n++
			rows = append(rows, tier.name)
		}
	}
	ids := map[int]int64{}
	for i := range rows {
		no := fmt.Sprintf("SUM%03d", i)
		m := e.seed(kid(no, "学生"+no, e.a, 8, "1", age14))
		ids[i] = m[no]
	}
	cid := e.create(e.coordX, campaign(e.x, screening.ConsentNone, screening.Target{SchoolID: e.a.ID}))
	for i, tier := range rows {
		if _, err := e.d.Exec(e.ctx, `INSERT INTO student_tiers (student_id, tier, critical, campaign_id, at) VALUES (?, ?, 0, ?, ?)`,
			ids[i], tier, cid, db.Micro(today)); err != nil {
			t.Fatal(err)
		}
	}
	leader := e.principal(access.SchoolLeader, e.a)
	got, err := e.svc.TierSummary(e.ctx, leader, cid)
	if err != nil || len(got) != 1 {
		t.Fatalf("leader: %+v, %v", got, err)
	}
	if want := []int{12, H, H, 0}; !slices.Equal(got[0].Counts, want) || got[0].Screened != 20 || got[0].Identified {
		t.Errorf("leader sees %v (screened %d); want %v of 20, small counts hidden", got[0].Counts, got[0].Screened, want)
	}
	got, err = e.svc.TierSummary(e.ctx, e.counsellorA, cid)
	if err != nil || len(got) != 1 || !slices.Equal(got[0].Counts, []int{12, 6, 2, 0}) || !got[0].Identified {
		t.Errorf("counsellor sees %+v, %v; want exact counts", got, err)
	}
	_, err = e.svc.TierSummary(e.ctx, e.teacherA, cid)
	wantCode(t, "a head teacher", err, apperr.ENotFound)
	// Another district's leader sees nothing of it.
	_, err = e.svc.TierSummary(e.ctx, e.principal(access.SchoolLeader, e.b), cid)
	wantCode(t, "another district's leader", err, apperr.ENotFound)
}
