package family_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/family"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/testutil"
)

// TestStaffMatrix tries every role, held at units across the tree,
// interactively and through a narrow API token, on every staff action of
// the package over objects in every unit: slots, bookings and content.
// The expectation comes from the role table and the tree's parent links.
func TestStaffMatrix(t *testing.T) {
	e := newEnv(t)
	tree := testutil.Tree{}
	units := []*org.Unit{e.city, e.distA, e.ga, e.a1, e.a2, e.distB, e.gb, e.b1}
	for _, u := range units {
		tree[u.ID] = u.ParentID
	}
	targets := []*org.Unit{e.distA, e.ga, e.a1, e.a2, e.gb, e.b1}
	slotUnit := func(u *org.Unit) bool { return u.Kind == org.School || u.Kind == org.GuidanceCentre }

	// One slot with a booking, and one item, in every unit that can hold them.
	slots, bookings, items := map[int64]int64{}, map[int64]int64{}, map[int64]int64{}
	owners := map[int64]access.Principal{}
	for _, u := range targets {
		if slotUnit(u) {
			owners[u.ID] = e.user(access.Coordinator, u)
			slots[u.ID] = e.slot(owners[u.ID], u, 2)
			if id := e.rawBooking(slots[u.ID], e.kidA, mum); id != 0 {
				bookings[u.ID] = id
			}
		}
		id, err := e.svc.SaveItem(e.ctx, e.coordCity, 0, family.NewItem{UnitID: u.ID, Kind: "article", TitleZH: "t", BodyZH: "b"})
		if err != nil {
			t.Fatal(err)
		}
		items[u.ID] = id
	}
	homes := []*org.Unit{e.city, e.distA, e.ga, e.a1, e.b1}
	m := &testutil.Matrix{T: t}
	from, to := e.clk.Now(), e.clk.Now().AddDate(0, 0, 7)
	for _, role := range access.RoleNames() {
		for _, home := range homes {
			staff := e.user(role, home)
			for _, v := range testutil.Variants {
				p := staff
				p.Limit = v.Limit
				who := role + "@" + home.Name + v.Name
				cal, calErr := e.svc.Calendar(e.ctx, p, from, to, true)
				list, listErr := e.svc.Items(e.ctx, p)
				for _, u := range targets {
					consult := tree.Holds(v, role, home, access.FamilyConsult, u)
					publish := tree.Holds(v, role, home, access.ContentPublish, u)
					_, err := e.svc.AddSlot(e.ctx, p, family.NewSlot{UnitID: u.ID, StartsAt: e.clk.Now().Add(48 * time.Hour), Minutes: 30, Mode: "phone"})
					m.Cell(who, "add slot at "+u.Name, consult && slotUnit(u), err, testutil.Refused)
					if slotUnit(u) {
						err = e.svc.DecideBooking(e.ctx, p, bookings[u.ID], true, "")
						m.Cell(who, "confirm booking at "+u.Name, consult, err, testutil.Refused)
						e.exec(`UPDATE consult_bookings SET state = 'requested' WHERE id = ?`, bookings[u.ID])
						err = e.svc.CancelSlot(e.ctx, p, e.slot(owners[u.ID], u, 3), "")
						m.Cell(who, "withdraw slot at "+u.Name, consult, err, testutil.Refused)
						seen := calErr == nil && slices.ContainsFunc(cal, func(c family.CalendarSlot) bool { return c.ID == slots[u.ID] })
						if calErr != nil && !testutil.Refused(calErr) {
							t.Errorf("%s Calendar: %v", who, calErr)
						}
						m.Cell(who, "calendar shows slot at "+u.Name, consult, testutil.Found(seen, nil), testutil.Refused)
					}
					_, err = e.svc.SaveItem(e.ctx, p, 0, family.NewItem{UnitID: u.ID, Kind: "article", TitleZH: "x", BodyZH: "y"})
					m.Cell(who, "write item at "+u.Name, publish, err, testutil.Refused)
					err = e.svc.SetItemState(e.ctx, p, items[u.ID], "published")
					m.Cell(who, "publish item of "+u.Name, publish, err, testutil.Refused)
					_, err = e.svc.FindItem(e.ctx, p, items[u.ID])
					m.Cell(who, "open item of "+u.Name, publish, err, testutil.Refused)
					seen := listErr == nil && slices.ContainsFunc(list, func(it family.Item) bool { return it.ID == items[u.ID] })
					m.Cell(who, "list item of "+u.Name, publish, testutil.Found(seen, listErr), testutil.Refused)
				}
			}
		}
	}
	m.Report("family staff")
}

// rawBooking books slot for student directly (the matrix needs bookings in
// every unit, whatever the guardian could reach).
func (e *env) rawBooking(slot, student int64, phone string) int64 {
	e.t.Helper()
	var id int64
	err := e.d.Tx(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		var err error
		id, err = tx.InsertID(ctx, `INSERT INTO consult_bookings (slot_id, student_id, phone, guardian_name, relation, state, created_at, updated_at)
			VALUES (?, ?, ?, 'g', 'r', 'requested', 1, 1)`, slot, student, phone)
		return err
	})
	if err != nil {
		e.t.Fatalf("booking: %v", err)
	}
	return id
}

func (e *env) exec(q string, args ...any) {
	e.t.Helper()
	if err := e.d.Tx(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		_, err := tx.Exec(ctx, q, args...)
		return err
	}); err != nil {
		e.t.Fatalf("%s: %v", q, err)
	}
}
