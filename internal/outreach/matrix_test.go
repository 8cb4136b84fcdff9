package outreach_test

import (
	"slices"
	"testing"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/outreach"
	"github.com/careloop/careloop/internal/testutil"
)

// TestAuthorizationMatrixOutreach: every role placed at every unit (and
// through a token at the root) tries every act on school A1's activity,
// its photo and venue, and on district A's ratings (a draft and a
// published one); the expectation comes from the role table and the
// parent links alone. Zero unexpected allows.
func TestAuthorizationMatrixOutreach(t *testing.T) {
	e := newEnv(t)
	act := e.activity(e.counsellorA1, lecture(e.a1, "家长课堂", start, 40))
	photo, err := e.svc.AddAttachment(e.ctx, e.counsellorA1, act, "p.jpg", jpeg)
	if err != nil {
		t.Fatal(err)
	}
	venue := e.venue(e.counsellorA1, e.a1, "youth_care_room", "青爱小屋")
	draft, err := e.svc.DefineRating(e.ctx, e.coordA, outreach.NewRating{Unit: e.distA.ID, Year: 2026, Kind: "youth_care_room", Criteria: criteria})
	if err != nil {
		t.Fatal(err)
	}
	published, err := e.svc.DefineRating(e.ctx, e.coordA, outreach.NewRating{Unit: e.distA.ID, Year: 2025, Kind: "youth_care_room", Criteria: criteria})
	if err != nil {
		t.Fatal(err)
	}
	pr, _ := e.svc.Ranking(e.ctx, e.coordA, published)
	if err := e.svc.Score(e.ctx, e.coordA, published, venue, map[int64]int64{pr.Criteria[0].ID: 5}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.Publish(e.ctx, e.coordA, published); err != nil {
		t.Fatal(err)
	}
	dr, _ := e.svc.Ranking(e.ctx, e.coordA, draft)
	crit := dr.Criteria[0].ID
	year := 2030
	publishable := func() int64 {
		year++
		id, err := e.svc.DefineRating(e.ctx, e.coordA, outreach.NewRating{Unit: e.distA.ID, Year: year, Kind: "youth_care_room", Criteria: criteria})
		if err != nil {
			t.Fatal(err)
		}
		r, _ := e.svc.Ranking(e.ctx, e.coordA, id)
		if err := e.svc.Score(e.ctx, e.coordA, id, venue, map[int64]int64{r.Criteria[0].ID: 1}); err != nil {
			t.Fatal(err)
		}
		return id
	}
	toPublish := publishable()

	units := []*org.Unit{e.city, e.distA, e.a1, e.a2, e.distB, e.b1}
	tr := testutil.Tree{}
	for _, u := range units {
		tr[u.ID] = u.ParentID
	}
	field := func(name, key string) func(error) bool {
		return func(err error) bool { return testutil.Refused(err) || apperr.FieldsOf(err)[name] == key }
	}
	m := &testutil.Matrix{T: t}
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
				manageA1 := has(access.OutreachManage, e.a1)

				list, _, err := e.svc.Activities(e.ctx, p, outreach.Filter{})
				m.Cell(who, "list A1's activity", manageA1, testutil.Found(slices.ContainsFunc(list, func(a outreach.Activity) bool { return a.ID == act }), err), testutil.Refused)
				_, err = e.svc.FindActivity(e.ctx, p, act)
				m.Cell(who, "open A1's activity", manageA1, err, testutil.Refused)
				_, err = e.svc.CreateActivity(e.ctx, p, lecture(e.a1, "讲座", start, 10))
				m.Cell(who, "record an activity of A1", manageA1, err, field("unit", "outreach.bad_unit"))
				err = e.svc.UpdateActivity(e.ctx, p, act, lecture(e.a1, "家长课堂", start, 40))
				m.Cell(who, "change A1's activity", manageA1, err, testutil.Refused)
				_, err = e.svc.AddAttachment(e.ctx, p, act, "x.jpg", jpeg)
				m.Cell(who, "add a photo to A1's activity", manageA1, err, testutil.Refused)
				_, err = e.svc.OpenAttachment(e.ctx, p, act, photo)
				m.Cell(who, "open A1's photo", manageA1, err, testutil.Refused)
				_, err = e.svc.SeriesList(e.ctx, p)
				m.Cell(who, "list series", v.Can(role, access.OutreachManage), err, testutil.Refused)

				vs, err := e.svc.Venues(e.ctx, p, outreach.VenueFilter{})
				m.Cell(who, "list A1's venue", manageA1, testutil.Found(slices.ContainsFunc(vs, func(x outreach.Venue) bool { return x.ID == venue }), err), testutil.Refused)
				_, err = e.svc.FindVenue(e.ctx, p, venue)
				m.Cell(who, "open A1's venue", manageA1, err, testutil.Refused)
				_, err = e.svc.CreateVenue(e.ctx, p, outreach.NewVenue{Unit: e.a1.ID, Kind: "counselling_room", Name: "辅导室", Active: true})
				m.Cell(who, "add a venue of A1", manageA1, err, field("unit", "venue.bad_unit"))
				err = e.svc.UpdateVenue(e.ctx, p, venue, outreach.NewVenue{Unit: e.a1.ID, Kind: "youth_care_room", Name: "青爱小屋", Active: true})
				m.Cell(who, "change A1's venue", manageA1, err, testutil.Refused)

				rateA := has(access.VenueRate, e.distA)
				seePublished := rateA || has(access.OutreachManage, e.distA)
				_, err = e.svc.DefineRating(e.ctx, p, outreach.NewRating{Unit: e.distA.ID, Year: 2027 + len(who)%2, Kind: "civic_practice_centre", Criteria: criteria})
				if err == nil { // one rating a year and kind: remove it for the next cell
					if _, xerr := e.d.SQL().Exec(`DELETE FROM venue_criteria WHERE rating_id IN (SELECT id FROM venue_ratings WHERE kind = 'civic_practice_centre')`); xerr != nil {
						t.Fatal(xerr)
					}
					if _, xerr := e.d.SQL().Exec(`DELETE FROM venue_ratings WHERE kind = 'civic_practice_centre'`); xerr != nil {
						t.Fatal(xerr)
					}
				}
				m.Cell(who, "define district A's rating", rateA, err, field("unit", "venue.bad_unit"))
				rs, err := e.svc.Ratings(e.ctx, p)
				m.Cell(who, "list district A's draft rating", rateA, testutil.Found(slices.ContainsFunc(rs, func(r outreach.Rating) bool { return r.ID == draft }), err), testutil.Refused)
				m.Cell(who, "list district A's published rating", seePublished, testutil.Found(slices.ContainsFunc(rs, func(r outreach.Rating) bool { return r.ID == published }), err), testutil.Refused)
				_, err = e.svc.Ranking(e.ctx, p, draft)
				m.Cell(who, "read the draft ranking", rateA, err, testutil.Refused)
				_, err = e.svc.Ranking(e.ctx, p, published)
				m.Cell(who, "read the published ranking", seePublished, err, testutil.Refused)
				err = e.svc.Score(e.ctx, p, draft, venue, map[int64]int64{crit: 3})
				m.Cell(who, "score a venue", rateA, err, testutil.Refused)
				err = e.svc.Publish(e.ctx, p, toPublish)
				m.Cell(who, "publish the ranking", rateA, err, testutil.Refused)
				if err == nil {
					toPublish = publishable()
				}
			}
		}
	}
	m.Report("outreach")
}
