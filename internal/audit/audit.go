// Package audit keeps careloop's audit trail: one row for every sign-in,
// every read of a child's identified data, every write and every export,
// written in the same transaction as the action it records. Rows are chained
// by hash (SHA-256 by default, SM3 selectable), so Verify names the first
// entry that was altered, removed or moved. Nothing in careloop updates or
// deletes audit rows, and the database refuses it with triggers.
package audit

import (
	"context"
	"encoding/hex"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/db"
)

// Outcomes of an audited action.
const (
	Success = "success"
	Denied  = "denied"
	Failure = "failure"
)

// Entry is one audited action. Detail holds codes and ids only, never
// personal data: the trail itself is read by auditors, not by case workers.
type Entry struct {
	Seq         int64
	At          time.Time
	ActorUserID int64
	ActorRole   string
	ActorOrgID  int64
	Action      string // e.g. "org.rename", "user.signin", "student.read"
	ObjectType  string // e.g. "org_unit", "user", "student"
	ObjectID    string
	Outcome     string
	Detail      string
	Algo        string
	PrevHash    string
	Hash        string
}

// Log appends entries to the trail with the configured hash algorithm.
type Log struct {
	algo string
	now  func() time.Time
}

// New returns a Log hashing with algo ("sha256" or "sm3"); now may be nil.
func New(algo string, now func() time.Time) (*Log, error) {
	if _, err := newHash(algo); err != nil {
		return nil, err
	}
	if now == nil {
		now = time.Now
	}
	return &Log{algo: algo, now: now}, nil
}

// Record appends e to the trail inside tx. The head row is locked first so
// that concurrent writers on PostgreSQL chain one after another; on SQLite
// the single writer already serialises them.
func (l *Log) Record(ctx context.Context, tx *db.Tx, e Entry) error {
	if e.Action == "" || e.Outcome == "" {
		return fmt.Errorf("audit: entry needs an action and an outcome")
	}
	if tx.Defer("audit", e, l.flush) {
		return nil // chained with the group's other entries just before it commits
	}
	lock := ""
	if tx.Dialect() == db.Postgres {
		lock = " FOR UPDATE"
	}
	var seq int64
	var prev string
	if err := tx.QueryRow(ctx, `SELECT seq, hash FROM audit_head WHERE id = 1`+lock).Scan(&seq, &prev); err != nil {
		return fmt.Errorf("audit head: %w", err)
	}
	e.Seq, e.PrevHash, e.Algo = seq+1, prev, l.algo
	e.At = l.now().UTC().Truncate(time.Microsecond)
	h, err := e.computeHash()
	if err != nil {
		return err
	}
	e.Hash = h
	if _, err := tx.Exec(ctx, `INSERT INTO audit_log (seq, at, actor_user_id, actor_role, actor_org_id, action,
		object_type, object_id, outcome, detail, algo, prev_hash, hash) VALUES (?,?,?,?,?,?,?,?,?,?,?,?,?)`,
		e.Seq, db.Micro(e.At), e.ActorUserID, e.ActorRole, e.ActorOrgID, e.Action,
		e.ObjectType, e.ObjectID, e.Outcome, e.Detail, e.Algo, e.PrevHash, e.Hash); err != nil {
		return fmt.Errorf("audit insert: %w", err)
	}
	if _, err := tx.Exec(ctx, `UPDATE audit_head SET seq = ?, hash = ? WHERE id = 1`, e.Seq, e.Hash); err != nil {
		return fmt.Errorf("audit head update: %w", err)
	}
	return nil
}

// canonical is the byte string that is hashed: every field, in a fixed
// order, length-prefixed so that no two entries share an encoding.
func (e Entry) canonical() []byte {
	fields := []string{
		strconv.FormatInt(e.Seq, 10), strconv.FormatInt(db.Micro(e.At), 10),
		strconv.FormatInt(e.ActorUserID, 10), e.ActorRole, strconv.FormatInt(e.ActorOrgID, 10),
		e.Action, e.ObjectType, e.ObjectID, e.Outcome, e.Detail, e.Algo, e.PrevHash,
	}
	var b strings.Builder
	for _, f := range fields {
		b.WriteString(strconv.Itoa(len(f)))
		b.WriteByte(':')
		b.WriteString(f)
		b.WriteByte(';')
	}
	return []byte(b.String())
}

func (e Entry) computeHash() (string, error) {
	h, err := newHash(e.Algo)
	if err != nil {
		return "", err
	}
	h.Write(e.canonical())
	return hex.EncodeToString(h.Sum(nil)), nil
}

// flush writes the entries deferred by a group commit as one chain segment.
func (l *Log) flush(ctx context.Context, tx *db.Tx, items []any) error {
	entries := make([]Entry, len(items))
	for i, it := range items {
		entries[i] = it.(Entry)
	}
	return l.RecordBatch(ctx, tx, entries)
}
