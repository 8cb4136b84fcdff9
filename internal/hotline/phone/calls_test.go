package phone_test

import (
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/hotline/phone"
)

// TestCallsPageThroughHistory: 250 calls at the station (pairs offered in
// the same microsecond) and 20 at another; the station's supervisor pages
// back through all 250, newest first, each once, 100 at a time; the other
// station's counsellor sees only its 20; a cursor that cannot be read
// starts at the latest.
func TestCallsPageThroughHistory(t *testing.T) {
	e := newEnv(t)
	for i := range 270 {
		gw, station := e.pbx, e.station.ID
		if i >= 250 { // the newest 20 belong to another station
			gw, station = e.pbxOther, e.other.ID
		}
		if _, err := e.svc.Report(e.ctx, gw, phone.Event{Event: "offered", CallRef: "hist-" + strconv.Itoa(i), StationID: station,
			At: e.clk.Now(), Caller: "13900000000"}); err != nil {
			t.Fatalf("offered %d: %v", i, err)
		}
		if i%2 == 0 { // calls 2k-1 and 2k share an instant: the first page ends inside a pair
			e.clk.Advance(time.Minute)
		}
	}
	page := func(who string, before string) []phone.Call {
		t.Helper()
		p := e.sup
		if who == "stranger" {
			p = e.stranger
		}
		calls, err := e.svc.FindCalls(e.ctx, p, before)
		if err != nil {
			t.Fatalf("FindCalls(%s, %q): %v", who, before, err)
		}
		return calls
	}
	var all []phone.Call
	var sizes []int
	for before := ""; ; {
		calls := page("sup", before)
		sizes = append(sizes, len(calls))
		all = append(all, calls...)
		if len(calls) < phone.CallsPage || len(sizes) > 5 {
			break
		}
		before = calls[len(calls)-1].Cursor()
	}
	if !slices.Equal(sizes, []int{100, 100, 50, 0}) && !slices.Equal(sizes, []int{100, 100, 50}) {
		t.Errorf("pages of %v calls, want 100, 100, 50", sizes)
	}
	seen := map[int64]bool{}
	for i, c := range all {
		if seen[c.ID] || c.StationID != e.station.ID {
			t.Errorf("call %d (station %d) twice or from another station", c.ID, c.StationID)
		}
		seen[c.ID] = true
		if i > 0 {
			p := all[i-1]
			if c.OfferedAt.After(p.OfferedAt) || c.OfferedAt.Equal(p.OfferedAt) && c.ID > p.ID {
				t.Errorf("call %d comes after call %d but is newer", c.ID, p.ID)
			}
		}
	}
	if len(seen) != 250 {
		t.Errorf("paging met %d of the station's 250 calls", len(seen))
	}
	if n := len(page("stranger", "")); n != 20 {
		t.Errorf("the other station's counsellor sees %d calls, want its 20", n)
	}
	for _, bad := range []string{"x.y", "12", "5.-1"} {
		if got := page("sup", bad); len(got) != 100 || got[0].ID != all[0].ID {
			t.Errorf("cursor %q: %d calls from %d, want the latest page", bad, len(got), got[0].ID)
		}
	}
}
