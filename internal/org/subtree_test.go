package org_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/org"
	"github.com/careloop/careloop/internal/testutil"
)

// network is a synthetic city of units with explicit ids: the root is 1,
// districts are 2..districts+1, and schools follow, dealt round-robin to the
// districts. Paths are "/1/<district>/<school>/".
type network struct {
	districts, units int
}

// schoolsOf returns how many schools district number i (0-based) holds.
func (n network) schoolsOf(i int) int {
	schools := n.units - 1 - n.districts
	c := schools / n.districts
	if i < schools%n.districts {
		c++
	}
	return c
}

// build inserts the network in one transaction with multi-row INSERTs.
func (n network) build(tb testing.TB, d *db.DB) {
	tb.Helper()
	const batch = 500
	now := db.Micro(time.Now())
	type unit struct {
		id, parent int64
		kind       org.Kind
		path       string
		depth      int
	}
	units := make([]unit, 0, n.units)
	units = append(units, unit{id: 1, kind: org.City, path: "/1/"})
	for i := 0; i < n.districts; i++ {
		id := int64(2 + i)
		units = append(units, unit{id: id, parent: 1, kind: org.District, path: "/1/" + strconv.FormatInt(id, 10) + "/", depth: 1})
	}
	for s := 0; len(units) < n.units; s++ {
		di := s % n.districts
		id := int64(len(units) + 1)
		dist := units[1+di]
		units = append(units, unit{id: id, parent: dist.id, kind: org.School, path: dist.path + strconv.FormatInt(id, 10) + "/", depth: 2})
	}
	err := d.Tx(context.Background(), func(ctx context.Context, tx *db.Tx) error {
		for start := 0; start < len(units); start += batch {
			end := min(start+batch, len(units))
			var q strings.Builder
			q.WriteString(`INSERT INTO org_units (id, kind, name, parent_id, path, depth, active, created_at, updated_at) VALUES `)
			args := make([]any, 0, 8*(end-start))
			for i, u := range units[start:end] {
				if i > 0 {
					q.WriteByte(',')
				}
				q.WriteString(`(?, ?, ?, ?, ?, ?, 1, ?, ?)`)
				var parent any
				if u.parent != 0 {
					parent = u.parent
				}
				args = append(args, u.id, string(u.kind), string(u.kind)+" "+strconv.FormatInt(u.id, 10), parent, u.path, u.depth, now, now)
			}
			if _, err := tx.Exec(ctx, q.String(), args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		tb.Fatalf("build network: %v", err)
	}
	if _, err := d.Exec(context.Background(), `ANALYZE`); err != nil {
		tb.Fatalf("analyze: %v", err)
	}
}

// districtPrincipal is a coordinator of district id (org.read on its subtree).
func districtPrincipal(id int64) access.Principal {
	return access.Principal{UserID: 9, Memberships: []access.Membership{{
		OrgID: id, OrgPath: "/1/" + strconv.FormatInt(id, 10) + "/", Role: access.Coordinator}}}
}

// BenchmarkSubtreeQuery lists one district's subtree out of 50,000 units
// through FindUnits and, in the same iterations, counts the whole table as a
// full-scan baseline (SELECT COUNT(*) FROM org_units) and counts the subtree
// alone, with and without the path index. Per-operation times and ratios are
// reported. Note
// that FindUnits materialises ~400 rows with a per-row child count, while the
// baseline returns one number, so subtree/fullscan is not like for like;
// subtreecount/fullscan is closer, and subtreecount/noindexcount compares the
// same predicate with and without the index. (SQLite counts a whole table
// without decoding rows, so its bare COUNT(*) is a very cheap baseline.)
func BenchmarkSubtreeQuery(b *testing.B) {
	net := network{districts: 125, units: 50000}
	d := testutil.DB(b)
	net.build(b, d)
	l, err := audit.New("sha256", nil)
	if err != nil {
		b.Fatal(err)
	}
	s := &org.Service{DB: d, Audit: l}
	ctx := context.Background()
	// District 2 has neighbours 20..29 and 200..., whose paths share its
	// prefix "/1/2"; the subtree must still be exactly its own schools.
	p := districtPrincipal(2)
	want := 1 + net.schoolsOf(0)
	f := org.UnitFilter{Limit: 500}
	if want > f.Limit {
		b.Fatalf("subtree of %d units exceeds the list limit", want)
	}

	// The same count, restricted to the subtree: like for like with the
	// full-table count, so the ratio shows what the index range buys.
	scope, scopeArgs := p.Scope(access.OrgRead, "path")
	count := func(q string, args ...any) (int, error) {
		var n int
		err := d.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
			return tx.QueryRow(ctx, q, args...).Scan(&n)
		})
		return n, err
	}

	// The same scoped count with the index defeated (path || '' is not
	// indexed): what the subtree would cost as a per-row scan of the table.
	noIndex, _ := p.Scope(access.OrgRead, "(path || '')")

	var subtree, subtreeCount, scan, scanScope time.Duration
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		t0 := time.Now()
		units, err := s.FindUnits(ctx, p, f)
		t1 := time.Now()
		inScope, err2 := count(`SELECT COUNT(*) FROM org_units WHERE `+scope, scopeArgs...)
		t2 := time.Now()
		total, err3 := count(`SELECT COUNT(*) FROM org_units`)
		t3 := time.Now()
		inScope2, err4 := count(`SELECT COUNT(*) FROM org_units WHERE `+noIndex, scopeArgs...)
		t4 := time.Now()
		if err != nil || err2 != nil || err3 != nil || err4 != nil {
			b.Fatal(err, err2, err3, err4)
		}
		if len(units) != want || inScope != want || inScope2 != want || total != net.units {
			b.Fatalf("FindUnits %d units, scoped counts %d and %d (want %d); table %d (want %d)",
				len(units), inScope, inScope2, want, total, net.units)
		}
		scanScope += t4.Sub(t3)
		subtree += t1.Sub(t0)
		subtreeCount += t2.Sub(t1)
		scan += t3.Sub(t2)
	}
	b.StopTimer()
	n := float64(b.N)
	b.ReportMetric(float64(subtree.Nanoseconds())/n, "subtree-ns/op")
	b.ReportMetric(float64(subtreeCount.Nanoseconds())/n, "subtreecount-ns/op")
	b.ReportMetric(float64(scan.Nanoseconds())/n, "fullscan-ns/op")
	b.ReportMetric(float64(subtree)/float64(scan), "subtree/fullscan")
	b.ReportMetric(float64(subtreeCount)/float64(scan), "subtreecount/fullscan")
	b.ReportMetric(float64(scanScope.Nanoseconds())/n, "noindexcount-ns/op")
	b.ReportMetric(float64(subtreeCount)/float64(scanScope), "subtreecount/noindexcount")
	b.ReportMetric(float64(want), "subtree-units")
}

// scopeQuery is the shape of the query FindUnits runs for a scoped list.
func scopeQuery(p access.Principal) (string, []any) {
	scope, args := p.Scope(access.OrgRead, "u.path")
	return `SELECT u.id, u.path FROM org_units u WHERE ` + scope + ` AND u.active = 1 ORDER BY u.path LIMIT 500`, args
}

// TestSubtreeQueryUsesIndex checks that a scoped list is a range search on
// org_units_path, not a scan of the table, on a network big enough for the
// planner to care.
func TestSubtreeQueryUsesIndex(t *testing.T) {
	net := network{districts: 40, units: 4000}
	d := testutil.DB(t)
	net.build(t, d)
	ctx := context.Background()
	two := districtPrincipal(2)
	two.Memberships = append(two.Memberships, districtPrincipal(30).Memberships...)
	for _, tc := range []struct {
		name string
		p    access.Principal
	}{
		{"one district", districtPrincipal(2)},
		{"two districts", two},
		{"one school", access.Principal{UserID: 9, Memberships: []access.Membership{{OrgID: 500, OrgPath: "/1/" + strconv.Itoa(2+(500-1-net.districts-1)%net.districts) + "/500/", Role: access.HeadTeacher}}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			q, args := scopeQuery(tc.p)
			var plan []string
			err := d.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
				explain := `EXPLAIN QUERY PLAN `
				if d.Dialect == db.Postgres {
					if _, err := tx.Exec(ctx, `SET LOCAL enable_seqscan = off`); err != nil {
						return err
					}
					explain = `EXPLAIN `
				}
				rows, err := tx.Query(ctx, explain+q, args...)
				if err != nil {
					return err
				}
				defer rows.Close()
				cols, _ := rows.Columns()
				for rows.Next() {
					vals := make([]any, len(cols))
					ptrs := make([]any, len(cols))
					for i := range vals {
						ptrs[i] = &vals[i]
					}
					if err := rows.Scan(ptrs...); err != nil {
						return err
					}
					plan = append(plan, toString(vals[len(vals)-1]))
				}
				return rows.Err()
			})
			if err != nil {
				t.Fatal(err)
			}
			text := strings.Join(plan, "\n")
			t.Logf("plan:\n%s", text)
			if d.Dialect == db.Postgres {
				if !strings.Contains(text, "org_units_path") || !strings.Contains(text, "Index Cond: ((path >= ") {
					t.Errorf("plan does not use the org_units_path index:\n%s", text)
				}
				if strings.Contains(text, "Seq Scan") {
					t.Errorf("plan scans the table:\n%s", text)
				}
				return
			}
			searches := 0
			for _, line := range plan {
				if strings.HasPrefix(line, "SCAN u") || strings.HasPrefix(line, "SCAN org_units") {
					t.Errorf("plan scans the table: %q", line)
				}
				if strings.Contains(line, "SEARCH u USING INDEX org_units_path (path>? AND path<?)") {
					searches++
				}
			}
			if want := len(tc.p.Memberships); searches != want {
				t.Errorf("plan has %d range searches on org_units_path, want %d:\n%s", searches, want, text)
			}
			// And the query returns exactly the subtrees.
			var got []string
			err = d.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
				rows, err := tx.Query(ctx, q, args...)
				if err != nil {
					return err
				}
				defer rows.Close()
				for rows.Next() {
					var id int64
					var path string
					if err := rows.Scan(&id, &path); err != nil {
						return err
					}
					got = append(got, path)
				}
				return rows.Err()
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, path := range got {
				if _, ok := tc.p.At(access.OrgRead, path); !ok {
					t.Errorf("query returned %q outside the scope", path)
				}
			}
			inScope := 0
			err = d.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
				rows, err := tx.Query(ctx, `SELECT path FROM org_units`)
				if err != nil {
					return err
				}
				defer rows.Close()
				for rows.Next() {
					var path string
					if err := rows.Scan(&path); err != nil {
						return err
					}
					if _, ok := tc.p.At(access.OrgRead, path); ok {
						inScope++
					}
				}
				return rows.Err()
			})
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != inScope || inScope == 0 {
				t.Errorf("query returned %d units, %d are in scope", len(got), inScope)
			}
		})
	}
}

func toString(v any) string {
	switch x := v.(type) {
	case string:
		return x
	case []byte:
		return string(x)
	}
	return ""
}
