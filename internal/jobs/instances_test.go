package jobs_test

import (
	"context"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/db"
)

// Two server instances on one database work the same queue: every job runs
// exactly once, whichever instance takes it.
func TestTwoInstancesRunEachJobOnce(t *testing.T) {
	e := newEnv(t)
	q1, w1 := e.queue(false)
	q2, w2 := e.queue(false)
	const n = 200
	err := e.d.Tx(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		for i := range n {
			if err := q1.At(ctx, tx, pingArgs{N: i}, time.Time{}); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	e.start(q1)
	e.start(q2)
	deadline := time.Now().Add(30 * time.Second)
	for {
		done := 0
		for i := range n {
			if w1.count(i)+w2.count(i) > 0 {
				done++
			}
		}
		if done == n {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("%d of %d jobs ran in 30 s", done, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	time.Sleep(200 * time.Millisecond) // a duplicate run would show by now
	for i := range n {
		if c := w1.count(i) + w2.count(i); c != 1 {
			t.Errorf("job %d ran %d times", i, c)
		}
	}
	a, b := countAll(w1, n), countAll(w2, n)
	t.Logf("instance 1 ran %d, instance 2 ran %d", a, b)
	if a == 0 || b == 0 {
		t.Logf("one instance took every job (allowed, but the test then shows less)")
	}
	// River records completions in batches: wait for them.
	for end := time.Now().Add(10 * time.Second); ; time.Sleep(20 * time.Millisecond) {
		p, err := q1.Pending(e.ctx, e.clk.Now())
		if err != nil {
			t.Fatal(err)
		}
		if p == 0 {
			break
		}
		if time.Now().After(end) {
			t.Fatalf("%d jobs still pending after 10 s", p)
		}
	}
	if c := e.jobs("completed"); c != n {
		t.Errorf("%d jobs completed, want %d", c, n)
	}
}

func countAll(w *pingWorker, n int) int {
	c := 0
	for i := range n {
		c += w.count(i)
	}
	return c
}
