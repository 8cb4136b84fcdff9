package care

import (
	"context"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/notify"
	"github.com/careloop/careloop/internal/warning"
)

// Follow-up codes (跟踪辅导): whom a follow-up contacts, and the tiers a
// contact may move the student to.
var (
	FollowUpKinds = []string{"student", "family", "teacher"}
	FollowUpTiers = []string{"green", "yellow", "orange", "red"}
)

// FollowUpGrace is how long whoever a missed follow-up escalates to has
// before it escalates again.
const FollowUpGrace = 24 * time.Hour

// FollowUp is a planned contact of a case. The owner is the case's owner,
// also after an escalation; Step and Seq count the escalations.
type FollowUp struct {
	ID         int64
	CaseID     int64
	StudentID  int64
	OwnerID    int64
	Kind       string
	Due        time.Time
	DoneAt     time.Time
	DoneBy     int64
	Notes      string // opened by FindCase only
	TierChange string
	Step, Seq  int
	CreatedAt  time.Time
	// NotesWithheld: the follow-up has notes the reader may not see (the
	// lapse rule of the workforce); Notes is empty.
	NotesWithheld bool
}

// FollowUpRecord is what a follow-up found: notes (sealed) and, if the
// contact changed the student's tier, the new tier.
type FollowUpRecord struct {
	Notes      string
	TierChange string // "" or green, yellow, orange, red
}

// FollowUpDueArgs is the timer of a follow-up's due date, of one
// generation (Seq): a timer of an older generation does nothing.
type FollowUpDueArgs struct {
	FollowUpID int64 `json:"follow_up_id"`
	Seq        int   `json:"seq"`
}

// Kind names the job.
func (FollowUpDueArgs) Kind() string { return "care.follow_up_due" }

var _ river.JobArgs = FollowUpDueArgs{}

// FollowUpWorker runs follow-up timers.
type FollowUpWorker struct {
	river.WorkerDefaults[FollowUpDueArgs]
	S *Service
}

// Work escalates the follow-up if it was missed, or waits for its due date.
func (w *FollowUpWorker) Work(ctx context.Context, job *river.Job[FollowUpDueArgs]) error {
	_, wait, err := w.S.EscalateFollowUp(ctx, job.Args)
	if err == nil && wait > 0 {
		return river.JobSnooze(wait)
	}
	return err
}

func followUpAAD(id int64) string { return "follow_ups:" + itoa(id) + ":notes" }

// PlanFollowUp plans a contact with the student, the family or a teacher
// for a case that is not closed; its timer is scheduled at due in the same
// transaction. The follow-up belongs to the case's owner.
func (s *Service) PlanFollowUp(ctx context.Context, p access.Principal, caseID int64, kind string, due time.Time) (int64, error) {
	fields := map[string]string{}
	if !slices.Contains(FollowUpKinds, kind) {
		fields["kind"] = "follow_up.kind_unknown"
	}
	if now := s.now(); due.IsZero() || !due.After(now) || due.After(now.AddDate(1, 0, 0)) {
		fields["due"] = "form.bad_date"
	}
	if len(fields) > 0 {
		return 0, apperr.Invalid("form.invalid", fields)
	}
	var id int64
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		c, m, err := writableCase(ctx, tx, p, caseID)
		if err != nil {
			return err
		}
		if id, err = tx.InsertID(ctx, `INSERT INTO follow_ups (case_id, student_id, owner_id, kind, due_at, created_at) VALUES (?, ?, ?, ?, ?, ?)`,
			caseID, c.StudentID, c.OwnerID, kind, db.Micro(due), db.Micro(s.now())); err != nil {
			return err
		}
		if err := s.Jobs.At(ctx, tx, FollowUpDueArgs{FollowUpID: id}, due); err != nil {
			return err
		}
		return s.logCase(ctx, tx, p, m, c, "follow_up_planned", "follow_up="+itoa(id)+" kind="+kind, "", "follow_up.plan")
	})
	return id, err
}

// RecordFollowUp records a follow-up as done, with its notes (sealed). The
// contact meets the first-contact deadline of the student's open alert, and
// a tier change is written to the student's tier (a critical mark stays).
func (s *Service) RecordFollowUp(ctx context.Context, p access.Principal, id int64, r FollowUpRecord) error {
	r.Notes = strings.TrimSpace(r.Notes)
	fields := map[string]string{}
	switch {
	case r.Notes == "":
		fields["notes"] = "form.required"
	case len([]rune(r.Notes)) > 4000:
		fields["notes"] = "form.too_long"
	}
	if r.TierChange != "" && !slices.Contains(FollowUpTiers, r.TierChange) {
		fields["tier_change"] = "follow_up.tier_unknown"
	}
	if len(fields) > 0 {
		return apperr.Invalid("form.invalid", fields)
	}
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if err := tx.Serialize(ctx, "follow-up-row:"+itoa(id)); err != nil { // against its timer
			return err
		}
		var caseID, doneAt int64
		if err := tx.QueryRow(ctx, `SELECT case_id, done_at FROM follow_ups WHERE id = ?`, id).Scan(&caseID, &doneAt); err != nil {
			return err
		}
		c, err := loadCase(ctx, tx, caseID)
		if err != nil {
			return err
		}
		m, ok := c.grant(p, access.CaseManage, true)
		switch {
		case !ok:
			return c.denied(p)
		case doneAt != 0:
			return apperr.New(apperr.EConflict, "follow_up.done")
		case c.State == CaseClosed:
			return apperr.New(apperr.EConflict, "case.already_closed")
		}
		notes, err := s.Seal.Seal([]byte(r.Notes), followUpAAD(id))
		if err != nil {
			return apperr.Internal(err)
		}
		now := db.Micro(s.now())
		res, err := tx.Exec(ctx, `UPDATE follow_ups SET done_at = ?, done_by = ?, notes = ?, tier_change = ? WHERE id = ? AND done_at = 0`,
			now, p.UserID, notes, r.TierChange, id)
		if err != nil {
			return err
		}
		if n, _ := res.RowsAffected(); n != 1 {
			return apperr.New(apperr.EConflict, "follow_up.done")
		}
		if err := s.Warning.NoteContact(ctx, tx, c.StudentID, p.UserID); err != nil {
			return err
		}
		detail := "follow_up=" + itoa(id)
		if r.TierChange != "" {
			if _, err := tx.Exec(ctx, `INSERT INTO student_tiers (student_id, tier, critical, campaign_id, at) VALUES (?, ?, 0, 0, ?)
				ON CONFLICT (student_id) DO UPDATE SET tier = excluded.tier, at = excluded.at`, c.StudentID, r.TierChange, now); err != nil {
				return err
			}
			if _, err := tx.Exec(ctx, `INSERT INTO student_events (student_id, at, kind, actor_user_id, org_unit_id, detail) VALUES (?, ?, 'tier_change', ?, ?, ?)`,
				c.StudentID, now, p.UserID, c.SchoolID, "tier="+r.TierChange+" "+detail); err != nil {
				return err
			}
			detail += " tier=" + r.TierChange
		}
		return s.logCase(ctx, tx, p, m, c, "follow_up", detail, detail, "follow_up.record")
	})
}

// EscalateFollowUp handles one timer of a follow-up. If the follow-up is
// not done, of the timer's generation, its case not closed and its due date
// passed, it moves one step up the chain (warning.NextHolder): that person
// is told, and the next timer is scheduled a FollowUpGrace later, all in
// one transaction; the due date itself stays. The owner stays the same. The
// escalation row is unique per follow-up and generation, so a timer that
// runs twice escalates once. Before the due date it returns how long to wait.
func (s *Service) EscalateFollowUp(ctx context.Context, a FollowUpDueArgs) (bool, time.Duration, error) {
	escalated := false
	var wait time.Duration
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		if err := tx.Serialize(ctx, "follow-up-row:"+itoa(a.FollowUpID)); err != nil {
			return err
		}
		var doneAt, due int64
		var step, seq int
		var state, path string
		err := tx.QueryRow(ctx, `SELECT f.done_at, f.due_at, f.step, f.seq, c.state, o.path FROM follow_ups f JOIN cases c ON c.id = f.case_id
			JOIN students st ON st.id = f.student_id JOIN org_units o ON o.id = st.school_id WHERE f.id = ?`, a.FollowUpID).Scan(&doneAt, &due,
			&step, &seq, &state, &path)
		if apperr.CodeOf(err) == apperr.ENotFound {
			return nil
		}
		now := s.now()
		switch {
		case err != nil:
			return err
		case doneAt != 0 || seq != a.Seq || state == CaseClosed:
			return nil
		case a.Seq == 0 && db.Micro(now) < due:
			wait = db.FromMicro(due).Sub(now) // early: run again at the due date
			return nil
		}
		h, ok, err := warning.NextHolder(ctx, tx, step, path)
		if err != nil || !ok {
			return err // at the top of the chain it stays overdue on the owner's list
		}
		// DO NOTHING, not a caught unique violation: on PostgreSQL a failed
		// statement aborts the whole transaction.
		res, err := tx.Exec(ctx, `INSERT INTO escalations (item_type, item_id, seq, deadline, due_at, at, step, to_user_id, to_org_id)
			VALUES ('follow_up', ?, ?, 'due', ?, ?, ?, ?, ?) ON CONFLICT (item_type, item_id, seq) DO NOTHING`,
			a.FollowUpID, seq+1, due, db.Micro(now), h.Step, h.UserID, h.OrgID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return apperr.Internal(err) // nil when escalated already
		}
		next := now.Add(FollowUpGrace)
		// due_at keeps the date it was due (the work list and the metrics
		// count from it); the next timer runs a grace period from now.
		if _, err := tx.Exec(ctx, `UPDATE follow_ups SET step = ?, seq = ? WHERE id = ?`, h.Step, seq+1, a.FollowUpID); err != nil {
			return err
		}
		if err := s.Jobs.At(ctx, tx, FollowUpDueArgs{FollowUpID: a.FollowUpID, Seq: seq + 1}, next); err != nil {
			return err
		}
		if err := s.Notify.Send(ctx, tx, h.UserID, notify.Note{Kind: "follow_up.overdue", RefType: "follow_up", RefID: a.FollowUpID}); err != nil {
			return err
		}
		escalated = true
		return s.Audit.Record(ctx, tx, audit.Entry{ActorRole: "system", Action: "follow_up.escalate", ObjectType: "follow_up",
			ObjectID: itoa(a.FollowUpID), Outcome: audit.Success,
			Detail: "step=" + strconv.Itoa(h.Step) + " to=" + itoa(h.UserID) + " seq=" + strconv.Itoa(seq+1)})
	})
	return escalated, wait, err
}

// followUpsFor returns a case's follow-ups by due date, notes opened for
// reader, or withheld (NotesWithheld) when NotesBarred bars the reader.
func (s *Service) followUpsFor(ctx context.Context, tx *db.Tx, caseID, reader int64) ([]FollowUp, error) {
	barred, err := s.notesBarred(ctx, tx, reader)
	if err != nil {
		return nil, err
	}
	rows, err := tx.Query(ctx, `SELECT id, student_id, owner_id, kind, due_at, done_at, done_by, notes, tier_change, step, seq, created_at
		FROM follow_ups WHERE case_id = ? ORDER BY due_at, id`, caseID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []FollowUp
	for rows.Next() {
		f := FollowUp{CaseID: caseID}
		var due, done, created int64
		var notes []byte
		if err := rows.Scan(&f.ID, &f.StudentID, &f.OwnerID, &f.Kind, &due, &done, &f.DoneBy, &notes, &f.TierChange, &f.Step, &f.Seq,
			&created); err != nil {
			return nil, apperr.Internal(err)
		}
		if len(notes) > 0 && barred {
			f.NotesWithheld = true
		} else if len(notes) > 0 {
			plain, err := s.Seal.Open(notes, followUpAAD(f.ID))
			if err != nil {
				return nil, apperr.Internal(err)
			}
			f.Notes = string(plain)
		}
		f.Due, f.DoneAt, f.CreatedAt = db.FromMicro(due), db.FromMicro(done), db.FromMicro(created)
		out = append(out, f)
	}
	return out, apperr.Internal(rows.Err())
}
