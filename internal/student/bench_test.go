package student_test

import (
	"bytes"
	"context"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/student"
	"github.com/careloop/careloop/internal/student/roster"
)

// BenchmarkImport100k measures the roster pipeline a city runs in a
// screening week: a 100,000-row XLSX roster (100 schools) is parsed with
// roster.Parse and imported with Service.Import by a city coordinator, into
// a fresh database (SQLite, or PostgreSQL when CARELOOP_TEST_DATABASE_URL is
// set). In the same run it measures the baseline: the same students and
// guardians inserted with plain batched INSERTs in one transaction. The
// issue asks for an import "well under a minute".
//
//	go test -run '^$' -bench Import100k -benchtime 1x ./internal/student/
//
// CARELOOP_BENCH_ROWS changes the number of rows (for profiling).
func BenchmarkImport100k(b *testing.B) {
	n := 100000
	if v, err := strconv.Atoi(os.Getenv("CARELOOP_BENCH_ROWS")); err == nil && v > 0 {
		n = v
	}
	start := time.Now()
	file := benchRoster(b, n)
	b.Logf("generated %d rows as XLSX (%.1f MB) in %.1fs", n, float64(len(file))/1e6, time.Since(start).Seconds())
	for range b.N {
		b.StopTimer()
		e := newEnv(b)
		e.createBenchSchools()
		base := newEnv(b)
		base.createBenchSchools()
		b.StartTimer()

		var rows []student.RosterRow
		parse := measure(func() {
			var err error
			if rows, err = roster.Parse(bytes.NewReader(file), "花名册.xlsx"); err != nil || len(rows) != n {
				b.Fatalf("Parse: %d rows, %v", len(rows), err)
			}
		})
		dry := measure(func() {
			if rep := e.importRows(e.cityCoord, rows, true); !rep.OK() || rep.Created != n {
				b.Fatalf("dry run: %d created, problems %v", rep.Created, rep.Problems[:min(5, len(rep.Problems))])
			}
		})
		imp := measure(func() {
			last := 0
			rep, err := e.s.Import(e.ctx, e.cityCoord, rows, false, func(done, total int) { last = done })
			if err != nil || !rep.OK() || rep.Created != n || last != n {
				b.Fatalf("import: %+v, %v (progress reached %d)", rep, err, last)
			}
		})
		again := measure(func() {
			if rep := e.importRows(e.cityCoord, rows, false); rep.Unchanged != n {
				b.Fatalf("re-import: %+v", rep)
			}
		})
		b.StopTimer()
		students, guardians := e.dump()
		b.StartTimer()
		raw := measure(func() { base.insertRaw(students, guardians) })
		b.StopTimer()
		if got := base.count(`SELECT COUNT(*) FROM guardians`); got != len(guardians) || len(students) != n {
			b.Fatalf("baseline wrote %d guardians of %d, %d students", got, len(guardians), len(students))
		}

		rate, baseRate := float64(n)/imp.wall.Seconds(), float64(n)/raw.wall.Seconds()
		b.ReportMetric(parse.wall.Seconds(), "parse-s")
		b.ReportMetric(imp.wall.Seconds(), "import-s")
		b.ReportMetric(rate, "rows/s")
		b.ReportMetric(baseRate, "baseline-rows/s")
		b.ReportMetric(rate/baseRate, "ratio")
		b.Logf("engine %s, %d students, %d guardians; wall time (CPU time of this process)", e.d.Dialect, n, len(guardians))
		for _, p := range []struct {
			name string
			t    phase
		}{{"parse XLSX", parse}, {"dry run", dry}, {"import", imp}, {"re-import (same)", again}, {"baseline INSERTs", raw}} {
			b.Logf("%-17s %6.2fs (%6.2fs CPU) %8.0f rows/s", p.name, p.t.wall.Seconds(), p.t.cpu.Seconds(), float64(n)/p.t.wall.Seconds())
		}
		b.Logf("import / baseline = %.3f; parse + import = %.1fs (target: well under 60s)", rate/baseRate, (parse.wall + imp.wall).Seconds())
		b.StartTimer()
	}
}

// phase is the wall and CPU time of one step.
type phase struct{ wall, cpu time.Duration }

func measure(fn func()) phase {
	w, c := time.Now(), cpuTime()
	fn()
	return phase{time.Since(w), cpuTime() - c}
}

// rawStudent is a students row with its guardians, as the import wrote it.
type rawStudent struct {
	no, name, initials, gender, birth, class, school string
	grade                                            int
}

type rawGuardian struct {
	no, name, relation, phone string
	position                  int
}

// dump reads back what the import wrote, with schools by name.
func (e *env) dump() ([]rawStudent, []rawGuardian) {
	var ss []rawStudent
	var gs []rawGuardian
	err := e.d.Read(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		rs, err := tx.Query(ctx, `SELECT s.student_no, s.name, s.name_initials, s.gender, s.birth_date, s.class_name, o.name, s.grade
			FROM students s JOIN org_units o ON o.id = s.school_id ORDER BY s.id`)
		if err != nil {
			return err
		}
		for rs.Next() {
			var s rawStudent
			if err := rs.Scan(&s.no, &s.name, &s.initials, &s.gender, &s.birth, &s.class, &s.school, &s.grade); err != nil {
				return err
			}
			ss = append(ss, s)
		}
		rs.Close()
		rs, err = tx.Query(ctx, `SELECT s.student_no, g.name, g.relation, g.phone, g.position FROM guardians g
			JOIN students s ON s.id = g.student_id ORDER BY g.id`)
		if err != nil {
			return err
		}
		defer rs.Close()
		for rs.Next() {
			var g rawGuardian
			if err := rs.Scan(&g.no, &g.name, &g.relation, &g.phone, &g.position); err != nil {
				return err
			}
			gs = append(gs, g)
		}
		return rs.Err()
	})
	if err != nil {
		e.t.Fatal(err)
	}
	return ss, gs
}

const batch = 500

// insertRaw is the baseline: the same rows with multi-row INSERTs in one
// transaction, no validation, no timeline, no audit.
func (e *env) insertRaw(ss []rawStudent, gs []rawGuardian) {
	schools := map[string]int64{}
	now := db.Micro(today)
	err := e.d.Tx(e.ctx, func(ctx context.Context, tx *db.Tx) error {
		rs, err := tx.Query(ctx, `SELECT id, name FROM org_units WHERE kind = 'school'`)
		if err != nil {
			return err
		}
		for rs.Next() {
			var id int64
			var name string
			if err := rs.Scan(&id, &name); err != nil {
				return err
			}
			schools[name] = id
		}
		rs.Close()
		ids := make(map[string]int64, len(ss))
		for start := 0; start < len(ss); start += batch {
			part := ss[start:min(start+batch, len(ss))]
			args := make([]any, 0, 11*len(part))
			for _, s := range part {
				args = append(args, s.no, s.name, s.initials, s.gender, s.birth, schools[s.school], s.grade, s.class, "active", now, now)
			}
			rs, err := tx.Query(ctx, `INSERT INTO students (student_no, name, name_initials, gender, birth_date, school_id, grade,
				class_name, status, created_at, updated_at) VALUES `+values(len(part), 11)+` RETURNING id, student_no`, args...)
			if err != nil {
				return err
			}
			for rs.Next() {
				var id int64
				var no string
				if err := rs.Scan(&id, &no); err != nil {
					return err
				}
				ids[no] = id
			}
			if err := rs.Close(); err != nil {
				return err
			}
		}
		for start := 0; start < len(gs); start += batch {
			part := gs[start:min(start+batch, len(gs))]
			args := make([]any, 0, 5*len(part))
			for _, g := range part {
				args = append(args, ids[g.no], g.position, g.name, g.relation, g.phone)
			}
			if _, err := tx.Exec(ctx, `INSERT INTO guardians (student_id, position, name, relation, phone) VALUES `+
				values(len(part), 5), args...); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		e.t.Fatalf("baseline insert: %v", err)
	}
}

// values returns "(?,?),(?,?)" for rows rows of cols columns.
func values(rows, cols int) string {
	one := "(" + strings.TrimSuffix(strings.Repeat("?,", cols), ",") + ")"
	return strings.TrimSuffix(strings.Repeat(one+",", rows), ",")
}
