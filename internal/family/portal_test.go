package family_test

import (
	"sync"
	"testing"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/family"
	"github.com/careloop/careloop/internal/screening"
	"github.com/careloop/careloop/internal/warning"
)

// TestConsentWithdrawalExcludesTheChild: a guardian's online withdrawal
// takes the child out of the open campaign at once (the staff's exclusion
// list and progress counts say so).
func TestConsentWithdrawalExcludesTheChild(t *testing.T) {
	e := newEnv(t)
	cid := e.campaign(e.a1, screening.ConsentNone)
	se := e.signIn(mum)
	v, err := e.svc.FindChild(e.ctx, se, e.kidA)
	if err != nil || len(v.Campaigns) != 1 || v.Campaigns[0].CampaignID != cid || v.Campaigns[0].Decision != "" {
		t.Fatalf("FindChild = %+v, %v; want the open campaign with no decision", v, err)
	}
	excluded := func() string {
		t.Helper()
		list, err := e.scr.Excluded(e.ctx, e.counsellorA1, cid)
		if err != nil {
			t.Fatalf("Excluded: %v", err)
		}
		for _, x := range list {
			if x.StudentID == e.kidA {
				return x.Reason
			}
		}
		return ""
	}
	if r := excluded(); r != "" {
		t.Fatalf("excluded before any decision: %q", r)
	}
	if err := e.svc.SetConsent(e.ctx, se, e.kidA, cid, "given"); err != nil {
		t.Fatalf("give: %v", err)
	}
	if err := e.svc.SetConsent(e.ctx, se, e.kidA, cid, "withdrawn"); err != nil {
		t.Fatalf("withdraw: %v", err)
	}
	if r := excluded(); r != "consent_withdrawn" {
		t.Errorf("after the withdrawal the child's exclusion is %q, want consent_withdrawn", r)
	}
	rows, err := e.scr.Progress(e.ctx, e.counsellorA1, cid)
	if err != nil || len(rows) != 1 || rows[0].Excluded != 1 {
		t.Errorf("Progress = %+v, %v; want one excluded", rows, err)
	}
	var method, by, version string
	var recorded int64
	if err := e.d.SQL().QueryRow(`SELECT method, given_by, text_version, recorded_by FROM consents WHERE student_id = `+itoa(e.kidA)+
		` ORDER BY id DESC LIMIT 1`).Scan(&method, &by, &version, &recorded); err != nil {
		t.Fatal(err)
	}
	if method != "online" || by != "家长S-KIDA" || version != "v3" || recorded != 0 {
		t.Errorf("consent row: method %q, given_by %q, version %q, recorded_by %d", method, by, version, recorded)
	}
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'consent.guardian' AND actor_role = 'guardian' AND object_id = ?`, itoa(e.kidA)); n != 2 {
		t.Errorf("consent acts audited %d, want 2", n)
	}
	v, _ = e.svc.FindChild(e.ctx, se, e.kidA)
	if v.Campaigns[0].Decision != "withdrawn" {
		t.Errorf("guardian sees decision %q", v.Campaigns[0].Decision)
	}
	// A campaign not targeting the child cannot be answered for it.
	other := e.campaign(e.b1, screening.ConsentNone)
	if err := e.svc.SetConsent(e.ctx, se, e.kidA, other, "given"); apperr.CodeOf(err) != apperr.ENotFound {
		t.Errorf("consent for a campaign that does not target the child: %v, want not found", err)
	}
}

// TestGuardianConcernRaisesAnOwnedAlert: a concern reaches the school as
// an alert with an owner, in one transaction.
func TestGuardianConcernRaisesAnOwnedAlert(t *testing.T) {
	e := newEnv(t)
	se := e.signIn(mum)
	_, err := e.svc.ReportConcern(e.ctx, se, e.kidA, family.NewConcern{Urgency: "soon"})
	if apperr.CodeOf(err) != apperr.EInvalid {
		t.Fatalf("no signs: %v, want invalid", err)
	}
	id, err := e.svc.ReportConcern(e.ctx, se, e.kidA, family.NewConcern{Signs: []string{"low_mood", "school_refusal"}, Urgency: "soon",
		Description: "最近两周不愿意上学，晚上睡不着"})
	if err != nil {
		t.Fatalf("ReportConcern: %v", err)
	}
	alert := e.num(`SELECT alert_id FROM family_concerns WHERE id = ?`, id)
	if alert == 0 {
		t.Fatal("no alert")
	}
	if owner := e.num(`SELECT owner_user_id FROM alerts WHERE id = ?`, alert); owner != e.counsellorA1.UserID {
		t.Errorf("alert owner %d, want the school counsellor %d", owner, e.counsellorA1.UserID)
	}
	list, err := e.svcWarning().FindAlerts(e.ctx, e.counsellorA1, warning.AlertFilter{Open: true, Limit: 10})
	if err != nil || len(list) != 1 || list[0].StudentID != e.kidA {
		t.Errorf("counsellor's open alerts = %+v, %v", list, err)
	}
	if n := e.num(`SELECT COUNT(*) FROM family_concerns WHERE id = ? AND description IS NOT NULL`, id); n != 1 {
		t.Error("description not stored")
	}
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'concern.guardian' AND actor_role = 'guardian'`); n != 1 {
		t.Errorf("concern audited %d times", n)
	}
	// A self-harm sign raises the alert to red.
	if _, err := e.svc.ReportConcern(e.ctx, se, e.kidA, family.NewConcern{Signs: []string{"self_harm"}, Urgency: "urgent"}); err != nil {
		t.Fatal(err)
	}
	var level string
	if err := e.d.SQL().QueryRow(`SELECT level FROM alerts WHERE id = ` + itoa(alert)).Scan(&level); err != nil || level != "red" {
		t.Errorf("level %q, %v; want red", level, err)
	}
}

// TestIsolation: a guardian cannot see or act on another family's child:
// every act with another child's id is not found, and nothing is written.
func TestIsolation(t *testing.T) {
	e := newEnv(t)
	cid := e.campaign(e.b1, screening.ConsentNone)
	slotB := e.slot(e.counsellorB1, e.b1, 2)
	slotA := e.slot(e.counsellorA1, e.a1, 2)
	dadS := e.signIn(dad)
	bookingB, err := e.svc.Book(e.ctx, dadS, e.kidB, slotB, "话题")
	if err != nil {
		t.Fatal(err)
	}
	se := e.signIn(mum)
	before := e.num(`SELECT COUNT(*) FROM consents`) + e.num(`SELECT COUNT(*) FROM family_concerns`) + e.num(`SELECT COUNT(*) FROM consult_bookings WHERE live = 1`)
	notFound := func(what string, err error) {
		t.Helper()
		if apperr.CodeOf(err) != apperr.ENotFound {
			t.Errorf("%s on another family's child: %v, want not found", what, err)
		}
	}
	_, err = e.svc.FindChild(e.ctx, se, e.kidB)
	notFound("FindChild", err)
	notFound("SetConsent", e.svc.SetConsent(e.ctx, se, e.kidB, cid, "withdrawn"))
	_, err = e.svc.ReportConcern(e.ctx, se, e.kidB, family.NewConcern{Signs: []string{"low_mood"}, Urgency: "soon"})
	notFound("ReportConcern", err)
	_, err = e.svc.FreeSlots(e.ctx, se, e.kidB)
	notFound("FreeSlots", err)
	_, err = e.svc.Book(e.ctx, se, e.kidB, slotA, "")
	notFound("Book", err)
	notFound("CancelBooking", e.svc.CancelBooking(e.ctx, se, bookingB))
	// Their own child cannot book another school's counsellor.
	if _, err := e.svc.Book(e.ctx, se, e.kidA, slotB, ""); apperr.MessageOf(err) != "family.slot_taken" {
		t.Errorf("booking another district's slot: %v", err)
	}
	after := e.num(`SELECT COUNT(*) FROM consents`) + e.num(`SELECT COUNT(*) FROM family_concerns`) + e.num(`SELECT COUNT(*) FROM consult_bookings WHERE live = 1`)
	if after != before {
		t.Errorf("refused acts wrote %d rows", after-before)
	}
	list, err := e.svc.Bookings(e.ctx, se)
	if err != nil || len(list) != 0 {
		t.Errorf("mum's bookings = %+v, %v; want none (dad's is not hers)", list, err)
	}
	kids, _ := e.svc.Children(e.ctx, se)
	for _, k := range kids {
		if k.StudentID == e.kidB {
			t.Error("mum sees dad's child")
		}
	}
	// A nil session reaches nothing.
	_, err = e.svc.FindChild(e.ctx, nil, e.kidA)
	notFound("nil session", err)
}

func (e *env) svcWarning() *warning.Service { return e.svc.Warning }

// TestDoubleBookingUnderConcurrency: many guardians race for one slot;
// exactly one wins, the others get family.slot_taken.
func TestDoubleBookingUnderConcurrency(t *testing.T) {
	e := newEnv(t)
	slot := e.slot(e.counsellorA1, e.a1, 3)
	var kids []int64
	var sessions []*family.Session
	for i := 0; i < 6; i++ {
		phone := "1350000000" + string(rune('0'+i))
		kids = append(kids, e.student("S-RACE"+string(rune('A'+i)), "2015-01-01", e.a1, phone))
		sessions = append(sessions, e.signIn(phone))
	}
	var wg sync.WaitGroup
	errs := make([]error, len(kids))
	start := make(chan struct{})
	for i := range kids {
		wg.Add(1)
		go func(i int) {
			defer wg.Done()
			<-start
			_, errs[i] = e.svc.Book(e.ctx, sessions[i], kids[i], slot, "")
		}(i)
	}
	close(start)
	wg.Wait()
	won := 0
	for i, err := range errs {
		switch {
		case err == nil:
			won++
		case apperr.MessageOf(err) == "family.slot_taken":
		default:
			t.Errorf("guardian %d: %v", i, err)
		}
	}
	if won != 1 {
		t.Errorf("%d bookings won the slot, want exactly 1", won)
	}
	if n := e.num(`SELECT COUNT(*) FROM consult_bookings WHERE slot_id = ? AND live = 1`, slot); n != 1 {
		t.Errorf("%d live bookings of the slot", n)
	}
	if n := e.num(`SELECT COUNT(*) FROM notifications WHERE user_id = ? AND kind = 'family.booking'`, e.counsellorA1.UserID); n != 1 {
		t.Errorf("counsellor notified %d times, want 1", n)
	}
}

// TestBookingLifecycle: book, the counsellor sees it (topic opened) and
// confirms; the guardian sees the state; cancelling frees the slot.
func TestBookingLifecycle(t *testing.T) {
	e := newEnv(t)
	slotA := e.slot(e.counsellorA1, e.a1, 1)
	slotG := e.slot(e.coordA, e.ga, 2)
	e.slot(e.user(access.Coordinator, e.gb), e.gb, 2) // another district's centre: not offered
	se := e.signIn(mum)
	free, err := e.svc.FreeSlots(e.ctx, se, e.kidA)
	if err != nil || len(free) != 2 || free[0].ID != slotA || free[1].ID != slotG {
		t.Fatalf("FreeSlots = %+v, %v; want the school's and the district centre's", free, err)
	}
	bid, err := e.svc.Book(e.ctx, se, e.kidA, slotA, "孩子最近不愿上学")
	if err != nil {
		t.Fatal(err)
	}
	from, to := e.clk.Now().AddDate(0, 0, -1), e.clk.Now().AddDate(0, 0, 7)
	cal, err := e.svc.Calendar(e.ctx, e.counsellorA1, from, to, false)
	if err != nil || len(cal) != 1 || cal[0].Booking == nil || cal[0].Booking.Topic != "孩子最近不愿上学" || cal[0].Booking.State != family.Requested {
		t.Fatalf("Calendar = %+v, %v", cal, err)
	}
	if err := e.svc.DecideBooking(e.ctx, e.counsellorA1, bid, true, ""); err != nil {
		t.Fatal(err)
	}
	list, _ := e.svc.Bookings(e.ctx, se)
	if len(list) != 1 || list[0].State != family.Confirmed {
		t.Errorf("guardian's bookings = %+v", list)
	}
	if err := e.svc.DecideBooking(e.ctx, e.counsellorA1, bid, false, ""); apperr.CodeOf(err) != apperr.EInvalid {
		t.Errorf("cancel without a reason: %v", err)
	}
	if err := e.svc.DecideBooking(e.ctx, e.counsellorA1, bid, false, "临时有会议"); err != nil {
		t.Fatal(err)
	}
	list, _ = e.svc.Bookings(e.ctx, se)
	if len(list) != 1 || list[0].State != family.Cancelled || list[0].CancelReason != "临时有会议" {
		t.Errorf("guardian's bookings = %+v", list)
	}
	// The slot is free again; the guardian books and cancels it themselves.
	bid2, err := e.svc.Book(e.ctx, se, e.kidA, slotA, "")
	if err != nil {
		t.Fatalf("rebook: %v", err)
	}
	if err := e.svc.CancelBooking(e.ctx, se, bid2); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.CancelBooking(e.ctx, se, bid2); apperr.CodeOf(err) != apperr.EConflict {
		t.Errorf("cancel twice: %v", err)
	}
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action IN ('consult.book', 'consult.cancel') AND actor_role = 'guardian'`); n != 3 {
		t.Errorf("guardian's booking acts audited %d, want 3", n)
	}
}
