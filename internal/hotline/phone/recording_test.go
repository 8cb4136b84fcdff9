package phone_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/hotline/phone"
	"github.com/careloop/careloop/internal/jobs"
)

// answeredCall offers a call and has a answer it; it returns the contact.
func (e *env) answeredCall(ref string) int64 {
	e.t.Helper()
	e.report(phone.Event{Event: "offered", CallRef: ref, StationID: e.station.ID, Caller: number})
	return e.report(phone.Event{Event: "answered", CallRef: ref, UserID: e.a.UserID}).ContactID
}

func audio(t *testing.T, n int) []byte {
	t.Helper()
	b := make([]byte, n)
	if _, err := rand.Read(b); err != nil {
		t.Fatal(err)
	}
	return b
}

func (e *env) store(ref string, body []byte) *phone.Recording {
	e.t.Helper()
	rec, dup, err := e.svc.StoreRecording(e.ctx, e.pbx, phone.NewRecording{CallRef: ref, ContentType: "audio/mpeg", Audio: bytes.NewReader(body)})
	if err != nil || dup {
		e.t.Fatalf("store: %v (duplicate %v)", err, dup)
	}
	return rec
}

func (e *env) play(p access.Principal, id int64) ([]byte, error) {
	e.t.Helper()
	pb, err := e.svc.PlayRecording(e.ctx, p, id)
	if err != nil {
		return nil, err
	}
	defer pb.Audio.Close()
	return io.ReadAll(pb.Audio)
}

func (e *env) files() []string {
	e.t.Helper()
	names, err := filepath.Glob(filepath.Join(e.svc.Dir, "*"))
	if err != nil {
		e.t.Fatal(err)
	}
	return names
}

// A recording is stored sealed, stored once however often it is sent,
// played to the call's counsellor and the station's supervisor (each
// playback audited) and to nobody else.
func TestRecordingPlayback(t *testing.T) {
	e := newEnv(t)
	e.answeredCall("rec-1")
	body := audio(t, 700<<10) // three chunks
	rec := e.store("rec-1", body)
	if rec.Bytes != int64(len(body)) || rec.ContentType != "audio/mpeg" {
		t.Fatalf("stored %+v", rec)
	}
	files := e.files()
	if len(files) != 1 || filepath.Ext(files[0]) != ".rec" {
		t.Fatalf("files %v", files)
	}
	raw, err := os.ReadFile(files[0])
	if err != nil {
		t.Fatal(err)
	}
	if bytes.Contains(raw, body[1000:1032]) {
		t.Error("the recording file holds the audio in clear")
	}
	again, dup, err := e.svc.StoreRecording(e.ctx, e.pbx, phone.NewRecording{CallRef: "rec-1", ContentType: "audio/mpeg", Audio: bytes.NewReader(body)})
	if err != nil || !dup || again.ID != rec.ID || len(e.files()) != 1 {
		t.Errorf("a second upload: %+v %v %v, %d files", again, dup, err, len(e.files()))
	}

	for _, p := range []access.Principal{e.a, e.sup} {
		got, err := e.play(p, rec.ID)
		if err != nil || !bytes.Equal(got, body) {
			t.Errorf("user %d plays %d bytes (%v), want the %d uploaded", p.UserID, len(got), err, len(body))
		}
	}
	if n := e.audits("phone.recording_play"); n != 2 {
		t.Errorf("%d playbacks audited, want 2", n)
	}
	for name, p := range map[string]access.Principal{"a colleague": e.b, "another station's counsellor": e.stranger, "the PBX": e.pbx} {
		_, err := e.svc.PlayRecording(e.ctx, p, rec.ID)
		wantCode(t, name, err, apperr.ENotFound)
	}
	if n := e.audits("phone.recording_play"); n != 2 {
		t.Errorf("%d playbacks audited after refusals, want 2", n)
	}
	// Once the call is transferred, its new holder may play it too.
	e.report(phone.Event{Event: "transferred", CallRef: "rec-1", UserID: e.b.UserID})
	if got, err := e.play(e.b, rec.ID); err != nil || len(got) != len(body) {
		t.Errorf("the holder after a transfer: %d bytes, %v", len(got), err)
	}
	calls, err := e.svc.FindCalls(e.ctx, e.colleague, "")
	if err != nil || len(calls) != 1 || calls[0].MayPlay || len(calls[0].Recordings) != 1 {
		t.Errorf("a colleague's list: %+v %v", calls, err)
	}
}

// Uploads that are not audio, too large, empty or for a call the PBX does
// not serve are refused and leave no file behind.
func TestRecordingRefused(t *testing.T) {
	e := newEnv(t)
	e.answeredCall("rec-2")
	e.svc.MaxRecording = 300 << 10
	cases := []struct {
		name string
		p    access.Principal
		n    phone.NewRecording
		code apperr.Code
	}{
		{"not audio", e.pbx, phone.NewRecording{CallRef: "rec-2", ContentType: "text/html", Audio: bytes.NewReader([]byte("<p>"))}, apperr.EInvalid},
		{"too large", e.pbx, phone.NewRecording{CallRef: "rec-2", ContentType: "audio/wav", Audio: bytes.NewReader(audio(t, 301<<10))}, apperr.EInvalid},
		{"empty", e.pbx, phone.NewRecording{CallRef: "rec-2", ContentType: "audio/wav", Audio: bytes.NewReader(nil)}, apperr.EInvalid},
		{"cut off", e.pbx, phone.NewRecording{CallRef: "rec-2", ContentType: "audio/wav", Audio: io.MultiReader(bytes.NewReader(audio(t, 1000)), failing{})}, apperr.EInvalid},
		{"unknown call", e.pbx, phone.NewRecording{CallRef: "nope", ContentType: "audio/wav", Audio: bytes.NewReader([]byte("x"))}, apperr.ENotFound},
		{"another station's PBX", e.pbxOther, phone.NewRecording{CallRef: "rec-2", ContentType: "audio/wav", Audio: bytes.NewReader([]byte("x"))}, apperr.ENotFound},
		{"a counsellor", e.a, phone.NewRecording{CallRef: "rec-2", ContentType: "audio/wav", Audio: bytes.NewReader([]byte("x"))}, apperr.ENotFound},
	}
	for _, tc := range cases {
		_, _, err := e.svc.StoreRecording(e.ctx, tc.p, tc.n)
		wantCode(t, tc.name, err, tc.code)
		if n := len(e.files()); n != 0 {
			t.Errorf("%s left %d files", tc.name, n)
		}
	}
	if n := e.num(`SELECT COUNT(*) FROM phone_recordings`); n != 0 {
		t.Errorf("%d recordings stored", n)
	}
	rec := e.store("rec-2", audio(t, 300<<10)) // exactly the limit
	if rec.Bytes != 300<<10 {
		t.Errorf("stored %d bytes", rec.Bytes)
	}
}

type failing struct{}

func (failing) Read([]byte) (int, error) { return 0, io.ErrClosedPipe }

// A recording file that was altered, cut short or moved to another call
// does not play: no altered audio comes out.
func TestTamperedRecordingDoesNotPlay(t *testing.T) {
	e := newEnv(t)
	e.answeredCall("t-1")
	e.answeredCall("t-2")
	body := audio(t, 600<<10)
	r1 := e.store("t-1", body)
	r2 := e.store("t-2", audio(t, 600<<10))
	f1, f2 := e.fileOf(r1.ID), e.fileOf(r2.ID)
	orig, err := os.ReadFile(f1)
	if err != nil {
		t.Fatal(err)
	}
	for name, content := range map[string][]byte{
		"a flipped bit":       flip(orig, len(orig)-100),
		"cut after a chunk":   orig[:len("CLREC1\n")+4+int(beUint32(orig[7:11]))],
		"another call's file": mustRead(t, f2),
	} {
		if err := os.WriteFile(f1, content, 0o600); err != nil {
			t.Fatal(err)
		}
		got, err := e.play(e.a, r1.ID)
		if err == nil || bytes.Equal(got, body) {
			t.Errorf("%s: played %d bytes without error", name, len(got))
		}
	}
	if err := os.WriteFile(f1, orig, 0o600); err != nil {
		t.Fatal(err)
	}
	if got, err := e.play(e.a, r1.ID); err != nil || !bytes.Equal(got, body) {
		t.Errorf("the original file does not play: %v", err)
	}
}

func (e *env) fileOf(id int64) string {
	return filepath.Join(e.svc.Dir, e.str(`SELECT file_key FROM phone_recordings WHERE id = ?`, id)+".rec")
}

func flip(b []byte, i int) []byte {
	c := bytes.Clone(b)
	c[i] ^= 1
	return c
}

func beUint32(b []byte) uint32 {
	return uint32(b[0])<<24 | uint32(b[1])<<16 | uint32(b[2])<<8 | uint32(b[3])
}

func mustRead(t *testing.T, path string) []byte {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A recording's deletion is scheduled at the end of the retention period;
// a timer that runs early waits; once due, the file goes, the row says so,
// the deletion is audited and the recording no longer plays.
func TestRetentionDeletesExpiredRecording(t *testing.T) {
	e := newEnv(t)
	e.svc.Retention = 30 * 24 * time.Hour
	e.answeredCall("old")
	rec := e.store("old", audio(t, 1000))
	e.clk.Advance(10 * 24 * time.Hour)
	e.answeredCall("new")
	fresh := e.store("new", audio(t, 1000))

	if n := e.num(`SELECT COUNT(*) FROM river_job WHERE kind = 'phone.recording_expiry'`); n != 4 { // two recordings, the daily sweeps after each upload
		t.Errorf("%d expiry jobs scheduled, want 4", n)
	}
	scheduled := e.scheduledAt(rec.ID)
	if want := rec.StoredAt.Add(30 * 24 * time.Hour); scheduled != want.Unix() {
		t.Errorf("the deletion is scheduled at %v, want %v", time.Unix(scheduled, 0).UTC(), want)
	}

	wait, err := e.svc.Expire(e.ctx, phone.ExpiryArgs{RecordingID: rec.ID})
	if err != nil || wait != 20*24*time.Hour {
		t.Errorf("an early timer: wait %v, %v", wait, err)
	}
	e.clk.Advance(21 * 24 * time.Hour)
	if wait, err := e.svc.Expire(e.ctx, phone.ExpiryArgs{RecordingID: rec.ID}); err != nil || wait > 0 {
		t.Fatalf("the due timer: wait %v, %v", wait, err)
	}
	if e.num(`SELECT deleted_at FROM phone_recordings WHERE id = ?`, rec.ID) == 0 || e.num(`SELECT deleted_at FROM phone_recordings WHERE id = ?`, fresh.ID) != 0 {
		t.Error("not (only) the expired recording is marked deleted")
	}
	if _, err := os.Stat(e.fileOf(rec.ID)); !os.IsNotExist(err) {
		t.Errorf("the expired file is still there: %v", err)
	}
	if _, err := os.Stat(e.fileOf(fresh.ID)); err != nil {
		t.Errorf("the fresh file is gone: %v", err)
	}
	if n := e.audits("phone.recording_delete"); n != 1 {
		t.Errorf("%d deletions audited, want 1", n)
	}
	_, err = e.svc.PlayRecording(e.ctx, e.sup, rec.ID)
	wantCode(t, "playing a deleted recording", err, apperr.ENotFound)
	if _, err := e.svc.Expire(e.ctx, phone.ExpiryArgs{RecordingID: rec.ID}); err != nil || e.audits("phone.recording_delete") != 1 {
		t.Errorf("a timer run twice: %v, %d deletions audited", err, e.audits("phone.recording_delete"))
	}

	// The daily sweep clears files no recording owns, once they are an hour old.
	stray, recent := filepath.Join(e.svc.Dir, "0123456789abcdef0123456789abcdef.part"), filepath.Join(e.svc.Dir, "fedcba9876543210fedcba9876543210.rec")
	for _, f := range []string{stray, recent} {
		if err := os.WriteFile(f, []byte("x"), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(stray, old, old); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.Expire(e.ctx, phone.ExpiryArgs{Day: "2026-04-03"}); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(stray); !os.IsNotExist(err) {
		t.Error("an old orphaned file stays")
	}
	for _, f := range []string{recent, e.fileOf(fresh.ID)} {
		if _, err := os.Stat(f); err != nil {
			t.Errorf("the sweep removed %s", filepath.Base(f))
		}
	}
}

// scheduledAt is when the expiry timer of a recording is due (Unix seconds).
func (e *env) scheduledAt(id int64) int64 {
	e.t.Helper()
	q := `SELECT json(args), CAST(strftime('%s', scheduled_at) AS INTEGER) FROM river_job WHERE kind = 'phone.recording_expiry'`
	if e.d.Dialect == db.Postgres {
		q = `SELECT args::text, CAST(EXTRACT(EPOCH FROM scheduled_at) AS BIGINT) FROM river_job WHERE kind = 'phone.recording_expiry'`
	}
	var at int64
	err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, q)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var args string
			var when int64
			if err := rows.Scan(&args, &when); err != nil {
				return err
			}
			var a phone.ExpiryArgs
			if err := json.Unmarshal([]byte(args), &a); err != nil {
				return err
			}
			if a.RecordingID == id {
				at = when
			}
		}
		return rows.Err()
	})
	if err != nil || at == 0 {
		e.t.Fatalf("no expiry timer of recording %d: %v", id, err)
	}
	return at
}

// The real timer on a running job queue, on the test's clock: nothing
// happens before the end of the retention period, and the recording is
// deleted once it has passed.
func TestRetentionTimerOnTheQueue(t *testing.T) {
	e := newEnv(t)
	e.clk.Set(time.Now().UTC().Truncate(time.Millisecond))
	q, err := jobs.New(e.d, jobs.Options{Now: e.clk.Now, PollInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	jobs.Handle(q, &phone.ExpiryWorker{S: e.svc})
	if err := q.Start(e.ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		if err := q.Stop(ctx); err != nil {
			t.Errorf("Stop: %v", err)
		}
	})
	e.answeredCall("timed")
	rec := e.store("timed", audio(t, 5000))
	deleted := func() bool { return e.num(`SELECT deleted_at FROM phone_recordings WHERE id = ?`, rec.ID) != 0 }

	e.clk.Advance(179 * 24 * time.Hour)
	if err := q.Promote(e.ctx, e.clk.Now()); err != nil {
		t.Fatal(err)
	}
	time.Sleep(300 * time.Millisecond)
	if deleted() {
		t.Fatal("deleted before the end of the default retention period (180 days)")
	}
	e.clk.Advance(2 * 24 * time.Hour)
	if err := q.Promote(e.ctx, e.clk.Now()); err != nil {
		t.Fatal(err)
	}
	for deadline := time.Now().Add(10 * time.Second); !deleted(); time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the recording was not deleted after the retention period")
		}
	}
	if _, err := os.Stat(e.fileOf(rec.ID)); !os.IsNotExist(err) {
		t.Errorf("the file stays: %v", err)
	}
	if n := e.audits("phone.recording_delete"); n != 1 {
		t.Errorf("%d deletions audited", n)
	}
}
