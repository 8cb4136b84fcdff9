package care

import (
	"context"
	"slices"
	"strconv"
	"time"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/apperr"
	"github.com/careloop/careloop/internal/db"
)

// Interval sums up one interval of the loop over the alerts of a period
// whose end event happened before the period's end (docs/loop-metrics.md).
type Interval struct {
	Count  int           // alerts measured
	Median time.Duration // exact: the mean of the two middle values when Count is even
	Worst  time.Duration // the longest
}

// SessionFigures counts counselling sessions of one kind: person-times
// (人次) are attendance rows, People distinct students.
type SessionFigures struct {
	Sessions, PersonTimes, People int
}

// Metrics are the loop's figures for a unit's subtree over [From, To),
// every event judged as it stood at To. docs/loop-metrics.md defines each
// figure in full.
type Metrics struct {
	OrgUnitID int64
	From, To  time.Time
	// Alerts counts the alerts raised in [From, To) whose school when raised
	// (alerts.school_id) lies in the subtree: "the period's alerts".
	Alerts int
	// AlertsByLevel counts the period's alerts by alerts.level.
	AlertsByLevel map[string]int
	// SignalToAlert is raised_at − signal_at over every alert of the period.
	SignalToAlert Interval
	// AlertToAck is acknowledged_at − raised_at over the alerts acknowledged
	// (closing acknowledges) before To.
	AlertToAck Interval
	// AlertToContact is first_contact_at − raised_at over the alerts with a
	// first contact before To.
	AlertToContact Interval
	// AlertToPlan is the first support plan's created_at (any version) of the
	// case the alert closed into (alerts.case_id) − raised_at, over the alerts
	// whose plan was written before To; 0 when the plan predates the alert.
	AlertToPlan Interval
	// AckPastDeadline counts the alerts with an "ack" escalation due before
	// To, or whose acknowledgement (or closing, whichever came first) came
	// after ack_due_at, or came not at all by To while ack_due_at < To.
	AckPastDeadline int
	// ContactPastDeadline is the same for the first contact (or closing),
	// with contact_due_at and "contact" escalations.
	ContactPastDeadline int
	// AlertsPastDeadline counts the alerts past either deadline, once each.
	AlertsPastDeadline int
	// FollowUpsDue counts the follow-ups due in [From, To) of students whose
	// current school lies in the subtree.
	FollowUpsDue int
	// FollowUpsOverdue counts those of them done after due_at or not done
	// by To.
	FollowUpsOverdue int
	// StudentsLostToFollowUp counts the distinct students of the subtree
	// with a case open at To whose last contact before To (a follow-up done,
	// a session attended, else the case's opening) is more than
	// LostNoContact before To, or whose case has a follow-up due more than
	// LostOverdue before To and not done by To.
	StudentsLostToFollowUp int
	// IndividualSessions and GroupSessions count the sessions held in
	// [From, To) at units of the subtree, their attendance rows
	// (person-times, 人次) and distinct students (people).
	IndividualSessions, GroupSessions SessionFigures
}

// The thresholds of StudentsLostToFollowUp.
const (
	LostNoContact = 30 * 24 * time.Hour // no contact for longer than this
	LostOverdue   = 14 * 24 * time.Hour // a follow-up overdue for longer than this
)

// summarize returns the count, exact median and worst of ds.
func summarize(ds []time.Duration) Interval {
	n := len(ds)
	if n == 0 {
		return Interval{}
	}
	slices.Sort(ds)
	med := ds[n/2]
	if n%2 == 0 {
		med = ds[n/2-1] + (ds[n/2]-ds[n/2-1])/2
	}
	return Interval{Count: n, Median: med, Worst: ds[n-1]}
}

func micros(us int64) time.Duration { return time.Duration(us) * time.Microsecond }

// pastDeadline judges one deadline at `to`: met is when it was met (0 if
// never), escalated the earliest escalation's due time of it (0 if none).
func pastDeadline(due, met, escalated, to int64) bool {
	if met >= to {
		met = 0
	}
	return (escalated != 0 && escalated < to) || (met != 0 && met > due) || (met == 0 && due < to)
}

// firstOf returns the earliest non-zero time.
func firstOf(a, b int64) int64 {
	if a == 0 || (b != 0 && b < a) {
		return b
	}
	return a
}

// LoopMetrics computes the loop's figures for the unit's subtree over
// [from, to); every event is judged as it stood at to, so a past period's
// figures do not change later. The caller needs report.read and
// record.read at the unit: the figures are exact.
func (s *Service) LoopMetrics(ctx context.Context, p access.Principal, orgUnitID int64, from, to time.Time) (*Metrics, error) {
	if from.IsZero() || !to.After(from) {
		return nil, apperr.Invalid("form.bad_date", map[string]string{"to": "form.bad_date"})
	}
	// A period that has not ended yet is judged as it stands now: a
	// deadline still ahead is not past.
	if now := s.now(); to.After(now) && now.After(from) {
		to = now
	}
	m := &Metrics{OrgUnitID: orgUnitID, From: from, To: to, AlertsByLevel: map[string]int{}}
	f, t := db.Micro(from), db.Micro(to)
	err := s.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		path, _, err := unitFor(ctx, tx, p, access.ReportRead, orgUnitID, false)
		if err != nil {
			return err
		}
		// Exact counts over any days: only for those who may open the
		// records behind them; others read the protected dashboard.
		if _, ok := p.At(access.RecordRead, path); !ok {
			return apperr.New(apperr.EForbidden, "stats.exact_only")
		}
		end := access.SubtreeEnd(path)
		var toAlert, toAck, toContact, toPlan []time.Duration
		// The level an alert had at the period's end: the most severe of
		// its signals before it, so a later signal does not change a past
		// period's figures.
		err = eachRow(ctx, tx, `SELECT COALESCE((SELECT MAX(CASE sg.level WHEN 'red' THEN 3 WHEN 'orange' THEN 2 WHEN 'yellow' THEN 1 ELSE 0 END)
			FROM alert_signals sg WHERE sg.alert_id = a.id AND sg.at < ?), 0), a.level, a.signal_at, a.raised_at, a.ack_due_at, a.contact_due_at, a.acknowledged_at,
			a.first_contact_at, a.closed_at,
			COALESCE((SELECT MIN(sp.created_at) FROM support_plans sp WHERE sp.case_id = a.case_id AND a.case_id <> 0), 0),
			COALESCE((SELECT MIN(e.due_at) FROM escalations e WHERE e.item_type = 'alert' AND e.item_id = a.id AND e.deadline = 'ack'), 0),
			COALESCE((SELECT MIN(e.due_at) FROM escalations e WHERE e.item_type = 'alert' AND e.item_id = a.id AND e.deadline = 'contact'), 0)
			FROM alerts a JOIN org_units o ON o.id = a.school_id
			WHERE a.raised_at >= ? AND a.raised_at < ? AND o.path >= ? AND o.path < ?`, []any{t, f, t, path, end},
			func(sc func(...any) error) error {
				var level string
				var rank int
				var signal, raised, ackDue, contactDue, ack, contact, closed, plan, escAck, escContact int64
				if err := sc(&rank, &level, &signal, &raised, &ackDue, &contactDue, &ack, &contact, &closed, &plan, &escAck, &escContact); err != nil {
					return err
				}
				if rank > 0 {
					level = []string{"", "yellow", "orange", "red"}[rank]
				}
				m.Alerts++
				m.AlertsByLevel[level]++
				toAlert = append(toAlert, micros(raised-signal))
				if ack != 0 && ack < t {
					toAck = append(toAck, micros(ack-raised))
				}
				if contact != 0 && contact < t {
					toContact = append(toContact, micros(contact-raised))
				}
				if plan != 0 && plan < t {
					toPlan = append(toPlan, micros(max(plan-raised, 0)))
				}
				ackPast := pastDeadline(ackDue, firstOf(ack, closed), escAck, t)
				contactPast := pastDeadline(contactDue, firstOf(contact, closed), escContact, t)
				m.AckPastDeadline += db.Bool(ackPast)
				m.ContactPastDeadline += db.Bool(contactPast)
				m.AlertsPastDeadline += db.Bool(ackPast || contactPast)
				return nil
			})
		if err != nil {
			return err
		}
		m.SignalToAlert, m.AlertToAck = summarize(toAlert), summarize(toAck)
		m.AlertToContact, m.AlertToPlan = summarize(toContact), summarize(toPlan)
		if err := tx.QueryRow(ctx, `SELECT COUNT(*), COALESCE(SUM(CASE WHEN f.done_at = 0 OR f.done_at >= ? OR f.done_at > f.due_at THEN 1 ELSE 0 END), 0)
			FROM follow_ups f JOIN students st ON st.id = f.student_id JOIN org_units o ON o.id = st.school_id
			WHERE f.due_at >= ? AND f.due_at < ? AND o.path >= ? AND o.path < ?`, t, f, t, path, end).Scan(&m.FollowUpsDue, &m.FollowUpsOverdue); err != nil {
			return err
		}
		if m.StudentsLostToFollowUp, err = lostToFollowUp(ctx, tx, t, path, end); err != nil {
			return err
		}
		return eachRow(ctx, tx, `SELECT cs.kind, COUNT(DISTINCT cs.id), COUNT(sa.student_id), COUNT(DISTINCT sa.student_id)
			FROM counselling_sessions cs JOIN org_units o ON o.id = cs.org_unit_id LEFT JOIN session_attendance sa ON sa.session_id = cs.id
			WHERE cs.held_at >= ? AND cs.held_at < ? AND o.path >= ? AND o.path < ? GROUP BY cs.kind`, []any{f, t, path, end},
			func(sc func(...any) error) error {
				var kind string
				var fig SessionFigures
				err := sc(&kind, &fig.Sessions, &fig.PersonTimes, &fig.People)
				switch kind {
				case "individual":
					m.IndividualSessions = fig
				case "group":
					m.GroupSessions = fig
				}
				return err
			})
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// lostToFollowUp counts the students of the subtree lost to follow-up at t
// (see Metrics).
func lostToFollowUp(ctx context.Context, tx *db.Tx, t int64, path, end string) (int, error) {
	lost := map[int64]bool{}
	noContact, overdue := t-LostNoContact.Microseconds(), t-LostOverdue.Microseconds()
	err := eachRow(ctx, tx, `SELECT c.student_id, c.opened_at,
		COALESCE((SELECT MAX(f.done_at) FROM follow_ups f WHERE f.student_id = c.student_id AND f.done_at > 0 AND f.done_at < ?), 0),
		COALESCE((SELECT MAX(cs.held_at) FROM session_attendance sa JOIN counselling_sessions cs ON cs.id = sa.session_id
			WHERE sa.student_id = c.student_id AND cs.held_at < ?), 0),
		COALESCE((SELECT MIN(f.due_at) FROM follow_ups f WHERE f.case_id = c.id AND (f.done_at = 0 OR f.done_at >= ?)), 0)
		FROM cases c JOIN students st ON st.id = c.student_id JOIN org_units o ON o.id = st.school_id
		WHERE c.opened_at < ? AND (c.state <> 'closed' OR c.closed_at >= ?) AND o.path >= ? AND o.path < ?`,
		[]any{t, t, t, t, t, path, end}, func(sc func(...any) error) error {
			var student, opened, followUp, session, firstOpen int64
			if err := sc(&student, &opened, &followUp, &session, &firstOpen); err != nil {
				return err
			}
			last := max(opened, followUp, session)
			if last < noContact || (firstOpen != 0 && firstOpen < overdue) {
				lost[student] = true
			}
			return nil
		})
	return len(lost), err
}

// AgendaItem is one line of a review's agenda. RefID is the alert, the
// follow-up or the case (for a tier line, the student); Code is the
// alert's level, the tier, the follow-up's kind or the plan's frequency;
// At is when the alert was raised, the tier set, the follow-up due or the
// plan's review due; OwnerID the alert's, follow-up's or case's owner.
type AgendaItem struct {
	StudentID   int64
	StudentName string
	SchoolID    int64
	RefID       int64
	Code        string
	At          time.Time
	OwnerID     int64
	Escalated   bool // an alert escalated since the previous review
	Critical    bool // a tier marked for immediate attention
}

// Agenda is what a review of a unit goes through, for students whose
// current school lies in the unit's subtree.
type Agenda struct {
	OrgUnitID int64
	Since     time.Time    // the unit's previous review, or 30 days before now
	Alerts    []AgendaItem // raised or escalated since Since, oldest first
	Students  []AgendaItem // active students whose tier is red or orange, red first
	Overdue   []AgendaItem // follow-ups not done and past due, oldest first
	PlansDue  []AgendaItem // open cases whose current plan is due for review within 7 days (or overdue)
}

// ReviewAgenda prepares the agenda of the unit's next review. The caller
// needs review.manage at the unit; the agenda names students, so the read
// is audited.
func (s *Service) ReviewAgenda(ctx context.Context, p access.Principal, orgUnitID int64) (*Agenda, error) {
	a := &Agenda{OrgUnitID: orgUnitID}
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		path, m, err := unitFor(ctx, tx, p, access.ReviewManage, orgUnitID, false)
		if err != nil {
			return err
		}
		now := s.now()
		var prev int64
		if err := tx.QueryRow(ctx, `SELECT COALESCE(MAX(held_at), 0) FROM risk_reviews WHERE org_unit_id = ? AND held_at <= ?`,
			orgUnitID, db.Micro(now)).Scan(&prev); err != nil {
			return err
		}
		if a.Since = db.FromMicro(prev); prev == 0 {
			a.Since = now.Add(-30 * 24 * time.Hour)
		}
		since, in := db.Micro(a.Since), ` FROM students st JOIN org_units o ON o.id = st.school_id `
		sub := ` AND o.path >= ? AND o.path < ? `
		lists := []struct {
			into *[]AgendaItem
			q    string
			args []any
		}{
			{&a.Alerts, `SELECT a.student_id, st.name, st.school_id, a.id, a.level, a.raised_at, a.owner_user_id,
				COALESCE((SELECT MAX(e.at) FROM escalations e WHERE e.item_type = 'alert' AND e.item_id = a.id), 0)` + in +
				`JOIN alerts a ON a.student_id = st.id WHERE (a.raised_at >= ? OR EXISTS (SELECT 1 FROM escalations e
				WHERE e.item_type = 'alert' AND e.item_id = a.id AND e.at >= ?))` + sub + `ORDER BY a.raised_at, a.id`, []any{since, since}},
			{&a.Students, `SELECT t.student_id, st.name, st.school_id, t.student_id, t.tier, t.at, 0, t.critical` + in +
				`JOIN student_tiers t ON t.student_id = st.id WHERE t.tier IN ('red', 'orange') AND st.status = 'active'` + sub +
				`ORDER BY CASE t.tier WHEN 'red' THEN 0 ELSE 1 END, t.at, t.student_id`, nil},
			{&a.Overdue, `SELECT f.student_id, st.name, st.school_id, f.id, f.kind, f.due_at, f.owner_id, 0` + in +
				`JOIN follow_ups f ON f.student_id = st.id WHERE f.done_at = 0 AND f.due_at < ?` + sub + `ORDER BY f.due_at, f.id`,
				[]any{db.Micro(now)}},
			{&a.PlansDue, `SELECT c.student_id, st.name, st.school_id, c.id, sp.frequency, sp.next_review_at, c.owner_user_id, 0` + in +
				`JOIN cases c ON c.student_id = st.id JOIN support_plans sp ON sp.case_id = c.id WHERE c.state = 'open'
				AND sp.version = (SELECT MAX(v.version) FROM support_plans v WHERE v.case_id = c.id) AND sp.next_review_at <= ?` + sub +
				`ORDER BY sp.next_review_at, c.id`, []any{db.Micro(now.Add(7 * 24 * time.Hour))}},
		}
		for i, l := range lists {
			err := eachRow(ctx, tx, l.q, append(l.args, path, access.SubtreeEnd(path)), func(sc func(...any) error) error {
				var it AgendaItem
				var at, flag int64
				err := sc(&it.StudentID, &it.StudentName, &it.SchoolID, &it.RefID, &it.Code, &at, &it.OwnerID, &flag)
				it.At, it.Escalated, it.Critical = db.FromMicro(at), i == 0 && flag >= since, i == 1 && flag != 0
				*l.into = append(*l.into, it)
				return err
			})
			if err != nil {
				return err
			}
		}
		return s.record(ctx, tx, p, m, "review.agenda", "org_unit", orgUnitID, "alerts="+strconv.Itoa(len(a.Alerts))+
			" students="+strconv.Itoa(len(a.Students))+" overdue="+strconv.Itoa(len(a.Overdue))+" plans="+strconv.Itoa(len(a.PlansDue)))
	})
	if err != nil {
		return nil, err
	}
	return a, nil
}
