package care_test

import (
	"context"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/care"
	"github.com/careloop/careloop/internal/db"
)

// A reader the workforce's lapse rule bars (care.Service.NotesBarred) sees
// that a session has notes, never their text; others read them as before.
func TestSessionNotesWithheldFromBarredReader(t *testing.T) {
	e := newLoopEnv(t)
	writer, barred := e.user(access.SchoolCounsellor, e.a), e.user(access.SchoolCounsellor, e.a)
	kid := e.students(e.a, "A", 1)[0]
	asked := 0
	e.svc.NotesBarred = func(ctx context.Context, tx *db.Tx, userID int64) (bool, error) {
		asked++
		return userID == barred.UserID, nil
	}
	id, err := e.svc.RecordSession(e.ctx, writer, care.Session{Kind: "individual", OrgUnitID: e.a.ID, HeldAt: loopToday.Add(-time.Hour),
		Minutes: 30, Notes: "谈到了学习压力", Attendees: []int64{kid}})
	if err != nil {
		t.Fatal(err)
	}
	got, err := e.svc.FindSession(e.ctx, writer, id)
	if err != nil || got.Notes != "谈到了学习压力" || got.NotesWithheld {
		t.Errorf("unbarred reader: %+v %v", got, err)
	}
	got, err = e.svc.FindSession(e.ctx, barred, id)
	if err != nil || got.Notes != "" || !got.NotesWithheld || len(got.Attendees) != 1 {
		t.Errorf("barred reader: %+v %v", got, err)
	}
	if asked != 2 {
		t.Errorf("NotesBarred asked %d times, want 2", asked)
	}
	if n := e.num(`SELECT COUNT(*) FROM audit_log WHERE action = 'counselling.read' AND detail = 'notes=withheld'`); n != 1 {
		t.Errorf("withheld reads audited as such: %d, want 1", n)
	}
	// A session without notes asks nothing and withholds nothing.
	id, err = e.svc.RecordSession(e.ctx, writer, care.Session{Kind: "individual", OrgUnitID: e.a.ID, HeldAt: loopToday.Add(-time.Hour),
		Minutes: 30, Attendees: []int64{kid}})
	if err != nil {
		t.Fatal(err)
	}
	if got, err := e.svc.FindSession(e.ctx, barred, id); err != nil || got.NotesWithheld || asked != 2 {
		t.Errorf("a session without notes: %+v %v (asked %d)", got, err, asked)
	}
}
