package audit_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/testutil"
	"github.com/emmansun/gmsm/sm3"
)

// clock returns a now func that starts at a fixed instant (with sub-microsecond
// noise, which Record must truncate) and advances by one millisecond per call.
func clock() func() time.Time {
	var mu sync.Mutex
	t := time.Date(2025, 3, 1, 8, 0, 0, 123456789, time.FixedZone("CST", 8*3600))
	return func() time.Time {
		mu.Lock()
		defer mu.Unlock()
		t = t.Add(time.Millisecond)
		return t
	}
}

func newLog(t testing.TB, algo string) *audit.Log {
	t.Helper()
	l, err := audit.New(algo, clock())
	if err != nil {
		t.Fatalf("audit.New(%q): %v", algo, err)
	}
	return l
}

// entry returns a distinct, fully populated entry number i.
func entry(i int) audit.Entry {
	return audit.Entry{
		ActorUserID: int64(100 + i),
		ActorRole:   "coordinator",
		ActorOrgID:  int64(7 + i%3),
		Action:      "student.read",
		ObjectType:  "student",
		ObjectID:    strconv.Itoa(1000 + i),
		Outcome:     audit.Success,
		Detail:      "field=risk_level;n=" + strconv.Itoa(i),
	}
}

// record appends n entries, each in its own committed transaction.
func record(t testing.TB, d *db.DB, l *audit.Log, n int) {
	t.Helper()
	ctx := context.Background()
	for i := 0; i < n; i++ {
		err := d.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
			return l.Record(ctx, tx, entry(i))
		})
		if err != nil {
			t.Fatalf("record entry %d: %v", i+1, err)
		}
	}
}

func mustVerify(t testing.TB, d *db.DB, want int64) {
	t.Helper()
	n, p, err := audit.Verify(context.Background(), d)
	if err != nil {
		t.Fatalf("verify: %v", err)
	}
	if p != nil {
		t.Fatalf("verify reported a problem on an intact trail: %v", p)
	}
	if n != want {
		t.Fatalf("verify counted %d good entries, want %d", n, want)
	}
}

type row struct {
	Seq      int64
	At       int64
	Algo     string
	PrevHash string
	Hash     string
}

func rows(t testing.TB, d *db.DB) []row {
	t.Helper()
	var out []row
	err := d.Read(context.Background(), func(ctx context.Context, tx *db.Tx) error {
		rs, err := tx.Query(ctx, `SELECT seq, at, algo, prev_hash, hash FROM audit_log ORDER BY seq`)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var r row
			if err := rs.Scan(&r.Seq, &r.At, &r.Algo, &r.PrevHash, &r.Hash); err != nil {
				return err
			}
			out = append(out, r)
		}
		return rs.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func countRows(t testing.TB, d *db.DB, q string, args ...any) int {
	t.Helper()
	var n int
	err := d.Read(context.Background(), func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, q, args...).Scan(&n)
	})
	if err != nil {
		t.Fatalf("%s: %v", q, err)
	}
	return n
}

func TestNewRejectsUnknownAlgorithm(t *testing.T) {
	for _, algo := range []string{"", "md5", "SHA256", "sha-256", "SM3"} {
		if _, err := audit.New(algo, nil); err == nil {
			t.Errorf("audit.New(%q) accepted an unknown algorithm", algo)
		}
	}
	for _, algo := range []string{"sha256", "sm3"} {
		if _, err := audit.New(algo, nil); err != nil {
			t.Errorf("audit.New(%q): %v", algo, err)
		}
	}
}

func TestRecordNeedsActionAndOutcome(t *testing.T) {
	d := testutil.DB(t)
	l := newLog(t, "sha256")
	for name, e := range map[string]audit.Entry{
		"no action":  {Outcome: audit.Success},
		"no outcome": {Action: "org.create"},
	} {
		err := d.Tx(context.Background(), func(ctx context.Context, tx *db.Tx) error {
			return l.Record(ctx, tx, e)
		})
		if err == nil {
			t.Errorf("%s: Record accepted the entry", name)
		}
	}
	if n := countRows(t, d, `SELECT COUNT(*) FROM audit_log`); n != 0 {
		t.Fatalf("rejected entries left %d rows", n)
	}
	mustVerify(t, d, 0)
}

func TestVerifyEmptyTrail(t *testing.T) {
	mustVerify(t, testutil.DB(t), 0)
}

func TestVerifyCleanChain(t *testing.T) {
	cases := []struct {
		name  string
		algos []string // one Log per element, each writing `each` entries in turn
		each  int
	}{
		{"sha256", []string{"sha256"}, 20},
		{"sm3", []string{"sm3"}, 20},
		{"sha256 then sm3", []string{"sha256", "sm3"}, 10},
		{"sm3 then sha256 then sm3", []string{"sm3", "sha256", "sm3"}, 7},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := testutil.DB(t)
			var wantAlgo []string
			for _, a := range tc.algos {
				record(t, d, newLog(t, a), tc.each)
				for i := 0; i < tc.each; i++ {
					wantAlgo = append(wantAlgo, a)
				}
			}
			mustVerify(t, d, int64(len(wantAlgo)))

			rs := rows(t, d)
			if len(rs) != len(wantAlgo) {
				t.Fatalf("%d rows, want %d", len(rs), len(wantAlgo))
			}
			prev := ""
			seen := map[string]bool{}
			for i, r := range rs {
				if r.Seq != int64(i+1) {
					t.Errorf("row %d has seq %d: sequence has a gap", i, r.Seq)
				}
				if r.Algo != wantAlgo[i] {
					t.Errorf("seq %d algo %q, want %q", r.Seq, r.Algo, wantAlgo[i])
				}
				if r.PrevHash != prev {
					t.Errorf("seq %d prev_hash does not link to seq %d's hash", r.Seq, r.Seq-1)
				}
				if len(r.Hash) != 64 {
					t.Errorf("seq %d hash %q is not 32 bytes of hex", r.Seq, r.Hash)
				}
				if seen[r.Hash] {
					t.Errorf("seq %d repeats an earlier hash", r.Seq)
				}
				seen[r.Hash] = true
				if r.At%1000 == 0 && r.At != 0 {
					// The clock carries microseconds (…123456µs +n ms), so a
					// stored value that is a whole millisecond lost precision.
					t.Errorf("seq %d at=%d lost its microseconds", r.Seq, r.At)
				}
				prev = r.Hash
			}
			// The head row records the last entry.
			var headSeq int64
			var headHash string
			err := d.Read(context.Background(), func(ctx context.Context, tx *db.Tx) error {
				return tx.QueryRow(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`).Scan(&headSeq, &headHash)
			})
			if err != nil {
				t.Fatal(err)
			}
			if headSeq != int64(len(rs)) || headHash != prev {
				t.Errorf("head = (%d, %s), want (%d, %s)", headSeq, headHash, len(rs), prev)
			}
		})
	}
}

// canonical re-implements the documented hash input (every field in a fixed
// order, each as "len:value;") so that the stored format is pinned: a change
// to it would break every trail already written.
func canonical(seq, at, actor int64, role string, org int64, action, objType, objID, outcome, detail, algo, prev string) string {
	var b strings.Builder
	for _, f := range []string{strconv.FormatInt(seq, 10), strconv.FormatInt(at, 10), strconv.FormatInt(actor, 10),
		role, strconv.FormatInt(org, 10), action, objType, objID, outcome, detail, algo, prev} {
		fmt.Fprintf(&b, "%d:%s;", len(f), f)
	}
	return b.String()
}

// TestHashFormatIsStable recomputes every stored hash independently, with
// the named algorithm, so that both the input format and the algorithm
// behind each name are pinned.
func TestHashFormatIsStable(t *testing.T) {
	sums := map[string]func([]byte) []byte{
		"sha256": func(b []byte) []byte { s := sha256.Sum256(b); return s[:] },
		"sm3":    func(b []byte) []byte { s := sm3.Sum(b); return s[:] },
	}
	d := testutil.DB(t)
	record(t, d, newLog(t, "sha256"), 3)
	record(t, d, newLog(t, "sm3"), 3)
	checked := map[string]int{}
	err := d.Read(context.Background(), func(ctx context.Context, tx *db.Tx) error {
		rs, err := tx.Query(ctx, `SELECT seq, at, actor_user_id, actor_role, actor_org_id, action, object_type,
			object_id, outcome, detail, algo, prev_hash, hash FROM audit_log ORDER BY seq`)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var seq, at, actor, org int64
			var role, action, ot, oid, outcome, detail, algo, prev, hash string
			if err := rs.Scan(&seq, &at, &actor, &role, &org, &action, &ot, &oid, &outcome, &detail, &algo, &prev, &hash); err != nil {
				return err
			}
			sum := sums[algo]([]byte(canonical(seq, at, actor, role, org, action, ot, oid, outcome, detail, algo, prev)))
			if got := hex.EncodeToString(sum); got != hash {
				t.Errorf("seq %d (%s): stored hash %s, recomputed %s", seq, algo, hash, got)
			}
			checked[algo]++
		}
		return rs.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	if checked["sha256"] != 3 || checked["sm3"] != 3 {
		t.Errorf("checked %v, want 3 of each", checked)
	}
	// The two algorithms really differ (guards against one standing in for the other).
	if hex.EncodeToString(sums["sha256"]([]byte("abc"))) == hex.EncodeToString(sums["sm3"]([]byte("abc"))) {
		t.Error("sha256 and sm3 agree on \"abc\"")
	}
	// Known answer for SM3("abc") from GB/T 32905-2016, appendix A.
	if got := hex.EncodeToString(sums["sm3"]([]byte("abc"))); got != "66c7f0f462eeedd9d1f2d46bdc10e4e24167c4875cf2f7a2297da02b8f4ba8e0" {
		t.Errorf("SM3(abc) = %s", got)
	}
}

// dropGuards removes the append-only triggers so that a test can play the
// part of someone editing the database directly.
func dropGuards(t testing.TB, d *db.DB) {
	t.Helper()
	stmts := []string{`DROP TRIGGER audit_log_no_update`, `DROP TRIGGER audit_log_no_delete`}
	if d.Dialect == db.Postgres {
		stmts = []string{`DROP TRIGGER audit_log_no_change ON audit_log`}
	}
	for _, s := range stmts {
		if _, err := d.Exec(context.Background(), s); err != nil {
			t.Fatalf("%s: %v", s, err)
		}
	}
}

func exec(t testing.TB, d *db.DB, stmts ...string) {
	t.Helper()
	for _, s := range stmts {
		res, err := d.Exec(context.Background(), s)
		if err != nil {
			t.Fatalf("%s: %v", s, err)
		}
		if n, err := res.RowsAffected(); err != nil || n != 1 {
			t.Fatalf("%s: affected %d rows (err %v), want 1", s, n, err)
		}
	}
}

// TestVerifyNamesTamperedEntry is the acceptance test: ten entries, one edit
// made directly in the database, and Verify must name the first bad entry.
func TestVerifyNamesTamperedEntry(t *testing.T) {
	const n = 10
	cases := []struct {
		name    string
		algo    string
		tamper  func(t testing.TB, d *db.DB)
		wantSeq int64
		reason  string // a word the reason must contain
	}{
		{"alter detail of 4", "sha256", func(t testing.TB, d *db.DB) {
			exec(t, d, `UPDATE audit_log SET detail = 'field=none' WHERE seq = 4`)
		}, 4, "altered"},
		{"alter outcome of 4", "sha256", func(t testing.TB, d *db.DB) {
			exec(t, d, `UPDATE audit_log SET outcome = 'denied' WHERE seq = 4`)
		}, 4, "altered"},
		{"alter at of 4 by one microsecond", "sha256", func(t testing.TB, d *db.DB) {
			exec(t, d, `UPDATE audit_log SET at = at + 1 WHERE seq = 4`)
		}, 4, "altered"},
		{"alter actor_user_id of 4", "sha256", func(t testing.TB, d *db.DB) {
			exec(t, d, `UPDATE audit_log SET actor_user_id = 1 WHERE seq = 4`)
		}, 4, "altered"},
		{"alter object_id of 4 (sm3)", "sm3", func(t testing.TB, d *db.DB) {
			exec(t, d, `UPDATE audit_log SET object_id = '9999' WHERE seq = 4`)
		}, 4, "altered"},
		{"alter algo of 4", "sm3", func(t testing.TB, d *db.DB) {
			exec(t, d, `UPDATE audit_log SET algo = 'sha256' WHERE seq = 4`)
		}, 4, "altered"},
		{"delete 6", "sha256", func(t testing.TB, d *db.DB) {
			exec(t, d, `DELETE FROM audit_log WHERE seq = 6`)
		}, 6, "removed"},
		{"delete 6 (sm3)", "sm3", func(t testing.TB, d *db.DB) {
			exec(t, d, `DELETE FROM audit_log WHERE seq = 6`)
		}, 6, "removed"},
		{"delete first", "sha256", func(t testing.TB, d *db.DB) {
			exec(t, d, `DELETE FROM audit_log WHERE seq = 1`)
		}, 1, "removed"},
		{"swap seq of 3 and 7", "sha256", func(t testing.TB, d *db.DB) {
			exec(t, d,
				`UPDATE audit_log SET seq = -1 WHERE seq = 3`,
				`UPDATE audit_log SET seq = 3 WHERE seq = 7`,
				`UPDATE audit_log SET seq = 7 WHERE seq = -1`)
		}, 3, ""},
		{"truncate tail (delete 10)", "sha256", func(t testing.TB, d *db.DB) {
			exec(t, d, `DELETE FROM audit_log WHERE seq = 10`)
		}, 10, "removed"},
		{"truncate tail (delete 8..10)", "sm3", func(t testing.TB, d *db.DB) {
			exec(t, d, `DELETE FROM audit_log WHERE seq = 10`, `DELETE FROM audit_log WHERE seq = 9`,
				`DELETE FROM audit_log WHERE seq = 8`)
		}, 8, "removed"},
		{"alter prev_hash of 1", "sha256", func(t testing.TB, d *db.DB) {
			exec(t, d, `UPDATE audit_log SET prev_hash = 'ff' WHERE seq = 1`)
		}, 1, ""},
		{"rewrite 4 with a valid hash of its own", "sha256", func(t testing.TB, d *db.DB) {
			// A forger who changes entry 4 and recomputes its hash is caught
			// at entry 5, whose prev_hash still names the original.
			ctx := context.Background()
			var at, actor, org int64
			var role, action, ot, oid, outcome, algo, prev string
			err := d.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
				return tx.QueryRow(ctx, `SELECT at, actor_user_id, actor_role, actor_org_id, action, object_type,
					object_id, outcome, algo, prev_hash FROM audit_log WHERE seq = 4`).
					Scan(&at, &actor, &role, &org, &action, &ot, &oid, &outcome, &algo, &prev)
			})
			if err != nil {
				t.Fatal(err)
			}
			sum := sha256.Sum256([]byte(canonical(4, at, actor, role, org, action, ot, oid, outcome, "forged", algo, prev)))
			if _, err := d.Exec(ctx, `UPDATE audit_log SET detail = ?, hash = ? WHERE seq = 4`, "forged", hex.EncodeToString(sum[:])); err != nil {
				t.Fatal(err)
			}
		}, 5, "chain"},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			d := testutil.DB(t)
			record(t, d, newLog(t, tc.algo), n)
			mustVerify(t, d, n)
			dropGuards(t, d)
			tc.tamper(t, d)

			good, p, err := audit.Verify(context.Background(), d)
			if err != nil {
				t.Fatalf("verify: %v", err)
			}
			if p == nil {
				t.Fatalf("verify found nothing wrong after %q (good=%d)", tc.name, good)
			}
			if p.Seq != tc.wantSeq {
				t.Errorf("verify named entry %d (%s), want %d", p.Seq, p.Reason, tc.wantSeq)
			}
			if good != tc.wantSeq-1 {
				t.Errorf("verify counted %d good entries before the break, want %d", good, tc.wantSeq-1)
			}
			if tc.reason != "" && !strings.Contains(p.Reason, tc.reason) {
				t.Errorf("reason %q does not say %q", p.Reason, tc.reason)
			}
			if !strings.Contains(p.Error(), strconv.FormatInt(tc.wantSeq, 10)) {
				t.Errorf("error text %q does not name entry %d", p.Error(), tc.wantSeq)
			}
		})
	}
}

// TestAppendOnlyTriggers checks that the database itself refuses to change or
// remove audit rows, whichever way the statement reaches it.
func TestAppendOnlyTriggers(t *testing.T) {
	stmts := []string{
		`UPDATE audit_log SET detail = 'x' WHERE seq = 2`,
		`UPDATE audit_log SET outcome = 'denied'`,
		`DELETE FROM audit_log WHERE seq = 3`,
		`DELETE FROM audit_log`,
	}
	d := testutil.DB(t)
	ctx := context.Background()
	record(t, d, newLog(t, "sha256"), 5)
	for _, s := range stmts {
		t.Run(s, func(t *testing.T) {
			if _, err := d.Exec(ctx, s); err == nil {
				t.Errorf("DB.Exec: %s succeeded", s)
			} else if !strings.Contains(err.Error(), "append-only") {
				t.Errorf("DB.Exec: %s failed for another reason: %v", s, err)
			}
			err := d.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
				_, err := tx.Exec(ctx, s)
				return err
			})
			if err == nil {
				t.Errorf("Tx.Exec: %s succeeded", s)
			}
		})
	}
	mustVerify(t, d, 5)
	if n := countRows(t, d, `SELECT COUNT(*) FROM audit_log WHERE detail = 'x' OR outcome = 'denied'`); n != 0 {
		t.Errorf("%d rows changed despite the triggers", n)
	}
}

// TestRecordCommitsWithAction: an entry and the action it records commit or
// roll back together.
func TestRecordCommitsWithAction(t *testing.T) {
	d := testutil.DB(t)
	l := newLog(t, "sha256")
	ctx := context.Background()
	record(t, d, l, 3)

	insertUser := func(ctx context.Context, tx *db.Tx, name string) error {
		_, err := tx.Exec(ctx, `INSERT INTO users (username, display_name, password_hash, password_changed_at, created_at)
			VALUES (?, ?, ?, ?, ?)`, name, name, "x", 1, 1)
		return err
	}
	stop := apperr.New(apperr.EInvalid, "stop")
	err := d.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if err := insertUser(ctx, tx, "rolled_back"); err != nil {
			return err
		}
		for i := 0; i < 2; i++ {
			if err := l.Record(ctx, tx, audit.Entry{Action: "user.create", Outcome: audit.Success, ObjectType: "user"}); err != nil {
				return err
			}
		}
		return stop
	})
	if !errors.Is(err, stop) {
		t.Fatalf("Tx returned %v, want the callback's error", err)
	}
	if n := countRows(t, d, `SELECT COUNT(*) FROM audit_log`); n != 3 {
		t.Errorf("after rollback audit_log has %d rows, want 3", n)
	}
	if n := countRows(t, d, `SELECT COUNT(*) FROM users WHERE username = ?`, "rolled_back"); n != 0 {
		t.Errorf("rolled-back action is visible")
	}
	mustVerify(t, d, 3)

	// The next entry continues the chain without a gap, together with its action.
	err = d.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if err := insertUser(ctx, tx, "committed"); err != nil {
			return err
		}
		return l.Record(ctx, tx, audit.Entry{Action: "user.create", Outcome: audit.Success, ObjectType: "user"})
	})
	if err != nil {
		t.Fatal(err)
	}
	if n := countRows(t, d, `SELECT COUNT(*) FROM audit_log WHERE seq = 4 AND action = 'user.create'`); n != 1 {
		t.Errorf("committed entry is not seq 4")
	}
	if n := countRows(t, d, `SELECT COUNT(*) FROM users WHERE username = ?`, "committed"); n != 1 {
		t.Errorf("committed action is missing")
	}
	mustVerify(t, d, 4)
}

// TestConcurrentRecord writes from many goroutines, each in its own
// transaction; the head row must serialise them into one gapless chain.
func TestConcurrentRecord(t *testing.T) {
	const workers, each = 8, 15
	d := testutil.DB(t)
	ctx := context.Background()
	logs := []*audit.Log{newLog(t, "sha256"), newLog(t, "sm3")}
	var wg sync.WaitGroup
	errs := make(chan error, workers*each)
	start := make(chan struct{})
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func(w int) {
			defer wg.Done()
			<-start
			l := logs[w%len(logs)]
			for i := 0; i < each; i++ {
				err := d.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
					e := entry(i)
					e.ActorUserID = int64(w)
					return l.Record(ctx, tx, e)
				})
				if err != nil {
					errs <- fmt.Errorf("worker %d entry %d: %w", w, i, err)
				}
			}
		}(w)
	}
	close(start)
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	mustVerify(t, d, workers*each)
	for w := 0; w < workers; w++ {
		if n := countRows(t, d, `SELECT COUNT(*) FROM audit_log WHERE actor_user_id = ?`, w); n != each {
			t.Errorf("worker %d has %d entries, want %d", w, n, each)
		}
	}
}
