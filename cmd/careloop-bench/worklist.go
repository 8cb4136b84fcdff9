package main

import (
	"context"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/care"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/jobs"
)

// The work-list benchmark (issue 4, point 12): "my open alerts, follow-ups
// due, plans to review" must load in under 50 ms (p95) with 1,000,000
// students and 100,000 open items. It generates that data with multi-row
// inserts, then times care.Service.WorkList (first page and the next page,
// each call a transaction with its audit entry, as in production) for
// random owners and for the busiest owner, beside a baseline measured in
// the same run: one audited write transaction that reads a student by
// primary key (the floor of any audited page).
//
//	go run ./cmd/careloop-bench --worklist [--students 1000000] [--items 100000] [--database-url URL] [--json]

type worklistReport struct {
	Engine      string      `json:"engine"`
	Students    int         `json:"students"`
	OpenItems   int         `json:"open_items"`
	Owners      int         `json:"owners"`
	BusiestLoad int         `json:"busiest_owner_items"`
	SeedSeconds float64     `json:"seed_seconds"`
	Calls       int         `json:"calls"`
	Baseline    pageLatency `json:"baseline"`
	FirstPage   pageLatency `json:"first_page"`
	NextPage    pageLatency `json:"next_page"`
	Busiest     pageLatency `json:"busiest_owner_first_page"`
	RatioP95    float64     `json:"first_page_p95_over_baseline_p95"`
	TargetMet   bool        `json:"p95_under_50ms"`
}

type pageLatency struct {
	P50 float64 `json:"p50_ms"`
	P95 float64 `json:"p95_ms"`
	P99 float64 `json:"p99_ms"`
}

func summarizeMs(ds []time.Duration) pageLatency {
	slices.Sort(ds)
	at := func(q float64) float64 {
		if len(ds) == 0 {
			return 0
		}
		return round(float64(ds[min(len(ds)-1, int(q*float64(len(ds))))].Microseconds())/1000, 2)
	}
	return pageLatency{P50: at(0.50), P95: at(0.95), P99: at(0.99)}
}

func runWorklist(ctx context.Context, o options) (*worklistReport, error) {
	tmp, err := os.MkdirTemp("", "careloop-worklist-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	engine, dbURL := "sqlite", ""
	if o.databaseURL != "" {
		var drop func()
		if dbURL, drop, err = freshDatabase(ctx, o.databaseURL); err != nil {
			return nil, err
		}
		defer drop()
		engine = "postgres"
	}
	d, err := db.Open(ctx, dbURL, filepath.Join(tmp, "data"))
	if err != nil {
		return nil, err
	}
	defer d.Close()
	if _, err := d.Migrate(ctx); err != nil {
		return nil, err
	}
	if err := jobs.Migrate(ctx, d); err != nil {
		return nil, err
	}
	log, err := audit.New("sha256", nil)
	if err != nil {
		return nil, err
	}
	r := &worklistReport{Engine: engine, Students: o.students, OpenItems: o.items, Calls: o.calls}
	began := time.Now()
	progress(o, "seeding %d students and %d open items on %s", o.students, o.items, engine)
	w, err := seedWorklist(ctx, d, o.students, o.items)
	if err != nil {
		return nil, err
	}
	r.SeedSeconds = round(time.Since(began).Seconds(), 1)
	r.Owners, r.BusiestLoad = len(w.owners), w.busiestItems
	svc := &care.Service{DB: d, Audit: log}
	rng := mrand.New(mrand.NewPCG(7, 11))

	progress(o, "measuring %d calls of each kind", o.calls)
	var base, first, next, busy []time.Duration
	for i := range o.calls {
		o := w.owners[rng.IntN(len(w.owners))]
		p := w.principal(o)
		sid := int64(1 + rng.IntN(w.students))
		t0 := time.Now()
		err := d.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
			var name string
			if err := tx.QueryRow(ctx, `SELECT name FROM students WHERE id = ?`, sid).Scan(&name); err != nil {
				return err
			}
			return log.Record(ctx, tx, audit.Entry{ActorUserID: p.UserID, ActorRole: access.SchoolCounsellor, Action: "bench.read",
				ObjectType: "student", ObjectID: strconv.FormatInt(sid, 10), Outcome: audit.Success})
		})
		if err != nil {
			return nil, fmt.Errorf("baseline: %w", err)
		}
		base = append(base, time.Since(t0))
		t0 = time.Now()
		items, cur, err := svc.WorkList(ctx, p, care.Cursor{}, 50)
		if err != nil {
			return nil, fmt.Errorf("work list: %w", err)
		}
		first = append(first, time.Since(t0))
		if len(items) == 0 {
			return nil, fmt.Errorf("owner %d has an empty work list", o.userID)
		}
		if cur != (care.Cursor{}) {
			t0 = time.Now()
			if _, _, err := svc.WorkList(ctx, p, cur, 50); err != nil {
				return nil, fmt.Errorf("work list page 2: %w", err)
			}
			next = append(next, time.Since(t0))
		}
		if i%10 == 0 {
			t0 = time.Now()
			if _, _, err := svc.WorkList(ctx, w.principal(w.busiest), care.Cursor{}, 50); err != nil {
				return nil, err
			}
			busy = append(busy, time.Since(t0))
		}
	}
	r.Baseline, r.FirstPage, r.NextPage, r.Busiest = summarizeMs(base), summarizeMs(first), summarizeMs(next), summarizeMs(busy)
	if r.Baseline.P95 > 0 {
		r.RatioP95 = round(r.FirstPage.P95/r.Baseline.P95, 2)
	}
	r.TargetMet = r.FirstPage.P95 < 50 && r.NextPage.P95 < 50 && r.Busiest.P95 < 50
	return r, nil
}

func (r *worklistReport) print(o options) {
	fmt.Printf("work list on %s: %d students, %d open items over %d owners (busiest holds %d); seeded in %.1f s\n",
		r.Engine, r.Students, r.OpenItems, r.Owners, r.BusiestLoad, r.SeedSeconds)
	row := func(name string, l pageLatency) {
		fmt.Printf("  %-34s p50 %7.2f ms  p95 %7.2f ms  p99 %7.2f ms\n", name, l.P50, l.P95, l.P99)
	}
	row("baseline (audited PK read)", r.Baseline)
	row("work list, first page of 50", r.FirstPage)
	row("work list, next page", r.NextPage)
	row("work list, busiest owner", r.Busiest)
	fmt.Printf("  first page p95 / baseline p95 = %.2f×; target p95 < 50 ms: %v\n", r.RatioP95, r.TargetMet)
}

// values builds "INSERT ... VALUES (?,?),(?,?)" for rows of cols.
func placeholders(prefix string, rows, cols int) string {
	var b strings.Builder
	b.WriteString(prefix)
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")"
	for i := range rows {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(one)
	}
	return b.String()
}
