package care

import (
	"cmp"
	"context"
	"encoding/base64"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// What a case worker reads: the work list, lists of cases, and a case.

// Kinds of work item, in the order that breaks a tie on the due date.
const (
	WorkAlert      = "alert"
	WorkFollowUp   = "follow_up"
	WorkPlanReview = "plan_review"
	WorkTask       = "task"
)

// PlanReviewWindow is how far ahead a plan's review date puts it on its
// owner's work list.
const PlanReviewWindow = 7 * 24 * time.Hour

// WorkItem is one thing on a person's work list. ID is the alert's, the
// follow-up's, the task's, or for a plan review the case's. Level is the
// alert's level, and for the other kinds the student's tier.
type WorkItem struct {
	Kind        string
	ID          int64
	StudentID   int64
	StudentName string
	Level       string
	Due         time.Time
	Overdue     bool
}

// Cursor is a position in a work list: the key of the last item seen (due
// in microseconds, kind, id). The zero Cursor is the start.
type Cursor struct {
	Due  int64
	Kind string
	ID   int64
}

func (it WorkItem) key() Cursor { return Cursor{Due: db.Micro(it.Due), Kind: it.Kind, ID: it.ID} }

func compareCursor(a, b Cursor) int {
	return cmp.Or(cmp.Compare(a.Due, b.Due), cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.ID, b.ID))
}

// workQuery is one sub-query of the work list: rows of one kind after the
// cursor, in (due, id) order, read by an index range scan.
type workQuery struct {
	kind string
	sql  string
	args []any
}

// after is the keyset condition on a sub-query of kind: its rows whose
// (due, kind, id) comes after the cursor. The bare due >= ? bound is what
// makes it a range on the index; the rest filters the rows at the bound.
func after(kind string, cur Cursor, due, id string) (string, []any) {
	switch {
	case kind > cur.Kind:
		return due + " >= ?", []any{cur.Due}
	case kind < cur.Kind:
		return due + " > ?", []any{cur.Due}
	}
	return due + " >= ? AND (" + due + " > ? OR " + id + " > ?)", []any{cur.Due, cur.Due, cur.ID}
}

// workQueries builds the sub-queries of userID's work list. Each selects
// id, student id, name, level, due, and the time after which the item is
// overdue (0: never; alerts are overdue when a deadline passes unmet,
// follow-ups also once escalated).
func workQueries(userID int64, cur Cursor, limit int, now time.Time) []workQuery {
	tier := `COALESCE((SELECT t.tier FROM student_tiers t WHERE t.student_id = st.id), '')`
	var out []workQuery
	add := func(kind, sel, from, where, due, id string, args ...any) {
		cond, cargs := after(kind, cur, due, id)
		args = append(append(args, cargs...), limit+1)
		out = append(out, workQuery{kind: kind, args: args,
			sql: `SELECT ` + sel + ` FROM ` + from + ` WHERE ` + where + ` AND ` + cond + ` ORDER BY ` + due + `, ` + id + ` LIMIT ?`})
	}
	// Alerts not yet acknowledged are due at the acknowledgement deadline,
	// the others at the first-contact deadline.
	add(WorkAlert, `a.id, a.student_id, st.name, a.level, a.ack_due_at,
		CASE WHEN a.first_contact_at = 0 AND a.contact_due_at < a.ack_due_at THEN a.contact_due_at ELSE a.ack_due_at END`,
		`alerts a JOIN students st ON st.id = a.student_id`,
		`a.owner_user_id = ? AND a.closed_at = 0 AND a.acknowledged_at = 0`, "a.ack_due_at", "a.id", userID)
	add(WorkAlert, `a.id, a.student_id, st.name, a.level, a.contact_due_at, CASE WHEN a.first_contact_at = 0 THEN a.contact_due_at ELSE 0 END`,
		`alerts a JOIN students st ON st.id = a.student_id`,
		`a.owner_user_id = ? AND a.closed_at = 0 AND a.acknowledged_at <> 0`, "a.contact_due_at", "a.id", userID)
	// Follow-ups of the caller's cases, and those last escalated to the caller.
	fu := `f.id, f.student_id, st.name, ` + tier + `, f.due_at, CASE WHEN f.step > 0 THEN 1 ELSE f.due_at END`
	add(WorkFollowUp, fu, `follow_ups f JOIN cases c ON c.id = f.case_id JOIN students st ON st.id = f.student_id`,
		`f.owner_id = ? AND f.done_at = 0 AND c.state <> 'closed'`, "f.due_at", "f.id", userID)
	add(WorkFollowUp, fu, `escalations e JOIN follow_ups f ON f.id = e.item_id AND f.seq = e.seq JOIN cases c ON c.id = f.case_id
		JOIN students st ON st.id = f.student_id`,
		`e.to_user_id = ? AND e.item_type = 'follow_up' AND f.done_at = 0 AND c.state <> 'closed'`, "f.due_at", "f.id", userID)
	// Open cases whose current plan is due for review.
	add(WorkPlanReview, `c.id, c.student_id, st.name, `+tier+`, sp.next_review_at, sp.next_review_at`,
		`cases c JOIN support_plans sp ON sp.case_id = c.id JOIN students st ON st.id = c.student_id`,
		`c.owner_user_id = ? AND c.state = 'open' AND sp.version = (SELECT MAX(v.version) FROM support_plans v WHERE v.case_id = c.id)
		AND sp.next_review_at <= ?`, "sp.next_review_at", "c.id", userID, db.Micro(now.Add(PlanReviewWindow)))
	add(WorkTask, `k.id, k.student_id, st.name, `+tier+`, k.due_at, k.due_at`,
		`tasks k JOIN students st ON st.id = k.student_id`, `k.owner_id = ? AND k.done_at = 0`, "k.due_at", "k.id", userID)
	return out
}

// WorkList returns the caller's work list: open alerts they own, their
// follow-ups (and those escalated to them), plans of their open cases due
// for review within PlanReviewWindow, and their open tasks; sorted by due
// date, then kind, then id; limit items after cur. The next cursor is the
// zero Cursor when nothing follows. It names children, so each call writes
// one audit entry.
func (s *Service) WorkList(ctx context.Context, p access.Principal, cur Cursor, limit int) ([]WorkItem, Cursor, error) {
	m, ok := p.Grant(access.CaseManage)
	if !ok {
		if m, ok = p.Grant(access.AlertHandle); !ok {
			if m, ok = p.Grant(access.ReviewManage); !ok {
				return nil, Cursor{}, apperr.Forbidden()
			}
		}
	}
	if limit <= 0 || limit > 200 {
		limit = 50
	}
	now := s.now()
	var items []WorkItem
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		for _, q := range workQueries(p.UserID, cur, limit, now) {
			rows, err := tx.Query(ctx, q.sql, q.args...)
			if err != nil {
				return err
			}
			for rows.Next() {
				it := WorkItem{Kind: q.kind}
				var due, overdueAt int64
				if err := rows.Scan(&it.ID, &it.StudentID, &it.StudentName, &it.Level, &due, &overdueAt); err != nil {
					rows.Close()
					return apperr.Internal(err)
				}
				it.Due, it.Overdue = db.FromMicro(due), overdueAt != 0 && db.Micro(now) > overdueAt
				items = append(items, it)
			}
			rows.Close()
			if err := rows.Err(); err != nil {
				return apperr.Internal(err)
			}
		}
		items = mergeWork(items)
		return s.record(ctx, tx, p, m, "worklist.read", "user", p.UserID, "count="+strconv.Itoa(min(len(items), limit)))
	})
	if err != nil {
		return nil, Cursor{}, err
	}
	if len(items) <= limit {
		return items, Cursor{}, nil
	}
	items = items[:limit]
	return items, items[limit-1].key(), nil
}

// mergeWork sorts the sub-queries' rows and drops an item read twice (a
// follow-up one both owns and was escalated).
func mergeWork(items []WorkItem) []WorkItem {
	slices.SortFunc(items, func(a, b WorkItem) int { return compareCursor(a.key(), b.key()) })
	return slices.CompactFunc(items, func(a, b WorkItem) bool { return a.Kind == b.Kind && a.ID == b.ID })
}

// CaseFilter selects cases for a list.
type CaseFilter struct {
	Mine  bool  // only the caller's own
	Open  bool  // only cases not closed
	After int64 // keyset: cases with id below this (newest first)
	Limit int
}

// FindCases lists cases the caller may see (case.manage over the student's
// current school, or their own), newest first, with keyset pagination.
// Lists show names, so the read is audited (one entry).
func (s *Service) FindCases(ctx context.Context, p access.Principal, f CaseFilter) ([]*Case, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	cond, args := caseVisible(p)
	q := `SELECT ` + caseColumns + ` WHERE ` + cond
	if f.Mine {
		q += ` AND c.owner_user_id = ?`
		args = append(args, p.UserID)
	}
	if f.Open {
		q += ` AND c.state IN ('open', 'close_requested')`
	}
	if f.After > 0 {
		q += ` AND c.id < ?`
		args = append(args, f.After)
	}
	q += ` ORDER BY c.id DESC LIMIT ?`
	args = append(args, f.Limit)
	var out []*Case
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanCase(rows)
			if err != nil {
				return apperr.Internal(err)
			}
			c.sealedNote = nil
			out = append(out, c)
		}
		if err := rows.Err(); err != nil {
			return apperr.Internal(err)
		}
		m, _ := p.Grant(access.CaseManage)
		return s.record(ctx, tx, p, m, "case.list", "case", 0, "count="+strconv.Itoa(len(out)))
	})
	return out, err
}

// FindCase returns a case the caller may see (case.manage over the
// student's current school, or its owner) with every plan version, the
// follow-ups and the history, sealed texts opened. The read is audited.
func (s *Service) FindCase(ctx context.Context, p access.Principal, id int64) (*CaseDetail, error) {
	var d CaseDetail
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		cond, args := caseVisible(p)
		c, err := scanCase(tx.QueryRow(ctx, `SELECT `+caseColumns+` WHERE c.id = ? AND `+cond, append([]any{id}, args...)...))
		if apperr.CodeOf(err) == apperr.ENotFound {
			return apperr.NotFound()
		}
		if err != nil {
			return err
		}
		if len(c.sealedNote) > 0 {
			plain, err := s.Seal.Open(c.sealedNote, closeNoteAAD(id))
			if err != nil {
				return apperr.Internal(err)
			}
			c.CloseNote = string(plain)
		}
		d.Case = *c
		if d.Plans, err = s.plansOf(ctx, tx, id); err != nil {
			return err
		}
		if d.FollowUps, err = s.followUpsFor(ctx, tx, id, p.UserID); err != nil {
			return err
		}
		if d.Events, err = s.caseEvents(ctx, tx, id); err != nil {
			return err
		}
		m, _ := c.grant(p, access.CaseManage, true)
		return s.record(ctx, tx, p, m, "case.read", "case", id, "student="+itoa(c.StudentID))
	})
	if err != nil {
		return nil, err
	}
	return &d, nil
}

func (s *Service) caseEvents(ctx context.Context, tx *db.Tx, id int64) ([]CaseEvent, error) {
	rows, err := tx.Query(ctx, `SELECT at, actor_id, kind, detail FROM case_events WHERE case_id = ? ORDER BY at, id`, id)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []CaseEvent
	for rows.Next() {
		var ev CaseEvent
		var at int64
		if err := rows.Scan(&at, &ev.ActorID, &ev.Kind, &ev.Detail); err != nil {
			return nil, apperr.Internal(err)
		}
		ev.At = db.FromMicro(at)
		if ev.Kind == "reopened" {
			if ev.Detail, ev.Note, err = s.openReason(id, ev.Detail); err != nil {
				return nil, err
			}
		}
		out = append(out, ev)
	}
	return out, apperr.Internal(rows.Err())
}

// openReason splits a reopening's detail into its codes and its opened reason.
func (s *Service) openReason(id int64, detail string) (string, string, error) {
	var codes []string
	var n int
	var sealed []byte
	for _, f := range strings.Fields(detail) {
		switch {
		case strings.HasPrefix(f, "why="):
			b, err := base64.RawURLEncoding.DecodeString(strings.TrimPrefix(f, "why="))
			if err != nil {
				return "", "", apperr.Internal(err)
			}
			sealed = b
		default:
			if v, ok := strings.CutPrefix(f, "n="); ok {
				n, _ = strconv.Atoi(v)
			}
			codes = append(codes, f)
		}
	}
	if sealed == nil {
		return detail, "", nil
	}
	plain, err := s.Seal.Open(sealed, reopenAAD(id, n))
	if err != nil {
		return "", "", apperr.Internal(err)
	}
	return strings.Join(codes, " "), string(plain), nil
}
