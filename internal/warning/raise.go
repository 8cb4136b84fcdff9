package warning

import (
	"context"
	"sort"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/notify"
)

// Deadlines of a level.
type Deadlines struct {
	Ack, Contact time.Duration
}

// DeadlinesOf reads a level's deadlines (set by the city).
func DeadlinesOf(ctx context.Context, tx *db.Tx, level string) (Deadlines, error) {
	var ack, contact int64
	err := tx.QueryRow(ctx, `SELECT ack_minutes, contact_minutes FROM alert_deadlines WHERE level = ?`, level).Scan(&ack, &contact)
	return Deadlines{Ack: time.Duration(ack) * time.Minute, Contact: time.Duration(contact) * time.Minute}, err
}

// DeadlineArgs is the timer of one deadline of an alert's generation
// (seq). A timer of an older generation, or of a deadline already met,
// does nothing when it runs.
type DeadlineArgs struct {
	AlertID  int64  `json:"alert_id"`
	Seq      int    `json:"seq"`
	Deadline string `json:"deadline"` // ack or contact
}

// Kind names the job.
func (DeadlineArgs) Kind() string { return "warning.deadline" }

var _ river.JobArgs = DeadlineArgs{}

// reason sums up the rules that fired as codes: "rule@version" list.
func reason(hits []Hit) (level, text string) {
	parts := make([]string, 0, len(hits))
	for _, h := range hits {
		if higher(h.Rule.Level, level) {
			level = h.Rule.Level
		}
		parts = append(parts, h.Rule.Name+"@"+itoa(h.Rule.OrgUnitID)+"v"+itoa(int64(h.Rule.Version)))
	}
	sort.Strings(parts)
	return level, strings.Join(parts, " ")
}

// Raise judges a signal with every rule that applies to the student and,
// if any fires, raises an alert, in the caller's transaction: a new alert
// with its owner and timers, or the student's open alert gains the signal
// (and a higher level, with new deadlines, if the signal is more severe).
// It returns the alert's id, or 0 when no rule fired.
func (s *Service) Raise(ctx context.Context, tx *db.Tx, sig Signal) (int64, error) {
	if sig.At.IsZero() {
		sig.At = s.now()
	}
	su, err := loadSubject(ctx, tx, sig.StudentID, sig.At)
	if err != nil {
		return 0, err
	}
	hits, err := s.evaluate(ctx, tx, sig, su)
	if err != nil || len(hits) == 0 {
		return 0, err
	}
	level, why := reason(hits)
	for _, c := range sig.Critical {
		why += " item=" + c
	}
	for _, f := range union(su.factors, sig.Factors) {
		why += " factor=" + f
	}
	now := s.now()
	if err := tx.Serialize(ctx, "alert:"+itoa(sig.StudentID)); err != nil {
		return 0, err
	}
	var id, ackAt, ackDue, contactDue int64
	var cur string
	var seq int
	err = tx.QueryRow(ctx, `SELECT id, level, seq, acknowledged_at, ack_due_at, contact_due_at FROM alerts WHERE student_id = ? AND closed_at = 0`,
		sig.StudentID).Scan(&id, &cur, &seq, &ackAt, &ackDue, &contactDue)
	switch {
	case err == nil:
		if err := s.joinSignal(ctx, tx, id, sig, level, why, now); err != nil {
			return 0, err
		}
		if higher(level, cur) {
			if err := tx.Serialize(ctx, "alert-row:"+itoa(id)); err != nil {
				return 0, err
			}
			return id, s.raiseLevel(ctx, tx, id, level, seq, ackAt, ackDue, contactDue, now)
		}
		return id, nil
	case apperr.CodeOf(err) == apperr.ENotFound:
	default:
		return 0, err
	}
	dl, err := DeadlinesOf(ctx, tx, level)
	if err != nil {
		return 0, err
	}
	h, err := s.firstOwner(ctx, tx, su, now)
	if err != nil {
		return 0, err
	}
	id, err = tx.InsertID(ctx, `INSERT INTO alerts (student_id, school_id, level, owner_user_id, owner_org_id, step, signal_at, raised_at,
		ack_due_at, contact_due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`, sig.StudentID, su.schoolID, level, h.userID, h.orgID, h.step,
		db.Micro(sig.At), db.Micro(now), db.Micro(now.Add(dl.Ack)), db.Micro(now.Add(dl.Contact)))
	if err != nil {
		return 0, err
	}
	if err := s.joinSignal(ctx, tx, id, sig, level, why, now); err != nil {
		return 0, err
	}
	if err := s.Jobs.At(ctx, tx, DeadlineArgs{AlertID: id, Seq: 0, Deadline: "ack"}, now.Add(dl.Ack)); err != nil {
		return 0, err
	}
	if err := s.Notify.Send(ctx, tx, h.userID, notify.Note{Kind: "alert.raised", RefType: "alert", RefID: id, Level: level}); err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `INSERT INTO student_events (student_id, at, kind, org_unit_id, detail) VALUES (?, ?, 'alert', ?, ?)`,
		sig.StudentID, db.Micro(now), su.schoolID, "alert="+itoa(id)+" level="+level); err != nil {
		return 0, err
	}
	return id, s.Audit.Record(ctx, tx, audit.Entry{ActorRole: "system", Action: "alert.raise", ObjectType: "alert", ObjectID: itoa(id),
		Outcome: audit.Success, Detail: "student=" + itoa(sig.StudentID) + " level=" + level + " owner=" + itoa(h.userID) + " source=" + sig.Source})
}

func (s *Service) joinSignal(ctx context.Context, tx *db.Tx, alertID int64, sig Signal, level, why string, now time.Time) error {
	source := sig.Source
	if sig.Origin != "" {
		source = sig.Origin
	}
	_, err := tx.Exec(ctx, `INSERT INTO alert_signals (alert_id, at, source, source_id, level, reason) VALUES (?, ?, ?, ?, ?, ?)`,
		alertID, db.Micro(now), source, sig.SourceID, level, why)
	return err
}

// raiseLevel makes an open alert more severe: a new generation of
// deadlines from now (the shorter of the old and the new), new timers, and
// the owner told.
func (s *Service) raiseLevel(ctx context.Context, tx *db.Tx, id int64, level string, seq int, ackAt, oldAckDue, contactDue int64, now time.Time) error {
	dl, err := DeadlinesOf(ctx, tx, level)
	if err != nil {
		return err
	}
	seq++
	ackDue := min(oldAckDue, db.Micro(now.Add(dl.Ack)))
	contact := min(contactDue, db.Micro(now.Add(dl.Contact)))
	var owner int64
	if err := tx.QueryRow(ctx, `SELECT owner_user_id FROM alerts WHERE id = ?`, id).Scan(&owner); err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `UPDATE alerts SET level = ?, seq = ?, ack_due_at = CASE WHEN acknowledged_at = 0 THEN ? ELSE ack_due_at END,
		contact_due_at = ? WHERE id = ?`, level, seq, ackDue, contact, id); err != nil {
		return err
	}
	args, at := DeadlineArgs{AlertID: id, Seq: seq, Deadline: "ack"}, db.FromMicro(ackDue)
	if ackAt != 0 {
		args.Deadline, at = "contact", db.FromMicro(contact)
	}
	if err := s.Jobs.At(ctx, tx, args, at); err != nil {
		return err
	}
	if err := s.Notify.Send(ctx, tx, owner, notify.Note{Kind: "alert.level_raised", RefType: "alert", RefID: id, Level: level}); err != nil {
		return err
	}
	return s.Audit.Record(ctx, tx, audit.Entry{ActorRole: "system", Action: "alert.level", ObjectType: "alert", ObjectID: itoa(id),
		Outcome: audit.Success, Detail: "level=" + level})
}
