package warning

import (
	"context"
	"strings"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// Alert is an alert as its handlers see it.
type Alert struct {
	ID             int64
	StudentID      int64
	StudentName    string
	SchoolID       int64
	SchoolName     string
	SchoolNameEn   string
	SchoolPath     string
	Level          string
	State          string
	OwnerID        int64
	OwnerName      string
	Step           int
	Seq            int
	SignalAt       int64
	RaisedAt       int64
	AckDueAt       int64
	ContactDueAt   int64
	AcknowledgedAt int64
	FirstContactAt int64
	ClosedAt       int64
	Decision       string
	CaseID         int64
}

// School is the school's name in the language given.
func (a *Alert) School(lang string) string {
	if lang == "en" && a.SchoolNameEn != "" {
		return a.SchoolNameEn
	}
	return a.SchoolName
}

// Overdue reports whether a deadline of the open alert has passed at now.
func (a *Alert) Overdue(now time.Time) bool {
	n := db.Micro(now)
	return a.ClosedAt == 0 && ((a.AcknowledgedAt == 0 && n > a.AckDueAt) || (a.FirstContactAt == 0 && n > a.ContactDueAt))
}

// Due is the next deadline of the open alert.
func (a *Alert) Due() time.Time {
	if a.AcknowledgedAt == 0 {
		return db.FromMicro(a.AckDueAt)
	}
	return db.FromMicro(a.ContactDueAt)
}

const alertColumns = `a.id, a.student_id, st.name, a.school_id, o.name, o.name_en, o.path, a.level, a.state, a.owner_user_id, u.display_name,
	a.step, a.seq, a.signal_at, a.raised_at, a.ack_due_at, a.contact_due_at, a.acknowledged_at, a.first_contact_at, a.closed_at,
	a.decision, a.case_id
	FROM alerts a JOIN students st ON st.id = a.student_id JOIN org_units o ON o.id = st.school_id JOIN users u ON u.id = a.owner_user_id`

func scanAlert(sc interface{ Scan(...any) error }) (*Alert, error) {
	a := &Alert{}
	err := sc.Scan(&a.ID, &a.StudentID, &a.StudentName, &a.SchoolID, &a.SchoolName, &a.SchoolNameEn, &a.SchoolPath, &a.Level, &a.State, &a.OwnerID,
		&a.OwnerName, &a.Step, &a.Seq, &a.SignalAt, &a.RaisedAt, &a.AckDueAt, &a.ContactDueAt, &a.AcknowledgedAt, &a.FirstContactAt,
		&a.ClosedAt, &a.Decision, &a.CaseID)
	return a, err
}

// visibleTo is the SQL condition for alerts a caller may see: alert.handle
// over the student's current school, or the caller's own caseload.
func visibleTo(p access.Principal) (string, []any) {
	cond, args := p.Scope(access.AlertHandle, "o.path")
	if p.UserID == 0 {
		return cond, args
	}
	return "(" + cond + " OR a.owner_user_id = ?)", append(args, p.UserID)
}

func (s *Service) findAlert(ctx context.Context, tx *db.Tx, p access.Principal, id int64) (*Alert, error) {
	cond, args := visibleTo(p)
	a, err := scanAlert(tx.QueryRow(ctx, `SELECT `+alertColumns+` WHERE a.id = ? AND `+cond, append([]any{id}, args...)...))
	if err != nil {
		return nil, notFound(err)
	}
	return a, nil
}

// Signal is a signal as shown on an alert.
type AlertSignal struct {
	At       int64
	Source   string
	SourceID int64
	Level    string
	Reason   string
	// A concern's report, for those who handle the alert: what was seen
	// (signs), the reporter's words (opened from its seal), and for a
	// guardian's concern the relation and how urgent they said it is.
	Signs       []string
	Description string
	Relation    string
	Urgency     string
}

// Rules returns the rule names of the reason ("phq-item9@1v2" → "phq-item9").
func (sg AlertSignal) Rules() []string {
	var out []string
	for _, f := range strings.Fields(sg.Reason) {
		if name, _, ok := strings.Cut(f, "@"); ok {
			out = append(out, name)
		}
	}
	return out
}

// Codes returns the items and factors of the reason.
func (sg AlertSignal) Codes() []string {
	var out []string
	for _, f := range strings.Fields(sg.Reason) {
		if strings.HasPrefix(f, "item=") || strings.HasPrefix(f, "factor=") {
			out = append(out, f)
		}
	}
	return out
}

// Escalation is a passed deadline of an alert.
type Escalation struct {
	Seq      int
	Deadline string
	DueAt    int64
	At       int64
	Step     int
	ToName   string
}

// AlertDetail is an alert with its signals and escalations.
type AlertDetail struct {
	Alert
	Signals     []AlertSignal
	Escalations []Escalation
}

// FindAlert returns an alert the caller may see, with its history. It
// names a child, so the read is audited.
func (s *Service) FindAlert(ctx context.Context, p access.Principal, id int64) (*AlertDetail, error) {
	var d AlertDetail
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		a, err := s.findAlert(ctx, tx, p, id)
		if err != nil {
			return err
		}
		d.Alert = *a
		rows, err := tx.Query(ctx, `SELECT at, source, source_id, level, reason FROM alert_signals WHERE alert_id = ? ORDER BY at, id`, id)
		if err != nil {
			return err
		}
		for rows.Next() {
			var sg AlertSignal
			if err := rows.Scan(&sg.At, &sg.Source, &sg.SourceID, &sg.Level, &sg.Reason); err != nil {
				rows.Close()
				return err
			}
			d.Signals = append(d.Signals, sg)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for i := range d.Signals {
			if err := s.concernReport(ctx, tx, &d.Signals[i]); err != nil {
				return err
			}
		}
		rows, err = tx.Query(ctx, `SELECT e.seq, e.deadline, e.due_at, e.at, e.step, u.display_name FROM escalations e
			JOIN users u ON u.id = e.to_user_id WHERE e.item_type = 'alert' AND e.item_id = ? ORDER BY e.seq`, id)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e Escalation
			if err := rows.Scan(&e.Seq, &e.Deadline, &e.DueAt, &e.At, &e.Step, &e.ToName); err != nil {
				return err
			}
			d.Escalations = append(d.Escalations, e)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		m, _ := p.At(access.AlertHandle, a.SchoolPath)
		return s.audit(ctx, tx, p, m, "alert.read", id, "student="+itoa(a.StudentID))
	})
	if err != nil {
		return nil, err
	}
	return &d, nil
}

// AlertFilter selects alerts for a list.
type AlertFilter struct {
	Mine    bool   // only the caller's own
	Open    bool   // only open alerts
	Level   string // one level, or all
	Overdue bool   // only open alerts past a deadline
	After   int64  // keyset: alerts with id below this (newest first)
	Limit   int
}

// FindAlerts lists alerts the caller may see, newest first, with keyset
// pagination. Lists show names, so the read is audited (one entry).
func (s *Service) FindAlerts(ctx context.Context, p access.Principal, f AlertFilter) ([]*Alert, error) {
	if f.Limit <= 0 || f.Limit > 200 {
		f.Limit = 50
	}
	cond, args := visibleTo(p)
	q := `SELECT ` + alertColumns + ` WHERE ` + cond
	if f.Mine {
		q += ` AND a.owner_user_id = ?`
		args = append(args, p.UserID)
	}
	if f.Open || f.Overdue {
		q += ` AND a.closed_at = 0`
	}
	if levelRank[f.Level] > 0 {
		q += ` AND a.level = ?`
		args = append(args, f.Level)
	}
	if f.Overdue {
		now := db.Micro(s.now())
		q += ` AND ((a.acknowledged_at = 0 AND a.ack_due_at < ?) OR (a.first_contact_at = 0 AND a.contact_due_at < ?))`
		args = append(args, now, now)
	}
	if f.After > 0 {
		q += ` AND a.id < ?`
		args = append(args, f.After)
	}
	q += ` ORDER BY a.id DESC LIMIT ?`
	args = append(args, f.Limit)
	var out []*Alert
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		rows, err := tx.Query(ctx, q, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			a, err := scanAlert(rows)
			if err != nil {
				return err
			}
			out = append(out, a)
		}
		if err := rows.Err(); err != nil {
			return err
		}
		m, _ := p.Grant(access.AlertHandle)
		return s.audit(ctx, tx, p, m, "alert.list", 0, "count="+itoa(int64(len(out))))
	})
	return out, err
}

// concernReport fills a concern signal with its report: a staff member's
// (concern_reports) or a guardian's (family_concerns).
func (s *Service) concernReport(ctx context.Context, tx *db.Tx, sg *AlertSignal) error {
	var signs string
	var sealed []byte
	var aad string
	switch sg.Source {
	case "concern":
		aad = "concern_reports:" + itoa(sg.SourceID) + ":description"
		if err := tx.QueryRow(ctx, `SELECT signs, description FROM concern_reports WHERE id = ?`, sg.SourceID).Scan(&signs, &sealed); err != nil {
			return ignoreMissing(err)
		}
	case "guardian_concern":
		aad = "family_concerns:" + itoa(sg.SourceID) + ":description"
		if err := tx.QueryRow(ctx, `SELECT signs, description, relation, urgency FROM family_concerns WHERE id = ?`, sg.SourceID).Scan(&signs,
			&sealed, &sg.Relation, &sg.Urgency); err != nil {
			return ignoreMissing(err)
		}
	default:
		return nil
	}
	sg.Signs = strings.Fields(signs)
	if len(sealed) > 0 {
		plain, err := s.Seal.Open(sealed, aad)
		if err != nil {
			return apperr.Internal(err)
		}
		sg.Description = string(plain)
	}
	return nil
}

// ignoreMissing treats a report that is not there as nothing to show.
func ignoreMissing(err error) error {
	if apperr.CodeOf(err) == apperr.ENotFound {
		return nil
	}
	return err
}
