package family_test

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/family"
	"github.com/careloop/careloop/internal/notify"
)

// One phone sends at most WrongPerDay wrong codes in 24 hours, across all
// its codes: after that even the right code is refused until a day has
// passed since the first wrong ones.
func TestWrongCodesCappedPerDay(t *testing.T) {
	e := newEnv(t)
	wrong := 0
	for wrong < family.WrongPerDay {
		if err := e.svc.RequestCode(e.ctx, mum, "en"); err != nil {
			e.clk.Advance(time.Hour)
			continue
		}
		for i := 0; i < family.CodeTries && wrong < family.WrongPerDay; i++ {
			if _, err := e.svc.SignIn(e.ctx, mum, "000000"); apperr.CodeOf(err) != apperr.EUnauthorized {
				t.Fatalf("a wrong code: %v", err)
			}
			wrong++
		}
		e.clk.Advance(family.CodeGap + time.Second)
	}
	if err := e.svc.RequestCode(e.ctx, mum, "en"); err != nil {
		e.clk.Advance(time.Hour)
		if err := e.svc.RequestCode(e.ctx, mum, "en"); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := e.svc.SignIn(e.ctx, mum, e.sms.last(mum)); apperr.CodeOf(err) != apperr.EUnauthorized {
		t.Errorf("the right code after %d wrong ones the same day: %v", family.WrongPerDay, err)
	}
	e.clk.Advance(25 * time.Hour)
	if err := e.svc.RequestCode(e.ctx, mum, "en"); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SignIn(e.ctx, mum, e.sms.last(mum)); err != nil {
		t.Errorf("a day later, the right code: %v", err)
	}
}

// slowGateway is a real gateway that takes its time and then fails.
type slowGateway struct{ done chan struct{} }

func (g slowGateway) SendSMS(ctx context.Context, m notify.Message) error {
	defer close(g.done)
	time.Sleep(300 * time.Millisecond)
	return errors.New("gateway down")
}

// With a real gateway the code goes out apart from the request: a known
// phone answers as fast as an unknown one, and a failing gateway does not
// turn into an error that only known phones get.
func TestCodeSentApartFromTheRequest(t *testing.T) {
	e := newEnv(t)
	g := slowGateway{done: make(chan struct{})}
	e.svc.SMS, e.svc.SendAsync = g, true
	start := time.Now()
	if err := e.svc.RequestCode(e.ctx, mum, "zh-CN"); err != nil {
		t.Fatalf("a known phone with a failing gateway: %v", err)
	}
	if d := time.Since(start); d > 200*time.Millisecond {
		t.Errorf("the known phone waited %v for the gateway", d)
	}
	select {
	case <-g.done:
	case <-time.After(5 * time.Second):
		t.Error("the code was never handed to the gateway")
	}
}

// A child holds at most LiveBookings bookings still to come.
func TestBookingsPerChildCapped(t *testing.T) {
	e := newEnv(t)
	se := e.signIn(mum)
	var slots []int64
	for d := 1; d <= family.LiveBookings+1; d++ {
		slots = append(slots, e.slot(e.counsellorA1, e.a1, d))
	}
	for i := 0; i < family.LiveBookings; i++ {
		if _, err := e.svc.Book(e.ctx, se, e.kidA, slots[i], ""); err != nil {
			t.Fatalf("booking %d: %v", i+1, err)
		}
	}
	_, err := e.svc.Book(e.ctx, se, e.kidA, slots[family.LiveBookings], "")
	if apperr.CodeOf(err) != apperr.EConflict || apperr.MessageOf(err) != "family.too_many_bookings" {
		t.Errorf("one booking too many: %v", err)
	}
}
