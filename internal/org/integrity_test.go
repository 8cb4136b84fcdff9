package org_test

import (
	"context"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/org"
)

// The tests in this file guard the tree's integrity: no active unit under an
// inactive one, and, on PostgreSQL, no cycle or stale path when tree writes
// race (they serialise on one lock); and search behaves the same on both engines.

// An inactive unit must not hold active units: SetUnitActive refuses to
// deactivate a parent with active children and CreateUnit refuses an
// inactive parent, but MoveUnit and reactivation of a child do not check.
func TestNoActiveUnitUnderInactiveParent(t *testing.T) {
	e := newEnv(t)
	distA := e.create(org.District, "A区", e.root)
	distB := e.create(org.District, "B区", e.root)
	school := e.create(org.School, "A中学", distA)
	orphan := e.create(org.School, "B中学", distB)
	if _, err := e.s.SetUnitActive(e.ctx, e.admin, orphan.ID, false); err != nil {
		t.Fatal(err)
	}
	if _, err := e.s.SetUnitActive(e.ctx, e.admin, distB.ID, false); err != nil {
		t.Fatal(err)
	}
	_, err := e.s.MoveUnit(e.ctx, e.admin, school.ID, distB.ID)
	wantCode(t, "move an active school under an inactive district", err, apperr.EInvalid)
	_, err = e.s.SetUnitActive(e.ctx, e.admin, orphan.ID, true)
	wantCode(t, "reactivate a school of an inactive district", err, apperr.EInvalid)
}

// holdOpen runs fn inside a transaction that stays open until release is
// closed, so that a second writer can be started while it is uncommitted.
// Service methods called with the transaction's ctx join it.
func holdOpen(t *testing.T, d *db.DB, fn func(ctx context.Context) error) (started <-chan struct{}, release chan<- struct{}, done <-chan error) {
	s, r, dn := make(chan struct{}), make(chan struct{}), make(chan error, 1)
	go func() {
		dn <- d.Tx(context.Background(), func(ctx context.Context, tx *db.Tx) error {
			err := fn(ctx)
			close(s)
			<-r
			return err
		})
	}()
	return s, r, dn
}

// waitBlocked waits until some session of this database waits on a lock
// (PostgreSQL), or a moment (SQLite, whose second writer waits for the one
// connection instead).
func waitBlocked(t *testing.T, d *db.DB) {
	t.Helper()
	if d.Dialect != db.Postgres {
		time.Sleep(100 * time.Millisecond)
		return
	}
	for deadline := time.Now().Add(5 * time.Second); time.Now().Before(deadline); time.Sleep(10 * time.Millisecond) {
		var n int
		err := d.Read(context.Background(), func(ctx context.Context, tx *db.Tx) error {
			return tx.QueryRow(ctx, `SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock'`).Scan(&n)
		})
		if err != nil {
			t.Fatal(err)
		}
		if n > 0 {
			return
		}
	}
	t.Log("second writer never waited on a lock")
}

// Two administrators move X under Y and Y under X at the same time. One move
// must be refused; on PostgreSQL both pass the descendant check (the units are
// read without locks under READ COMMITTED) and the tree gets a cycle.
func TestConcurrentCrossMovesCannotMakeACycle(t *testing.T) {
	e := newEnv(t)
	x := e.create(org.HotlineStation, "X站", e.root)
	y := e.create(org.HotlineStation, "Y站", e.root)

	started, release, done1 := holdOpen(t, e.d, func(ctx context.Context) error {
		_, err := e.s.MoveUnit(ctx, e.admin, x.ID, y.ID)
		return err
	})
	<-started
	done2 := make(chan error, 1)
	go func() {
		_, err := e.s.MoveUnit(e.ctx, e.admin, y.ID, x.ID)
		done2 <- err
	}()
	waitBlocked(t, e.d)
	close(release)
	err1, err2 := <-done1, <-done2
	if err1 != nil {
		t.Fatalf("first move: %v", err1)
	}
	wantCode(t, "second, crossing move", err2, apperr.EInvalid)
	e.checkTree()
}

// A unit created under P while P is being moved must end up inside P's new
// subtree. On PostgreSQL it keeps a path under P's old place: it falls out of
// the scope of P's new district and into the scope of P's old one.
func TestCreateDuringMoveOfParent(t *testing.T) {
	e := newEnv(t)
	distA := e.create(org.District, "A区", e.root)
	distB := e.create(org.District, "B区", e.root)
	pc := e.create(org.PracticeCentre, "实践中心", distA)

	started, release, done1 := holdOpen(t, e.d, func(ctx context.Context) error {
		_, err := e.s.MoveUnit(ctx, e.admin, pc.ID, distB.ID)
		return err
	})
	<-started
	var child *org.Unit
	done2 := make(chan error, 1)
	go func() {
		var err error
		child, err = e.s.CreateUnit(e.ctx, e.admin, org.NewUnit{Kind: org.PracticeCentre, Name: "新站", ParentID: pc.ID})
		done2 <- err
	}()
	waitBlocked(t, e.d)
	close(release)
	if err := <-done1; err != nil {
		t.Fatal(err)
	}
	if err := <-done2; err != nil {
		t.Fatal(err)
	}
	e.checkTree()
	seenByA, err := e.s.FindUnits(e.ctx, principal(2, access.SysAdmin, e.get(distA.ID)), org.UnitFilter{})
	if err != nil {
		t.Fatal(err)
	}
	if ids(seenByA)[child.ID] {
		t.Errorf("district A still sees the unit created under its former centre")
	}
}

// FindUnits matches the English name case-insensitively on both engines, but
// the Chinese name with LIKE, which SQLite compares without case (for ASCII)
// and PostgreSQL with case: "abc" finds "ABC学校" only on SQLite.
func TestFindUnitsNameCaseSameOnBothEngines(t *testing.T) {
	e := newEnv(t)
	d := e.create(org.District, "A区", e.root)
	u := e.create(org.School, "ABC双语学校", d)
	got, err := e.s.FindUnits(e.ctx, e.admin, org.UnitFilter{Query: "abc"})
	if err != nil {
		t.Fatal(err)
	}
	sameIDs(t, `query "abc" on `+string(e.d.Dialect), got, u)
}
