package outreach_test

import (
	"sort"
	"testing"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/outreach"
)

// criteria is the rating the tests define: three weighted criteria.
var criteria = []outreach.Criterion{
	{NameZh: "设施", NameEn: "Facilities", Weight: 3, Max: 10},
	{NameZh: "活动", NameEn: "Activities", Weight: 5, Max: 10},
	{NameZh: "台账", NameEn: "Records", Weight: 2, Max: 5},
}

// A rating: criteria as data, scores within bounds on venues of its kind
// in its subtree, a ranking ordered by the weighted total (ties by name)
// that matches totals computed here, the top ten, and publishing freezes.
func TestRatingRanking(t *testing.T) {
	e := newEnv(t)
	bad := []struct {
		n     outreach.NewRating
		field string
	}{
		{outreach.NewRating{Unit: e.distA.ID, Year: 1999, Kind: "youth_care_room", Criteria: criteria}, "year"},
		{outreach.NewRating{Unit: e.distA.ID, Year: 2026, Kind: "pub", Criteria: criteria}, "kind"},
		{outreach.NewRating{Unit: e.distA.ID, Year: 2026, Kind: "youth_care_room"}, "criteria"},
		{outreach.NewRating{Unit: e.distA.ID, Year: 2026, Kind: "youth_care_room", Criteria: []outreach.Criterion{{NameZh: "x", Weight: 0, Max: 10}}}, "criteria"},
		{outreach.NewRating{Unit: e.distA.ID, Year: 2026, Kind: "youth_care_room", Criteria: []outreach.Criterion{{NameZh: "", Weight: 1, Max: 10}}}, "criteria"},
		{outreach.NewRating{Unit: e.distB.ID, Year: 2026, Kind: "youth_care_room", Criteria: criteria}, "unit"},
	}
	for i, b := range bad {
		if _, err := e.svc.DefineRating(e.ctx, e.coordA, b.n); apperr.FieldsOf(err)[b.field] == "" {
			t.Errorf("bad rating %d: %v, want a problem with %s", i, err, b.field)
		}
	}
	if _, err := e.svc.DefineRating(e.ctx, e.counsellorA1, outreach.NewRating{Unit: e.a1.ID, Year: 2026, Kind: "youth_care_room", Criteria: criteria}); apperr.CodeOf(err) != apperr.EForbidden {
		t.Errorf("a counsellor defines a rating: %v", err)
	}
	rid, err := e.svc.DefineRating(e.ctx, e.coordA, outreach.NewRating{Unit: e.distA.ID, Year: 2026, Kind: "youth_care_room", Criteria: criteria})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.DefineRating(e.ctx, e.coordA, outreach.NewRating{Unit: e.distA.ID, Year: 2026, Kind: "youth_care_room", Criteria: criteria}); apperr.FieldsOf(err)["year"] != "venue.rating_exists" {
		t.Errorf("a second rating of the year: %v", err)
	}
	r, err := e.svc.Ranking(e.ctx, e.coordA, rid)
	if err != nil || len(r.Criteria) != 3 || r.MaxTotal != 3*10+5*10+2*5 {
		t.Fatalf("rating read back: %+v %v", r, err)
	}
	ids := make([]int64, len(r.Criteria))
	for i, c := range r.Criteria {
		ids[i] = c.ID
	}
	// Twelve youth-care rooms in district A, one elsewhere, one of another kind.
	names := []string{"甲", "乙", "丙", "丁", "戊", "己", "庚", "辛", "壬", "癸", "子", "丑"}
	scores := [][]int64{{10, 10, 5}, {8, 9, 4}, {8, 9, 4}, {5, 5, 5}, {0, 10, 0}, {10, 0, 5}, {7, 7, 2}, {9, 6, 3}, {6, 8, 1}, {3, 3, 3}, {4, 9, 5}, {1, 1, 1}}
	type want struct {
		name  string
		total int64
		id    int64
	}
	var wants []want
	for i, n := range names {
		at := e.a1
		if i%2 == 1 {
			at = e.a2
		}
		v := e.venue(e.coordA, at, "youth_care_room", "青爱小屋"+n)
		var total int64
		for j, s := range scores[i] {
			total += criteria[j].Weight * s
		}
		wants = append(wants, want{"青爱小屋" + n, total, v})
		if err := e.svc.Score(e.ctx, e.coordA, rid, v, map[int64]int64{ids[0]: scores[i][0], ids[1]: scores[i][1], ids[2]: scores[i][2]}); err != nil {
			t.Fatalf("score %s: %v", n, err)
		}
	}
	elsewhere := e.venue(e.coordB, e.b1, "youth_care_room", "黄岩青爱小屋")
	room := e.venue(e.coordA, e.a1, "counselling_room", "辅导室")
	for _, v := range []int64{elsewhere, room} {
		if err := e.svc.Score(e.ctx, e.coordA, rid, v, map[int64]int64{ids[0]: 1}); apperr.FieldsOf(err)["venue"] != "venue.bad_venue" {
			t.Errorf("scoring venue %d outside the rating: %v", v, err)
		}
	}
	if err := e.svc.Score(e.ctx, e.coordA, rid, wants[0].id, map[int64]int64{ids[2]: 6}); apperr.FieldsOf(err)["score_"+itoa(ids[2])] != "venue.bad_score" {
		t.Errorf("a score over the maximum: %v", err)
	}
	if err := e.svc.Score(e.ctx, e.coordA, rid, wants[0].id, map[int64]int64{ids[0]: -1}); apperr.FieldsOf(err)["score_"+itoa(ids[0])] != "venue.bad_score" {
		t.Errorf("a negative score: %v", err)
	}
	if err := e.svc.Score(e.ctx, e.coordB, rid, wants[0].id, map[int64]int64{ids[0]: 1}); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("another district scores: %v", err)
	}
	// The expectation: by total, then by name (byte order), computed here.
	sort.Slice(wants, func(i, j int) bool {
		if wants[i].total != wants[j].total {
			return wants[i].total > wants[j].total
		}
		return wants[i].name < wants[j].name
	})
	r, err = e.svc.Ranking(e.ctx, e.coordA, rid)
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Rows) != len(wants) {
		t.Fatalf("%d rows, want %d", len(r.Rows), len(wants))
	}
	for i, w := range wants {
		row := r.Rows[i]
		if row.Venue.Name != w.name || row.Total != w.total || row.Rank != i+1 || row.Scored != 3 {
			t.Errorf("rank %d: %s %d (scored %d), want %s %d", i+1, row.Venue.Name, row.Total, row.Scored, w.name, w.total)
		}
	}
	if len(r.Top()) != outreach.TopN || r.Top()[0].Percent != 100 {
		t.Errorf("top: %d rows, first %.1f%%", len(r.Top()), r.Top()[0].Percent)
	}
	// Drafts are the raters' own: the other district and the counsellor do not see it.
	for _, p := range []struct {
		who string
		err error
	}{{"coordinator B", second(e.svc.Ranking(e.ctx, e.coordB, rid))}, {"counsellor A1", second(e.svc.Ranking(e.ctx, e.counsellorA1, rid))}} {
		if apperr.CodeOf(p.err) != apperr.ENotFound {
			t.Errorf("%s reads the draft: %v", p.who, p.err)
		}
	}
	// Publishing freezes: no score changes, no second publishing; a
	// deactivated venue stays in the published ranking.
	if err := e.svc.Publish(e.ctx, e.coordA, rid); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Score(e.ctx, e.coordA, rid, wants[5].id, map[int64]int64{ids[0]: 10}); apperr.MessageOf(err) != "venue.rating_published" {
		t.Errorf("scoring a published rating: %v", err)
	}
	if err := e.svc.Publish(e.ctx, e.coordA, rid); apperr.MessageOf(err) != "venue.rating_published" {
		t.Errorf("publishing twice: %v", err)
	}
	v, _ := e.svc.FindVenue(e.ctx, e.coordA, wants[3].id)
	e.venue(e.coordA, e.a1, "youth_care_room", "新建青爱小屋")
	if err := e.svc.UpdateVenue(e.ctx, e.coordA, v.ID, outreach.NewVenue{Unit: v.Unit.ID, Kind: "youth_care_room", Name: v.Name, Active: false}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.UpdateVenue(e.ctx, e.coordA, v.ID, outreach.NewVenue{Unit: v.Unit.ID, Kind: "counselling_room", Name: v.Name}); apperr.FieldsOf(err)["kind"] != "venue.kind_fixed" {
		t.Errorf("changing a scored venue's kind: %v", err)
	}
	after, err := e.svc.Ranking(e.ctx, e.coordA, rid)
	if err != nil || len(after.Rows) != len(wants) || after.Rows[3].Venue.Name != wants[3].name || after.Rows[3].Total != wants[3].total {
		t.Errorf("the published ranking changed: %d rows %v", len(after.Rows), err)
	}
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'venue.score'`); n != 12 {
		t.Errorf("%d audited scorings, want 12", n)
	}
	t.Logf("ranking of %d venues, top %s %d of %d", len(after.Rows), after.Rows[0].Venue.Name, after.Rows[0].Total, after.MaxTotal)
}

// Publishing a rating with no score is refused.
func TestPublishNeedsScores(t *testing.T) {
	e := newEnv(t)
	rid, err := e.svc.DefineRating(e.ctx, e.coordA, outreach.NewRating{Unit: e.distA.ID, Year: 2026, Kind: "civic_practice_centre", Criteria: criteria})
	if err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Publish(e.ctx, e.coordA, rid); apperr.MessageOf(err) != "venue.nothing_scored" {
		t.Errorf("publishing an empty rating: %v", err)
	}
}

func second[T any](_ T, err error) error { return err }
