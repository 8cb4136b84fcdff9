package db

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"hash/fnv"
	"strconv"
	"strings"
	"sync"

	"github.com/careloop/careloop/internal/apperr"
)

// Tx is a transaction with placeholder rebinding and error mapping. Every
// service method that touches the database receives one, so that a write and
// its audit record always commit together.
type Tx struct {
	tx      *sql.Tx
	db      *DB
	dialect Dialect
	// unit and group collect work deferred to the end of a group commit
	// (see Defer); both are nil outside TxGrouped.
	unit, group *deferred
	// memo holds values read once per group commit (see Memo).
	memo map[string]any
}

// Memo returns the value of key computed by fn, once per group commit: the
// units of a group share what fn read (the rules that apply to every
// submission). Outside a group commit it calls fn every time. fn must read
// only what no unit of a group changes; a unit that is undone clears the
// memo, and Forget drops a key after a write that changes its value.
func (t *Tx) Memo(key string, fn func() (any, error)) (any, error) {
	if t.group == nil {
		return fn()
	}
	if v, ok := t.memo[key]; ok {
		return v, nil
	}
	v, err := fn()
	if err != nil {
		return nil, err
	}
	if t.memo == nil {
		t.memo = map[string]any{}
	}
	t.memo[key] = v
	return v, nil
}

// Forget drops a memoized value (see Memo).
func (t *Tx) Forget(key string) { delete(t.memo, key) }

// deferred is work put off until just before a group commits, by kind.
type deferred struct {
	order []string
	kinds map[string]*deferredKind
}

type deferredKind struct {
	flush func(ctx context.Context, tx *Tx, items []any) error
	items []any
}

func (d *deferred) add(kind string, item any, flush func(context.Context, *Tx, []any) error) {
	if d.kinds == nil {
		d.kinds = map[string]*deferredKind{}
	}
	k, ok := d.kinds[kind]
	if !ok {
		k = &deferredKind{flush: flush}
		d.kinds[kind] = k
		d.order = append(d.order, kind)
	}
	k.items = append(k.items, item)
}

// Defer asks to write item later in this transaction, together with the
// items of the same kind from the other units of a group commit, with one
// call of flush just before the commit (the audit chain writes its entries
// of a group in one statement). A write transaction on PostgreSQL defers
// likewise, to just before its commit. Elsewhere (a plain transaction on
// SQLite) it reports false and the caller writes item now. A unit that
// fails takes its items with it.
func (t *Tx) Defer(kind string, item any, flush func(ctx context.Context, tx *Tx, items []any) error) bool {
	if t.unit == nil {
		return false
	}
	t.unit.add(kind, item, flush)
	return true
}

// Dialect reports the engine, for the rare statements that differ.
func (t *Tx) Dialect() Dialect { return t.dialect }

type txKey struct{}

// Tx runs fn in a write transaction, committing if fn returns nil. If ctx
// already carries a transaction of this DB (see InTx), fn joins it instead.
func (d *DB) Tx(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	return d.run(ctx, d.write, false, fn)
}

// Read runs fn in a read-only transaction on the reader pool. Reads of a
// child's identified data are audited and so use Tx, not Read.
func (d *DB) Read(ctx context.Context, fn func(ctx context.Context, tx *Tx) error) error {
	return d.run(ctx, d.read, true, fn)
}

func (d *DB) run(ctx context.Context, pool *sql.DB, readOnly bool, fn func(context.Context, *Tx) error) error {
	if outer, ok := ctx.Value(txKey{}).(*Tx); ok && outer.db == d {
		return fn(ctx, outer)
	}
	opts := &sql.TxOptions{ReadOnly: readOnly && d.Dialect == Postgres}
	stx, err := pool.BeginTx(ctx, opts)
	if err != nil {
		return apperr.Internal(fmt.Errorf("begin: %w", err))
	}
	t := &Tx{tx: stx, db: d, dialect: d.Dialect}
	if !readOnly && d.Dialect == Postgres {
		// Deferred writes go last, just before the commit: the audit chain's
		// head row is then locked only from there to the commit, not while
		// the rest of the transaction runs (77% of PostgreSQL's backend time
		// waited for it under concurrent submissions, measured).
		t.unit = &deferred{}
	}
	ctx = context.WithValue(ctx, txKey{}, t)
	if err := fn(ctx, t); err != nil {
		_ = stx.Rollback()
		return err
	}
	if t.unit != nil {
		for _, kind := range t.unit.order {
			k := t.unit.kinds[kind]
			if err := k.flush(ctx, t, k.items); err != nil {
				_ = stx.Rollback()
				return apperr.Internal(fmt.Errorf("deferred %s: %w", kind, err))
			}
		}
	}
	if err := stx.Commit(); err != nil {
		return apperr.Internal(fmt.Errorf("commit: %w", err))
	}
	return nil
}

// Exec runs a statement.
func (t *Tx) Exec(ctx context.Context, q string, args ...any) (sql.Result, error) {
	q = t.db.rebind(q)
	res, err := t.tx.ExecContext(ctx, q, args...)
	return res, mapErr(err)
}

// Query runs a query returning rows.
func (t *Tx) Query(ctx context.Context, q string, args ...any) (*sql.Rows, error) {
	q = t.db.rebind(q)
	rows, err := t.tx.QueryContext(ctx, q, args...)
	return rows, mapErr(err)
}

// QueryRow runs a query returning one row; scan errors are mapped by Scan.
func (t *Tx) QueryRow(ctx context.Context, q string, args ...any) *Row {
	q = t.db.rebind(q)
	return &Row{row: t.tx.QueryRowContext(ctx, q, args...)}
}

// InsertID runs an INSERT ... RETURNING id and returns the new id.
func (t *Tx) InsertID(ctx context.Context, q string, args ...any) (int64, error) {
	var id int64
	err := t.QueryRow(ctx, q+" RETURNING id", args...).Scan(&id)
	return id, err
}

// Row wraps sql.Row so that "no rows" becomes apperr ENotFound.
type Row struct{ row *sql.Row }

// Scan copies the row into dest; a missing row is apperr.NotFound.
func (r *Row) Scan(dest ...any) error {
	err := r.row.Scan(dest...)
	if errors.Is(err, sql.ErrNoRows) {
		return apperr.NotFound()
	}
	return mapErr(err)
}

var rebound sync.Map // query text -> rebound text for PostgreSQL

// rebind turns ? placeholders into $1, $2, ... on PostgreSQL. Question marks
// inside quoted literals are left alone.
func (d *DB) rebind(q string) string {
	if d.Dialect != Postgres || !strings.Contains(q, "?") {
		return q
	}
	if v, ok := rebound.Load(q); ok {
		return v.(string)
	}
	var b strings.Builder
	n, inQuote := 0, false
	for _, r := range q {
		switch {
		case r == '\'':
			inQuote = !inQuote
			b.WriteRune(r)
		case r == '?' && !inQuote:
			n++
			b.WriteByte('$')
			b.WriteString(strconv.Itoa(n))
		default:
			b.WriteRune(r)
		}
	}
	out := b.String()
	rebound.Store(q, out)
	return out
}

// Serialize makes transactions that name the same resource run one after
// another: an advisory transaction lock on PostgreSQL; on SQLite every write
// transaction is already exclusive (BEGIN IMMEDIATE on a single writer).
// Use it where a write reads rows that a concurrent write could change, such
// as the paths of the org tree during a move.
func (t *Tx) Serialize(ctx context.Context, resource string) error {
	if t.dialect != Postgres {
		return nil
	}
	h := fnv.New64a()
	h.Write([]byte(resource))
	_, err := t.Exec(ctx, `SELECT pg_advisory_xact_lock(?)`, int64(h.Sum64()))
	return err
}

// Prefix returns a LIKE pattern matching values that start with s; use it
// with `LIKE ? ESCAPE '\'`.
func Prefix(s string) string {
	return likeEscaper.Replace(s) + "%"
}

var likeEscaper = strings.NewReplacer(`\`, `\\`, `%`, `\%`, `_`, `\_`)

// Contains returns a LIKE pattern matching s anywhere, with LIKE's own
// wildcards in s escaped; use it with `LIKE ? ESCAPE '\'`.
func Contains(s string) string {
	return "%" + likeEscaper.Replace(s) + "%"
}

// SQL returns the underlying transaction, for a library that must write in
// it (the job queue schedules timers in the caller's transaction).
func (t *Tx) SQL() *sql.Tx { return t.tx }
