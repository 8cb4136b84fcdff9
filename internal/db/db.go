// Package db opens careloop's database on SQLite (the embedded default) or
// PostgreSQL, hides the few differences between them, and runs every
// statement inside a transaction helper. Services write SQL with ? placeholders;
// Tx rebinds them for PostgreSQL.
package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// Dialect names the engine behind a DB.
type Dialect string

// The supported engines.
const (
	SQLite   Dialect = "sqlite"
	Postgres Dialect = "postgres"
)

// DB is the database: a writer pool and a reader pool. On SQLite the writer
// is a single connection (one writer, no lock fights) and readers are many;
// on PostgreSQL both are the same pool.
type DB struct {
	Dialect Dialect
	write   *sql.DB
	read    *sql.DB
	// Path is the SQLite file, empty on PostgreSQL.
	Path string
	// group commits small writes together (see TxGrouped).
	group grouper
	// cp checkpoints the WAL in the background (SQLite), until cpStop.
	cp             *sql.DB
	cpStop, cpDone chan struct{}
}

// OpenSQLite opens (creating if needed) the SQLite database file at path, in
// WAL mode with synchronous=FULL and foreign keys on.
func OpenSQLite(path string) (*DB, error) {
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("create data folder: %w", err)
	}
	base := "file:" + path + "?_pragma=journal_mode(WAL)&_pragma=busy_timeout(10000)" +
		"&_pragma=foreign_keys(1)&_pragma=synchronous(FULL)"
	// The writer does not checkpoint the WAL when it commits (it did every
	// 1,000 pages, on the commit path): a connection of its own does, see
	// checkpoints. The high bound only guards against a stuck checkpointer.
	//
	// temp_store(MEMORY) keeps the writer's sub-journal in memory: every unit
	// of a group commit runs in a savepoint, which saves the original of each
	// page the unit changes; past 64 KiB SQLite spilled it to a temporary
	// file, two pwrite calls per page (8% of all CPU under the submission
	// bench, inside the single writer). It is not needed after a crash (the
	// WAL is), and is emptied at each savepoint's release.
	w, err := sql.Open(sqliteDriver, base+"&_txlock=immediate&_pragma=wal_autocheckpoint(20000)&_pragma=cache_size(-32768)"+
		"&_pragma=temp_store(MEMORY)")
	if err != nil {
		return nil, err
	}
	w.SetMaxOpenConns(1)
	w.SetConnMaxIdleTime(0)
	r, err := sql.Open(sqliteDriver, base+"&_pragma=query_only(1)&_pragma=cache_size(-8192)")
	if err != nil {
		w.Close()
		return nil, err
	}
	r.SetMaxOpenConns(8)
	r.SetMaxIdleConns(8) // reopening a reader re-runs its pragmas (12.8% of CPU under load, measured)
	cp, err := sql.Open(sqliteDriver, base)
	if err != nil {
		w.Close()
		r.Close()
		return nil, err
	}
	cp.SetMaxOpenConns(1)
	d := &DB{Dialect: SQLite, write: w, read: r, Path: path, cp: cp, cpStop: make(chan struct{}), cpDone: make(chan struct{})}
	if err := w.Ping(); err != nil {
		close(d.cpDone)
		d.Close()
		return nil, fmt.Errorf("open sqlite: %w", err)
	}
	go d.checkpoints()
	return d, nil
}

// checkpointEvery is how often the checkpointer copies the WAL back into
// the database file.
const checkpointEvery = 250 * time.Millisecond

// checkpoints runs PASSIVE checkpoints on a connection of its own until
// the DB is closed: they copy committed pages to the database file without
// waiting for (or blocking) the writer and readers, off the commit path.
// The WAL starts over from its beginning at the writer's next commit once
// a checkpoint has copied all of it. Durability does not depend on it: a
// commit is durable once its WAL frames are synced (synchronous=FULL).
func (d *DB) checkpoints() {
	defer close(d.cpDone)
	t := time.NewTicker(checkpointEvery)
	defer t.Stop()
	for {
		select {
		case <-d.cpStop:
			return
		case <-t.C:
		}
		var busy, frames, done int
		_ = d.cp.QueryRow(`PRAGMA wal_checkpoint(PASSIVE)`).Scan(&busy, &frames, &done)
	}
}

// OpenPostgres connects to PostgreSQL with pgx, with synchronous commit on.
func OpenPostgres(ctx context.Context, dsn string) (*DB, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("parse database url: %w", redact(err))
	}
	cfg.RuntimeParams["synchronous_commit"] = "on"
	cfg.RuntimeParams["timezone"] = "UTC"
	// careloop's queries are short; JIT compilation cost more than it saved
	// (13 ms of JIT on a 1 ms subtree query, measured).
	cfg.RuntimeParams["jit"] = "off"
	p := stdlib.OpenDB(*cfg)
	p.SetMaxOpenConns(20)
	p.SetConnMaxIdleTime(5 * time.Minute)
	pctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	if err := p.PingContext(pctx); err != nil {
		p.Close()
		return nil, fmt.Errorf("connect to postgres: %w", redact(err))
	}
	return &DB{Dialect: Postgres, write: p, read: p}, nil
}

// redact drops a connection string's password from an error text.
func redact(err error) error {
	var ue *url.Error
	if errors.As(err, &ue) {
		return errors.New("invalid connection URL")
	}
	return err
}

// Close stops the group committer and closes both pools. Callers stop
// writing first (the server drains its requests before closing).
func (d *DB) Close() error {
	d.group.once.Do(func() {}) // no committer may start after this
	if d.group.jobs != nil {
		close(d.group.jobs)
	}
	if d.cp != nil {
		select {
		case <-d.cpStop:
		default:
			close(d.cpStop)
		}
		<-d.cpDone
		d.cp.Close()
	}
	err := d.write.Close()
	if d.read != d.write {
		if e := d.read.Close(); err == nil {
			err = e
		}
	}
	return err
}

// Ping checks that the writer is reachable (used by /readyz).
func (d *DB) Ping(ctx context.Context) error { return d.write.PingContext(ctx) }

// SQL exposes the writer pool for tools that need a *sql.DB, such as the job
// queue's driver. Services use Tx and Read instead.
func (d *DB) SQL() *sql.DB { return d.write }

// Exec runs one statement outside the services' transactions; only for
// maintenance commands (backup) and tests.
func (d *DB) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	return d.write.ExecContext(ctx, d.rebind(q), args...)
}

// Open opens PostgreSQL when databaseURL is set, else SQLite at
// dataDir/careloop.db.
func Open(ctx context.Context, databaseURL, dataDir string) (*DB, error) {
	if databaseURL != "" {
		return OpenPostgres(ctx, databaseURL)
	}
	return OpenSQLite(filepath.Join(dataDir, "careloop.db"))
}
