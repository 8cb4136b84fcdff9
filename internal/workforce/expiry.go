package workforce

import (
	"context"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/audit"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/notify"
)

// Notification kinds of the expiry check; each carries the person's entry
// id and nothing else.
const (
	NoteExpiring = "workforce.cert_expiring"
	NoteLapsed   = "workforce.cert_lapsed"
)

// ExpiryArgs is the daily check of certifications (Day: its date, China
// Standard Time); each run schedules the next.
type ExpiryArgs struct {
	Day string `json:"day"`
}

// Kind names the job.
func (ExpiryArgs) Kind() string { return "workforce.cert_expiry" }

var _ river.JobArgs = ExpiryArgs{}

// ExpiryWorker runs the daily check.
type ExpiryWorker struct {
	river.WorkerDefaults[ExpiryArgs]
	S *Service
}

// Work checks the certifications, then schedules the next day's check.
func (w *ExpiryWorker) Work(ctx context.Context, job *river.Job[ExpiryArgs]) error {
	if _, err := w.S.CheckExpiry(ctx); err != nil {
		return err
	}
	return w.S.ScheduleCheck(ctx)
}

// checkHour is when the daily check runs, China Standard Time.
const checkHour = 7

// nextCheck is the first check after t.
func nextCheck(t time.Time) (string, time.Time) {
	at := Day(t).Add(checkHour * time.Hour)
	if !at.After(t) {
		at = Day(t.Add(day)).Add(checkHour * time.Hour)
	}
	return at.Format("2006-01-02"), at
}

// ScheduleCheck schedules the next daily check. Scheduling the same day
// twice inserts one job (the queue keeps one per arguments), so the server
// calls it at every start.
func (s *Service) ScheduleCheck(ctx context.Context) error {
	if s.Jobs == nil {
		return nil
	}
	d, at := nextCheck(s.now())
	return s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		return s.Jobs.At(ctx, tx, ExpiryArgs{Day: d}, at)
	})
}

// managerRoles are the roles that hold workforce.manage.
func managerRoles() []string {
	var out []string
	for _, name := range access.RoleNames() {
		if access.Has(name, access.WorkforceManage) {
			out = append(out, name)
		}
	}
	return out
}

// CheckExpiry notifies the person (if linked) and the workforce managers
// of the person's unit (those of the nearest unit at or above it that has
// any) of every certification of an active entry that entered its warning
// window or lapsed: once per certification and threshold, however often
// it runs. It returns how many notices it recorded.
func (s *Service) CheckExpiry(ctx context.Context) (int, error) {
	sent := 0
	now := s.now()
	err := s.DB.Tx(ctx, func(ctx context.Context, tx *db.Tx) error {
		ix, err := loadSettings(ctx, tx)
		if err != nil {
			return err
		}
		max := DefaultWarnDays
		for _, u := range ix {
			if u.warn > max {
				max = u.warn
			}
		}
		// Certifications that could be in a window: not ended, valid until
		// less than the widest window from now.
		rows, err := tx.Query(ctx, `SELECT c.id, c.person_id, c.issued_on, c.expires_on, COALESCE(wp.user_id, 0), o.path
			FROM workforce_certs c JOIN workforce_people wp ON wp.id = c.person_id JOIN org_units o ON o.id = wp.org_unit_id
			WHERE c.ended_at = 0 AND wp.active = 1 AND c.expires_on <= ? ORDER BY c.id`, db.Micro(now.Add(time.Duration(max)*day)))
		if err != nil {
			return err
		}
		type due struct {
			cert, person, user int64
			path, threshold    string
		}
		var list []due
		for rows.Next() {
			var d due
			var issued, expires int64
			if err := rows.Scan(&d.cert, &d.person, &issued, &expires, &d.user, &d.path); err != nil {
				rows.Close()
				return err
			}
			c := Cert{Issued: db.FromMicro(issued), Expires: db.FromMicro(expires)}
			switch c.status(now, ix.warnDays(d.path)) {
			case StatusExpiring:
				d.threshold = "expiring"
			case StatusLapsed:
				d.threshold = "lapsed"
			default:
				continue
			}
			list = append(list, d)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		roles := managerRoles()
		for _, d := range list {
			// DO NOTHING, not a caught unique violation: on PostgreSQL a
			// failed statement aborts the transaction.
			res, err := tx.Exec(ctx, `INSERT INTO workforce_cert_notices (cert_id, threshold, at) VALUES (?, ?, ?)
				ON CONFLICT (cert_id, threshold) DO NOTHING`, d.cert, d.threshold, db.Micro(now))
			if err != nil {
				return err
			}
			if n, err := res.RowsAffected(); err != nil || n == 0 {
				if err != nil {
					return err
				}
				continue
			}
			kind := NoteExpiring
			if d.threshold == "lapsed" {
				kind = NoteLapsed
			}
			to, err := nearestManagers(ctx, tx, d.path, roles)
			if err != nil {
				return err
			}
			if d.user != 0 {
				var active int
				if err := tx.QueryRow(ctx, `SELECT active FROM users WHERE id = ?`, d.user).Scan(&active); err != nil {
					return err
				}
				if active == 1 {
					to = append([]int64{d.user}, to...)
				}
			}
			seen := map[int64]bool{}
			told := 0
			for _, u := range to {
				if seen[u] {
					continue
				}
				seen[u] = true
				// The person is sent to their own record, managers to the entry.
				ref := "workforce_person"
				if u == d.user {
					ref = "workforce_mine"
				}
				if s.Notify != nil {
					if err := s.Notify.Send(ctx, tx, u, notify.Note{Kind: kind, RefType: ref, RefID: d.person}); err != nil {
						return err
					}
				}
				told++
			}
			if err := s.Audit.Record(ctx, tx, audit.Entry{ActorRole: "system", Action: "workforce.cert_notice", ObjectType: "workforce_person",
				ObjectID: itoa(d.person), Outcome: audit.Success,
				Detail: "cert=" + itoa(d.cert) + " threshold=" + d.threshold + " told=" + itoa(int64(told))}); err != nil {
				return err
			}
			sent++
		}
		return nil
	})
	return sent, err
}

// nearestManagers returns the active users holding one of roles at the
// deepest unit at or above path that has any.
func nearestManagers(ctx context.Context, tx *db.Tx, path string, roles []string) ([]int64, error) {
	args := []any{}
	for _, r := range roles {
		args = append(args, r)
	}
	rows, err := tx.Query(ctx, `SELECT DISTINCT mb.user_id, o.depth FROM memberships mb JOIN users u ON u.id = mb.user_id
		JOIN org_units o ON o.id = mb.org_unit_id WHERE u.active = 1 AND mb.role IN (?`+strings.Repeat(", ?", len(roles)-1)+`)
		AND ? LIKE o.path || '%' ORDER BY o.depth DESC, mb.user_id`, append(args, path)...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []int64
	top := -1
	for rows.Next() {
		var id int64
		var depth int
		if err := rows.Scan(&id, &depth); err != nil {
			return nil, err
		}
		if top >= 0 && depth != top {
			break
		}
		top = depth
		out = append(out, id)
	}
	return out, rows.Err()
}
