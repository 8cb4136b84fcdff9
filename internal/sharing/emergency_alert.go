package sharing

import (
	"context"
	"strings"
	"time"

	"github.com/riverqueue/river"

	"github.com/careloop/careloop/internal/access"
	"github.com/careloop/careloop/internal/db"
	"github.com/careloop/careloop/internal/notify"
)

// What emergency access leaves behind for others: the alert to
// supervisors and school leaders, the task to inform the family
// afterwards, and the expiry timer.

// NoteEmergency is the kind of notification sent when the glass is
// broken; it carries the grant's id and nothing else.
const NoteEmergency = "emergency.granted"

// InformTaskKind is the kind of the care task to inform the guardian or
// the child after acting under the emergency exception.
const InformTaskKind = "inform_after_emergency"

// DefaultInformWithin is when that task falls due.
const DefaultInformWithin = 72 * time.Hour

// supervisorRoles are the roles alerted at the user's unit, or the
// nearest unit above it that has any.
var supervisorRoles = []string{access.HotlineSupervisor, access.Coordinator}

// alertWatchers notifies, and records as reviewers of the grant, the
// supervisors and coordinators of the nearest unit at or above the
// caller's role's unit that has any (other than the caller), and the
// leaders of the student's school. It returns how many were told.
func (s *Service) alertWatchers(ctx context.Context, tx *db.Tx, p access.Principal, m access.Membership, grant int64, schoolPath string) (int, error) {
	sup, err := nearest(ctx, tx, m.OrgPath, supervisorRoles, p.UserID, false)
	if err != nil {
		return 0, err
	}
	leaders, err := nearest(ctx, tx, schoolPath, []string{access.SchoolLeader}, p.UserID, true)
	if err != nil {
		return 0, err
	}
	told := 0
	seen := map[int64]bool{}
	for _, w := range []struct {
		users []int64
		why   string
	}{{sup, "supervisor"}, {leaders, "school_leader"}} {
		for _, u := range w.users {
			if seen[u] {
				continue
			}
			seen[u] = true
			if _, err := tx.Exec(ctx, `INSERT INTO emergency_watchers (grant_id, user_id, why) VALUES (?, ?, ?)`, grant, u, w.why); err != nil {
				return 0, err
			}
			if s.Notify != nil {
				if err := s.Notify.Send(ctx, tx, u, notify.Note{Kind: NoteEmergency, RefType: "emergency", RefID: grant, Level: "red"}); err != nil {
					return 0, err
				}
			}
			told++
		}
	}
	return told, nil
}

// nearest returns the active users holding one of roles at the deepest
// unit on the way up from path (the unit itself included) that has any,
// leaving out the user except. With exact, only the unit at path counts.
func nearest(ctx context.Context, tx *db.Tx, path string, roles []string, except int64, exact bool) ([]int64, error) {
	q := `SELECT DISTINCT mb.user_id, o.depth FROM memberships mb JOIN users u ON u.id = mb.user_id JOIN org_units o ON o.id = mb.org_unit_id
		WHERE u.active = 1 AND mb.user_id <> ? AND mb.role IN (?` + strings.Repeat(", ?", len(roles)-1) + `) AND `
	if exact {
		q += `o.path = ?`
	} else {
		q += `? LIKE o.path || '%'`
	}
	args := []any{except}
	for _, r := range roles {
		args = append(args, r)
	}
	rows, err := tx.Query(ctx, q+` ORDER BY o.depth DESC, mb.user_id`, append(args, path)...)
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

// informTask gives the school's counsellor (else its leader, else the
// nearest coordinator above it) a care task, due InformWithin from now,
// to inform the guardian or the child that their data was used without
// consent to protect a life (PIPL art. 18, para. 2). It returns the task,
// or 0 when nobody holds such a role (the review page then says so).
func (s *Service) informTask(ctx context.Context, tx *db.Tx, grant, studentID int64, schoolPath string, now time.Time) (int64, error) {
	var owner int64
	for _, role := range []string{access.SchoolCounsellor, access.SchoolLeader, access.Coordinator} {
		users, err := nearest(ctx, tx, schoolPath, []string{role}, 0, false)
		if err != nil {
			return 0, err
		}
		if len(users) > 0 {
			owner = users[0]
			break
		}
	}
	if owner == 0 {
		return 0, nil
	}
	within := s.InformWithin
	if within <= 0 {
		within = DefaultInformWithin
	}
	// The task lives in care's table, so that it shows on the owner's
	// work list with the others and is completed the same way.
	task, err := tx.InsertID(ctx, `INSERT INTO tasks (review_id, student_id, kind, owner_id, due_at, created_at) VALUES (0, ?, ?, ?, ?, ?)`,
		studentID, InformTaskKind, owner, db.Micro(now.Add(within)), db.Micro(now))
	if err != nil {
		return 0, err
	}
	if _, err := tx.Exec(ctx, `UPDATE emergency_grants SET task_id = ? WHERE id = ?`, task, grant); err != nil {
		return 0, err
	}
	if s.Notify != nil {
		if err := s.Notify.Send(ctx, tx, owner, notify.Note{Kind: "task.assigned", RefType: "task", RefID: task}); err != nil {
			return 0, err
		}
	}
	return task, nil
}

// ExpiryArgs is the timer that ends a grant when its time is up.
type ExpiryArgs struct {
	Grant int64 `json:"grant"`
}

// Kind names the job.
func (ExpiryArgs) Kind() string { return "sharing.emergency_expiry" }

var _ river.JobArgs = ExpiryArgs{}

// ExpiryWorker runs the grants' timers.
type ExpiryWorker struct {
	river.WorkerDefaults[ExpiryArgs]
	S *Service
}

// Work ends the grant if its time is up, and waits if it is not yet.
func (w *ExpiryWorker) Work(ctx context.Context, job *river.Job[ExpiryArgs]) error {
	var expires int64
	err := w.S.DB.Read(ctx, func(ctx context.Context, tx *db.Tx) error {
		return tx.QueryRow(ctx, `SELECT expires_at FROM emergency_grants WHERE id = ?`, job.Args.Grant).Scan(&expires)
	})
	if err != nil {
		return err
	}
	if wait := db.FromMicro(expires).Sub(w.S.now()); wait > 0 {
		return river.JobSnooze(wait)
	}
	return w.S.ExpireEmergency(ctx, job.Args.Grant)
}
