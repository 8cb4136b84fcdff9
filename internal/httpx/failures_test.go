package httpx_test

import (
	"testing"
	"time"

	"github.com/careloop/careloop/internal/httpx"
)

// TestBlockedCountsOnlyFailures: successes never use an attempt; after the
// burst of failures the key is blocked, and other keys are not.
func TestBlockedCountsOnlyFailures(t *testing.T) {
	l := httpx.NewLimiter(time.Hour, 3)
	for i := 0; i < 50; i++ {
		if l.Blocked("a") {
			t.Fatalf("blocked after %d checks without a failure", i)
		}
	}
	for i := 0; i < 3; i++ {
		l.Fail("a")
	}
	if !l.Blocked("a") {
		t.Error("not blocked after 3 failures with a burst of 3")
	}
	if l.Blocked("b") {
		t.Error("another key is blocked")
	}
}
