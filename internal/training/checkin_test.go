package training_test

import (
	"sync"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/testutil"
	"github.com/careloop/careloop/internal/training"
)

func TestCheckinTokenWindow(t *testing.T) {
	e := newEnv(t)
	c := e.course(e.coordA, e.distA, training.NewCourse{RequiredFor: []string{"head_teacher"}})
	start := monday.Add(72 * time.Hour)
	s := e.session(e.coordA, c, start, 2)
	token, err := e.svc.CheckinCode(e.ctx, e.coordA, s)
	if err != nil || len(token) < 40 {
		t.Fatalf("CheckinCode: %q %v", token, err)
	}
	if _, err := e.svc.CheckinCode(e.ctx, e.coordB, s); apperr.CodeOf(err) != apperr.ENotFound {
		t.Fatalf("another district's coordinator makes a code: %v", err)
	}
	// Only the hash is stored.
	if n := testutil.Num(t, e.d, `SELECT COUNT(*) FROM training_checkin_codes WHERE token_hash = ?`, token); n != 0 {
		t.Fatal("the token is stored in clear")
	}
	// A wrong token finds nothing.
	if _, err := e.svc.FindCheckin(e.ctx, e.headA1, token+"x"); apperr.CodeOf(err) != apperr.ENotFound {
		t.Fatalf("wrong token: %v", err)
	}
	for _, tc := range []struct {
		at   time.Time
		open bool
	}{
		{start.Add(-31 * time.Minute), false},
		{start.Add(-30 * time.Minute), true},
		{start.Add(119 * time.Minute), true},
		{start.Add(2 * time.Hour), false},
	} {
		e.clk.Set(tc.at)
		ci, err := e.svc.FindCheckin(e.ctx, e.headA2, token)
		if err != nil || ci.Open != tc.open {
			t.Errorf("at start%+v: open=%v err=%v, want open=%v", tc.at.Sub(start), ci.Open, err, tc.open)
		}
		if !tc.open {
			if _, err := e.svc.CheckIn(e.ctx, e.headA2, token); apperr.MessageOf(err) != "training.checkin_closed" {
				t.Errorf("check-in at start%+v: %v, want closed", tc.at.Sub(start), err)
			}
		}
	}
	e.clk.Set(start.Add(5 * time.Minute))
	// Walk-ins while places last; a person of another district is not offered the course.
	if _, err := e.svc.CheckIn(e.ctx, e.headB1, token); apperr.CodeOf(err) != apperr.EForbidden {
		t.Fatalf("walk-in from another district: %v", err)
	}
	for _, p := range []struct {
		name string
		ok   bool
	}{{"headA1", true}, {"headA2", true}, {"counsellorA1", false}} {
		who := map[string]func() error{
			"headA1":       func() error { _, err := e.svc.CheckIn(e.ctx, e.headA1, token); return err },
			"headA2":       func() error { _, err := e.svc.CheckIn(e.ctx, e.headA2, token); return err },
			"counsellorA1": func() error { _, err := e.svc.CheckIn(e.ctx, e.counsellorA1, token); return err },
		}[p.name]
		err := who()
		if (err == nil) != p.ok {
			t.Errorf("walk-in %s: %v, want ok=%v", p.name, err, p.ok)
		}
	}
	// Checking in twice changes nothing.
	ci, err := e.svc.CheckIn(e.ctx, e.headA1, token)
	if err != nil || !ci.Attended {
		t.Fatalf("second check-in: %+v %v", ci, err)
	}
	if n := testutil.Num(t, e.d, `SELECT COUNT(*) FROM training_enrolments WHERE session_id = ? AND attended = 1`, s); n != 2 {
		t.Fatalf("attended: %d, want 2", n)
	}
	if n := testutil.Num(t, e.d, `SELECT COUNT(*) FROM audit_log WHERE action = 'training.checkin'`); n != 2 {
		t.Fatalf("check-ins audited: %d, want 2", n)
	}
	sum, _ := e.svc.Summary(e.ctx, e.headA1, e.headA1.UserID)
	if sum.Hours != 3 {
		t.Fatalf("hours after check-in: %v", sum.Hours)
	}
}

// TestLastPlaceConcurrently: two people enrol at once for the last place;
// exactly one wins, every time.
func TestLastPlaceConcurrently(t *testing.T) {
	e := newEnv(t)
	c := e.course(e.coordA, e.distA, training.NewCourse{})
	for round := 0; round < 8; round++ {
		s := e.session(e.coordA, c, monday.Add(24*time.Hour), 1)
		var wg sync.WaitGroup
		errs := make([]error, 2)
		for i, p := range []struct{ f func() error }{
			{func() error { return e.svc.Enrol(e.ctx, e.headA1, s) }},
			{func() error { return e.svc.Enrol(e.ctx, e.headA2, s) }},
		} {
			wg.Add(1)
			go func() { defer wg.Done(); errs[i] = p.f() }()
		}
		wg.Wait()
		won := 0
		for _, err := range errs {
			switch {
			case err == nil:
				won++
			case apperr.MessageOf(err) != "training.full":
				t.Fatalf("round %d: unexpected error %v", round, err)
			}
		}
		if won != 1 {
			t.Fatalf("round %d: %d enrolments for one place (%v)", round, won, errs)
		}
		if n := testutil.Num(t, e.d, `SELECT COUNT(*) FROM training_enrolments WHERE session_id = ?`, s); n != 1 {
			t.Fatalf("round %d: %d enrolment rows", round, n)
		}
		if n := testutil.Num(t, e.d, `SELECT enrolled FROM training_sessions WHERE id = ?`, s); n != 1 {
			t.Fatalf("round %d: enrolled count %d", round, n)
		}
	}
}
