// Command careloop-bench measures durable end-to-end screening submissions
// (issue 3, point 14): it starts the real careloop server in this process
// on a fresh database, seeds a district with students and a PHQ-A + GAD-7
// campaign through careloop's own services, drives real HTTP submissions
// (code check, then the whole battery with an idempotency key) from many
// concurrent clients, measures two baselines in the same run (a bare
// net/http decode handler, and batched inserts with the same durability),
// and verifies in the database that nothing was lost or doubled.
//
//	go run ./cmd/careloop-bench [--submissions 20000] [--clients 64] [--database-url URL] [--json]
package main

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	mrand "math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"time"

	"github.com/careloop/careloop/internal/db"
)

type options struct {
	submissions, clients, warmup, perConn, batch int
	databaseURL, cpuProfile, blockProfile        string
	mutexProfile                                 string
	json                                         bool

	worklist               bool
	students, items, calls int

	stats bool
	reads int
}

func main() {
	var o options
	flag.IntVar(&o.submissions, "submissions", 20000, "measured submissions (one student each)")
	flag.IntVar(&o.clients, "clients", 64, "concurrent clients, each with its own http.Client and cookie jar")
	flag.IntVar(&o.warmup, "warmup", 500, "submissions before measuring, on separate students, not counted")
	flag.IntVar(&o.perConn, "per-connection", 10, "students per client connection and source address (1-10: careloop allows 10 code checks per address)")
	flag.IntVar(&o.batch, "batch", 500, "submissions per transaction in baseline (b) (at most 1000)")
	flag.StringVar(&o.databaseURL, "database-url", "", "PostgreSQL server URL: a fresh database is created on it and dropped afterwards (default: SQLite in a temporary folder)")
	flag.StringVar(&o.cpuProfile, "cpuprofile", "", "write a CPU profile of the measured careloop phase (server and load share the process)")
	flag.StringVar(&o.blockProfile, "blockprofile", "", "write a blocking profile of the measured careloop phase")
	flag.StringVar(&o.mutexProfile, "mutexprofile", "", "write a mutex contention profile of the measured careloop phase")
	flag.BoolVar(&o.json, "json", false, "print the report as JSON")
	flag.BoolVar(&o.worklist, "worklist", false, "measure the work list instead (issue 4): generated students and open items, then timed work-list pages")
	flag.IntVar(&o.students, "students", 1000000, "--worklist: students to generate")
	flag.IntVar(&o.items, "items", 100000, "--worklist: open items to generate")
	flag.IntVar(&o.calls, "calls", 1000, "--worklist: timed calls of each kind")
	flag.BoolVar(&o.stats, "stats", false, "measure the dashboards instead (issue 8): a generated city with two years of records, the rollups' refresh, then timed dashboard reads")
	flag.IntVar(&o.reads, "reads", 500, "--stats: timed reads of each dashboard view (--students defaults to 100000 on SQLite)")
	flag.Parse()
	if o.stats {
		r, err := runStats(context.Background(), o)
		emit(o, r, err, func() { r.print() })
		return
	}
	if o.worklist {
		if o.students < 1000 || o.items < 100 || o.items > o.students/2 || o.calls < 1 {
			fmt.Fprintln(os.Stderr, "careloop-bench: --students at least 1000, --items from 100 to half the students, --calls positive")
			os.Exit(2)
		}
		r, err := runWorklist(context.Background(), o)
		emit(o, r, err, func() { r.print(o) })
		return
	}
	if o.submissions < 1 || o.clients < 1 || o.warmup < 0 || o.perConn < 1 || o.perConn > 10 || o.batch < 1 || o.batch > 1000 {
		fmt.Fprintln(os.Stderr, "careloop-bench: --submissions, --clients and --batch must be positive, --per-connection 1-10, --batch 1-1000")
		os.Exit(2)
	}
	r, err := run(context.Background(), o)
	emit(o, r, err, func() { r.print(os.Stdout) })
	if r.Verify == nil || !r.Verify.OK || r.Careloop.Errors > 0 {
		os.Exit(1)
	}
}

// emit prints a report as text or JSON, or the error and exits.
func emit(o options, r any, err error, text func()) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "careloop-bench:", err)
		os.Exit(1)
	}
	if !o.json {
		text()
		return
	}
	enc := json.NewEncoder(os.Stdout)
	enc.SetIndent("", "  ")
	_ = enc.Encode(r)
}

func progress(o options, format string, args ...any) {
	if !o.json {
		fmt.Fprintf(os.Stderr, "· "+format+"\n", args...)
	}
}

func run(ctx context.Context, o options) (r *report, err error) {
	began := time.Now()
	tmp, err := os.MkdirTemp("", "careloop-bench-")
	if err != nil {
		return nil, err
	}
	defer os.RemoveAll(tmp)
	load, fsyncs := loadAverage(), fsyncProbe(tmp, time.Second)
	dataDir, engine, dbURL := filepath.Join(tmp, "data"), "sqlite", ""
	if o.databaseURL != "" {
		var drop func()
		if dbURL, drop, err = freshDatabase(ctx, o.databaseURL); err != nil {
			return nil, err
		}
		defer drop()
		engine = "postgres"
	}
	srv, err := startServer(dataDir, dbURL)
	if err != nil {
		return nil, err
	}
	defer func() { err = errors.Join(err, srv.Stop()) }()
	d, err := db.Open(ctx, dbURL, dataDir)
	if err != nil {
		return nil, err
	}
	defer d.Close()

	progress(o, "seeding %d students and a campaign on %s", o.warmup+o.submissions, engine)
	s, err := seed(ctx, d, dataDir, o.warmup+o.submissions)
	if err != nil {
		return nil, err
	}
	rng := mrand.New(mrand.NewPCG(uint64(time.Now().UnixNano()), 14))
	rng.Shuffle(len(s.Codes), func(i, j int) { s.Codes[i], s.Codes[j] = s.Codes[j], s.Codes[i] })
	jobs, err := makeJobs(s.Codes, rng)
	if err != nil {
		return nil, err
	}
	warm, measured := jobs[:o.warmup], jobs[o.warmup:]
	r = &report{Engine: engine, Cores: runtime.NumCPU(), Go: runtime.Version(), Submissions: o.submissions, Clients: o.clients,
		Warmup: o.warmup, PerConnection: o.perConn, SeedSeconds: round(s.Took.Seconds(), 1), FsyncPerS: fsyncs, LoadStart: load}

	progress(o, "careloop: warm-up (%d), then %d submissions from %d clients", len(warm), len(measured), o.clients)
	if w := drive(srv.URL, warm, o.clients, o.perConn); w.Errors > 0 {
		return nil, fmt.Errorf("careloop warm-up: %d errors, e.g. %v", w.Errors, w.Samples)
	}
	stopProfiles, err := startProfiles(o)
	if err != nil {
		return nil, err
	}
	var sampler *pgSampler
	if engine == "postgres" {
		sampler = startPGSampler(dbURL)
	}
	p := drive(srv.URL, measured, o.clients, o.perConn)
	if sampler != nil {
		r.PGWaits = sampler.stop()
	}
	r.CPUProfile, r.BlockProfile, r.MutexProfile = stopProfiles()
	r.Careloop = newPhaseReport(p)

	progress(o, "verifying the database")
	critical := 0
	for _, j := range jobs {
		if j.Critical {
			critical++
		}
	}
	if r.Verify, err = verify(ctx, d, s.CampaignID, len(jobs), critical); err != nil {
		return nil, err
	}

	progress(o, "baseline (a): bare net/http decode handler, same client code")
	bare, err := startBare()
	if err != nil {
		return nil, err
	}
	drive(bare.URL, warm, o.clients, o.perConn)
	r.BareHTTP = newPhaseReport(drive(bare.URL, measured, o.clients, o.perConn))
	if err := bare.Stop(); err != nil {
		return nil, err
	}

	progress(o, "baseline (b): batched inserts, %d submissions per transaction", o.batch)
	ins, err := insertBaseline(ctx, d, tmp, o)
	if err != nil {
		return nil, err
	}
	r.Insert = insertReport{insertResult: *ins}
	r.ElapsedSeconds, r.LoadEnd = round(time.Since(began).Seconds(), 1), loadAverage()
	r.finish()
	return r, nil
}

// insertBaseline runs baseline (b) on the same engine: on SQLite in a
// separate file opened exactly like careloop's (WAL, synchronous=FULL,
// single writer), on PostgreSQL in the bench database (dropped afterwards).
func insertBaseline(ctx context.Context, d *db.DB, tmp string, o options) (*insertResult, error) {
	if d.Dialect == db.SQLite {
		bd, err := db.OpenSQLite(filepath.Join(tmp, "baseline", "baseline.db"))
		if err != nil {
			return nil, err
		}
		defer bd.Close()
		d = bd
	}
	return batchInsert(ctx, d, o.submissions, o.batch)
}

// startProfiles starts the profiles asked for and returns a function that
// writes them and returns their paths.
func startProfiles(o options) (func() (string, string, string), error) {
	var cpu *os.File
	if o.cpuProfile != "" {
		f, err := os.Create(o.cpuProfile)
		if err != nil {
			return nil, err
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return nil, err
		}
		cpu = f
	}
	if o.blockProfile != "" {
		runtime.SetBlockProfileRate(int(100 * time.Microsecond))
	}
	if o.mutexProfile != "" {
		runtime.SetMutexProfileFraction(5)
	}
	write := func(name, path string) string {
		if path == "" {
			return ""
		}
		f, err := os.Create(path)
		if err == nil {
			err = pprof.Lookup(name).WriteTo(f, 0)
			f.Close()
		}
		if err != nil {
			fmt.Fprintln(os.Stderr, "careloop-bench: profile:", err)
			return ""
		}
		return path
	}
	return func() (string, string, string) {
		if cpu != nil {
			pprof.StopCPUProfile()
			cpu.Close()
		}
		b, m := write("block", o.blockProfile), write("mutex", o.mutexProfile)
		runtime.SetBlockProfileRate(0)
		runtime.SetMutexProfileFraction(0)
		return o.cpuProfile, b, m
	}, nil
}
