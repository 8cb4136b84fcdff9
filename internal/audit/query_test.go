package audit_test

import (
	"context"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/testutil"
)

var cst = time.FixedZone("CST", 8*3600)

// plain is an entry as the test reads it straight from the table.
type plain struct {
	seq, at, actor         int64
	action, objType, objID string
}

func allEntries(t *testing.T, d *db.DB) []plain {
	t.Helper()
	var out []plain
	err := d.Read(context.Background(), func(ctx context.Context, tx *db.Tx) error {
		rs, err := tx.Query(ctx, `SELECT seq, at, actor_user_id, action, object_type, object_id FROM audit_log ORDER BY seq DESC`)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var p plain
			if err := rs.Scan(&p.seq, &p.at, &p.actor, &p.action, &p.objType, &p.objID); err != nil {
				return err
			}
			out = append(out, p)
		}
		return rs.Err()
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// want filters the whole trail in Go, as the search should in SQL.
func want(all []plain, f audit.Filter, limit int) []int64 {
	var out []int64
	for _, p := range all {
		switch {
		case f.Before > 0 && p.seq >= f.Before,
			f.ObjectType != "" && p.objType != f.ObjectType,
			f.ObjectID != "" && p.objID != f.ObjectID,
			f.Actor != 0 && p.actor != f.Actor,
			!strings.HasPrefix(p.action, f.Action),
			!f.From.IsZero() && p.at < db.Micro(f.From),
			!f.To.IsZero() && p.at >= db.Micro(f.To):
			continue
		}
		if len(out) < limit {
			out = append(out, p.seq)
		}
	}
	return out
}

// TestFindEntriesSearch searches a trail of 400 entries over 17 days by
// object, actor, action prefix and days, alone and together, and pages
// through a search; each result is checked against the whole trail
// filtered in Go. The search itself is recorded with its filter.
func TestFindEntriesSearch(t *testing.T) {
	d := testutil.DB(t)
	ctx := context.Background()
	base := time.Date(2025, 3, 1, 0, 0, 0, 0, cst) // every 24th entry falls on midnight: the bounds are tested
	var at time.Time
	l, err := audit.New("sha256", func() time.Time { return at })
	if err != nil {
		t.Fatal(err)
	}
	actions := []string{"student.read", "student.update", "screening.submit", "alert.ack", "studentx.read"}
	for i := 0; i < 400; i++ {
		at = base.Add(time.Duration(i) * time.Hour)
		e := audit.Entry{ActorUserID: int64(1 + i%5), ActorRole: "coordinator", Action: actions[i%len(actions)], ObjectType: "student",
			ObjectID: strconv.Itoa(i % 7), Outcome: audit.Success}
		if i%3 == 0 {
			e.ObjectType = "alert"
		}
		if err := d.Tx(ctx, func(ctx context.Context, tx *db.Tx) error { return l.Record(ctx, tx, e) }); err != nil {
			t.Fatal(err)
		}
	}
	at = base.Add(500 * time.Hour)
	reader := audit.Entry{ActorUserID: 99, ActorRole: "auditor"}
	cases := []string{
		"",
		"object_type=student&object_id=3",
		"object_type=alert",
		"actor=%232",
		"actor=4",
		"action=student.",
		"action=student.read",
		"action=audit.read",
		"from=2025-03-04&to=2025-03-06",
		"from=2025-03-10",
		"to=2025-03-01",
		"actor=3&action=screening.&from=2025-03-02&to=2025-03-12",
		"object_type=student&object_id=5&actor=1&from=2025-03-03",
		"object_type=nothing",
	}
	for _, c := range cases {
		q, _ := url.ParseQuery(c)
		f, err := audit.ParseFilter(q, cst)
		if err != nil {
			t.Fatalf("ParseFilter(%q): %v", c, err)
		}
		all := allEntries(t, d)
		got, err := audit.FindEntries(ctx, d, l, reader, f)
		if err != nil {
			t.Fatalf("FindEntries(%q): %v", c, err)
		}
		var seqs []int64
		for _, e := range got {
			seqs = append(seqs, e.Seq)
		}
		if w := want(all, f, 100); !slices.Equal(seqs, w) {
			t.Errorf("search %q: %d entries %v, want %d %v", c, len(seqs), head(seqs), len(w), head(w))
		}
		if c != "object_type=nothing" && len(seqs) == 0 {
			t.Errorf("search %q found nothing: the case tests nothing", c)
		}
		if back := f.Query(cst).Encode(); c != "actor=%232" && back != q.Encode() {
			t.Errorf("Filter(%q).Query() = %q, want %q", c, back, q.Encode())
		}
	}

	// Paging through one search meets every entry once, newest first.
	f, _ := audit.ParseFilter(url.Values{"object_type": {"student"}}, cst)
	f.Limit = 30
	all := allEntries(t, d)
	var seqs []int64
	for pages := 0; ; pages++ {
		got, err := audit.FindEntries(ctx, d, l, reader, f)
		if err != nil || pages > 20 {
			t.Fatalf("page %d: %v", pages, err)
		}
		for _, e := range got {
			seqs = append(seqs, e.Seq)
		}
		if len(got) < f.Limit {
			break
		}
		f.Before = got[len(got)-1].Seq
	}
	if w := want(all, audit.Filter{ObjectType: "student"}, 1000); !slices.Equal(seqs, w) || len(w) != 266 {
		t.Errorf("paged search: %d entries, want %d (266)", len(seqs), len(w))
	}

	var detail string
	err = d.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT detail FROM audit_log WHERE action = 'audit.read' AND actor_user_id = 99 AND detail LIKE '%actor=3%'`).Scan(&detail)
	})
	if err != nil || !strings.Contains(detail, "action=screening.") || !strings.Contains(detail, "from=2025-03-01T16%3A00%3A00Z") {
		// The days as instants in UTC: 2025-03-02 00:00 CST is 2025-03-01 16:00 UTC.
		t.Errorf("the search's audit entry: %q, %v; want its filter", detail, err)
	}
	mustVerify(t, d, int64(400+len(cases))+int64(len(seqs)/30+1))
}

func head(s []int64) []int64 { return s[:min(len(s), 5)] }

// TestParseFilterRefusesBadInput names each field the search cannot read.
func TestParseFilterRefusesBadInput(t *testing.T) {
	for _, c := range []struct{ query, field, key string }{
		{"actor=abc", "actor", "form.invalid"},
		{"actor=-3", "actor", "form.invalid"},
		{"from=2025-13-01", "from", "form.bad_date"},
		{"to=yesterday", "to", "form.bad_date"},
		{"from=2025-03-05&to=2025-03-04", "to", "audit.to_before_from"},
		{"object_id=12", "object_type", "form.required"},
		{"action=" + strings.Repeat("a", 101), "action", "form.too_long"},
	} {
		q, _ := url.ParseQuery(c.query)
		_, err := audit.ParseFilter(q, cst)
		if apperr.CodeOf(err) != apperr.EInvalid || apperr.FieldsOf(err)[c.field] != c.key {
			t.Errorf("ParseFilter(%q) = %v (fields %v), want %s: %s", c.query[:min(len(c.query), 40)], err, apperr.FieldsOf(err), c.field, c.key)
		}
	}
	if f, err := audit.ParseFilter(url.Values{"from": {"2025-03-05"}, "to": {"2025-03-05"}}, cst); err != nil ||
		!f.From.Equal(time.Date(2025, 3, 5, 0, 0, 0, 0, cst)) || !f.To.Equal(time.Date(2025, 3, 6, 0, 0, 0, 0, cst)) {
		t.Errorf("one day: %+v, %v; want 5 March 00:00 to 6 March 00:00 CST", f, err)
	}
}
