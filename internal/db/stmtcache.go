package db

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"errors"
	"reflect"
	"strings"

	"modernc.org/sqlite"
)

// sqliteDriver is the name careloop opens SQLite with: modernc's driver
// with a cache of prepared statements on each connection.
const sqliteDriver = "careloop-sqlite"

func init() { sql.Register(sqliteDriver, cachingDriver{inner: &sqlite.Driver{}}) }

// maxCached bounds the statements one connection keeps prepared: queries
// built with a varying number of placeholders (multi-row inserts) would
// otherwise grow it without end. When it is full the cache starts over
// (statements in use stay), so that the statements hot now get in again.
const maxCached = 512

// cachingDriver keeps every single statement a connection runs prepared
// for the life of the connection, so that a statement is parsed and planned
// once per connection instead of once per call. Parsing was 16% of the CPU
// of the submission benchmark (database/sql prepares nothing by itself,
// and a statement prepared in a transaction is finalized at its end).
// River's statements, run through the same pools, benefit too.
type cachingDriver struct{ inner driver.Driver }

func (d cachingDriver) Open(name string) (driver.Conn, error) {
	c, err := d.inner.Open(name)
	if err != nil {
		return nil, err
	}
	return &cachingConn{inner: c, stmts: map[string]*cachedStmt{}}, nil
}

// cachedStmt is a statement of the cache; busy while its rows are open (a
// query may run again, nested, before its rows are closed: that run gets a
// statement of its own).
type cachedStmt struct {
	st   driver.Stmt
	busy bool
}

// cachingConn wraps one modernc connection. database/sql uses a connection
// from one goroutine at a time, so the cache needs no lock.
type cachingConn struct {
	inner driver.Conn
	stmts map[string]*cachedStmt
}

// cacheable reports whether q is one statement worth keeping: a script of
// several statements (migrations) runs as before.
func cacheable(q string) bool {
	return !strings.Contains(strings.TrimRight(q, " \t\r\n;"), ";")
}

// stmt returns q's cached statement (preparing it if needed), or nil when q
// is not to be cached or its statement is in use.
func (c *cachingConn) stmt(ctx context.Context, q string) (*cachedStmt, error) {
	if s, ok := c.stmts[q]; ok {
		if s.busy {
			return nil, nil
		}
		return s, nil
	}
	if !cacheable(q) {
		return nil, nil
	}
	if len(c.stmts) >= maxCached {
		for k, s := range c.stmts {
			if !s.busy {
				_ = s.st.Close()
				delete(c.stmts, k)
			}
		}
	}
	st, err := c.inner.(driver.ConnPrepareContext).PrepareContext(ctx, q)
	if err != nil {
		return nil, err
	}
	s := &cachedStmt{st: st}
	c.stmts[q] = s
	return s, nil
}

func (c *cachingConn) ExecContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Result, error) {
	s, err := c.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.inner.(driver.ExecerContext).ExecContext(ctx, q, args)
	}
	return s.st.(driver.StmtExecContext).ExecContext(ctx, args)
}

func (c *cachingConn) QueryContext(ctx context.Context, q string, args []driver.NamedValue) (driver.Rows, error) {
	s, err := c.stmt(ctx, q)
	if err != nil {
		return nil, err
	}
	if s == nil {
		return c.inner.(driver.QueryerContext).QueryContext(ctx, q, args)
	}
	r, err := s.st.(driver.StmtQueryContext).QueryContext(ctx, args)
	if err != nil {
		return nil, err
	}
	s.busy = true
	return &cachedRows{Rows: r, s: s}, nil
}

// Close finalizes the cached statements, then closes the connection.
func (c *cachingConn) Close() error {
	var errs []error
	for q, s := range c.stmts {
		errs = append(errs, s.st.Close())
		delete(c.stmts, q)
	}
	errs = append(errs, c.inner.Close())
	return errors.Join(errs...)
}

func (c *cachingConn) Prepare(q string) (driver.Stmt, error) { return c.inner.Prepare(q) }
func (c *cachingConn) PrepareContext(ctx context.Context, q string) (driver.Stmt, error) {
	return c.inner.(driver.ConnPrepareContext).PrepareContext(ctx, q)
}

//lint:ignore SA1019 part of driver.Conn
func (c *cachingConn) Begin() (driver.Tx, error) { return c.inner.Begin() } //nolint:staticcheck
func (c *cachingConn) BeginTx(ctx context.Context, opts driver.TxOptions) (driver.Tx, error) {
	return c.inner.(driver.ConnBeginTx).BeginTx(ctx, opts)
}
func (c *cachingConn) Ping(ctx context.Context) error { return c.inner.(driver.Pinger).Ping(ctx) }
func (c *cachingConn) ResetSession(ctx context.Context) error {
	return c.inner.(driver.SessionResetter).ResetSession(ctx)
}
func (c *cachingConn) IsValid() bool { return c.inner.(driver.Validator).IsValid() }

// Unwrap returns modernc's connection, for (*sql.Conn).Raw users that need
// its own methods (backups, file controls).
func (c *cachingConn) Unwrap() driver.Conn { return c.inner }

// cachedRows frees its statement for the next run when closed.
type cachedRows struct {
	driver.Rows
	s *cachedStmt
}

func (r *cachedRows) Close() error {
	err := r.Rows.Close()
	r.s.busy = false
	return err
}

func (r *cachedRows) ColumnTypeDatabaseTypeName(i int) string {
	if t, ok := r.Rows.(driver.RowsColumnTypeDatabaseTypeName); ok {
		return t.ColumnTypeDatabaseTypeName(i)
	}
	return ""
}

func (r *cachedRows) ColumnTypeScanType(i int) reflect.Type {
	if t, ok := r.Rows.(driver.RowsColumnTypeScanType); ok {
		return t.ColumnTypeScanType(i)
	}
	return reflect.TypeFor[any]()
}

func (r *cachedRows) ColumnTypeNullable(i int) (nullable, ok bool) {
	if t, ok := r.Rows.(driver.RowsColumnTypeNullable); ok {
		return t.ColumnTypeNullable(i)
	}
	return false, false
}
